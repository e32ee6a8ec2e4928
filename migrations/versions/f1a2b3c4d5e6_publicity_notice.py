"""publicity_notice: the notices of the public 党务公开 board

Revision ID: f1a2b3c4d5e6
Revises: e3b7c1d9a2f4
Create Date: 2026-11-30 22:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'f1a2b3c4d5e6'
down_revision = 'e3b7c1d9a2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'publicity_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('data_key', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=60), nullable=False),
        sa.Column('person_name', sa.String(length=60), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('org_path', sa.String(length=400), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'data_key'))
    op.create_index('ix_publicity_notice_board', 'publicity_notice', ['org_path', 'end_date'])


def downgrade():
    op.drop_index('ix_publicity_notice_board', table_name='publicity_notice')
    op.drop_table('publicity_notice')
