"""The one SQLAlchemy handle shared by engine, webapp and worker."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Index, MetaData, event, text
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def trigram_index(name: str, column: str) -> Index:
    """An index for a tenant's ``LIKE '%term%'`` on ``column``, led by the tenant: GIN over
    (tenant_id, trigrams of ``column``) on PostgreSQL (btree_gin for the tenant), so a search reads
    only its municipality's matches instead of the province's; a plain index elsewhere (migrations
    0018 and 0021 create it the same way)."""
    return Index(name, "tenant_id", column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


@event.listens_for(Base.metadata, "before_create")
def _trigram_extension(_target: Any, connection: Any, **_kw: Any) -> None:
    """``create_all`` on PostgreSQL (tests) needs pg_trgm and btree_gin for the trigram indexes."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gin"))


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def refresh_statistics(tables: Iterable[str]) -> None:
    """ANALYZE ``tables`` on PostgreSQL, in the caller's transaction: after a bulk load the planner
    would otherwise plan on the statistics of the small tables until autovacuum's next visit. Table
    names are the caller's constants, never user input."""
    if is_postgresql():
        for table in tables:
            db.session.execute(text(f'ANALYZE "{table}"'))


@contextmanager
def throwaway_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A brand-new empty database ``<prefix>_<random>`` on the PostgreSQL server of ``server_url``,
    dropped afterwards (also on failure, with whatever is still connected to it); yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
