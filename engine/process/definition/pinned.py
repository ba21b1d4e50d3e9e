"""What an instance runs from its pinned version (the spec, the forms, the lanes), read and
parsed once per process.

A version never changes: it is content-addressed (``content_hash`` covers its BPMN, DMN, forms,
templates and the content of what it calls), so its serialized spec, forms and lanes are the
same every time they are read. For a real procedure they are tens of kilobytes (the spec of a
building licence is about 60 kB, its forms 10 kB): read with every completion, the database would
fetch and decompress them and the server decode and parse them again and again. They are kept
here instead, by version id and content hash; a query that loads a version for a completion
leaves these columns out (see :data:`CONTENT_COLUMNS`), and only the first use of a version in
each process reads them. A version object that holds them (a start, a designer's page) is read
as it is, and kept. The cache is never the truth, only a shortcut to it: what it holds is what the row
holds, for as long as the row exists.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property
from typing import Any

from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from sqlalchemy import inspect, select

from engine.base.db import db
from engine.process.definition.specs import load_spec
from engine.process.models import ProcessVersion

#: Versions kept per process, the least recently used dropped first: a few hundred kilobytes each
#: (the restored spec of the major works licence takes 290 kB), as many as the spec cache keeps.
MAX_VERSIONS = 256
#: The columns this module reads for a version: a query may defer them.
CONTENT_COLUMNS = (ProcessVersion.spec_json, ProcessVersion.forms, ProcessVersion.lanes)
_CONTENT_KEYS = frozenset(column.key for column in CONTENT_COLUMNS)


class PinnedContent:
    """A version's content, shared by every thread: read it, never change it."""

    def __init__(self, spec_json: str, forms: dict[str, Any] | None, lanes: dict[str, str] | None) -> None:
        self._spec_json = spec_json
        self.forms: dict[str, Any] = forms or {}
        self.lanes: dict[str, str] = lanes or {}

    @cached_property
    def specs(self) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
        """The process spec and its subprocess specs, restored when first asked for (a page that
        only reads a form does not build them)."""
        return load_spec(self._spec_json)


_kept: OrderedDict[tuple[int, str], PinnedContent] = OrderedDict()
_guard = threading.Lock()


def pinned_content(version: ProcessVersion) -> PinnedContent:
    """The spec, forms and lanes of ``version``: from the object when it holds them (and kept from
    then on), else from memory when this process has read them, else from its row (one query,
    then kept)."""
    key = (version.id, version.content_hash)
    if not inspect(version).unloaded & _CONTENT_KEYS:
        content = PinnedContent(version.spec_json, version.forms, version.lanes)
        if version.id is not None:  # a copy never stored (a simulation's) is not kept
            _keep(key, content)
        return content
    with _guard:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    row = db.session.execute(select(*CONTENT_COLUMNS).where(ProcessVersion.id == version.id)).one()
    content = PinnedContent(*row)
    _keep(key, content)
    return content


def _keep(key: tuple[int, str], content: PinnedContent) -> None:
    with _guard:
        _kept[key] = content
        _kept.move_to_end(key)
        while len(_kept) > MAX_VERSIONS:
            _kept.popitem(last=False)


__all__ = ["CONTENT_COLUMNS", "PinnedContent", "pinned_content"]
