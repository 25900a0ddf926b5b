"""fhir_messages: each BaRS message as received, unique on (X-Request-ID, X-Correlation-ID)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'fhir_messages',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('api_client_id', sa.Integer(), nullable=True),
        sa.Column('request_id', sa.String(length=36), nullable=False),
        sa.Column('correlation_id', sa.String(length=36), nullable=False),
        sa.Column('bundle_id', sa.String(length=64), nullable=True),
        sa.Column('source_endpoint', sa.String(length=255), nullable=True),
        sa.Column('event', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=True),
        sa.Column('bars_version', sa.String(length=32), nullable=True),
        sa.Column('authored_on', sa.String(length=40), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['api_client_id'], ['api_clients.id'],
                                name=op.f('fk_fhir_messages_api_client_id_api_clients')),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                                name=op.f('fk_fhir_messages_referral_id_referrals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_messages')),
        sa.UniqueConstraint('request_id', 'correlation_id',
                            name=op.f('uq_fhir_messages_request_id_correlation_id')),
    )
    with op.batch_alter_table('fhir_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fhir_messages_referral_id'), ['referral_id'], unique=False)


def downgrade():
    with op.batch_alter_table('fhir_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fhir_messages_referral_id'))
    op.drop_table('fhir_messages')
