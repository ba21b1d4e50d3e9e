"""The sidecar of a procedure: ``processes/<key>.info.json`` beside its BPMN.

It holds what is not the flow itself: the citizen information, the maximum resolution term
(``max_term``) and the effect of silence (``silence``). It is read at use time, so it can be
corrected without deploying a new process version; only the ENI classification code is also
carried on the process model at each deploy, so whoever opens an expedient of the model (the
e-office, a clerk from a registry entry) reads it from there. The format is described in
:mod:`engine.citizens.procedures`; the legal-term control (:mod:`engine.control`) reads it too.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from engine.base.settings import PROJECT_ROOT

log = logging.getLogger("gee.process")

PROCESSES_DIR = PROJECT_ROOT / "processes"


def read_info(key: str, processes_dir: Path = PROCESSES_DIR) -> dict[str, Any] | None:
    """The sidecar of process ``key``, or None when there is none (or it is unreadable)."""
    if not key.replace("_", "").replace("-", "").isalnum():
        return None
    path = processes_dir / f"{key}.info.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("procedure information %s is not valid JSON", path)
        return None
    return data if isinstance(data, dict) else None


def procedure_label(key: str, name: str, locale: str | None) -> str:
    """A procedure's name in ``locale``: its sidecar's ``citizen_info.<locale>.name``, else ``name``
    (the Catalan BPMN name the model keeps)."""
    if not locale or locale == "ca":
        return name
    texts = ((read_info(key) or {}).get("citizen_info") or {}).get(locale) or {}
    return str(texts.get("name") or name)


def classification_code(info: dict[str, Any] | None) -> str | None:
    """The sidecar's ``classification`` as written: a SIA code or the ``<id>`` of ``<DIR3>_PRO_<id>``."""
    code = str((info or {}).get("classification") or "").strip()
    return code or None


def eni_classification(code: str | None, dir3: str) -> str | None:
    """ENI ``Clasificacion`` of a procedure code for one municipality: a SIA code (digits) or a code
    already qualified with its organ as it is, else ``<DIR3>_PRO_<code>``."""
    if not code:
        return None
    return code if code.isdigit() or "_PRO_" in code else f"{dir3}_PRO_{code}"
