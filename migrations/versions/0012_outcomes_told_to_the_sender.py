"""outcomes told to the referral's sender: api_clients.callback_url and its sealed
signing secret; notifications that report a lifecycle event (audit_event_id),
with the body fixed when it happened, each sent once a channel

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:40:00

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ONE_ORIGIN = ("(CASE WHEN effect_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN alert IS NULL THEN 0 ELSE 1 END)"
              " + (CASE WHEN audit_event_id IS NULL THEN 0 ELSE 1 END) = 1")


@contextmanager
def _children_set_aside():
    """As in 0007: SQLite rebuilds notifications to change its constraints, and the
    drop would break delivery_attempts' foreign keys, so their rows wait aside."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE _delivery_attempts_kept AS SELECT * FROM delivery_attempts")
        op.execute("DELETE FROM delivery_attempts")
    yield
    if sqlite:
        op.execute("INSERT INTO delivery_attempts SELECT * FROM _delivery_attempts_kept")
        op.execute("DROP TABLE _delivery_attempts_kept")


def upgrade():
    op.add_column('api_clients', sa.Column('callback_url', sa.String(length=500), nullable=True))
    op.add_column('api_clients', sa.Column('webhook_secret_sealed', sa.String(length=255), nullable=True))
    with _children_set_aside(), op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.create_foreign_key('fk_notifications_audit_event_id_audit_events', 'audit_events',
                                    ['audit_event_id'], ['id'])
        batch_op.create_unique_constraint('uq_notifications_audit_event_id_channel', ['audit_event_id', 'channel'])
        # A notification is a clock effect's, an alert, or an outcome's: exactly one.
        batch_op.drop_constraint('effect_or_alert', type_='check')
        batch_op.create_check_constraint('one_origin', ONE_ORIGIN)


def downgrade():
    op.execute("DELETE FROM delivery_attempts WHERE notification_id IN "
               "(SELECT id FROM notifications WHERE audit_event_id IS NOT NULL)")
    op.execute("DELETE FROM notifications WHERE audit_event_id IS NOT NULL")
    with _children_set_aside(), op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('one_origin', type_='check')
        batch_op.create_check_constraint('effect_or_alert', '(effect_id IS NULL) <> (alert IS NULL)')
        batch_op.drop_constraint('uq_notifications_audit_event_id_channel', type_='unique')
        batch_op.drop_constraint('fk_notifications_audit_event_id_audit_events', type_='foreignkey')
        batch_op.drop_column('payload')
        batch_op.drop_column('audit_event_id')
    # Not a batch: SQLite would rebuild api_clients, and the drop would break
    # referrals' foreign keys. Both databases drop a plain column in place.
    op.execute("ALTER TABLE api_clients DROP COLUMN webhook_secret_sealed")
    op.execute("ALTER TABLE api_clients DROP COLUMN callback_url")
