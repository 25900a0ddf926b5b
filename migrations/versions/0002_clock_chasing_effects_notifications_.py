"""clock chasing: effects, notifications, delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:20:00.122090

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('notification_channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_channels')),
    sa.UniqueConstraint('recipient', 'channel', 'target',
                        name=op.f('uq_notification_channels_recipient_channel_target'))
    )
    op.create_table('clock_effects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clock_id'], ['clocks.id'], name=op.f('fk_clock_effects_clock_id_clocks')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_clock_effects_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_effects')),
    sa.UniqueConstraint('clock_id', 'kind', 'level', name=op.f('uq_clock_effects_clock_id_kind_level'))
    )
    with op.batch_alter_table('clock_effects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clock_effects_referral_id'), ['referral_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('effect_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['effect_id'], ['clock_effects.id'], name=op.f('fk_notifications_effect_id_clock_effects')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_notifications_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('effect_id', 'recipient', 'channel', name=op.f('uq_notifications_effect_id_recipient_channel'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_pending', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_referral_id'), ['referral_id'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                            name=op.f('fk_delivery_attempts_notification_id_notifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts'))
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempts_notification_id'), ['notification_id'], unique=False)

    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_clocks_next_due_at', ['next_due_at'], unique=False,
                              sqlite_where=sa.text('next_due_at IS NOT NULL'),
                              postgresql_where=sa.text('next_due_at IS NOT NULL'))




def downgrade():

    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_next_due_at', sqlite_where=sa.text('next_due_at IS NOT NULL'),
                            postgresql_where=sa.text('next_due_at IS NOT NULL'))
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('next_due_at')

    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempts_notification_id'))

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_referral_id'))
        batch_op.drop_index('ix_notifications_pending')

    op.drop_table('notifications')
    with op.batch_alter_table('clock_effects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clock_effects_referral_id'))

    op.drop_table('clock_effects')
    op.drop_table('notification_channels')

