"""designer: process versions are drafts until published (existing versions are published)

Revision ID: 0005_designer_drafts
Revises: 0004_eni_findings
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_designer_drafts'
down_revision = '0004_eni_findings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='published'))


def downgrade():
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.drop_column('status')
