"""Packages are found, not listed, so that a new domain's folder is packaged as it is;
the rest of the metadata is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages("src"),
        "edom_graphql.migrations",
        "edom_graphql.migrations.versions",
    ]
)
