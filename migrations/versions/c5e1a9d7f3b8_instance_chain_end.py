"""process_instance.last_seq / last_hash: the end of the instance's event chain, kept with its state

Revision ID: c5e1a9d7f3b8
Revises: f4b8d2a6c0e3
Create Date: 2026-12-01 07:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c5e1a9d7f3b8"
down_revision = "f4b8d2a6c0e3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("process_instance") as batch_op:
        batch_op.add_column(sa.Column("last_seq", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_hash", sa.String(length=64), server_default="", nullable=False))
    # Each instance's last event as it stands: the log is the record, the columns copy its end.
    op.execute("UPDATE process_instance SET "
               "last_seq = COALESCE((SELECT MAX(e.seq) FROM event e WHERE e.instance_id = process_instance.id), 0), "
               "last_hash = COALESCE((SELECT e.hash FROM event e WHERE e.instance_id = process_instance.id "
               "ORDER BY e.seq DESC LIMIT 1), '')")


def downgrade():
    with op.batch_alter_table("process_instance") as batch_op:
        batch_op.drop_column("last_hash")
        batch_op.drop_column("last_seq")
