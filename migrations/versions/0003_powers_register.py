"""register of powers (apoderaments)

Revision ID: 0003_powers
Revises: 0002
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_powers'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('powers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('grantor_nif', sa.String(length=9), nullable=False),
    sa.Column('grantor_name', sa.String(length=300), nullable=False),
    sa.Column('representative_nif', sa.String(length=9), nullable=False),
    sa.Column('representative_name', sa.String(length=300), nullable=False),
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('procedures', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=80), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_powers_document_id_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_powers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_powers'))
    )
    with op.batch_alter_table('powers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_powers_grantor_nif'), ['grantor_nif'], unique=False)
        batch_op.create_index(batch_op.f('ix_powers_representative_nif'), ['representative_nif'], unique=False)
        batch_op.create_index(batch_op.f('ix_powers_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('power_expedients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('power_id', sa.Integer(), nullable=False),
    sa.Column('expedient_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['expedient_id'], ['expedients.id'], name=op.f('fk_power_expedients_expedient_id_expedients')),
    sa.ForeignKeyConstraint(['power_id'], ['powers.id'], name=op.f('fk_power_expedients_power_id_powers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_power_expedients_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_expedients')),
    sa.UniqueConstraint('power_id', 'expedient_id', name=op.f('uq_power_expedients_power_id_expedient_id'))
    )
    with op.batch_alter_table('power_expedients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_power_expedients_expedient_id'), ['expedient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_power_expedients_power_id'), ['power_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_power_expedients_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('power_expedients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_power_expedients_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_power_expedients_power_id'))
        batch_op.drop_index(batch_op.f('ix_power_expedients_expedient_id'))
    op.drop_table('power_expedients')
    with op.batch_alter_table('powers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_powers_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_powers_representative_nif'))
        batch_op.drop_index(batch_op.f('ix_powers_grantor_nif'))
    op.drop_table('powers')
