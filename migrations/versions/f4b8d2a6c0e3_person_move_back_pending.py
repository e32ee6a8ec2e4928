"""person.move_back_pending: a 调整申请 waits for the person (spares every other action the lookup)

Revision ID: f4b8d2a6c0e3
Revises: e3a7c9b1d5f2
Create Date: 2026-12-01 05:25:00
"""
import sqlalchemy as sa
from alembic import op

revision = "f4b8d2a6c0e3"
down_revision = "e3a7c9b1d5f2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("move_back_pending", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE person SET move_back_pending = TRUE WHERE id IN "
               "(SELECT pending_person_id FROM move_back_request WHERE pending_person_id IS NOT NULL)")


def downgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("move_back_pending")
