"""the maximum legal term on each expedient (start, months, suspensions, due date, silence) for
the legal-term control, and the weekly digest sent per tenant and week

Revision ID: 0009_legal_term_control
Revises: 0008_onboarding
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_legal_term_control'
down_revision = '0008_onboarding'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expedients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('term_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('term_suspensions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('term_suspended_since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('term_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('silence', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_expedients_term_due', ['tenant_id', 'state', 'term_due', 'term_suspended_since'],
                              unique=False)
    op.create_table(
        'term_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.String(length=8), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('at_risk', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'week'),
    )


def downgrade():
    op.drop_table('term_digests')
    with op.batch_alter_table('expedients', schema=None) as batch_op:
        batch_op.drop_index('ix_expedients_term_due')
        batch_op.drop_column('silence')
        batch_op.drop_column('term_due')
        batch_op.drop_column('term_suspended_since')
        batch_op.drop_column('term_suspensions')
        batch_op.drop_column('term_months')
        batch_op.drop_column('term_start')
