"""Searching decrees whatever the accents, the case and the spacing: "resolucio" finds "Resolució".

:func:`folded` is the rule, in Python (the decree book page compares a year's decrees with it).
:class:`fold` is the same rule inside a query, for the lists read a page at a time (the API): on
SQLite it calls :func:`folded` itself (a function registered on every connection); on PostgreSQL
it is ``translate`` of the accented letters of the Latin alphabets to their plain letter, spaces
collapsed, lower-cased.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from typing import Any

from sqlalchemy import Engine, String, event, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

#: The SQL function SQLite answers with :func:`folded`.
_SQLITE_FOLD = "gee_fold"


def folded(text: str | None) -> str:
    """``text`` for a search that ignores accents, case and spacing: "Ceràmica  d’Olot" -> "ceramica d'olot"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    return " ".join(plain.replace("\u2019", "'").casefold().split())


def _plain_letters() -> tuple[str, str]:
    """The characters :func:`folded` turns into one ASCII character (before its case folding), and those:
    the Latin letters with accents (à, Ç, ñ, ï…), the typographic apostrophe, the spaces of other widths."""
    wanted = [chr(code) for code in (*range(0xA0, 0x250), *range(0x2000, 0x2010), 0x2019, 0x202F, 0x205F)]
    pairs = []
    for char in wanted:
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        plain = "'" if char == "\u2019" else plain
        if plain.isspace():
            plain = " "
        if len(plain) == 1 and plain.isascii() and plain != char:
            pairs.append((char, plain))
    return "".join(a for a, _b in pairs), "".join(b for _a, b in pairs)


_ACCENTED, _PLAIN = _plain_letters()


class fold(FunctionElement[str]):
    """``folded(column)`` in a query: compare it with a :func:`folded` term (``fold(col).contains(term)``)."""

    type = String()
    inherit_cache = True


@compiles(fold)
def _fold_sqlite(element: fold, compiler: Any, **kw: Any) -> str:
    return f"{_SQLITE_FOLD}({compiler.process(element.clauses, **kw)})"


@compiles(fold, "postgresql")
def _fold_postgresql(element: fold, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses.clauses
    plain = func.translate(column, literal(_ACCENTED), literal(_PLAIN))
    spaced = func.btrim(func.regexp_replace(plain, literal(r"\s+"), literal(" "), literal("g")))
    return str(compiler.process(func.lower(spaced), **kw))


@event.listens_for(Engine, "connect")
def _register_sqlite_fold(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(_SQLITE_FOLD, 1, folded, deterministic=True)
