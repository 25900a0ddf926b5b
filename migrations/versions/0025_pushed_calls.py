"""pushed 999 calls (BaRS Application 4): what the referral page shows of a call
(breach time, the ambulance service's case number, scene safety, ranked contacts,
location, safeguarding flags, the NHS number's verification status), and each FHIR
message's place among the versions of its sender's ServiceRequest (read, history,
updates applied only when newer)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 01:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


_REFERRAL_COLUMNS = (
    sa.Column('breach_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sender_case_number', sa.String(length=64), nullable=True),
    sa.Column('scene_safety', sa.JSON(), nullable=True),
    sa.Column('contacts', sa.JSON(), nullable=True),
    sa.Column('location', sa.JSON(), nullable=True),
    sa.Column('safeguarding', sa.JSON(), nullable=True),
    sa.Column('nhs_number_verification', sa.String(length=40), nullable=True),
)
_MESSAGE_COLUMNS = (
    sa.Column('service_request_id', sa.String(length=64), nullable=True),
    sa.Column('service_request_status', sa.String(length=20), nullable=True),
    sa.Column('last_updated', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
)


def upgrade():
    # Plain ADD COLUMN on both databases: a batch would make SQLite rebuild
    # referrals, whose rows every other table's foreign keys point at. The
    # version's uniqueness is a unique index, which SQLite can add in place.
    for column in _REFERRAL_COLUMNS:
        op.add_column('referrals', column)
    for column in _MESSAGE_COLUMNS:
        op.add_column('fhir_messages', column)
    op.create_index('ix_fhir_messages_api_client_id_service_request_id', 'fhir_messages',
                    ['api_client_id', 'service_request_id'])
    op.create_index('uq_fhir_messages_referral_id_version', 'fhir_messages', ['referral_id', 'version'],
                    unique=True)


def downgrade():
    op.drop_index('uq_fhir_messages_referral_id_version', table_name='fhir_messages')
    op.drop_index('ix_fhir_messages_api_client_id_service_request_id', table_name='fhir_messages')
    for column in reversed(_MESSAGE_COLUMNS):
        op.execute(f"ALTER TABLE fhir_messages DROP COLUMN {column.name}")
    for column in reversed(_REFERRAL_COLUMNS):
        op.execute(f"ALTER TABLE referrals DROP COLUMN {column.name}")
