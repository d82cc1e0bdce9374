"""The intercom's writers and its device adapter."""
