"""``column IN (ids)`` whose SQL text does not change with the number of ids.

An expanded ``IN (:id_1, ..., :id_n)`` is a new statement for every length: SQLAlchemy renders one
bind per id, psycopg parses the new text and PostgreSQL plans it afresh, so a list of 25 to 500 ids
(a page's expedients, a search's matches) is never prepared. On PostgreSQL the ids go as one array
(``column = ANY(:ids)``), whose text is the same for any length; elsewhere it stays ``IN``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from engine.base.db import is_postgresql


def among(column: Any, ids: Collection[int]) -> ColumnElement[bool]:
    """``column`` is one of ``ids`` (whole numbers)."""
    if not is_postgresql():
        return column.in_(ids)
    return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type), unique=True))
