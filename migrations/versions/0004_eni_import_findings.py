"""eni import findings: per-document signature findings, content held elsewhere, original contenido

Revision ID: 0004_eni_findings
Revises: 0003_powers
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_eni_findings'
down_revision = '0003_powers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('eni_imported_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature_findings', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('content_reference', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('contenido_xml', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('declared_digest', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('declared_function', sa.String(length=200), nullable=True))
    with op.batch_alter_table('eni_imported_expedients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_signature_finding', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('eni_imported_expedients', schema=None) as batch_op:
        batch_op.drop_column('index_signature_finding')
    with op.batch_alter_table('eni_imported_documents', schema=None) as batch_op:
        batch_op.drop_column('declared_function')
        batch_op.drop_column('declared_digest')
        batch_op.drop_column('contenido_xml')
        batch_op.drop_column('content_reference')
        batch_op.drop_column('signature_findings')
