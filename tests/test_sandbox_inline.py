"""Plain conditions and assignments computed in the server give exactly the sandbox's answer;
everything else still goes to the sandbox (its limits and its error messages)."""

from __future__ import annotations

from datetime import date

import pytest

from engine.base.clock import utcnow
from engine.process.sandbox import inline, runner
from engine.process.sandbox.runner import CalendarConfig, Limits, SandboxEnvironment, ScriptError

LIMITS = Limits(timeout_seconds=2.0, memory_mb=128)
DATA = {"approved": True, "amount": 1500, "rate": 2.5, "kind": "major", "rounds": 2, "note": None, "zero": 0}


def in_sandbox(op: str, code: str, data: dict) -> dict:
    """What the sandbox child answers, asked directly (never computed inline)."""
    request = {"op": op, "code": code, "data_json": runner.to_json(data), "extra": {},
               "calendar": CalendarConfig().as_json(), "now": utcnow().isoformat()}  # fmt: skip
    return runner.run_in_sandbox(request, LIMITS)


CONDITIONS = [
    "approved == True",
    "approved",
    "not approved",
    "amount > 1000 and kind == 'major'",
    "amount > 5000 or kind",
    "note or amount",
    "note and amount",
    "1000 < amount <= 1500",
    "kind in ('major', 'minor')",
    "kind not in ['major']",
    "'aj' in kind",
    "amount * rate / 3 - 1",
    "amount // 7 % 5",
    "-amount + +rate",
    "rounds == 2.0",
    "amount == 'major'",
    "note == None",
]


SCRIPTS = [
    "rounds = rounds + 1",
    "rounds += 1\ntotal = rounds * amount",
    "rounds = 2.0",  # the same value is no change: the stored 2 stays an int
    "label = kind\nbig = amount > 1000",
    "fee = amount * rate / 100",
]


@pytest.mark.parametrize(("op", "code"), [*(("eval", c) for c in CONDITIONS), *(("exec", s) for s in SCRIPTS)])
def test_plain_code_is_computed_in_the_server_with_the_sandboxs_answer(op, code):
    """A condition's value, or the variables a script changes, equal and of the same type."""
    computed = inline.evaluate(code, DATA)[0] if op == "eval" else inline.execute(code, DATA)
    answer = in_sandbox(op, code, DATA)
    expected = answer["result"] if op == "eval" else answer["set"]
    assert computed == expected
    assert repr(computed) == repr(expected)  # 1 is not 1.0, True is not 1
    assert answer.get("del", []) == []


WITH_THE_DATE = {**DATA, "submitted_on": date(2026, 11, 20)}
ANSWERED_BY_THE_SANDBOX = [
    ("amount ** 2", 2250000),  # powers can grow without end
    ("kind * 2", "majormajor"),  # repeating text can too
    ("submitted_on < '2026-12-01'", True),  # a date reaches the sandbox as ISO text
    ("is_working_day(submitted_on)", True),  # a helper (20 November 2026 is a Friday)
    ("amount * 10**30", 1500 * 10**30),
    ("[x for x in (1, 2)]", [1, 2]),
    ("len(kind) > 3", True),
    ("kind.upper() == 'MAJOR'", True),
]


@pytest.mark.parametrize(("expression", "value"), ANSWERED_BY_THE_SANDBOX)
def test_anything_else_is_the_sandboxs_to_evaluate(expression, value):
    assert inline.evaluate(expression, WITH_THE_DATE) is None
    assert SandboxEnvironment(CalendarConfig(), LIMITS).evaluate(expression, WITH_THE_DATE) == value


REFUSED_BY_THE_SANDBOX = [
    ("amount / zero", "division by zero"),
    ("amount < kind", "TypeError"),
    ("missing > 1", "'missing' is not defined"),
    ("__class__", "names starting or ending with an underscore"),
]


@pytest.mark.parametrize(("expression", "message"), REFUSED_BY_THE_SANDBOX)
def test_an_error_is_worded_by_the_sandbox(expression, message):
    assert inline.evaluate(expression, WITH_THE_DATE) is None
    with pytest.raises(ScriptError, match=message):
        SandboxEnvironment(CalendarConfig(), LIMITS).evaluate(expression, WITH_THE_DATE)


def test_a_script_beyond_plain_assignments_runs_in_the_sandbox():
    for script in ("items.append(3)", "del note", "x = 1\nwhile True:\n    pass", "a, b = 1, 2", "big = 10**10**10"):
        assert inline.execute(script, {"items": [1], "note": None}) is None
    environment = SandboxEnvironment(CalendarConfig(), Limits(timeout_seconds=1.0, memory_mb=128))
    with pytest.raises(ScriptError, match="ran longer than allowed"):
        environment.execute("x = 1\nwhile True:\n    pass", {})


def test_numbers_beyond_64_bits_or_not_finite_go_to_the_sandbox():
    assert inline.evaluate("amount + 1", {"amount": 2**63}) is None
    assert inline.evaluate("amount * amount", {"amount": 2**40}) is None
    assert inline.evaluate("rate * 10", {"rate": 1e308}) is None
    assert inline.execute("rounds = rounds * rounds", {"rounds": 2**40}) is None
