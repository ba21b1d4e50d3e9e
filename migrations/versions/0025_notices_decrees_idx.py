"""(tenant_id, id) indexes for the notifications' and the decrees' lists

Revision ID: 0025_notices_decrees_idx
Revises: 0024_parties_tenant_id_id
Create Date: 2026-12-05

``GET /api/v1/notifications`` and ``GET /api/v1/decrees`` list one municipality's rows newest first, a
page at a time, as the parties' list does (migration 0024): without an index on (tenant_id, id)
PostgreSQL walks the primary key backwards past every other municipality's newer rows. The new
indexes lead with tenant_id, so they replace the single-column ones.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_notices_decrees_idx"
down_revision = "0024_parties_tenant_id_id"
branch_labels = None
depends_on = None

TABLES = ("notifications", "decrees")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_tenant_id_id", table, ["tenant_id", "id"])
        op.drop_index(f"ix_{table}_tenant_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_tenant_id", table, ["tenant_id"])
        op.drop_index(f"ix_{table}_tenant_id_id", table_name=table)
