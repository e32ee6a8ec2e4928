"""Indexes on the person projection that serve the statistics' GROUP BY queries.

Declared here (the statistics own them) on the ``person`` table, so Alembic and ``create_all`` see them
with the rest of the metadata.
"""
