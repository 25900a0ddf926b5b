"""referrals: idempotency per client, (api_client_id, source_reference), not (source, source_reference)

Two sending systems allowed the same source (two GP systems) number their
referrals independently; a reference one reuses must never find the other's
referral. A staff form's referral has no client (api_client_id NULL, which a
unique constraint treats as distinct), so forms keep their own key through a
partial unique index: (source, source_reference) where api_client_id IS NULL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:30:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD = 'uq_referrals_source_source_reference'
NEW = 'uq_referrals_api_client_id_source_reference'
FORMS = 'uq_referrals_form_source_source_reference'
NO_CLIENT = sa.text('api_client_id IS NULL')


def _sqlite_rebuild(old_name: str, new_constraint: str) -> None:
    """Swap one table constraint of referrals on SQLite, keeping every row and
    every child's foreign key.

    SQLite cannot drop a constraint, only rebuild the table; and alembic's batch
    rebuild (copy, DROP, rename) leaves each child row (clocks, audit events...)
    counted as orphaned by the DROP, which fails the commit even with deferred
    foreign keys. Here the rows are re-INSERTed into the new table under the
    final name instead, and each insert settles the deferred count of the children
    it satisfies, so the commit checks a consistent database. Columns are taken
    from the table as it is, so columns other migrations add survive.
    """
    bind = op.get_bind()
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type='table' AND name='referrals'").scalar_one()
    # Its indexes and triggers go with the table: made again afterwards as they were.
    dependents = [row[0] for row in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name='referrals' "
        "AND sql IS NOT NULL")]
    pattern = re.compile(r"CONSTRAINT " + re.escape(old_name) + r" UNIQUE \([^)]*\)")
    if not pattern.search(create):
        raise RuntimeError(f"referrals has no constraint {old_name}")
    create = pattern.sub("CONSTRAINT " + new_constraint, create)
    op.execute("PRAGMA defer_foreign_keys = ON")  # until this migration's commit
    op.execute("CREATE TEMP TABLE _referrals_kept AS SELECT * FROM referrals")
    op.execute("DROP TABLE referrals")
    op.execute(create)
    op.execute("INSERT INTO referrals SELECT * FROM _referrals_kept")
    op.execute("DROP TABLE _referrals_kept")
    for sql in dependents:
        op.execute(sql)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(OLD, f"{NEW} UNIQUE (api_client_id, source_reference)")
    else:
        op.drop_constraint(OLD, 'referrals', type_='unique')
        op.create_unique_constraint(NEW, 'referrals', ['api_client_id', 'source_reference'])
    op.create_index(FORMS, 'referrals', ['source', 'source_reference'], unique=True,
                    sqlite_where=NO_CLIENT, postgresql_where=NO_CLIENT)


def downgrade():
    # Fails, as it should, if two clients now hold the same (source, source_reference).
    op.drop_index(FORMS, 'referrals')
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(NEW, f"{OLD} UNIQUE (source, source_reference)")
    else:
        op.drop_constraint(NEW, 'referrals', type_='unique')
        op.create_unique_constraint(OLD, 'referrals', ['source', 'source_reference'])
