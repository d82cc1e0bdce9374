"""GraphiQL at ``GET /graphql``, served from package data (see README.md here)."""
