"""The script sandbox: hostile designer code fails cleanly, ordinary code runs, helpers follow art. 30."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.process.definition import specs
from engine.process.sandbox import runner
from engine.process.sandbox.helpers import HELPER_NAMES, helper_docs
from engine.process.sandbox.runner import CalendarConfig, Limits, SandboxedScriptEngine, SandboxEnvironment, ScriptError
from engine.process.sandbox.script_engine import script_engine_for
from tests.conftest import make_tenant

FIXTURES = Path(__file__).parent / "fixtures" / "bpmn"
LIMITS = Limits(timeout_seconds=1.0, memory_mb=128)


@pytest.fixture(scope="module")
def env() -> SandboxEnvironment:
    return SandboxEnvironment(CalendarConfig(), LIMITS)


HOSTILE = [
    ("import os\nos.listdir('/')", "Line 1: imports are not allowed in scripts."),
    ("x = 1\nfrom os import path", "Line 2: imports are not allowed in scripts."),
    ("data = open('/etc/passwd').read()", "Line 1: 'open' is not available in scripts."),
    ("m = __import__('os')", "__import__"),
    ("c = ().__class__.__bases__[0].__subclasses__()", "__class__"),
    ("c = getattr(amount, '__class__')", "'getattr' is not available in scripts."),
    ("s = '{0.__class__}'.format(amount)", "'format' cannot be used in scripts"),
    ("s = '{x.__class__}'.format_map({'x': amount})", "'format_map' cannot be used in scripts"),
    ("s = f'{amount.__class__}'", "__class__"),
    ("s = str.format('{0.__class__}', amount)", "'format' cannot be used in scripts"),
    ("g = (i for i in [1])\nf = g.gi_frame", "Line 2: 'gi_frame' cannot be used in scripts"),
    ("e = os.environ", "Line 1: 'os' is not defined"),
    ("x = 1\nwhile True:\n    pass", "ran longer than allowed (1 s) and was stopped"),
    ("x = 'a' * 10**10", "Line 1: the script needs more memory than allowed (128 MB)."),
    ("x = [0] * 10**10", "Line 1: the script needs more memory than allowed (128 MB)."),
    ("def f(n):\n    return f(n + 1)\nf(0)", "too many nested calls"),
    ("x = 10 ** 10 ** 10", "ran longer than allowed"),
    ("x = = 1", "Line 1: the code is not valid Python"),
]


@pytest.mark.parametrize(("script", "expected"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_hostile_script_fails_cleanly_and_the_next_one_runs(env, script, expected):
    data = {"amount": 10}
    with pytest.raises(ScriptError) as caught:
        env.execute(script, data)
    assert expected in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert data == {"amount": 10}, "a failed script changes nothing"
    after = {"amount": 10}
    env.execute("doubled = amount * 2", after)
    assert after == {"amount": 10, "doubled": 20}


def test_condition_evaluates_like_python(env):
    condition = "amount > 1000 and kind == 'major'"
    assert env.evaluate(condition, {"amount": 1500, "kind": "major"}) is True
    assert env.evaluate(condition, {"amount": 1000, "kind": "major"}) is False
    assert env.evaluate(condition, {"amount": 5000, "kind": "minor"}) is False


def test_script_changes_come_back_and_untouched_values_keep_their_type(env):
    submitted = date(2026, 11, 20)
    data = {"submitted_on": submitted, "items": [1, 2], "old": "x", "amount": 10}
    env.execute("items.append(3)\ndel old\ntotal = sum(items) + amount\ntags = {'b', 'a'}", data)
    assert data == {"submitted_on": submitted, "items": [1, 2, 3], "amount": 10, "total": 16, "tags": ["a", "b"]}
    assert data["submitted_on"] is submitted


def test_dates_reach_scripts_as_iso_text(env):
    data = {"submitted_on": date(2026, 11, 20)}
    env.execute("copy = submitted_on\nday = format_date(submitted_on)", data)
    assert data["copy"] == "2026-11-20"
    assert data["day"] == "20/11/2026"


def test_task_data_cannot_replace_the_guards(env):
    data = {"_getattr_": "boom", "__builtins__": {}, "amount": 2}
    env.execute("y = amount + 1", data)
    assert data["y"] == 3


def test_a_variable_may_shadow_a_helper_name(env):
    data = {"months": 6}
    env.execute("half = months / 2", data)
    assert data == {"months": 6, "half": 3.0}


def test_script_failure_in_a_workflow_names_element_and_line():
    bpmn = (FIXTURES / "hostile" / "hostile_script.bpmn").read_text()
    spec, subprocesses = specs.build_spec(bpmn, {}, "hostile_script")
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=SandboxedScriptEngine(limits=LIMITS))
    workflow.get_tasks(state=TaskState.READY)[0].data["amount"] = 21
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    error = caught.value
    assert error.task.task_spec.name == "escape"
    assert error.line_number == 2
    assert error.error_line == "secret = getattr(total, '__class__')"
    assert "'getattr' is not available in scripts" in str(error)


# --- helpers: terms per art. 30 Ley 39/2015 -----------------------------------------------------


def test_working_days_skip_weekends_and_start_the_next_day(env):
    # Notified Friday 20 Nov 2026: days 1-5 are 23-27 Nov, days 6-10 are 30 Nov-4 Dec.
    assert env.evaluate("working_days(10, '2026-11-20')", {}) == "2026-12-04T23:59:59+01:00"


def test_working_days_skip_national_holidays(env):
    # From Monday 30 Nov 2026: 1-4 Dec, 7 Dec, (8 Dec Immaculada is a holiday), 9-11, 14, 15 Dec.
    assert env.evaluate("working_days(10, '2026-11-30')", {}) == "2026-12-15T23:59:59+01:00"


def test_working_days_use_the_tenants_local_holidays():
    local = SandboxEnvironment(CalendarConfig(local_holidays=("2026-12-02",)), LIMITS)
    assert local.evaluate("working_days(10, '2026-11-30')", {}) == "2026-12-16T23:59:59+01:00"


def test_aran_swaps_sant_esteve_for_17_june():
    aran = SandboxEnvironment(CalendarConfig(aran=True), LIMITS)
    rest = SandboxEnvironment(CalendarConfig(), LIMITS)
    # 26 Dec 2025 is a Friday; 17 Jun 2026 a Wednesday.
    assert aran.evaluate("is_working_day('2025-12-26')", {}) is True
    assert rest.evaluate("is_working_day('2025-12-26')", {}) is False
    assert aran.evaluate("is_working_day('2026-06-17')", {}) is False
    assert rest.evaluate("is_working_day('2026-06-17')", {}) is True


def test_tenant_calendar_reaches_the_sandbox():
    tenant = make_tenant(local_holidays={"2026": ["2026-12-02"]})
    engine = script_engine_for(tenant)
    assert engine.environment.evaluate("working_days(10, '2026-11-30')", {}) == "2026-12-16T23:59:59+01:00"


def test_natural_days_end_moves_off_a_weekend(env):
    assert env.evaluate("natural_days(10, '2026-11-20')", {}) == "2026-11-30T23:59:59+01:00"
    # 18 Nov + 10 natural days = Saturday 28 Nov: the term ends on Monday 30 Nov (art. 30.5).
    assert env.evaluate("natural_days(10, '2026-11-18')", {}) == "2026-11-30T23:59:59+01:00"


def test_months_end_on_the_last_day_of_a_shorter_month_then_next_working_day(env):
    # 31 Jan + 1 month: February has no 31st -> 28 Feb 2026, a Saturday -> Monday 2 March.
    assert env.evaluate("months(1, '2026-01-31')", {}) == "2026-03-02T23:59:59+01:00"
    assert env.evaluate("months(2, '2026-03-10')", {}) == "2026-05-11T23:59:59+02:00"


def test_timer_expression_gives_an_aware_datetime(env):
    value = env.evaluate("working_days(10)", {})
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None
    assert moment.date() > date.today()
    assert (moment.hour, moment.minute, moment.second) == (23, 59, 59)


def test_scripts_count_from_the_engines_clock_in_catalan_time(env, monkeypatch):
    """The sandbox child is another process: "today" is the moment the engine runs the step."""
    monkeypatch.setattr(runner, "utcnow", lambda: datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    # 23:30 UTC on New Year's Eve is 00:30 on Friday 1 January 2027 (a holiday) in Catalonia: a
    # one-working-day term notified then ends on Monday 4 January.
    assert env.evaluate("today()", {}) == "2027-01-01"
    assert env.evaluate("working_days(1)", {}) == "2027-01-04T23:59:59+01:00"


def test_formatting_helpers(env):
    assert env.evaluate("format_amount(1234.56)", {}) == "1.234,56 €"
    assert env.evaluate("format_amount(1000000)", {}) == "1.000.000,00 €"
    assert env.evaluate("format_amount(-5.005)", {}) == "-5,01 €"
    assert env.evaluate("format_date('2026-11-21')", {}) == "21/11/2026"
    assert env.evaluate("add_days('2026-11-21', 3)", {}) == "2026-11-24"
    assert env.evaluate("today() <= add_days(today(), 1)", {}) is True


def test_a_helper_misuse_is_explained(env):
    with pytest.raises(ScriptError) as caught:
        env.evaluate("working_days(10, 'next tuesday')", {})
    assert "start must be a date like 2026-11-21" in str(caught.value)


def test_every_helper_is_documented():
    docs = helper_docs()
    assert set(docs) == set(HELPER_NAMES)
    assert all(len(text) > 20 for text in docs.values())


def test_indented_xml_text_still_runs(env):
    assert env.evaluate("\n      amount > 1000\n    ", {"amount": 1001}) is True
    data = {"amount": 1}
    env.execute("\n    total = amount + 1\n    double = total * 2\n", data)
    assert data == {"amount": 1, "total": 2, "double": 4}
