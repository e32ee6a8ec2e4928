"""党员名册: the workbook kept between the dry run (校验) and 导入

Revision ID: c8e5a1f3d7b2
Revises: c7e5a1f3d9b2
Create Date: 2026-12-01 01:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c8e5a1f3d7b2"
down_revision = "c7e5a1f3d9b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_checked_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", "user_id", "org_id"),
    )
    with op.batch_alter_table("roster_checked_file") as batch:
        batch.create_index(batch.f("ix_roster_checked_file_sha256"), ["sha256"], unique=False)


def downgrade():
    with op.batch_alter_table("roster_checked_file") as batch:
        batch.drop_index(batch.f("ix_roster_checked_file_sha256"))
    op.drop_table("roster_checked_file")
