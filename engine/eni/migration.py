"""Bulk migration from another tool: hundreds of ENI remissions, each imported on its own.

A migration source is a folder or a zip holding, for each expedient, one of: a folder (the
remission: expediente file + one file per documento), a zip of that folder, or a single XML
file. Each expedient is imported in its own unit of work by the caller, so a refused one
never holds the others back; an expedient already imported (same ENI identifier in the
tenant) is skipped, which makes a re-run after a stop resume where it was and never import
twice. The old tool's classification codes are mapped to the tenant's catalogue, and open
expedients are given the unit that will handle them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine.base.context import Context
from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.eni.continuation import CONTINUING_ROLES, continue_by_hand, continuing_role
from engine.eni.importer import already_imported, expedient_identifier_of, import_remission
from engine.eni.namespaces import q
from engine.eni.remission import Remission, find_expediente, from_files, from_path, unzip


@dataclass(frozen=True)
class ClassificationTarget:
    classification: str
    unit: str | None
    #: The role whose holders go on with the open expedients (see :mod:`engine.eni.continuation`).
    role: str = CONTINUING_ROLES[0]


def read_classification_map(text: str) -> dict[str, ClassificationTarget]:
    """``old_code,new_code[,unit[,role]]`` per line (a header line starting ``old`` is skipped)."""
    mapping: dict[str, ClassificationTarget] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or (number == 1 and cells[0].lower().startswith("old")):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise ValidationFailed(_l("Classification map, line %(line)s: expected old_code,new_code[,unit[,role]].",
                                      line=number), field="classification-map")
        try:
            role = continuing_role(cells[3] if len(cells) > 3 else None)
        except ValidationFailed as err:
            raise ValidationFailed(_l("Classification map, line %(line)s: %(problem)s", line=number,
                                      problem=str(err)), field="classification-map") from None
        mapping[cells[0]] = ClassificationTarget(cells[1], cells[2] if len(cells) > 2 and cells[2] else None, role)
    return mapping


@dataclass(frozen=True)
class Item:
    """One expedient of the migration source, read lazily."""
    name: str
    path: Path | None = None
    files: dict[str, bytes] | None = None

    def remission(self) -> Remission:
        if self.files is not None:
            return from_files(self.files)
        assert self.path is not None
        return from_path(self.path)


def items(source: Path) -> Iterator[Item]:
    """The expedients of a migration source, in name order."""
    if source.is_dir():
        for entry in sorted(source.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_dir() or entry.suffix.lower() in (".zip", ".xml"):
                yield Item(entry.name, path=entry)
        return
    files = unzip(source.read_bytes())
    groups: dict[str, dict[str, bytes]] = {}
    for name, data in files.items():
        parts = PurePosixPath(name).parts
        if len(parts) == 1:
            if PurePosixPath(name).suffix.lower() in (".zip", ".xml"):  # as in a folder: other files are no expedient
                groups[name] = {name: data}
        else:
            groups.setdefault(parts[0], {})["/".join(parts[1:])] = data
    for name in sorted(groups):
        group = groups[name]
        if len(group) == 1 and name in group and name.lower().endswith(".zip"):
            yield Item(name, files=unzip(group[name]))
        else:
            yield Item(name, files=group)


@dataclass(frozen=True)
class Outcome:
    source: str
    status: str  # imported, skipped, refused, checked (dry run)
    identifier: str = ""
    expedient: str = ""
    documents: int = 0
    element: str = ""
    reason: str = ""
    index_signature: str = ""


def migrate_one(ctx: Context, item: Item, mapping: dict[str, ClassificationTarget], *,
                dry_run: bool = False) -> Outcome:
    """Import one expedient of the source (the caller commits, or rolls back on refusal)."""
    try:
        remission = item.remission()
        identifier = expedient_identifier_of(remission)
        if already_imported(ctx, identifier) is not None:
            return Outcome(item.name, "skipped", identifier)
        meta = find_expediente(remission).find(q("eniexpmeta", "metadatosExp"))
        old_code = (meta.findtext(q("eniexpmeta", "Clasificacion")) or "").strip() if meta is not None else ""
        state = (meta.findtext(q("eniexpmeta", "Estado")) or "").strip() if meta is not None else ""
        target = mapping.get(old_code)
        unit = target.unit if target and state == "E01" else None
        result = import_remission(
            ctx, remission, classification_map={k: v.classification for k, v in mapping.items()},
            responsible_unit=unit, dry_run=dry_run)
        if result.expedient is not None and state == "E01":  # open: someone must go on with it
            continue_by_hand(ctx, result.expedient.id, target.role if target else CONTINUING_ROLES[0], unit)
    except GeeError as err:
        return Outcome(item.name, "refused", element=getattr(err, "field", "") or "", reason=str(err))
    return Outcome(item.name, "checked" if dry_run else "imported", result.identifier,
                   result.expedient.number if result.expedient else "", result.documents,
                   index_signature=result.index_signature_finding or "")


REPORT_FIELDS = ["source", "status", "identifier", "expedient", "documents", "element", "reason", "index_signature"]


class _Refused(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def migrate_item(ctx: Context, item: Item, mapping: dict[str, ClassificationTarget], dry_run: bool) -> Outcome:
    """One expedient as its own unit of work (a savepoint inside a job's unit): kept when imported,
    nothing kept when refused or only checked."""
    def work() -> Outcome:
        outcome = migrate_one(ctx, item, mapping, dry_run=dry_run)
        if outcome.status == "refused" or dry_run:
            raise _Refused(outcome)  # nothing of a refused (or checked) expedient is kept
        return outcome

    try:
        return run_in_transaction(work)
    except _Refused as refused:
        return refused.outcome
