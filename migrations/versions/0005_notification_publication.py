"""notification evidence result holds the reference of a BOE announcement (art. 44); a message
wait lists every message it takes (answer or extension of a requeriment)

Revision ID: 0005_notice_publication
Revises: 0004_eni_findings
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_notice_publication'
down_revision = '0004_eni_findings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_evidence', schema=None) as batch_op:
        batch_op.alter_column('result', existing_type=sa.String(length=20), type_=sa.String(length=100))
    with op.batch_alter_table('awaited_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_names', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('awaited_messages', schema=None) as batch_op:
        batch_op.drop_column('message_names')
    with op.batch_alter_table('notification_evidence', schema=None) as batch_op:
        batch_op.alter_column('result', existing_type=sa.String(length=100), type_=sa.String(length=20))
