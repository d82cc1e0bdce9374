"""Load benchmark of the GraphQL API over real HTTP against a real PostgreSQL.

Run it as ``python -m bench --help``; see ``bench/README.md``.
"""
