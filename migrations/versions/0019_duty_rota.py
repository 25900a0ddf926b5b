"""the duty rota: duty_shifts (who holds each duty role, for each
service and for the SPOA, from when to when); users.team_lead (a service's team
lead edits its rota); notifications.user_id (the person on duty it went to),
.nobody_on_duty (the duties passed over because nobody held them), .taken_at and
.taken_by_user_id ("I have it"); notification_channels.user_id (a person's own
email or SMS webhook)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 17:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def _add_user_column(table: str, column: str) -> None:
    """A nullable column referring to users, added in place: SQLite takes the
    REFERENCES clause in ALTER TABLE ADD COLUMN, where a batch would rebuild the
    table (and break the foreign keys of every table that refers to it)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES users (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(f"fk_{table}_{column}_users", table, 'users', [column], ['id'])


def upgrade():
    op.create_table(
        'duty_shifts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('duty', sa.String(length=24), nullable=False),
        sa.Column('service', sa.String(length=32), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('ends_at > starts_at', name='duty_shift_ends_after_start'),
        # A service's duty lead names its service; the SPOA's own duties name none.
        sa.CheckConstraint("(duty = 'service_duty_lead' AND service IS NOT NULL)"
                           " OR (duty <> 'service_duty_lead' AND service IS NULL)",
                           name='duty_shift_service_iff_lead'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_duty_shifts_user_id_users'),
        sa.PrimaryKeyConstraint('id'),
    )
    # Who is on a duty at an instant, and what is coming: by duty and start.
    op.create_index('ix_duty_shifts_duty_service_starts_at', 'duty_shifts', ['duty', 'service', 'starts_at'])
    op.create_index('ix_duty_shifts_user_id_starts_at', 'duty_shifts', ['user_id', 'starts_at'])

    op.add_column('users', sa.Column('team_lead', sa.Boolean(), nullable=False, server_default=sa.false()))
    _add_user_column('notifications', 'user_id')
    op.add_column('notifications', sa.Column('nobody_on_duty', sa.JSON(), nullable=True))
    op.add_column('notifications', sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True))
    _add_user_column('notifications', 'taken_by_user_id')
    _add_user_column('notification_channels', 'user_id')
    # A person's inbox: theirs, not yet taken; and what went to a duty nobody held.
    op.create_index('ix_notifications_user_id_taken_at', 'notifications', ['user_id', 'taken_at'])
    op.create_index('ix_notifications_recipient_taken_at', 'notifications', ['recipient', 'taken_at'])

    # A breach someone already acknowledged (before there was an inbox) is taken:
    # it must not come back as news in every supervisor's inbox.
    op.execute("UPDATE notifications SET taken_at = c.acknowledged_at FROM clock_effects AS e"
               " JOIN clocks AS c ON c.id = e.clock_id"
               " WHERE e.id = notifications.effect_id AND c.acknowledged_at IS NOT NULL")


def downgrade():
    op.drop_index('ix_notifications_recipient_taken_at', table_name='notifications')
    op.drop_index('ix_notifications_user_id_taken_at', table_name='notifications')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite will not drop a column a foreign key names: rebuild the two tables,
        # delivery attempts set aside meanwhile (as in 0007 and 0012).
        op.execute("CREATE TEMP TABLE _delivery_attempts_kept AS SELECT * FROM delivery_attempts")
        op.execute("DELETE FROM delivery_attempts")
        with op.batch_alter_table('notifications') as batch:
            for column in ('taken_by_user_id', 'taken_at', 'nobody_on_duty', 'user_id'):
                batch.drop_column(column)
        op.execute("INSERT INTO delivery_attempts SELECT * FROM _delivery_attempts_kept")
        op.execute("DROP TABLE _delivery_attempts_kept")
        with op.batch_alter_table('notification_channels') as batch:
            batch.drop_column('user_id')
    else:
        for table, column in (('notification_channels', 'user_id'), ('notifications', 'taken_by_user_id'),
                              ('notifications', 'user_id')):
            op.drop_constraint(f"fk_{table}_{column}_users", table, type_='foreignkey')
            op.drop_column(table, column)
        op.drop_column('notifications', 'taken_at')
        op.drop_column('notifications', 'nobody_on_duty')
    # In place on both (no foreign key): SQLite rebuilding users would break every table referring to it.
    op.execute("ALTER TABLE users DROP COLUMN team_lead")
    op.drop_index('ix_duty_shifts_user_id_starts_at', table_name='duty_shifts')
    op.drop_index('ix_duty_shifts_duty_service_starts_at', table_name='duty_shifts')
    op.drop_table('duty_shifts')
