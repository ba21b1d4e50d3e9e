"""page aggregates: the dashboard's maintained figures, and trigram indexes led by the tenant

Revision ID: 0022_page_aggregates
Revises: 0021_document_verification
Create Date: 2026-12-03

expedient_months (opened and closed per tenant and Catalan month), expedient_states (expedients
per tenant, procedure and NTI state) and expedient_resolution_days (closed expedients per tenant,
procedure, legal term and whole days taken) are kept by engine.expedients.figures in the
transaction that opens, closes, reopens or changes the state of an expedient; this migration
fills them from the existing expedients.

The four search indexes of 0018 become (tenant_id, column): on PostgreSQL a GIN index over the
tenant and the column's trigrams, which needs the btree_gin extension as well as pg_trgm. Where
pg_trgm is installed but btree_gin is missing or may not be created (no superuser, an untrusted
extension), the GIN indexes of 0018 stay as they are and search works as before. Elsewhere
(SQLite, no pg_trgm) they are plain b-tree indexes on (tenant_id, column).
"""

import sqlalchemy as sa
from alembic import op

from engine.expedients.figures import rebuild

# revision identifiers, used by Alembic.
revision = "0022_page_aggregates"
down_revision = "0021_document_verification"
branch_labels = None
depends_on = None

#: Columns searched with LIKE '%term%' within a tenant, per table; each has an index ix_<table>_<column>_trgm.
SEARCHED = {"parties": ("name", "nif"), "expedients": ("number", "subject")}


def _search_index_kind() -> str | None:
    """"gin" where GIN (tenant_id, column trigrams) can be built, "plain" where there are no trigram
    indexes (SQLite, PostgreSQL without pg_trgm), None where 0018's trigram indexes must stay
    because btree_gin is missing or may not be created."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return "plain"
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first() is None:
        return "plain"
    if bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gin'")).first() is None:
        return None
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
    except sa.exc.DBAPIError:  # not allowed to create it
        return None
    return "gin"


def _recreate_search_indexes(tenant_led: bool) -> None:
    kind = _search_index_kind()
    if kind is None:
        return
    for table, column in ((table, column) for table, columns in SEARCHED.items() for column in columns):
        name = f"ix_{table}_{column}_trgm"
        op.drop_index(name, table_name=table)
        indexed = ["tenant_id", column] if tenant_led else [column]
        if kind == "gin":
            op.create_index(name, table, indexed, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
        else:
            op.create_index(name, table, indexed)


def upgrade() -> None:
    op.create_table(
        "expedient_months",
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", name="fk_expedient_months_tenant_id_tenants"),
                  nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "month", name="pk_expedient_months"),
    )
    op.create_table(
        "expedient_states",
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", name="fk_expedient_states_tenant_id_tenants"),
                  nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(3), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "procedure_id", "state", name="pk_expedient_states"),
    )
    op.create_table(
        "expedient_resolution_days",
        sa.Column("tenant_id", sa.Integer(),
                  sa.ForeignKey("tenants.id", name="fk_expedient_resolution_days_tenant_id_tenants"), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "procedure_id", "term_months", "days",
                                name="pk_expedient_resolution_days"),
    )
    rebuild(op.get_bind())
    _recreate_search_indexes(tenant_led=True)


def downgrade() -> None:
    _recreate_search_indexes(tenant_led=False)
    op.drop_table("expedient_resolution_days")
    op.drop_table("expedient_states")
    op.drop_table("expedient_months")
