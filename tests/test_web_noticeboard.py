"""Publishing an edict from the notice board page: the clerk names the expedient by its number (from
the expedient page it comes filled in), picks among its issued documents, and a refusal keeps what
was typed with the reason beside the field; nothing of another town is reachable."""

from __future__ import annotations

import re

import pytest

from engine.base.db import db
from engine.documents.documents import issue_document, store_document
from engine.noticeboard import edicts
from engine.noticeboard.models import Edict
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login_en, open_case, their_issued_document, token

PDF = b"%PDF-1.4\n% projecte\n%%EOF\n"
TEXT = "Es sotmet a informació pública el projecte de la piscina municipal."


@pytest.fixture
def case(world):
    """An open expedient with an issued project; a draft report and a registry receipt, not publishable."""
    expedient = open_case(world, subject="Projecte de la piscina municipal").expedient
    ctx = ctx_for(world.clerk, world.tenant)
    project = store_document(ctx, expedient.id, "projecte.pdf", PDF, title="Projecte bàsic", tipo_documental="TD99",
                             from_administration=True)
    issue_document(ctx, project.id)
    draft = store_document(ctx, expedient.id, "esborrany.pdf", PDF + b"%x\n", title="Esborrany d'informe",
                           tipo_documental="TD13", from_administration=True)
    receipt = store_document(ctx, expedient.id, "justificant.pdf", PDF + b"%r\n", title="Justificant de presentació",
                             tipo_documental="TD09", from_administration=True)
    issue_document(ctx, receipt.id)
    db.session.commit()
    return {"expedient": expedient, "project": project, "draft": draft}


def _edicts() -> list[Edict]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Edict)).scalars())


def test_from_the_expedient_page_the_form_knows_the_expedient_and_its_documents(client, world, case):
    expedient, project = case["expedient"], case["project"]
    login_en(client, "anna")
    page = client.get(f"/expedients/{expedient.id}").get_data(as_text=True)
    link = re.search(r'<a class="btn btn-outline-secondary" id="publish-edict" href="([^"]+)"', page)
    assert link and link.group(1) == f"/noticeboard?number={expedient.number}#publish-form"

    board = client.get(link.group(1).split("#")[0]).get_data(as_text=True)
    assert f'value="{expedient.number}"' in board
    assert f'name="document_ids" value="{project.id}"' in board and "Projecte bàsic" in board
    assert "Esborrany d'informe" not in board  # not issued: not for the public board
    assert "Justificant de presentació" not in board  # a receipt names who filed: never on the board

    answer = client.post("/noticeboard", data={
        "csrf_token": token(client), "number": expedient.number, "title": "Informació pública: piscina",
        "text": TEXT, "working_days": "20", "document_ids": [str(project.id)]})
    assert answer.status_code == 302
    [edict] = _edicts()
    assert (edict.expedient_id, edict.document_ids) == (expedient.id, [project.id])
    listed = client.get("/noticeboard").get_data(as_text=True)
    assert f'<a href="/expedients/{expedient.id}">{expedient.number}</a>' in listed


def test_the_documents_appear_as_the_number_is_typed(client, world, case):
    login_en(client, "anna")
    found = client.get(f"/noticeboard/documents?number={case['expedient'].number}", headers={"HX-Request": "true"})
    assert "Projecte bàsic" in found.get_data(as_text=True) and "<html" not in found.get_data(as_text=True)
    unknown = client.get("/noticeboard/documents?number=2026/999999").get_data(as_text=True)
    assert "No case file numbered 2026/999999." in unknown and "document_ids" not in unknown


def test_a_refusal_keeps_what_was_typed_and_says_why_beside_the_field(client, world, case):
    login_en(client, "anna")
    typed = {"csrf_token": token(client), "number": "2026/999999", "title": "Informació pública: piscina",
             "text": TEXT, "working_days": "20"}
    answer = client.post("/noticeboard", data=typed)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert field_error(html, "number") == "No case file numbered 2026/999999."
    assert 'value="Informació pública: piscina"' in html and f">{TEXT}</textarea>" in html

    no_title = client.post("/noticeboard", data={**typed, "csrf_token": token(client),
                                                "number": case["expedient"].number, "title": " ",
                                                "document_ids": [str(case["project"].id)]})
    html = no_title.get_data(as_text=True)
    assert no_title.status_code == 422 and field_error(html, "title") == "This field is required."
    assert f'value="{case["project"].id}" checked' in html  # the chosen document stays chosen

    too_long = client.post("/noticeboard", data={**typed, "csrf_token": token(client),
                                                 "number": case["expedient"].number, "working_days": "400"})
    assert too_long.status_code == 422 and field_error(too_long.get_data(as_text=True), "working_days")
    assert _edicts() == []


def test_another_towns_expedient_and_documents_are_unknown_here(client, world, case):
    theirs, their_doc = their_issued_document(world, PDF)
    db.session.commit()
    login_en(client, "anna")
    # Same number in both towns: here it is ours, and their document cannot ride along with our edict.
    assert theirs.expedient.number == case["expedient"].number
    answer = client.post("/noticeboard", data={
        "csrf_token": token(client), "number": case["expedient"].number, "title": "Edicte", "text": TEXT,
        "working_days": "20", "document_ids": [str(their_doc.id)]})
    assert answer.status_code == 404 and _edicts() == []


