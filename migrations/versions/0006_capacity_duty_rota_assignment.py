"""services: capacity and the voluntary duty rota; referrals: assigned organisation, waiting flag

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='clinical'))
        batch_op.add_column(sa.Column('capacity_unit', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('capacity_total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('capacity_in_use', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('capacity_for', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('capacity_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('capacity_updated_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('duty_days', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('last_offered_at', sa.DateTime(timezone=True), nullable=True))
        # The naming convention adds ck_services_ to these names.
        batch_op.create_check_constraint('capacity_in_use_not_negative', 'capacity_in_use >= 0')
        batch_op.create_check_constraint('capacity_total_not_negative', 'capacity_total >= 0')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_service', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('waiting_for', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_referrals_assigned_service', ['assigned_service'], unique=False)


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_assigned_service')
        batch_op.drop_column('waiting_for')
        batch_op.drop_column('assigned_service')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_constraint('capacity_total_not_negative', type_='check')  # named by the convention too
        batch_op.drop_constraint('capacity_in_use_not_negative', type_='check')
        for column in ('last_offered_at', 'duty_days', 'capacity_updated_by', 'capacity_updated_at',
                       'capacity_for', 'capacity_in_use', 'capacity_total', 'capacity_unit', 'kind'):
            batch_op.drop_column(column)
