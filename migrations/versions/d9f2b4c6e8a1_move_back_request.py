"""调整申请: a branch's move back into a sealed stage, decided by the county

Revision ID: d9f2b4c6e8a1
Revises: c7e5a1d3f902
Create Date: 2026-12-01 02:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "d9f2b4c6e8a1"
down_revision = "c7e5a1d3f902"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "move_back_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("pending_person_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("seen_version", sa.Integer(), nullable=False),
        sa.Column("person_name", sa.String(length=60), nullable=False),
        sa.Column("org_path", sa.String(length=400), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("move_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["pending_person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pending_person_id"),
    )
    with op.batch_alter_table("move_back_request") as batch:
        batch.create_index(batch.f("ix_move_back_request_person_id"), ["person_id"], unique=False)


def downgrade():
    with op.batch_alter_table("move_back_request") as batch:
        batch.drop_index(batch.f("ix_move_back_request_person_id"))
    op.drop_table("move_back_request")
