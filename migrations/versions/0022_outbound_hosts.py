"""outbound_hosts: each receiver's circuit (consecutive failures, open until), shared
by every worker through the database; pending notifications with no next_attempt_at
(outcomes, which were queued without one) get their created_at, so both databases
order the outbox alike (PostgreSQL sorts NULL last, SQLite first)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbound_hosts',
        sa.Column('origin', sa.String(length=300), nullable=False),
        sa.Column('consecutive_failures', sa.Integer(), nullable=False),
        sa.Column('open_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('origin'),
    )
    op.execute("UPDATE notifications SET next_attempt_at = created_at "
               "WHERE next_attempt_at IS NULL AND status IN ('pending', 'sending')")


def downgrade():
    op.drop_table('outbound_hosts')
