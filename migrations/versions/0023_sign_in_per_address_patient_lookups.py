"""sign-in failures per account and address; patient look-ups; a duplicate shown is not a grant

sign_in_failures: failed sign-ins to one account from one address, and that
address's lock (the account itself is only ever slowed: users.failed_logins counts
failures in a row, users.locked_until is the end of its wait; users.first_failed_at,
the start of the old account-wide window, goes).

patient_lookups: who looked up which patient (a keyed hash) with the duplicate
check, and when: the hourly allowance's count.

access_events: a match the duplicate check showed was recorded as via='duplicate',
which let a call handler read it. Showing no longer grants (opening it from the
panel does, recorded as 'duplicate'), so the rows written so far become what they
were: 'duplicate_shown'. Their grants end with this migration.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 22:55:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_failures',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), primary_key=True),
        sa.Column('address', sa.String(length=64), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        'patient_lookups',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), primary_key=True),
        sa.Column('patient_key', sa.String(length=64), primary_key=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('first_failed_at')
    op.execute("UPDATE access_events SET via = 'duplicate_shown' WHERE via = 'duplicate'")


def downgrade():
    op.execute("UPDATE access_events SET via = 'duplicate' WHERE via = 'duplicate_shown'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_table('patient_lookups')
    op.drop_table('sign_in_failures')
