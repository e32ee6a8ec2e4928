"""realname tables

Revision ID: d7e2a9c41b05
Revises: 85b7aac2ee6f
Create Date: 2026-11-28 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e2a9c41b05'
down_revision = '85b7aac2ee6f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('realname_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('org_path', sa.String(length=400), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('proof_scans', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('realname_request', schema=None) as batch_op:
        batch_op.create_index('ix_realname_request_path', ['org_path', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_realname_request_id_number'), ['id_number'], unique=False)


def downgrade():
    with op.batch_alter_table('realname_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_realname_request_id_number'))
        batch_op.drop_index('ix_realname_request_path')
    op.drop_table('realname_request')
