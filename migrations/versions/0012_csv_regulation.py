"""tenant names the act creating its CSV system (ENI RegulacionGeneracionCSV)

Revision ID: 0012_csv_regulation
Revises: 0011_bodies
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_csv_regulation'
down_revision = '0011_bodies'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('csv_regulation', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('csv_regulation')
