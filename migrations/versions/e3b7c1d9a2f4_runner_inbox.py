"""runner: human_task names its procedure and row; task_ref keeps task → instance; realname_request runs an instance

Revision ID: e3b7c1d9a2f4
Revises: e4b1c7d93a20
Create Date: 2026-11-30 20:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'e3b7c1d9a2f4'
down_revision = 'e4b1c7d93a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task') as batch:
        batch.add_column(sa.Column('process', sa.String(length=32), nullable=False, server_default='development'))
        batch.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('realname_request') as batch:
        batch.add_column(sa.Column('instance_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_realname_request_instance_id', 'process_instance', ['instance_id'], ['id'])
    op.create_table(
        'task_ref',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id']),
        sa.PrimaryKeyConstraint('task_id'))
    op.create_index('ix_task_ref_instance_id', 'task_ref', ['instance_id'])
    # Tasks offered before this revision: their inbox rows name them.
    op.execute("INSERT INTO task_ref (task_id, instance_id) SELECT DISTINCT task_id, instance_id FROM human_task")


def downgrade():
    op.drop_index('ix_task_ref_instance_id', table_name='task_ref')
    op.drop_table('task_ref')
    with op.batch_alter_table('realname_request') as batch:
        batch.drop_constraint('fk_realname_request_instance_id', type_='foreignkey')
        batch.drop_column('instance_id')
    with op.batch_alter_table('human_task') as batch:
        batch.drop_column('subject_id')
        batch.drop_column('process')
