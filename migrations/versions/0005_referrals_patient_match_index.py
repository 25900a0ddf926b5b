"""referrals: index for the duplicate check by date of birth and postcode

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_date_of_birth_postcode', ['date_of_birth', 'postcode'], unique=False)


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_date_of_birth_postcode')
