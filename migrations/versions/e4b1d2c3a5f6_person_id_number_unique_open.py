"""R18 in the database: one open person per (normalised) ID number

Revision ID: e4b1d2c3a5f6
Revises: d7e2a9c41b05
Create Date: 2026-11-30 20:00:00

A database that already holds two open persons with the same number (entered before the numbers were
normalised) must have one of them cancelled and closed (重新发展) before this upgrade.
"""
import sqlalchemy as sa
from alembic import op

revision = "e4b1d2c3a5f6"
down_revision = "d7e2a9c41b05"
branch_labels = None
depends_on = None

OPEN = sa.text("status != 'closed'")


def upgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.create_index("uq_person_id_number_open", ["id_number"], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("uq_person_id_number_open")
