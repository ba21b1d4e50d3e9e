"""Bulk migration from another tool: hundreds of ENI remissions, each imported on its own.

A migration source is a folder or a zip holding, for each expedient, one of: a folder (the
remission: expediente file + one file per documento), a zip of that folder, or a single XML
file. Each expedient is imported in its own unit of work by the caller, so a refused one
never holds the others back; an expedient already imported (same ENI identifier in the
tenant) is skipped, which makes a re-run after a stop resume where it was and never import
twice. The old tool's classification codes are mapped to the tenant's catalogue (a procedure,
whose classification the expedients then carry), and open expedients are given the unit whose
members go on with them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from engine.base.context import Context
from engine.base.db import db, refresh_statistics
from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _l
from engine.base.spreadsheet import cell
from engine.base.unit_of_work import run_in_transaction
from engine.eni.continuation import CONTINUING_ROLES, continue_by_hand, continuing_role
from engine.eni.importer import already_imported, expedient_identifier_of, import_remission
from engine.eni.namespaces import q
from engine.eni.remission import Remission, find_expediente, from_files, from_path, unzip
from engine.process.definition.catalogue import resolve_version
from engine.process.definition.sidecar import classification_code, eni_classification, read_info
from engine.tenancy.models import Tenant
from engine.tenancy.units import UNIT_CODE, find_unit


@dataclass(frozen=True)
class ClassificationTarget:
    #: The new classification code: given in the map, or the procedure's.
    classification: str
    #: The responsible unit the expedient records (the unit's name when it is one of the tenant's).
    unit: str | None
    #: The role whose holders go on with the open expedients (see :mod:`engine.eni.continuation`).
    role: str = CONTINUING_ROLES[0]
    #: The catalogue procedure the migrated expedients belong to (a process model of the tenant).
    process_model_id: int | None = None
    #: The code of the tenant's unit whose members go on with the open expedients (instead of the role).
    inbox_unit: str | None = None


#: The columns a map with a header line may have (in any order); ``old_code`` is required.
MAP_COLUMNS = ("old_code", "new_code", "procedure", "unit", "role")
_LEGACY_COLUMNS = ("old_code", "new_code", "unit", "role")


def _columns(first: list[str]) -> tuple[list[str], bool]:
    """The column names and whether the first line is a header. A header that names ``procedure``
    gives the columns by name; any other (or none) is the old ``old_code,new_code[,unit[,role]]``."""
    names = [c.strip().lower() for c in first]
    if "procedure" in names:
        return names, True
    # Only a header's own word: a first row whose old code merely starts with "OLD-" is data.
    return list(_LEGACY_COLUMNS), bool(names) and names[0] in ("old", "old_code", "old code")


def _procedure(ctx: Context, key: str) -> tuple[int, str]:
    """(model id, classification) of the published procedure ``key`` of the tenant's catalogue."""
    version = resolve_version(ctx.tenant_id, key)
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if version is None or tenant is None:
        raise ValidationFailed(_l("%(key)s is no published procedure of this municipality's catalogue.", key=key),
                               field="procedure")
    model = version.model
    code = model.classification or classification_code(read_info(model.key))
    classification = eni_classification(code, tenant.dir3) or f"{tenant.dir3}_PRO_{model.id}"
    return model.id, classification


def _target(ctx: Context, row: dict[str, str], named: bool) -> ClassificationTarget:
    role = continuing_role(row.get("role") or None)
    unit_text = row.get("unit") or None
    found = find_unit(ctx.tenant_id, unit_text) if unit_text and UNIT_CODE.fullmatch(unit_text.lower()) else None
    if named and unit_text and (found is None or not found.active):
        raise ValidationFailed(_l("%(unit)s is no active unit of this municipality (give its code, e.g. urbanisme).",
                                  unit=unit_text), field="unit")
    inbox_unit = found.code if found is not None and found.active else None
    label = found.name if inbox_unit and found is not None else unit_text
    model_id, classification = _procedure(ctx, row["procedure"]) if row.get("procedure") else (None, "")
    new_code = row.get("new_code") or classification
    if not new_code:
        raise ValidationFailed(_l("give the new classification code or the procedure."), field="procedure")
    return ClassificationTarget(new_code, label, role, model_id, inbox_unit)


def read_classification_map(ctx: Context, text: str) -> dict[str, ClassificationTarget]:
    """The old tool's classification codes mapped to the tenant's catalogue, checked against it:
    ``old_code,procedure,unit[,role][,new_code]`` under a header naming the columns, or the old
    ``old_code,new_code[,unit[,role]]``. Every bad line is reported at once, with its number."""
    mapping: dict[str, ClassificationTarget] = {}
    problems: list[str] = []
    rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    columns, header = _columns(rows[0] if rows else [])
    for number, cells in enumerate(rows, start=1):
        if not any(cells) or (header and number == 1):
            continue
        row = {name: value for name, value in zip(columns, cells, strict=False) if name in MAP_COLUMNS}
        try:
            if not row.get("old_code") or not (row.get("new_code") or row.get("procedure")):
                raise ValidationFailed(_l("expected old_code,procedure,unit[,role] or "
                                          "old_code,new_code[,unit[,role]]."))
            mapping[row["old_code"]] = _target(ctx, row, "procedure" in columns)
        except ValidationFailed as err:
            problems.append(str(_l("Classification map, line %(line)s: %(problem)s", line=number, problem=str(err))))
    if problems:
        raise ValidationFailed(" ".join(problems), field="classification-map")
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

    def report_row(self) -> dict[str, Any]:
        """This outcome as a row of the CSV report (:data:`REPORT_FIELDS`), safe to open in a spreadsheet."""
        return {name: cell(value) for name, value in asdict(self).items()}


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
            responsible_unit=unit, process_model_id=target.process_model_id if target else None, dry_run=dry_run)
        if result.expedient is not None and state == "E01":  # open: someone must go on with it
            continue_by_hand(ctx, result.expedient.id, target.role if target else CONTINUING_ROLES[0], unit,
                             target.inbox_unit if target else None)
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


#: The tables an import fills (expedients, their parties, documents, the import log, the audit trail).
IMPORTED_TABLES = ("expedients", "parties", "expedient_parties", "documents", "eni_imported_expedients",
                   "eni_imported_documents", "audit_events")


def analyze_imported() -> None:
    """Fresh planner statistics after a migration (PostgreSQL; the caller commits): the pages of
    the migrated expedients are planned on them at once, not after autovacuum's next visit."""
    refresh_statistics(IMPORTED_TABLES)
