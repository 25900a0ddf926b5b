"""the reports' period index covers what they group by: on PostgreSQL
ix_referrals_received_at also holds source, route, state, emas_category and
first_contact_at (INCLUDE), so a period's demand and flow read the index alone
(SQLite has no INCLUDE: the index stays received_at only)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 16:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

COVERED = ['source', 'route', 'state', 'emas_category', 'first_contact_at', 'id']


def upgrade():
    op.drop_index('ix_referrals_received_at', table_name='referrals')
    op.create_index('ix_referrals_received_at', 'referrals', ['received_at'], postgresql_include=COVERED)


def downgrade():
    op.drop_index('ix_referrals_received_at', table_name='referrals')
    op.create_index('ix_referrals_received_at', 'referrals', ['received_at'])
