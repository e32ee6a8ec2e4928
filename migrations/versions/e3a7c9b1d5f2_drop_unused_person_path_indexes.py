"""drop ix_person_path_stage and ix_person_path_category: no query needs them

Every query on person with an org_path range is served by ix_person_path_id (same leading column) or by the
stage-list and statistics indexes; EXPLAIN over every page's person queries on PostgreSQL and SQLite
(ARCHITECTURE → Lists of a subtree) found (org_path, stage) never used and (org_path, category) used only as the smallest
org_path-leading index for a branch's range, where ix_person_path_id serves the same plan.

Revision ID: e3a7c9b1d5f2
Revises: d9f2b4c6e8a1
Create Date: 2026-12-01 04:10:00
"""
from alembic import op

revision = "e3a7c9b1d5f2"
down_revision = "d9f2b4c6e8a1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("ix_person_path_stage")
        batch_op.drop_index("ix_person_path_category")


def downgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.create_index("ix_person_path_category", ["org_path", "category"], unique=False)
        batch_op.create_index("ix_person_path_stage", ["org_path", "stage"], unique=False)
