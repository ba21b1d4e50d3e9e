"""Every action GEE records in the audit trail has words: the expedient's history and the audit
trail page never show a bare code such as ``user: role granted`` to a clerk or the secretary."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from engine.audit.labels import ACTION_LABELS, action_label
from engine.base.i18n import force_locale

ENGINE = Path(__file__).resolve().parents[1] / "engine"
ACTION = re.compile(r"[a-z_]+\.[a-z_]+")
#: The calls that append to the trail: ``record(ctx, action, …)`` and ``Entry(action, …)``.
RECORDERS = {"record": 1, "Entry": 0}


def _recorded_actions() -> dict[str, str]:
    """Action code -> a file that records it, for every literal action in the engine's source."""
    found: dict[str, str] = {}
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in RECORDERS or len(node.args) <= RECORDERS[name]:
                continue
            arg = node.args[RECORDERS[name]]
            values = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and ACTION.fullmatch(value.value):
                    found.setdefault(value.value, str(path.relative_to(ENGINE.parent)))
    return found


def test_every_recorded_action_has_words():
    recorded = _recorded_actions()
    assert len(recorded) > 90  # the scan sees the engine's calls (users, bodies, registry, decrees…)
    missing = {action: where for action, where in recorded.items() if action not in ACTION_LABELS}
    assert missing == {}


def test_the_words_are_translated():
    with force_locale("ca"):
        assert action_label("user.role_granted") == "rol atorgat"
        assert action_label("registry.requeriment_answer") == "resposta a un requeriment presentada"
    with force_locale("es"):
        assert action_label("edict.published") == "edicto publicado en el tablón"
