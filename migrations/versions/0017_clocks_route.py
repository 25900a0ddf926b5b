"""reports without a join per clock: clocks.route (the route a clock was started for:
a 2-hour clock breached and then re-routed still counts as a crisis response breach)
and clocks.received_at (its referral's receipt), referrals.first_contact_at (the first
first contact's time), each backfilled; and the index overrides in a period use

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 15:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('clocks', sa.Column('route', sa.String(length=32), nullable=True))
    op.add_column('clocks', sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('referrals', sa.Column('first_contact_at', sa.DateTime(timezone=True), nullable=True))
    # The best that is known of an older clock's route is its referral's route now
    # (a review's triage clock cannot be told apart from the route's own). UPDATE ...
    # FROM (PostgreSQL; SQLite since 3.33): one join, where a correlated subquery a row
    # is planned per referral and took quadratic time over a year of data.
    op.execute("UPDATE clocks SET route = r.route, received_at = r.received_at"
               " FROM referrals AS r WHERE r.id = clocks.referral_id")
    # The audit row's time: an older first contact's own time was not kept apart from it.
    op.execute("UPDATE referrals SET first_contact_at = f.at FROM (SELECT referral_id, min(at) AS at"
               " FROM audit_events WHERE event = 'first_contact' GROUP BY referral_id) AS f"
               " WHERE f.referral_id = referrals.id")
    op.create_index('ix_clocks_received_at', 'clocks', ['received_at'])
    op.create_index('ix_triage_decisions_kind_created_at', 'triage_decisions', ['kind', 'created_at'])


def downgrade():
    op.drop_index('ix_triage_decisions_kind_created_at', table_name='triage_decisions')
    op.drop_index('ix_clocks_received_at', table_name='clocks')
    op.execute("ALTER TABLE referrals DROP COLUMN first_contact_at")
    op.execute("ALTER TABLE clocks DROP COLUMN received_at")
    op.execute("ALTER TABLE clocks DROP COLUMN route")
