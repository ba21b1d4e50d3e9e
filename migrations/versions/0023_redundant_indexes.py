"""redundant indexes: drop the single-column indexes another index already leads with

Revision ID: 0023_redundant_indexes
Revises: 0022_page_aggregates
Create Date: 2026-12-04

human_tasks.tenant_id is the first column of the inbox's three indexes and human_tasks.instance_id
the first of the unique (instance_id, task_uuid); audit_events.tenant_id the first of the unique
(tenant_id, seq). Any query those single-column indexes served, the longer ones serve as well, while
every task opened or closed and every audit event paid to keep them (a completion writes both tables).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_redundant_indexes"
down_revision = "0022_page_aggregates"
branch_labels = None
depends_on = None

#: (index, table, column) of each index dropped.
REDUNDANT = (
    ("ix_human_tasks_tenant_id", "human_tasks", "tenant_id"),
    ("ix_human_tasks_instance_id", "human_tasks", "instance_id"),
    ("ix_audit_events_tenant_id", "audit_events", "tenant_id"),
)


def upgrade() -> None:
    for name, table, _column in REDUNDANT:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in REDUNDANT:
        op.create_index(name, table, [column])
