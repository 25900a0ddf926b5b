"""hospital discharge: referrals.kind and the discharge section's columns (hospital,
ward, dates, pathways), users' and API clients' hospital, and delayed_days (one row
per referral per UK day a patient stays in hospital past the discharge ready date)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_REFERRAL_COLUMNS = (
    # community (every referral before 1.1) or discharge
    sa.Column('kind', sa.String(length=16), nullable=False, server_default='community'),
    sa.Column('hospital_ods', sa.String(length=6), nullable=True),
    sa.Column('ward', sa.String(length=100), nullable=True),
    sa.Column('discharge', sa.JSON(), nullable=True),
    sa.Column('admitted_on', sa.Date(), nullable=True),
    sa.Column('discharge_ready_date', sa.Date(), nullable=True),
    sa.Column('expected_discharge_date', sa.Date(), nullable=True),
    sa.Column('proposed_pathway', sa.Integer(), nullable=True),
    sa.Column('pathway', sa.Integer(), nullable=True),
    sa.Column('readiness_withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discharged_at', sa.DateTime(timezone=True), nullable=True),
)


def upgrade():
    # Plain ADD COLUMN on both databases: a batch would make SQLite rebuild
    # referrals, whose rows every other table's foreign keys point at.
    for column in _REFERRAL_COLUMNS:
        op.add_column('referrals', column)
    op.create_index('ix_referrals_kind_hospital_ods', 'referrals', ['kind', 'hospital_ods'])
    op.add_column('users', sa.Column('hospital_ods', sa.String(length=6), nullable=True))
    op.add_column('api_clients', sa.Column('hospital_ods', sa.String(length=6), nullable=True))
    op.create_table(
        'delayed_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=True),
        sa.Column('recorded_by', sa.String(length=120), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                                name=op.f('fk_delayed_days_referral_id_referrals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delayed_days')),
        sa.UniqueConstraint('referral_id', 'day', name=op.f('uq_delayed_days_referral_id_day')),
    )
    op.create_index('ix_delayed_days_day', 'delayed_days', ['day'])


def downgrade():
    op.drop_index('ix_delayed_days_day', table_name='delayed_days')
    op.drop_table('delayed_days')
    op.execute("ALTER TABLE api_clients DROP COLUMN hospital_ods")
    op.execute("ALTER TABLE users DROP COLUMN hospital_ods")
    op.drop_index('ix_referrals_kind_hospital_ods', table_name='referrals')
    for column in reversed(_REFERRAL_COLUMNS):
        op.execute(f"ALTER TABLE referrals DROP COLUMN {column.name}")
