"""form stashes: a new-referral form kept, sealed, for the person who typed it when
its Save came after the session ended or the form's token stopped matching, until
they sign in again (minutes, then pruned)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 23:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_stashes',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('form', sa.String(length=16), nullable=False),
        sa.Column('sealed', sa.Text(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_form_stashes_expires_at', 'form_stashes', ['expires_at'])


def downgrade():
    op.drop_index('ix_form_stashes_expires_at', table_name='form_stashes')
    op.drop_table('form_stashes')
