"""sign-in security: server-side captcha, session epoch, SMS status, operations-log chain head

Revision ID: e4b1c7d93a20
Revises: e4b1d2c3a5f6
Create Date: 2026-11-30 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b1c7d93a20'
down_revision = 'e4b1d2c3a5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('captcha_challenge',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('captcha_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captcha_challenge_expires_at'), ['expires_at'], unique=False)

    chain_head = op.create_table('chain_head',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.bulk_insert(chain_head, [{'name': 'operation_log'}])

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='sent', nullable=False))
    # Older outbox rows kept codes in clear; nothing may read them any more.
    op.execute("UPDATE sms_message SET text = '' WHERE purpose IN ('auth_code', 'activate', 'reset')")


def downgrade():
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.drop_column('status')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')

    op.drop_table('chain_head')
    with op.batch_alter_table('captcha_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_captcha_challenge_expires_at'))

    op.drop_table('captcha_challenge')
