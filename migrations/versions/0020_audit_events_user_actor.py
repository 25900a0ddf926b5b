"""audit events by the person who acted: a partial index on audit_events.actor_id of
the rows a user wrote, so "a referral this clinician acted on" (access.readable) is
an index lookup, not a scan of every audit event ever kept (bench/growth.py: 27 ms
at 20,000 referrals, a clinician's inbox badge). Partial (actor_kind = 'user'): the
rows API clients and the system write, most of them, are not in it and cost intake
nothing more.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 19:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

BY_A_USER = "actor_kind = 'user'"


def upgrade():
    op.create_index('ix_audit_events_user_actor_id', 'audit_events', ['actor_id'],
                    sqlite_where=sa.text(BY_A_USER), postgresql_where=sa.text(BY_A_USER))


def downgrade():
    op.drop_index('ix_audit_events_user_actor_id', table_name='audit_events')
