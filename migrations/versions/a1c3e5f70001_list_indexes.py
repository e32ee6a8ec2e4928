"""indexes for the inbox and stage lists at 100,000 persons

Revision ID: a1c3e5f70001
Revises: bfee012e9774
Create Date: 2026-11-28 12:30:00
"""
from alembic import op

revision = "a1c3e5f70001"
down_revision = "bfee012e9774"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.create_index("ix_human_task_role_arrived", ["role", "arrived_at", "org_path"], unique=False)
    with op.batch_alter_table("person") as batch_op:
        batch_op.create_index("ix_person_stage_status_path", ["stage", "status", "org_path"], unique=False)


def downgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("ix_person_stage_status_path")
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.drop_index("ix_human_task_role_arrived")
