"""fhir_endpoints.api_client_id: each BaRS endpoint belongs to one API client (only it
may name the endpoint in MessageHeader.source.endpoint, and only its referrals'
outcomes go there). Rows registered before this are left unowned (NULL): never
delivered to until an administrator claims one for its client
(add-fhir-endpoint --client, or the admin page).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fhir_endpoints') as batch_op:
        batch_op.add_column(sa.Column('api_client_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_fhir_endpoints_api_client_id_api_clients'),
                                    'api_clients', ['api_client_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_fhir_endpoints_api_client_id'), ['api_client_id'], unique=False)


def downgrade():
    with op.batch_alter_table('fhir_endpoints') as batch_op:
        batch_op.drop_index(batch_op.f('ix_fhir_endpoints_api_client_id'))
        batch_op.drop_constraint(batch_op.f('fk_fhir_endpoints_api_client_id_api_clients'), type_='foreignkey')
        batch_op.drop_column('api_client_id')
