"""administrative units (unitats) with members; a human task may be for a unit

Revision ID: 0013_units
Revises: 0012_csv_regulation
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_units'
down_revision = '0012_csv_regulation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'units',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_units_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
        sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_units_tenant_id_code')),
    )
    op.create_index(op.f('ix_units_tenant_id'), 'units', ['tenant_id'])
    op.create_table(
        'unit_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_unit_members_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_members_unit_id_units')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unit_members_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_members')),
        sa.UniqueConstraint('unit_id', 'user_id', name=op.f('uq_unit_members_unit_id_user_id')),
    )
    op.create_index(op.f('ix_unit_members_tenant_id'), 'unit_members', ['tenant_id'])
    op.create_index(op.f('ix_unit_members_unit_id'), 'unit_members', ['unit_id'])
    op.create_index(op.f('ix_unit_members_user_id'), 'unit_members', ['user_id'])
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('unit')
    op.drop_index('ix_unit_members_user_id', table_name='unit_members')
    op.drop_index('ix_unit_members_unit_id', table_name='unit_members')
    op.drop_index('ix_unit_members_tenant_id', table_name='unit_members')
    op.drop_table('unit_members')
    op.drop_index('ix_units_tenant_id', table_name='units')
    op.drop_table('units')
