"""pages at scale: the procedure on each human task, indexes for the inbox, dashboard and trigram search

Revision ID: 0018_pages_at_scale
Revises: 0017_webhooks
Create Date: 2026-12-03

On PostgreSQL, searching by part of a name, NIF, expedient number or subject uses GIN trigram
indexes (extension pg_trgm, created here when the server offers it). Where it does not (SQLite,
or PostgreSQL without the contrib extensions), the same index names are plain b-tree indexes and
search stays a plain LIKE scan of the tenant's rows.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_pages_at_scale"
down_revision = "0017_webhooks"
branch_labels = None
depends_on = None

#: (index, table, column) searched with LIKE '%term%'.
TRIGRAM = (
    ("ix_parties_name_trgm", "parties", "name"),
    ("ix_parties_nif_trgm", "parties", "nif"),
    ("ix_expedients_number_trgm", "expedients", "number"),
    ("ix_expedients_subject_trgm", "expedients", "subject"),
)


def _trigrams_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    offered = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if offered is None:
        return False
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    return True


def upgrade():
    with op.batch_alter_table("human_tasks") as batch:
        batch.add_column(sa.Column("process_model_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_human_tasks_process_model_id_process_models", "process_models", ["process_model_id"], ["id"]
        )
    op.execute(
        "UPDATE human_tasks SET process_model_id = (SELECT process_versions.model_id FROM process_instances "
        "JOIN process_versions ON process_versions.id = process_instances.process_version_id "
        "WHERE process_instances.id = human_tasks.instance_id)"
    )
    op.create_index(
        "ix_human_tasks_visible",
        "human_tasks",
        ["tenant_id", "state", "process_model_id", "assignee_id", "role", "unit"],
    )
    op.create_index("ix_expedients_opened", "expedients", ["tenant_id", "opened_at"])
    op.create_index(
        "ix_expedients_closed", "expedients", ["tenant_id", "closed_at", "opened_at", "process_model_id", "term_months"]
    )
    op.create_index("ix_expedients_procedure_state", "expedients", ["tenant_id", "process_model_id", "state"])
    trigrams = _trigrams_available()
    for name, table, column in TRIGRAM:
        if trigrams:
            op.create_index(name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
        else:
            op.create_index(name, table, [column])


def downgrade():
    for name, table, _column in TRIGRAM:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_expedients_procedure_state", table_name="expedients")
    op.drop_index("ix_expedients_closed", table_name="expedients")
    op.drop_index("ix_expedients_opened", table_name="expedients")
    op.drop_index("ix_human_tasks_visible", table_name="human_tasks")
    with op.batch_alter_table("human_tasks") as batch:
        batch.drop_constraint("fk_human_tasks_process_model_id_process_models", type_="foreignkey")
        batch.drop_column("process_model_id")
