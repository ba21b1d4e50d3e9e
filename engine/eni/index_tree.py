"""The nesting of an ENI index: folders (``CarpetaIndizada``) and subexpedients (``ExpedienteIndizado``).

An index (``IndiceContenido``) lists documents, and folders and subexpedients that list more of
them, to any depth. GEE keeps an imported document's place as its *path*: the containers from the
index root down to it, one step each — ``{"kind": "carpeta", "id": IdentificadorCarpeta}`` or
``{"kind": "expediente", "id": its Id attribute, "date": its FechaIndiceElectronico}`` — with
``pos``, the container's position among its parent's entries (so two siblings alike stay two).
Export writes the same containers back around the same documents, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree
from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.eni.models import EniImportedDocument
from engine.eni.namespaces import q

Step = dict[str, Any]

_DOCUMENT, _FOLDER, _SUBEXPEDIENT = (q("eniconexpind", n) for n in
                                     ("DocumentoIndizado", "CarpetaIndizada", "ExpedienteIndizado"))


def indexed_documents(content: etree._Element,
                      path: tuple[Step, ...] = ()) -> Iterator[tuple[etree._Element, list[Step]]]:
    """Every ``DocumentoIndizado`` under ``content`` (an ``IndiceContenido`` or a container), in
    document order, with the path of containers it is in."""
    for pos, child in enumerate(child for child in content if isinstance(child.tag, str)):
        if child.tag == _DOCUMENT:
            yield child, list(path)
        elif child.tag == _FOLDER:
            step = {"kind": "carpeta", "id": (child.findtext(q("eniconexpind", "IdentificadorCarpeta")) or "").strip(),
                    "pos": pos}
            yield from indexed_documents(child, (*path, step))
        elif child.tag == _SUBEXPEDIENT:
            step = {"kind": "expediente", "id": child.get("Id") or "",
                    "date": (child.findtext(q("eniconexpind", "FechaIndiceElectronico")) or "").strip(), "pos": pos}
            yield from indexed_documents(child, (*path, step))


def document_paths(ctx: Context, document_ids: list[int]) -> dict[int, list[Step]]:
    """The index path of each imported document among ``document_ids`` that was in a folder or subexpedient."""
    if not document_ids:
        return {}
    rows = db.session.execute(
        select(EniImportedDocument.document_id, EniImportedDocument.index_path).where(
            EniImportedDocument.tenant_id == ctx.tenant_id, EniImportedDocument.document_id.in_(document_ids))
    ).all()
    return {int(doc_id): list(path) for doc_id, path in rows if path}


class NestedWriter:
    """Writes index entries into ``content``, opening and closing containers as each entry's path says."""

    def __init__(self, content: etree._Element, now: str,
                 sub: Callable[..., etree._Element]) -> None:
        self._open: list[tuple[Step, etree._Element]] = []
        self._root, self._now, self._sub = content, now, sub

    def parent_for(self, path: list[Step] | None) -> etree._Element:
        path = path or []
        keep = 0
        while keep < min(len(path), len(self._open)) and self._open[keep][0] == path[keep]:
            keep += 1
        del self._open[keep:]
        for step in path[keep:]:
            parent = self._open[-1][1] if self._open else self._root
            if step["kind"] == "carpeta":
                element = self._sub(parent, "eniconexpind", "CarpetaIndizada")
                self._sub(element, "eniconexpind", "IdentificadorCarpeta", step["id"])
            else:
                attrs = {"Id": step["id"]} if step["id"] else {}
                element = self._sub(parent, "eniconexpind", "ExpedienteIndizado", **attrs)
                self._sub(element, "eniconexpind", "FechaIndiceElectronico", step.get("date") or self._now)
            self._open.append((step, element))
        return self._open[-1][1] if self._open else self._root


__all__ = ["NestedWriter", "document_paths", "indexed_documents"]
