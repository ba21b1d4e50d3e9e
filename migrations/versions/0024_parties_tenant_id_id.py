"""(tenant_id, id) index for the parties' list

Revision ID: 0024_parties_tenant_id_id
Revises: 0023_redundant_indexes
Create Date: 2026-12-05

The parties list (``GET /api/v1/parties``) shows one municipality's parties newest first, a page at a
time. With only a tenant_id index PostgreSQL read it by walking the primary key backwards past every
other municipality's newer parties: 0.66 s at a million parties for a town whose parties are the
oldest. An index on (tenant_id, id) gives the order (see engine.base.keyset.keyset_page); it leads
with tenant_id, so it replaces the single-column one.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_parties_tenant_id_id"
down_revision = "0023_redundant_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_parties_tenant_id_id", "parties", ["tenant_id", "id"])
    op.drop_index("ix_parties_tenant_id", table_name="parties")


def downgrade() -> None:
    op.create_index("ix_parties_tenant_id", "parties", ["tenant_id"])
    op.drop_index("ix_parties_tenant_id_id", table_name="parties")
