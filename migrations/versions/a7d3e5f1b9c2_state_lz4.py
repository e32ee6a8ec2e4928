"""process_instance.state: lz4 compression on PostgreSQL (where the server has it)

Revision ID: a7d3e5f1b9c2
Revises: c5e1a9d7f3b8
Create Date: 2026-12-02 14:00:00
"""
from alembic import op

revision = "a7d3e5f1b9c2"
down_revision = "c5e1a9d7f3b8"
branch_labels = None
depends_on = None


# As app/workflow/models.py's STATE_LZ4 was when written (a migration keeps its own copy: the model may move on).
_SET = """DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE process_instance ALTER COLUMN state SET COMPRESSION {method};
  END IF;
END $$"""


def upgrade():
    # Rows keep their pglz values until their next action rewrites them; nothing is rewritten here.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="lz4"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="default"))  # the server's default_toast_compression
