"""reports, rules replay and the status feed: the full facts each rules decision saw
(triage_decisions.inputs), a history of capacity declarations (one row each, backfilled
from the audit), API client scopes (the coordination centre's status feed), and the
indexes the reports' period filters use

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:00:00

"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # Every fact the rules were given (not only those the deciding rule read):
    # a replay of a changed policy must see exactly what the first decision saw.
    # NULL on decisions made before 0015; replay re-derives those from the referral.
    op.add_column('triage_decisions', sa.Column('inputs', sa.JSON(), nullable=True))
    # What a client may do besides posting: ["status"] reads the coordination
    # centre's feed. NULL: none (every client before 0015).
    op.add_column('api_clients', sa.Column('scopes', sa.JSON(), nullable=True))
    op.create_table(
        'capacity_declarations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_code', sa.String(length=32), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),  # the UK day it was made on (and is for)
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('in_use', sa.Integer(), nullable=False),
        sa.Column('declared_by', sa.String(length=120), nullable=False),
        sa.Column('via', sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_declarations')),
    )
    op.create_index('ix_capacity_declarations_service_code_day', 'capacity_declarations', ['service_code', 'day'])
    op.create_index('ix_capacity_declarations_day', 'capacity_declarations', ['day'])
    op.create_index('ix_referrals_received_at', 'referrals', ['received_at'])
    op.create_index('ix_referrals_discharged_at', 'referrals', ['discharged_at'])
    op.create_index('ix_audit_events_event_at', 'audit_events', ['event', 'at'])
    _backfill_declarations()


def _backfill_declarations():
    """The declarations made before 0015, from their audit events (detail.after)."""
    from zoneinfo import ZoneInfo
    bind = op.get_bind()
    events = sa.table('audit_events', sa.column('at', sa.DateTime(timezone=True)), sa.column('actor_name', sa.String),
                      sa.column('event', sa.String), sa.column('detail', sa.JSON))
    declarations = sa.table('capacity_declarations', sa.column('service_code', sa.String),
                            sa.column('at', sa.DateTime(timezone=True)), sa.column('day', sa.Date),
                            sa.column('total', sa.Integer), sa.column('in_use', sa.Integer),
                            sa.column('declared_by', sa.String), sa.column('via', sa.String))
    uk = ZoneInfo("Europe/London")
    rows = []
    for at, by, detail in bind.execute(sa.select(events.c.at, events.c.actor_name, events.c.detail)
                                       .where(events.c.event == 'capacity_declared')):
        after = (detail or {}).get('after') or {}
        if not detail or after.get('total') is None:
            continue
        aware = at if at.tzinfo else at.replace(tzinfo=UTC)
        rows.append({'service_code': detail.get('service'), 'at': aware, 'day': aware.astimezone(uk).date(),
                     'total': after['total'], 'in_use': after.get('in_use') or 0, 'declared_by': by,
                     'via': detail.get('via')})
    if rows:
        op.bulk_insert(declarations, rows)


def downgrade():
    op.drop_index('ix_audit_events_event_at', table_name='audit_events')
    op.drop_index('ix_referrals_discharged_at', table_name='referrals')
    op.drop_index('ix_referrals_received_at', table_name='referrals')
    op.drop_index('ix_capacity_declarations_day', table_name='capacity_declarations')
    op.drop_index('ix_capacity_declarations_service_code_day', table_name='capacity_declarations')
    op.drop_table('capacity_declarations')
    op.execute("ALTER TABLE api_clients DROP COLUMN scopes")
    op.execute("ALTER TABLE triage_decisions DROP COLUMN inputs")
