"""eni migration runs (bulk migrations from the admin page, with progress and report) and the
folder/subexpedient path of each imported document

Revision ID: 0007_eni_migration_runs
Revises: 0006_designer_drafts
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_eni_migration_runs'
down_revision = '0006_designer_drafts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'eni_migration_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('source_name', sa.String(length=255), nullable=False),
        sa.Column('source_path', sa.String(length=400), nullable=False),
        sa.Column('mapping_csv', sa.Text(), nullable=True),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('refused', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('checked', sa.Integer(), nullable=False),
        sa.Column('report_csv', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eni_migration_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eni_migration_runs_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('eni_imported_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_path', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('eni_imported_documents', schema=None) as batch_op:
        batch_op.drop_column('index_path')
    with op.batch_alter_table('eni_migration_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eni_migration_runs_tenant_id'))
    op.drop_table('eni_migration_runs')
