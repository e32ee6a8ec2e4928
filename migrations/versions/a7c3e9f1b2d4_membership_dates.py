"""R31 membership dates on person (入党日期, 预备期满; 转为正式党员日期 now 预备期满), the step-24 approval date as a
check fact; statistics indexes end with join_date (新发展党员 counts by 入党日期)

Revision ID: a7c3e9f1b2d4
Revises: a9c4e2f7b1d3
Create Date: 2026-11-30 22:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'a7c3e9f1b2d4'
down_revision = 'a9c4e2f7b1d3'
branch_labels = None
depends_on = None

_TAIL = ['status', 'org_path']


def upgrade():
    with op.batch_alter_table('check_fact') as batch:
        batch.add_column(sa.Column('conversion_approval_date', sa.Date(), nullable=True))
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('join_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('probation_end', sa.Date(), nullable=True))
        batch.drop_index('ix_person_stats_cube')
        batch.drop_index('ix_person_stats_birth')
        batch.create_index('ix_person_stats_cube',
                           ['category', 'current_step', 'sex', 'education', 'job', *_TAIL, 'join_date'])
        batch.create_index('ix_person_stats_birth', ['category', 'birth_date', *_TAIL, 'join_date'])
        batch.create_index('ix_person_stats_join_date', ['category', 'join_date', *_TAIL])
    # Until now the step-24 approval date was the person's 转正 date; it moves to the check fact. The person's
    # 预备期满 and 转为正式党员日期 are filled in by the next action on each record; 入党日期 can
    # be copied now.
    op.execute("UPDATE check_fact SET conversion_approval_date = "
               "(SELECT full_member_date FROM person WHERE person.id = check_fact.person_id)")
    op.execute("UPDATE person SET join_date = "
               "(SELECT admission_meeting_date FROM check_fact WHERE check_fact.person_id = person.id)")


def downgrade():
    with op.batch_alter_table('person') as batch:
        batch.drop_index('ix_person_stats_join_date')
        batch.drop_index('ix_person_stats_birth')
        batch.drop_index('ix_person_stats_cube')
        batch.create_index('ix_person_stats_cube',
                           ['category', 'current_step', 'sex', 'education', 'job', *_TAIL, 'probationary_date'])
        batch.create_index('ix_person_stats_birth', ['category', 'birth_date', *_TAIL, 'probationary_date'])
        batch.drop_column('probation_end')
        batch.drop_column('join_date')
    with op.batch_alter_table('check_fact') as batch:
        batch.drop_column('conversion_approval_date')
