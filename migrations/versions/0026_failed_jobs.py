"""failed_jobs: jobs that failed in-process (no Redis), for the administrator to see and retry

Revision ID: 0026_failed_jobs
Revises: 0025_notices_decrees_idx
Create Date: 2026-12-05

Without Redis, jobs run in-process; one that ran as a unit of its own (after a request committed, in
the scheduler's sweep) and failed left only a log line. engine.worker.failed_jobs keeps one row per
such job (its function and arguments, to run it again, the expedient or document it was for, and how
it failed); the "Background jobs" page lists them with a Retry. With Redis, rq keeps failed jobs.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026_failed_jobs"
down_revision = "0025_notices_decrees_idx"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("func", sa.String(length=200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("kwargs", sa.JSON(), nullable=True),
        sa.Column("expedient_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_failed_jobs_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_failed_jobs_key")),
    )
    op.create_index(op.f("ix_failed_jobs_tenant_id"), "failed_jobs", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_failed_jobs_tenant_id"), table_name="failed_jobs")
    op.drop_table("failed_jobs")
