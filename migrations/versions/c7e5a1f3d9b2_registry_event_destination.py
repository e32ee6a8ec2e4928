"""registry_event.destination (党务公开 notices to e支部); transfer.instance_id nullable (the registry's 转接)

Revision ID: c7e5a1f3d9b2
Revises: b4d8f2a6c913
Create Date: 2026-12-01 01:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'c7e5a1f3d9b2'
down_revision = 'b4d8f2a6c913'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing row was an event for the member registry.
    with op.batch_alter_table('registry_event') as batch:
        batch.add_column(sa.Column('destination', sa.String(length=16), nullable=False,
                                   server_default='registry'))
    # A 组织关系转接 from the member registry is a transfer row without an instance of transfer.bpmn.
    with op.batch_alter_table('transfer') as batch:
        batch.alter_column('instance_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM transfer WHERE instance_id IS NULL")
    with op.batch_alter_table('transfer') as batch:
        batch.alter_column('instance_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('registry_event') as batch:
        batch.drop_column('destination')
