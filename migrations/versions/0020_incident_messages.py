"""incident messages: a failed step's message in each language

Revision ID: 0020_incident_messages
Revises: 0019_tenant_locale
Create Date: 2026-12-03

When a step fails with one of GEE's own messages (a service refused), the incident keeps it in
Catalan, Spanish and English so each administrator reads it in theirs. Older incidents keep
their one message.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_incident_messages"
down_revision = "0019_tenant_locale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("messages", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("messages")
