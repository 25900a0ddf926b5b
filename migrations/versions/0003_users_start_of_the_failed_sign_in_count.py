"""users: start of the failed sign-in count

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:29:49.862161

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=True))




def downgrade():

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('first_failed_at')


