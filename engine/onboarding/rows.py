"""The CSV of ens locals to onboard: its columns, and the checks of one row that need no database.

One row per body, with a header line naming the columns (any order, any case):
``name, kind, ine, dir3, comarca, aran, holiday_1, holiday_2, admin_name, admin_email``.
The file may be UTF-8 (with or without BOM) and separated by commas or semicolons
(a spreadsheet saved as CSV in Catalan or Spanish uses semicolons).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _l
from engine.base.text import clean_text
from engine.tenancy.admin import TenantKind, check_email
from engine.tenancy.codes import check_body_dir3, check_ine, check_municipal_dir3

T = TypeVar("T")

COLUMNS = ("name", "kind", "ine", "dir3", "comarca", "aran", "holiday_1", "holiday_2", "admin_name", "admin_email")
REQUIRED_COLUMNS = ("name", "kind", "dir3", "admin_name", "admin_email")
MAX_ROWS = 2000
#: How the kind may be written in the file.
_KINDS = {
    "ajuntament": TenantKind.AJUNTAMENT, "ayuntamiento": TenantKind.AJUNTAMENT,
    "emd": TenantKind.EMD, "entitat municipal descentralitzada": TenantKind.EMD,
    "consell comarcal": TenantKind.CONSELL_COMARCAL, "consell_comarcal": TenantKind.CONSELL_COMARCAL,
    "consejo comarcal": TenantKind.CONSELL_COMARCAL,
}
_YES = {"1", "yes", "sí", "si", "s", "y", "true", "x"}
_NO = {"", "0", "no", "n", "false"}


@dataclass(frozen=True)
class TenantRow:
    """A row that passed every check that needs no database."""

    name: str
    kind: str
    ine_code: str | None
    dir3: str
    comarca: str | None
    aran: bool
    holidays: tuple[date, ...]
    admin_name: str
    admin_email: str


class BadRow(Exception):
    """A row with one or more problems, each a translatable message."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def read_rows(data: bytes) -> list[dict[str, str]]:
    """The rows of the file as column → text; a file that is not such a CSV is refused whole."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(_l("The file is not a CSV in UTF-8."), field="file") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            _l("The file lacks the columns %(columns)s. The first line must name the columns: %(all)s.",
               columns=", ".join(missing), all=", ".join(COLUMNS)),
            field="file",
        )
    rows = [
        {column: (cells[i].strip() if i < len(cells) else "") for i, column in enumerate(header) if column in COLUMNS}
        for cells in reader if any(cell.strip() for cell in cells)
    ]  # fmt: skip
    if not rows:
        raise ValidationFailed(_l("The file has no rows under its header."), field="file")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(_l("At most %(n)s rows in one file.", n=MAX_ROWS), field="file")
    return rows


def _kind(value: str) -> str:
    kind = _KINDS.get(" ".join(value.lower().split()))
    if kind is None:
        raise ValidationFailed(
            _l("Kind %(value)s: write ajuntament, EMD or consell comarcal.", value=value), field="kind"
        )
    return kind.value


def _aran(value: str) -> bool:
    flag = value.strip().lower()
    if flag in _YES:
        return True
    if flag in _NO:
        return False
    raise ValidationFailed(_l("Aran %(value)s: write yes or no.", value=value), field="aran")


def _holiday(value: str, field: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            _l("Local holiday %(value)s: write the date as YYYY-MM-DD or DD/MM/YYYY.", value=text), field=field
        ) from None


def check_row(raw: dict[str, str]) -> TenantRow:
    """Check every field of a row; :class:`BadRow` lists all that are wrong."""
    messages: list[str] = []

    def check(action: Callable[..., T], *args: Any) -> T | None:
        try:
            return action(*args)
        except GeeError as err:
            messages.append(str(err))
            return None

    get = raw.get
    name = check(lambda: clean_text(get("name"), 200, "name", required=True,
                                    required_message=_l("The name is missing.")))  # fmt: skip
    kind = check(_kind, get("kind", ""))
    ine_text = (get("ine") or "").strip()
    ine = check(check_ine, ine_text) if ine_text else None
    if kind == TenantKind.AJUNTAMENT and not ine_text:
        messages.append(str(_l("An ajuntament needs its INE municipality code.")))
    if kind == TenantKind.AJUNTAMENT and ine:
        dir3 = check(check_municipal_dir3, get("dir3"), ine)
    else:
        dir3 = check(check_body_dir3, get("dir3"))
    comarca = check(lambda: clean_text(get("comarca"), 100, "comarca"))
    aran = check(_aran, get("aran", ""))
    holidays = [check(_holiday, get(field, ""), field) for field in ("holiday_1", "holiday_2")]
    days = tuple(sorted(d for d in holidays if d is not None))
    if len([f for f in ("holiday_1", "holiday_2") if get(f, "").strip()]) == 1:
        messages.append(str(_l("Give both local holidays, or neither.")))
    if len(days) == 2 and days[0].year != days[1].year:
        messages.append(str(_l("Both local holidays must fall in the same year.")))
    no_admin = _l("The first administrator's name is missing.")
    admin_name = check(lambda: clean_text(get("admin_name"), 200, "admin_name", required=True,
                                          required_message=no_admin))  # fmt: skip
    admin_email = check(check_email, (get("admin_email") or "").lower())
    if not (get("admin_email") or "").strip():
        messages.append(str(_l("The first administrator's e-mail address is missing.")))
    if messages or name is None or kind is None or dir3 is None or admin_name is None or admin_email is None:
        raise BadRow(messages)
    return TenantRow(name=name, kind=kind, ine_code=ine, dir3=dir3, comarca=comarca, aran=bool(aran),
                     holidays=days, admin_name=admin_name, admin_email=admin_email)  # fmt: skip
