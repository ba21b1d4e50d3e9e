"""Deploy refuses a model whose scripts, conditions, timers or service parameters read a name that
nothing in the procedure defines (a typo), and accepts every name that is really defined."""

from __future__ import annotations

from pathlib import Path

from engine.process.definition.deploy import deploy_process
from tests.conftest import ctx_for, make_user

EXAMPLE = Path(__file__).parent.parent / "examples" / "sol-licitud-de-prova"
BPMN = (EXAMPLE / "sollicitud_de_prova.bpmn").read_text(encoding="utf-8")


def _deploy(tenant, text):
    ctx = ctx_for(make_user(f"dis-{tenant.code}", tenant, roles=("dissenyador",)), tenant)
    return deploy_process(ctx, text, forms_dir=EXAMPLE / "forms", templates_dir=EXAMPLE / "templates")


def _problems(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_the_example_as_shipped_deploys(tenant):
    assert _problems(_deploy(tenant, BPMN)) == []


def test_a_typo_in_a_script_is_refused_with_the_element_and_the_name(tenant):
    text = BPMN.replace("working_days(10, data_entrada)", "working_days(10, data_entrda)")
    result = _deploy(tenant, text)
    assert result.version is None
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.element_id == "SC_termini"
    assert "data_entrda" in str(problem.message) and "nothing defines it" in str(problem.message)


def test_a_typo_in_a_service_parameter_is_refused(tenant):
    text = BPMN.replace("value=\"doc_resposta['document_id']\"", "value=\"doc_respost['document_id']\"")
    result = _deploy(tenant, text)
    assert [(p.element_id, "doc_respost" in str(p.message)) for p in result.problems] == [("S_notificar", True)]


def test_the_message_is_translated(tenant, app):
    from flask_babel import force_locale

    text = BPMN.replace("working_days(10, data_entrada)", "working_days(10, data_entrda)")
    result = _deploy(tenant, text)
    with app.test_request_context(), force_locale("ca"):
        catalan = str(result.problems[0].message)
    with app.test_request_context(), force_locale("es"):
        spanish = str(result.problems[0].message)
    assert "data_entrda" in catalan and "data_entrda" in spanish
    assert catalan != spanish and "nothing defines it" not in catalan


def test_start_data_helpers_builtins_and_local_names_are_defined(tenant):
    script = (
        "total = sum([d for d in documents_presentats]) + len(sollicitud or {})\n"
        "darrer = max(registre_entrada, str(interessat)) if is_working_day(today()) else ''\n"
        "arrodonit = math.floor(round(1.5))\n"
        "dobles = list(map(lambda x: x * 2, [1, 2]))"
    )
    text = BPMN.replace("import_text = format_amount(import_sollicitat)", script)
    assert _problems(_deploy(tenant, text)) == []
