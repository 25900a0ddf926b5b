"""fhir_endpoints: BaRS senders' own $process-message base URLs, by the
source.endpoint identifier they send (outcomes are told there)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'fhir_endpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.String(length=255), nullable=False),
        sa.Column('base_url', sa.String(length=480), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_endpoints')),
        sa.UniqueConstraint('endpoint', name=op.f('uq_fhir_endpoints_endpoint')),
    )


def downgrade():
    op.execute("DELETE FROM delivery_attempts WHERE notification_id IN "
               "(SELECT id FROM notifications WHERE channel = 'bars')")
    op.execute("DELETE FROM notifications WHERE channel = 'bars'")
    op.drop_table('fhir_endpoints')
