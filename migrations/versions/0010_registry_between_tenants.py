"""registry entries exchanged between administrations on the platform: each side keeps the
other's tenant, entry id and number

Revision ID: 0010_registry_between_tenants
Revises: 0009_legal_term_control
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_registry_between_tenants'
down_revision = '0009_legal_term_control'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counterpart_tenant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counterpart_entry_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counterpart_number', sa.String(length=20), nullable=True))
        batch_op.create_foreign_key('fk_registry_entries_counterpart_tenant', 'tenants',
                                    ['counterpart_tenant_id'], ['id'])
        batch_op.create_foreign_key('fk_registry_entries_counterpart_entry', 'registry_entries',
                                    ['counterpart_entry_id'], ['id'])


def downgrade():
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_registry_entries_counterpart_entry', type_='foreignkey')
        batch_op.drop_constraint('fk_registry_entries_counterpart_tenant', type_='foreignkey')
        batch_op.drop_column('counterpart_number')
        batch_op.drop_column('counterpart_entry_id')
        batch_op.drop_column('counterpart_tenant_id')
