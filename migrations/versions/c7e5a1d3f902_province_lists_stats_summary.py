"""province scale: list indexes carrying the id, stored statistics of the province and cities

Revision ID: c7e5a1d3f902
Revises: c8e5a1f3d7b2
Create Date: 2026-12-01 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c7e5a1d3f902"
down_revision = "c8e5a1f3d7b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("ix_person_stage_status_path")
        batch_op.create_index("ix_person_stage_list", ["stage", "status", "org_path", "id"], unique=False)
        batch_op.create_index("ix_person_path_id", ["org_path", "id", "instance_id"], unique=False)
    op.create_table(
        "stats_summary",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=20), nullable=False),
        sa.Column("chart", sa.String(length=20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_id", "view", "chart", "seq"),
    )


def downgrade():
    op.drop_table("stats_summary")
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("ix_person_path_id")
        batch_op.drop_index("ix_person_stage_list")
        batch_op.create_index("ix_person_stage_status_path", ["stage", "status", "org_path"], unique=False)
