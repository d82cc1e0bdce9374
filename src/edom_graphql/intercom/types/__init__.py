"""GraphQL types of the intercom: entrances with their panels and applications, entrance
codes, the entry log, calls, and the fields they add to ``Building`` and ``Premise``."""
