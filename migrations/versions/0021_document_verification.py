"""document verification: a signed PDF's signatures are checked by a job

Revision ID: 0021_document_verification
Revises: 0020_incident_messages
Create Date: 2026-12-03

An uploaded PDF that carries signatures is stored at once and marked as being verified; a job
(pyHanko) checks its PAdES signatures and records them. The index serves the scheduler's
look for verifications whose job was lost with Redis.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_document_verification"
down_revision = "0020_incident_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("verification_pending", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_index("ix_documents_verification_pending", ["verification_pending"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_verification_pending")
        batch.drop_column("verification_pending")