def test_a_refused_withdrawal_says_why_beside_its_reason(client, world, case):
    login_en(client, "anna")
    client.post("/noticeboard", data={"csrf_token": token(client), "number": case["expedient"].number,
                                      "title": "Informació pública: piscina", "text": TEXT, "working_days": "20"})
    [edict] = _edicts()
    path = f"/noticeboard/{edict.id}/withdraw"
    blank = client.post(path, data={"csrf_token": token(client), "reason": "  "})
    html = blank.get_data(as_text=True)
    assert blank.status_code == 422 and field_error(html, f"reason-{edict.id}") == "Say why it is withdrawn."
    assert f'aria-describedby="reason-{edict.id}-error"' in html
    assert _edicts()[0].withdrawn_at is None
    assert client.post(path, data={"csrf_token": token(client), "reason": "Error en el text"}).status_code == 302
    again = client.post(path, data={"csrf_token": token(client), "reason": "Un altre cop"})
    assert again.status_code == 409
    assert field_error(again.get_data(as_text=True), "withdraw") == "This edict is no longer on the board."


def test_a_public_information_edict_counts_its_allegations_on_the_staff_board(client, world, case):
    from engine.base.clock import local_date, utcnow
    from engine.noticeboard.public_information import file_allegation, open_public_information

    ctx, expedient = ctx_for(world.clerk, world.tenant), case["expedient"]
    today = local_date(utcnow())
    public = open_public_information(ctx, expedient.id, title="Informació pública: piscina", text=TEXT,
                                     starts_on=today)
    edicts.publish(ctx, expedient.id, title="Anunci de licitació", text="Licitació de la piscina.", starts_on=today,
                   working_days=10)
    for nif, name in (("12345678Z", "Maria Garcia"), ("00000000T", "Pere Vidal")):
        file_allegation(ctx, public.id, nif=nif, name=name, text="Demano que la piscina sigui coberta.")
    db.session.commit()
    login_en(client, "anna")

    board = client.get("/noticeboard").get_data(as_text=True)

    assert re.findall(r'data-allegations="(\d+)"', board) == ["2"]  # only the public information takes them
    assert f'<a href="/expedients/{expedient.id}#registry-title">2 allegations received</a>' in board


def test_the_exposure_is_given_by_its_last_day_or_its_working_days_never_both_nor_neither(client, world, case):
    from datetime import timedelta

    from engine.base.clock import local_date, utcnow

    login_en(client, "anna")
    today = local_date(utcnow())
    typed = {"number": case["expedient"].number, "title": "Informació pública: piscina", "text": TEXT,
             "starts_on": today.isoformat()}
    both = client.post("/noticeboard", data={"csrf_token": token(client), **typed,
                                             "ends_on": (today + timedelta(days=30)).isoformat(), "working_days": "20"})
    html = both.get_data(as_text=True)
    assert both.status_code == 422
    assert field_error(html, "working_days") == "Give the last day or the working days, not both."
    assert 'value="20"' in html and f'value="{today + timedelta(days=30)}"' in html  # both kept to choose from

    neither = client.post("/noticeboard", data={"csrf_token": token(client), **typed})
    assert neither.status_code == 422
    assert field_error(neither.get_data(as_text=True), "ends_on") == (
        "Give the last day of the exposure or how many working days it lasts.")
    assert _edicts() == []


def test_a_title_or_text_too_long_is_refused_beside_it_not_cut(client, world, case):
    login_en(client, "anna")
    typed = {"number": case["expedient"].number, "title": "Informació pública: piscina", "text": TEXT,
             "working_days": "20"}
    title = "Aprovació inicial del projecte " + "x" * 271  # 301 characters: one more than an edict's title holds
    long_title = client.post("/noticeboard", data={"csrf_token": token(client), **typed, "title": title})
    html = long_title.get_data(as_text=True)
    assert long_title.status_code == 422
    assert field_error(html, "title") == "Give a title of at most 300 characters."
    assert f'value="{title}"' in html  # as typed, for the clerk to shorten

    line = "Paràgraf de l'edicte.\r\n"  # 21 characters and a line end, one character as the clerk sees it
    text = line * 910  # 20,019 characters once the last line end is trimmed
    long_text = client.post("/noticeboard", data={"csrf_token": token(client), **typed, "text": text})
    assert long_text.status_code == 422
    assert field_error(long_text.get_data(as_text=True), "text") == "Give a text of at most 20,000 characters."
    assert _edicts() == []

    fits = line * 909  # 19,997 (20,905 if each CRLF counted two): line ends count one, as in the browser's box
    answer = client.post("/noticeboard", data={"csrf_token": token(client), **typed, "title": title[:300],
                                               "text": fits})
    assert answer.status_code == 302
    [edict] = _edicts()
    assert len(edict.title) == 300 and edict.text == fits.replace("\r\n", "\n").strip()


def test_an_edict_withdrawn_before_its_first_day_offers_no_certificate_of_exposure(client, world, case):
    from datetime import timedelta

    from engine.base.clock import local_date, utcnow

    login_en(client, "anna")
    tomorrow = local_date(utcnow()) + timedelta(days=1)
    client.post("/noticeboard", data={"csrf_token": token(client), "number": case["expedient"].number,
                                      "title": "Informació pública: piscina", "text": TEXT,
                                      "starts_on": tomorrow.isoformat(), "working_days": "20"})
    [edict] = _edicts()
    assert client.post(f"/noticeboard/{edict.id}/withdraw",
                       data={"csrf_token": token(client), "reason": "Publicat per error"}).status_code == 302

    board = client.get("/noticeboard").get_data(as_text=True)
    assert f"/noticeboard/{edict.id}/diligence" not in board
    assert "Withdrawn before its first day: never on the board, no certificate of exposure" in board
    refused = client.post(f"/noticeboard/{edict.id}/diligence", data={"csrf_token": token(client)},
                          follow_redirects=True)
    assert "it was never on the board, so there is no exposure to certify." in refused.get_data(as_text=True)
    assert _edicts()[0].diligence_document_id is None
