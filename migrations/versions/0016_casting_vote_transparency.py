"""casting vote of collegiate bodies (LBRL art. 46.2.d); transparency portal publications

Revision ID: 0016_casting_vote_transparency
Revises: 0015_edict_exposure
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_casting_vote_transparency'
down_revision = '0015_edict_exposure'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_votes_for', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_votes_against', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_abstentions', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('casting_vote', sa.String(length=10), nullable=True))

    op.create_table('transparency_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                            name=op.f('fk_transparency_publications_document_id_documents')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_transparency_publications_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transparency_publications'))
    )
    with op.batch_alter_table('transparency_publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transparency_publications_section'), ['section'], unique=False)
        batch_op.create_index(batch_op.f('ix_transparency_publications_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('transparency_publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transparency_publications_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_transparency_publications_section'))
    op.drop_table('transparency_publications')

    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_column('casting_vote')
        batch_op.drop_column('first_abstentions')
        batch_op.drop_column('first_votes_against')
        batch_op.drop_column('first_votes_for')
