"""tenant locale: each municipality's default language

Revision ID: 0019_tenant_locale
Revises: 0018_pages_at_scale
Create Date: 2026-12-03

The e-office, the transparency portal and the notice board speak a municipality's default
language unless the reader chose another; the documents it sends by default are written in it.
Existing municipalities keep Catalan, the language every page spoke so far.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_tenant_locale"
down_revision = "0018_pages_at_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("default_locale", sa.String(5), nullable=False, server_default="ca"))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("default_locale")
