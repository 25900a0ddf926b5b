"""users: a session token (sign-out and a password reset end every session), usernames stored normalised

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:30:00

"""
import secrets
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _key(text):
    # A copy of spoa.models.user.username_key as it was when this ran: migrations never import the app.
    folded = unicodedata.normalize("NFC", (text or "").strip()).casefold()
    return unicodedata.normalize("NFC", folded)


def upgrade():
    conn = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('session_token', sa.String))
    rows = conn.execute(sa.select(users.c.id, users.c.username)).all()
    seen = {}
    for user_id, username in rows:  # every clash found before anything changes
        key = _key(username)
        if key in seen:
            raise RuntimeError(f"users {seen[key]} and {user_id} have usernames that differ only in case or "
                               "Unicode form; rename one of them, then run the migration again")
        seen[key] = user_id

    # Added with a constant default so no table rebuild is needed on SQLite; every row
    # then gets a random token below, and the app refuses an empty one.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=False, server_default=''))
    for user_id, username in rows:
        conn.execute(users.update().where(users.c.id == user_id)
                     .values(username=_key(username), session_token=secrets.token_urlsafe(32)))
    if conn.dialect.name == 'postgresql':
        op.alter_column('users', 'session_token', server_default=None)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
