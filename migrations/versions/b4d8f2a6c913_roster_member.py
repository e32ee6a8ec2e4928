"""党员名册: members imported into a branch's roster

Revision ID: b4d8f2a6c913
Revises: a7c3e9f1b2d4
Create Date: 2026-11-30 22:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b4d8f2a6c913"
down_revision = "a7c3e9f1b2d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sa.String(length=400), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("join_date", sa.Date(), nullable=False),
        sa.Column("full_date", sa.Date(), nullable=True),
        sa.Column("party_status", sa.String(length=10), nullable=False),
        sa.Column("on_watch", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
    )
    with op.batch_alter_table("roster_member") as batch:
        batch.create_index(batch.f("ix_roster_member_org_id"), ["org_id"], unique=False)
        batch.create_index(batch.f("ix_roster_member_org_path"), ["org_path"], unique=False)


def downgrade():
    with op.batch_alter_table("roster_member") as batch:
        batch.drop_index(batch.f("ix_roster_member_org_path"))
        batch.drop_index(batch.f("ix_roster_member_org_id"))
    op.drop_table("roster_member")
