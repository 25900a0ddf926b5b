"""notifications: alerts that no clock produced (a flag's supervisor alert)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 14:10:00

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


@contextmanager
def _children_set_aside():
    """SQLite alters a column by rebuilding the table (copy, drop, rename). The
    drop would break delivery_attempts' foreign keys (PRAGMA foreign_keys cannot
    be turned off inside the migration's transaction, and a deferred check still
    fails at commit), so their rows wait in a temporary table meanwhile."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE _delivery_attempts_kept AS SELECT * FROM delivery_attempts")
        op.execute("DELETE FROM delivery_attempts")
    yield
    if sqlite:
        op.execute("INSERT INTO delivery_attempts SELECT * FROM _delivery_attempts_kept")
        op.execute("DROP TABLE _delivery_attempts_kept")


def upgrade():
    with _children_set_aside(), op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert', sa.String(length=40), nullable=True))
        batch_op.alter_column('effect_id', existing_type=sa.Integer(), nullable=True)
        # A notification comes from a clock's effect or is an alert, never both or neither.
        batch_op.create_check_constraint('effect_or_alert',
                                         '(effect_id IS NULL) <> (alert IS NULL)')


def downgrade():
    op.execute("DELETE FROM delivery_attempts WHERE notification_id IN "
               "(SELECT id FROM notifications WHERE effect_id IS NULL)")
    op.execute("DELETE FROM notifications WHERE effect_id IS NULL")
    with _children_set_aside(), op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('effect_or_alert', type_='check')
        batch_op.alter_column('effect_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('alert')
