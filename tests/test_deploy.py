"""Deploying process models: validation reports every problem, versions are immutable and
content-addressed, shared models reach every tenant, hostile files are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden, NotFound
from engine.process.definition import catalogue, specs
from engine.process.definition.deploy import deploy_process
from engine.process.models import ProcessVersion
from tests.conftest import ctx_for, make_tenant, make_user
from webapp.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "bpmn"
FORMS = FIXTURES / "forms"
TEMPLATES = FIXTURES / "templates"
OBRES = FIXTURES / "obres.bpmn"
OBRES_KEY = "llicencia_obres_test"


def deploy(source, **kwargs):
    kwargs.setdefault("forms_dir", FORMS)
    kwargs.setdefault("templates_dir", TEMPLATES)
    return deploy_process(kwargs.pop("ctx", None), source, **kwargs)


def designer(tenant, name="dissenyadora"):
    return ctx_for(make_user(f"{name}-{tenant.code}", tenant, roles=("dissenyador",)), tenant)


def platform_admin(tenant) -> Context:
    return Context(tenant_id=tenant.id, user_id=None, username="plataforma", platform_admin=True)


def messages(result) -> dict[str, str]:
    return {p.element_id: str(p.message) for p in result.problems}


# --- a good model ------------------------------------------------------------------------------


def test_deploy_stores_everything_the_version_needs(tenant):
    result = deploy(OBRES, ctx=designer(tenant))
    db.session.commit()
    assert result.problems == []
    version = result.version
    assert result.created and version.number == 1
    assert version.model.key == OBRES_KEY and version.model.tenant_id == tenant.id
    assert version.model.name == "Llicència d'obres (test)"
    assert set(version.forms) == {"request.schema.json", "request.uischema.json"}
    assert version.forms["request.schema.json"]["required"] == ["kind", "amount", "submitted_on"]
    assert "amount_text" in version.templates["informe.html"]
    assert list(version.dmn_files) == ["fee.dmn"], "only the DMN the model calls is bundled"
    assert version.lanes == {"Tramitador": "tramitador", "Tècnic municipal": "tecnic"}
    assert len(version.content_hash) == 64
    spec, _subprocesses = specs.load_spec(version.spec_json)
    assert spec.name == OBRES_KEY and "fee" in spec.task_specs
    events = db.session.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)).scalars().all()
    assert [(e.action, e.actor) for e in events] == [("process.deploy", f"dissenyadora-{tenant.code}")]
    assert events[0].after["number"] == 1


def test_same_content_gives_the_same_version_and_new_content_the_next(tenant, tmp_path):
    first = deploy(OBRES, tenant_id=tenant.id).version
    again = deploy(OBRES, tenant_id=tenant.id)
    assert again.version.id == first.id and not again.created
    changed = tmp_path / "obres.bpmn"
    changed.write_text(OBRES.read_text().replace("Calcula el termini", "Calcula el termini d'esmena"))
    shutil.copy(FIXTURES / "fee.dmn", tmp_path / "fee.dmn")
    second = deploy(changed, tenant_id=tenant.id)
    assert second.created and second.version.number == 2
    assert second.version.model_id == first.model_id
    deploys = db.session.execute(select(AuditEvent).where(AuditEvent.action == "process.deploy")).scalars().all()
    assert len(deploys) == 2, "an unchanged deploy records nothing"


def test_editing_a_form_later_does_not_change_the_deployed_version(tenant, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    version = deploy(OBRES, tenant_id=tenant.id, forms_dir=forms).version
    db.session.commit()
    schema_file = forms / "request.schema.json"
    schema_file.write_text(schema_file.read_text().replace("Tipus d'obra", "Classe d'obra"))
    stored = db.session.get(ProcessVersion, version.id)
    assert stored.forms["request.schema.json"]["properties"]["kind"]["title"] == "Tipus d'obra"
    redeployed = deploy(OBRES, tenant_id=tenant.id, forms_dir=forms)
    assert redeployed.created and redeployed.version.number == 2
    assert redeployed.version.forms["request.schema.json"]["properties"]["kind"]["title"] == "Classe d'obra"


def test_bpmn_given_as_text(tenant):
    result = deploy(OBRES.read_text(), tenant_id=tenant.id, dmn_files={"fee.dmn": (FIXTURES / "fee.dmn").read_text()})
    assert result.ok and result.version.dmn_files.keys() == {"fee.dmn"}


def test_files_saved_with_a_byte_order_mark_are_read_as_written(tenant):
    """Windows Notepad starts a UTF-8 file with a byte-order mark: the upload takes the form as written."""
    from engine.process.definition.deploy import deploy_uploaded

    forms = {f.name: b"\xef\xbb\xbf" + f.read_bytes() for f in FORMS.iterdir() if f.suffix == ".json"}
    templates = {f.name: f.read_bytes() for f in TEMPLATES.iterdir() if f.is_file()}
    result = deploy_uploaded(designer(tenant), OBRES.read_text(), forms=forms, templates=templates,
                             dmn_files={"fee.dmn": (FIXTURES / "fee.dmn").read_bytes()})
    assert result.problems == []
    assert result.version.forms["request.schema.json"]["required"] == ["kind", "amount", "submitted_on"]


# --- templates that extend or include others ---------------------------------------------------

INFORME = '{% extends "_base.html" %}{% block body %}{{ amount_text }}{% endblock %}'


def _templates(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_templates_a_template_extends_or_includes_are_bundled(tenant, tmp_path):
    templates = _templates(tmp_path / "templates", {
        "informe.html": INFORME,
        "_base.html": '<h1>{% block body %}{% endblock %}</h1>{% include "_peu.html" %}',
        "_peu.html": "<footer>Ajuntament</footer>",
        "_unused.html": "no task uses it",
    })  # fmt: skip
    result = deploy(OBRES, tenant_id=tenant.id, templates_dir=templates)
    assert result.ok, result.problems
    assert set(result.version.templates) == {"informe.html", "_base.html", "_peu.html"}


def test_a_missing_parent_template_is_reported_with_the_task(tenant, tmp_path):
    templates = _templates(tmp_path / "templates", {"informe.html": INFORME, "_base.html": '{% include "_peu.html" %}'})
    result = deploy(OBRES, tenant_id=tenant.id, templates_dir=templates)
    assert result.version is None
    assert messages(result) == {"report": "The document template _peu.html, which _base.html extends or includes, "
                                          "does not exist in the templates folder."}  # fmt: skip


def test_a_template_name_computed_at_run_time_is_refused(tenant, tmp_path):
    templates = _templates(tmp_path / "templates", {"informe.html": "{% include amount_text %}"})
    result = deploy(OBRES, tenant_id=tenant.id, templates_dir=templates)
    assert "informe.html extends or includes a template whose name is computed" in messages(result)["report"]


# --- every problem at once ---------------------------------------------------------------------


def test_every_problem_is_reported_with_its_element(tenant):
    result = deploy(FIXTURES / "broken" / "many_problems.bpmn", tenant_id=tenant.id)
    assert result.version is None
    found = messages(result)
    expected = {
        "g_complex": "complex gateways are not supported",
        "lane_bad": "The lane Bibliotecari maps to no role",
        "lane_bad_role": "role conserge, which does not exist",
        "t_missing_form": "The form missing.schema.json does not exist",
        "t_bad_schema": "is not a valid JSON Schema",
        "t_not_json": "is not valid JSON (line 2",
        "s_import": "Line 2: imports are not allowed in scripts.",
        "s_syntax": "Line 1: the code is not valid Python",
        "f_bad_cond": "The condition cannot be evaluated",
        "timer_bad_name": "'working_dayz' is not defined",
        "timer_bad_value": "it must give an ISO 8601 duration",
        "call_missing": "calls no_such_process, which is not deployed",
        "rule_missing": "The decision no_such_decision is not defined",
        "unreadable.dmn": "The DMN file is not well-formed XML (line 4",
    }
    for element_id, text in expected.items():
        assert text in found.get(element_id, ""), f"{element_id}: {found.get(element_id)}"
    no_lane = [str(p.message) for p in result.problems if p.element_id == "t_no_lane"]
    assert any("is in no lane" in m for m in no_lane)
    assert any("broken.html has an error on line 1" in m for m in no_lane)
    assert all("Traceback" not in str(p) for p in result.problems)
    assert db.session.execute(select(ProcessVersion)).first() is None, "nothing is stored"


def test_broken_dmn_is_reported(tenant):
    result = deploy(FIXTURES / "dmn_invalid" / "obres.bpmn", tenant_id=tenant.id)
    assert result.version is None
    assert "fee.dmn cannot be used" in messages(result)["rule_minor_out"]


def test_no_executable_process(tenant):
    text = OBRES.read_text().replace('isExecutable="true"', 'isExecutable="false"')
    result = deploy(text, tenant_id=tenant.id)
    assert [str(p.message) for p in result.problems] == [
        "The file has no executable process: mark the process as executable."
    ]


def test_an_id_the_engine_keeps_for_itself_is_refused_with_its_element(tenant):
    start_id = OBRES.read_text().split('<bpmn:startEvent id="', 1)[1].split('"', 1)[0]
    text = OBRES.read_text().replace(f'"{start_id}"', '"Start"')
    result = deploy(text, tenant_id=tenant.id, dmn_files={"fee.dmn": (FIXTURES / "fee.dmn").read_text()})
    assert result.version is None
    assert messages(result)["Start"] == "The id Start is reserved by the process engine: give the element another id."


def test_spiffworkflow_parse_errors_name_the_element(tenant):
    text = OBRES.read_text().replace('targetRef="fee" />', 'targetRef="nowhere" />')
    result = deploy(text, tenant_id=tenant.id, dmn_files={"fee.dmn": (FIXTURES / "fee.dmn").read_text()})
    assert result.version is None
    assert any("The engine cannot" in str(p.message) for p in result.problems)


def test_a_form_name_cannot_leave_the_forms_folder(tenant):
    text = OBRES.read_text().replace('value="request.schema.json"', 'value="../../../etc/passwd"')
    result = deploy(text, tenant_id=tenant.id, dmn_files={"fee.dmn": (FIXTURES / "fee.dmn").read_text()})
    assert "is not valid" in messages(result)["request"]


# --- hostile files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["billion_laughs.bpmn", "xxe_file.bpmn", "dtd_network.bpmn"])
def test_entity_and_dtd_tricks_are_refused(tenant, name):
    result = deploy(FIXTURES / "hostile" / name, tenant_id=tenant.id)
    assert [str(p) for p in result.problems] == [
        f"{name}: The file declares a DOCTYPE or entities, which are not allowed in BPMN files."
    ]


def test_not_well_formed_xml_gives_the_line(tenant):
    result = deploy(FIXTURES / "hostile" / "not_well_formed.bpmn", tenant_id=tenant.id)
    (problem,) = result.problems
    assert problem.line == 5
    assert "The file is not well-formed XML (line 5" in str(problem.message)


def test_a_file_over_the_size_limit_is_refused_unread(tenant, tmp_path, app):
    limit = app.config["GEE_SETTINGS"].max_bpmn_bytes
    big = tmp_path / "big.bpmn"
    big.write_text(OBRES.read_text().replace("<bpmn:process", "<!--" + "x" * limit + "--><bpmn:process", 1))
    result = deploy(big, tenant_id=tenant.id)
    assert [str(p) for p in result.problems] == [f"big.bpmn: The file is larger than the {limit // 1024} KB allowed."]


def test_hostile_script_in_a_model_is_refused_at_deploy(tenant, tmp_path):
    text = (FIXTURES / "calls" / "subtramit.bpmn").read_text().replace(
        "notified = True", "notified = ().__class__.__bases__[0].__subclasses__()"
    )
    result = deploy(text, tenant_id=tenant.id)
    assert "names starting or ending with an underscore" in messages(result)["sub_mark"]


# --- shared models, visibility, call activities --------------------------------------------------


def test_shared_models_reach_every_tenant_and_a_tenant_model_wins(app):
    provincial = make_tenant("diba", "Servei provincial", kind="provincial")
    a = make_tenant("ajt-a", "Ajuntament A")
    b = make_tenant("ajt-b", "Ajuntament B")
    shared = deploy(OBRES, shared=True)
    assert shared.ok and shared.version.model.tenant_id is None
    ctx_a, ctx_b = designer(a), designer(b)
    assert catalogue.resolve_model_for_start(ctx_a, OBRES_KEY).id == shared.version.id
    assert catalogue.resolve_model_for_start(ctx_b, OBRES_KEY).id == shared.version.id
    own = deploy(OBRES, ctx=ctx_a)
    assert own.created and own.version.model.tenant_id == a.id
    assert catalogue.resolve_model_for_start(ctx_a, OBRES_KEY).id == own.version.id
    assert catalogue.resolve_model_for_start(ctx_b, OBRES_KEY).id == shared.version.id
    assert [m.tenant_id for m in catalogue.list_models(ctx_a)] == [a.id, None]
    assert [m.tenant_id for m in catalogue.list_models(ctx_b)] == [None]
    with pytest.raises(NotFound):
        catalogue.get_version(ctx_b, own.version.id)
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.tenant_id == provincial.id)).scalars().all()
    assert [e.action for e in audit] == ["process.deploy"], "shared deploys are audited by the provincial service"


def test_unpublishing_stops_new_starts(tenant):
    ctx = designer(tenant)
    model = deploy(OBRES, ctx=ctx).version.model
    catalogue.unpublish(ctx, model.id)
    with pytest.raises(NotFound):
        catalogue.resolve_model_for_start(ctx, OBRES_KEY)
    catalogue.publish(ctx, model.id)
    assert catalogue.resolve_model_for_start(ctx, OBRES_KEY).model_id == model.id
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars().all()
    assert actions == ["process.deploy", "process.unpublish", "process.publish"]


def test_only_platform_admins_manage_shared_models():
    a = make_tenant("ajt-a", "Ajuntament A")
    model = deploy(OBRES, shared=True).version.model
    with pytest.raises(Forbidden):
        catalogue.unpublish(designer(a), model.id)
    with pytest.raises(Forbidden):
        deploy(OBRES, ctx=designer(a, "altra"), shared=True)
    catalogue.unpublish(platform_admin(a), model.id)
    with pytest.raises(NotFound):
        catalogue.resolve_model_for_start(designer(a, "tercera"), OBRES_KEY)


def test_a_clerk_cannot_deploy(tenant):
    clerk = ctx_for(make_user("clerk", tenant, roles=("tramitador",)), tenant)
    with pytest.raises(Forbidden):
        deploy(OBRES, ctx=clerk)


def test_adopting_a_shared_model_copies_its_version():
    a = make_tenant("ajt-a", "Ajuntament A")
    shared = deploy(OBRES, shared=True).version
    ctx = designer(a)
    adopted = catalogue.adopt_shared(ctx, shared.model_id)
    assert adopted.tenant_id == a.id and adopted.adopted_from_id == shared.model_id
    version = catalogue.resolve_model_for_start(ctx, OBRES_KEY)
    assert version.model_id == adopted.id and version.content_hash == shared.content_hash
    again = deploy(OBRES, ctx=ctx)
    assert not again.created and again.version.id == version.id, "same content: still version 1"


def test_call_activity_needs_the_called_model_deployed_and_pins_it(tenant):
    caller = FIXTURES / "calls" / "caller.bpmn"
    refused = deploy(caller, tenant_id=tenant.id)
    assert "calls subtramit_notificacio, which is not deployed" in messages(refused)["call_notify"]
    called = deploy(FIXTURES / "calls" / "subtramit.bpmn", shared=True).version
    result = deploy(caller, tenant_id=tenant.id)
    assert result.ok
    assert result.version.called_versions == {"subtramit_notificacio": called.id}
    _spec, subprocesses = specs.load_spec(result.version.spec_json)
    assert "sub_mark" in subprocesses["subtramit_notificacio"].task_specs


# --- the command line ----------------------------------------------------------------------------


def test_cli_deploys_and_reports_unchanged(app, tenant):
    runner = app.test_cli_runner()
    args = ["deploy", str(OBRES), "--tenant", tenant.code, "--forms-dir", str(FORMS), "--templates-dir", str(TEMPLATES)]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"Deployed {OBRES_KEY} version 1 (")
    second = runner.invoke(main, args)
    assert second.exit_code == 0
    assert f"{OBRES_KEY} unchanged: version 1" in second.output
    # the fixture's tasks, its deadline and form texts are only Catalan: deployed all the same, with a
    # warning for each
    warnings = [line.split(":")[1].strip() for line in first.output.splitlines() if line.startswith("warning: ")]
    assert warnings == ["request", "report", "wait_term", "request.schema.json", "request.schema.json / kind",
                        "request.schema.json / amount", "request.schema.json / submitted_on"]  # fmt: skip
    assert first.output.count("name_es, name_en") == 3 and first.output.count("No es, en in x-labels") == 4


def test_cli_prints_problems_one_per_line_and_exits_1(app, tenant):
    broken = FIXTURES / "broken" / "many_problems.bpmn"
    result = app.test_cli_runner().invoke(main, ["deploy", str(broken), "--tenant", tenant.code,
                                                 "--forms-dir", str(FORMS), "--templates-dir", str(TEMPLATES)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "s_import: The script cannot run: Line 2: imports are not allowed in scripts." in lines
    assert any(line.startswith("t_missing_form: The form missing.schema.json") for line in lines)


def test_cli_needs_tenant_or_shared(app):
    result = app.test_cli_runner().invoke(main, ["deploy", str(OBRES)])
    assert result.exit_code == 2
    assert "--tenant CODE or --shared" in result.output


def test_a_sidecar_subject_field_the_start_form_lacks_is_reported(tenant, tmp_path):
    """A typo in ``subject_fields`` would leave every filing's subject without what tells it apart."""
    shipped = Path(__file__).resolve().parent.parent / "processes"
    for name in ("llicencia_obres_menors.bpmn", "tributs_obres.dmn"):
        shutil.copy(shipped / name, tmp_path)
    info = (shipped / "llicencia_obres_menors.info.json").read_text(encoding="utf-8")
    (tmp_path / "llicencia_obres_menors.info.json").write_text(
        info.replace('"subject_fields": ["descripcio_obres", "emplacament"]', '"subject_fields": ["descripcio_obra"]'),
        encoding="utf-8")
    result = deploy_process(None, tmp_path / "llicencia_obres_menors.bpmn", tenant_id=tenant.id)
    assert not result.ok
    assert "subject_fields names descripcio_obra" in messages(result)["llicencia_obres_menors.info.json"]
    shutil.copy(shipped / "llicencia_obres_menors.info.json", tmp_path)
    assert deploy_process(None, tmp_path / "llicencia_obres_menors.bpmn", tenant_id=tenant.id).ok
