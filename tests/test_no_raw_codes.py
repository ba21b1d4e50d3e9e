"""People reading GEE in Spanish or English never meet the codes of the shipped forms' choices
(``facana_coberta``, ``estimar_parcialment``...): the staff pages and the e-office show words,
and the step and procedure names in their language."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from engine.base.db import db
from engine.base.enum_labels import ENUM_LABELS
from engine.base.settings import PROJECT_ROOT
from engine.demo.data import deploy_shipped_procedures
from engine.process.models import HumanTask, ProcessInstance
from tests.conftest import csrf_token, login, make_user
from tests.test_seu import PDF, citizen_login, token_of

STAFF_ROLES = ("tramitador", "tecnic", "secretari", "alcalde", "dissenyador", "admin")
FILING = {"f_emplacament": "Plaça de l'Església, 1", "f_referencia_cadastral": "4A08169P03PRAT0001LR",
          "f_descripcio_obres": "Pintar la façana", "f_tipus_obra": "facana_coberta", "f_pressupost": "1800"}


def _texts(node: object) -> list[str]:
    """The strings of a JSON value (not its keys: a label's key is ``<field>=<code>``)."""
    if isinstance(node, str):
        return [node]
    values = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return [text for value in values for text in _texts(value)]


def _codes(locale: str) -> set[str]:
    """The enum codes of the shipped forms that are no word of ``locale``: not the code's own label,
    not a word the procedures' texts in that language use on purpose ("deficiencies", "(volant)"),
    and longer than two letters (a language code is too short to tell from text)."""
    words = {word for path in (PROJECT_ROOT / "processes").glob("*.info.json")
             for text in _texts(json.loads(path.read_text(encoding="utf-8")).get("citizen_info", {}).get(locale))
             for word in re.findall(r"\w+", text)}  # fmt: skip
    codes = set()
    for path in (PROJECT_ROOT / "forms").glob("*.json"):
        for prop in json.loads(path.read_text(encoding="utf-8")).get("properties", {}).values():
            labels = prop.get(ENUM_LABELS, {}).get(locale, {})
            codes |= {str(c) for c in prop.get("enum", []) if len(str(c)) > 2 and labels.get(str(c)) != str(c)}
    return codes - words


def _raw_codes(html: str, codes: set[str]) -> set[str]:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", text))
    return {code for code in codes if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)}


def _file_online(client, town) -> int:
    citizen_login(client, town.code)
    path = f"/seu/{town.code}/tramits/comunicacio_previa_obres/sollicitud"
    answer = client.post(path, data={"csrf_token": token_of(client.get(path).get_data(as_text=True)), **FILING,
                                     "documents": [(io.BytesIO(PDF), "annex.pdf")]},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(urlsplit(answer.headers["Location"]).path.rstrip("/").split("/")[-1])


@pytest.mark.parametrize("locale", ["es", "en"])
def test_no_choice_code_shows_on_staff_or_e_office_pages(app, tenant, locale):
    assert all(r.ok for r in deploy_shipped_procedures().values())
    make_user("marta", tenant, STAFF_ROLES, full_name="Marta Soler")
    db.session.commit()
    codes = _codes(locale)
    citizen = app.test_client()
    expedient_id = _file_online(citizen, tenant)
    seu_token = token_of(citizen.get("/seu/").get_data(as_text=True))
    citizen.post("/locale", data={"locale": locale, "csrf_token": seu_token})
    infos = {p.name.removesuffix(".info.json"): json.loads(p.read_text(encoding="utf-8"))
             for p in (PROJECT_ROOT / "processes").glob("*.info.json")}  # fmt: skip
    keys = [key for key, info in infos.items() if info.get("citizen_info")]
    e_office = [f"/seu/{tenant.code}/", f"/seu/{tenant.code}/carpeta", f"/seu/{tenant.code}/carpeta/{expedient_id}",
                *[f"/seu/{tenant.code}/tramits/{key}" for key in keys],
                *[f"/seu/{tenant.code}/tramits/{key}/sollicitud" for key in keys if infos[key].get("start_form")]]

    staff = app.test_client()
    login(staff, "marta")
    staff.post("/locale", data={"locale": locale, "csrf_token": csrf_token(staff, "/"), "next": "/"})
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.expedient_id == expedient_id)).one()
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.state == "ready")).one()  # fmt: skip
    staff_pages = ["/tasks", f"/tasks/{task.id}", f"/expedients/{expedient_id}", "/dashboard/", "/catalogue/"]

    shown = {}
    for client, paths in ((citizen, e_office), (staff, staff_pages)):
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, path
            shown[path] = _raw_codes(page.get_data(as_text=True), codes)
    assert {path: found for path, found in shown.items() if found} == {}
    task_page = unescape(staff.get(f"/tasks/{task.id}").get_data(as_text=True))
    assert {"es": "Fachada o cubierta", "en": "Façade or roof"}[locale] in task_page
    step = {"es": "Comprobar la comunicación", "en": "Check the communication"}[locale]
    procedure = {"es": "Comunicación previa de obras", "en": "Prior notice of works"}[locale]
    inbox = unescape(staff.get("/tasks").get_data(as_text=True))
    assert step in inbox and procedure in inbox and step in task_page
    assert step in unescape(staff.get(f"/expedients/{expedient_id}").get_data(as_text=True))
    # The citizen's folder says where it stands in their language, not the name of an internal step.
    folder = unescape(citizen.get(f"/seu/{tenant.code}/carpeta").get_data(as_text=True))
    assert {"es": "El ayuntamiento lo está tramitando.", "en": "The town hall is processing it."}[locale] in folder
