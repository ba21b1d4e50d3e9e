"""casting vote of collegiate bodies (LBRL art. 46.2.d); transparency portal publications

Revision ID: 0013_casting_vote_transparency
Revises: 0012_csv_regulation
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_casting_vote_transparency'
down_revision = '0012_csv_regulation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_votes_for', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_votes_against', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_abstentions', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('casting_vote', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_column('casting_vote')
        batch_op.drop_column('first_abstentions')
        batch_op.drop_column('first_votes_against')
        batch_op.drop_column('first_votes_for')
