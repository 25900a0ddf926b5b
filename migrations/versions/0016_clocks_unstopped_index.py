"""clocks not stopped: a partial index on (referral_id, deadline) of clocks neither met
nor cancelled, so the coordination centre's feed counts overdue clocks of open referrals
without reading every clock ever kept (open ones are a few thousand of millions)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 15:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

UNSTOPPED = "met_at IS NULL AND cancelled_at IS NULL"


def upgrade():
    op.create_index('ix_clocks_unstopped', 'clocks', ['referral_id', 'deadline'],
                    sqlite_where=sa.text(UNSTOPPED), postgresql_where=sa.text(UNSTOPPED))


def downgrade():
    op.drop_index('ix_clocks_unstopped', table_name='clocks')
