"""an edict records whether it opens a public information (allegations online) and when the scheduler
took it off the board at the end of its exposure

Revision ID: 0015_edict_exposure
Revises: 0014_user_last_login
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_edict_exposure'
down_revision = '0014_user_last_login'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('edicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_information', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('edicts', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('public_information')
