"""People reading GEE in Spanish or English read their language, and dates no reader can misread.

On the demo municipality (every shipped procedure in progress and closed, a body with its
sessions), every staff page a person with every role opens and every e-office page of a citizen
with expedients is read in ``es`` and ``en``: no sentence of the catalogue shows in Catalan where
that language has its own, and no date is written as digits only ("12/3/26": the 12th of March
or the 3rd of December?). The PDFs GEE makes are read too; they are written in an official
language (Catalan or Spanish, Ley 39/2015 art. 15), so a Spanish reader gets Spanish ones and an
English reader the Catalan ones, each with its own way of writing dates and amounts (CLDR).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.form_labels import TEXTS, form_nodes, form_text
from engine.base.formats import format_amount, format_day, format_moment, format_month, format_percent, format_size
from engine.base.settings import PROJECT_ROOT
from engine.bodies import paperwork
from engine.bodies.minutes import export_book_pdf
from engine.bodies.models import Body, BodySession, SessionStatus
from engine.bodies.sessions import quorum_of
from engine.decrees.book import export_year_pdf
from engine.demo.data import MUNICIPALITIES, ROLE_NAMES, demo_person
from engine.documents.documents import read_content
from engine.documents.procedure_templates import render_version_template
from engine.eni.index_pdf import foliated_index
from engine.expedients.expedients import Expedient, ExpedientState
from engine.noticeboard.diligence import issue_diligence
from engine.noticeboard.edicts import publish
from engine.process.definition.catalogue import resolve_version
from engine.process.models import HumanTask, ProcessModel, ProcessVersion
from engine.registry.entries import RegistryEntry, register_incoming
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, login, make_user
from tests.test_no_raw_codes import STAFF_ROLES
from tests.test_seu import citizen_login
from webapp.cli import main

LOCALES = ("es", "en")
#: Digits-only dates (with a one- to four-digit year) and twelve-hour times.
AMBIGUOUS = re.compile(r"(?<![\w/])\d{1,2}/\d{1,2}/\d{2,4}(?![\w/])|\b\d{1,2}:\d{2}\s?[AP]M\b")
#: A citizen of the demo with expedients in Sant Demo de Segre (engine/showcase/expedients.py).
DEMO_CITIZEN = ("47110023C", "Maria Soler Vidal")
#: Blueprints whose GET pages are not for people (JSON, downloads, redirects to other sites).
NOT_PAGES = {"static", "dev_idp", "health", "favicon", "seu", "password_links"}
#: Pages of each kind of record read (the first ones of the demo's).
PER_KIND = 12


def _catalogue(locale: str) -> dict[str, str]:
    with (PROJECT_ROOT / "engine" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    shown = {}
    for message in catalog:
        if message.id and not isinstance(message.id, tuple):
            shown[message.id] = message.string or (message.id if locale == "en" else "")
    return shown


def _data_texts() -> set[str]:
    """Catalan texts that are data, not the interface: the demo people's names ("Dissenyador/a de
    processos"), and the note an e-office filing adds to its subject in the filer's language (the demo's
    grant application, filed after its call's term)."""
    return set(ROLE_NAMES.values()) | {_catalogue("ca").get("filed after the application term") or ""} - {""}


def _form_texts(locale: str) -> dict[str, str]:
    """The shipped forms' Catalan field titles and descriptions -> their ``locale`` text (``x-labels``).
    Not the forms' own titles: an e-office form is titled like its procedure, whose Catalan name
    is also the subject citizens and clerks gave their expedients (data)."""
    texts = {}
    for path in (PROJECT_ROOT / "forms").glob("*.json"):
        for where, node in form_nodes(json.loads(path.read_text(encoding="utf-8"))):
            if where:
                texts.update({node[part]: form_text(node, part, locale) or "" for part in TEXTS if node.get(part)})
    return texts


def catalan_only_phrases(locale: str) -> re.Pattern[str]:
    """Catalan sentences of the catalogue and of the shipped forms' titles and descriptions whose
    ``locale`` translation is another: literal text between placeholders, three words or more (a
    single word may be the same in both)."""
    catalan, other, data = _catalogue("ca"), _catalogue(locale), _data_texts()
    forms = _form_texts(locale)
    phrases = {ca for ca, text in forms.items() if len(ca.split()) >= 3 and ca not in text}
    for msgid, ca in catalan.items():
        if not ca or not other.get(msgid) or other[msgid] == ca:
            continue
        for piece in re.split(r"%\(\w+\)s|%s|<[^>]+>", ca):
            piece = piece.strip(" .,:;·()—-")
            if len(piece.split()) >= 3 and piece not in other[msgid] and piece not in data:
                phrases.add(piece)
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def visible_text(html: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def problems(text: str, catalan: re.Pattern[str]) -> list[str]:
    return [f"Catalan: {m!r}" for m in sorted(set(catalan.findall(text)))] + [
        f"ambiguous date: {m!r}" for m in AMBIGUOUS.findall(text)
    ]


@dataclass
class Reading:
    """What a reader of one language met: problems per page or document."""

    pages: dict[str, list[str]] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)
    lang_attributes: set[str] = field(default_factory=set)


def _staff_paths(app: Flask, tenant: Tenant) -> list[str]:
    """Every parameterless staff page, and the pages of the demo's records by their ids."""

    def first(column, *where) -> list[str]:
        return [str(i) for i in db.session.scalars(select(column).where(*where).order_by(column).limit(PER_KIND))]

    ids = {
        "expedient_id": first(Expedient.id, Expedient.tenant_id == tenant.id),
        "task_id": first(HumanTask.id, HumanTask.tenant_id == tenant.id, HumanTask.state == "ready"),
        "body_id": first(Body.id, Body.tenant_id == tenant.id),
        "session_id": first(BodySession.id, BodySession.tenant_id == tenant.id),
        "entry_id": first(RegistryEntry.id, RegistryEntry.tenant_id == tenant.id),
        "model_id": first(ProcessModel.id, ProcessModel.tenant_id == tenant.id),
        "version_id": first(
            ProcessVersion.id,
            ProcessVersion.model_id.in_(select(ProcessModel.id).where(ProcessModel.tenant_id == tenant.id)),
        ),
        "tenant_id": [str(tenant.id)],
        "tenant_code": [tenant.code],
    }
    paths = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if "GET" not in (rule.methods or set()) or blueprint in NOT_PAGES or blueprint.startswith("api"):
            continue
        if set(rule.arguments) <= set(ids) and len(rule.arguments) <= 1:
            arg = next(iter(rule.arguments), None)
            paths += [re.sub(r"<(\w+:)?\w+>", i, rule.rule) for i in (ids[arg] if arg else [""])]
    return sorted(set(paths))


def _read_pages(client: FlaskClient, paths: list[str], catalan: re.Pattern[str], reading: Reading) -> None:
    for path in paths:
        page = client.get(path)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        html = page.get_data(as_text=True)
        reading.lang_attributes |= set(re.findall(r'<html lang="(\w+)"', html))
        reading.pages[path] = problems(visible_text(html), catalan)


def _documents(tenant: Tenant, locale: str) -> dict[str, bytes]:
    """The PDFs GEE makes, made for a reader of ``locale``."""
    secretary = demo_person(tenant, "secretari")
    clerk = demo_person(tenant, "tramitador")
    made: dict[str, bytes] = {}
    entry = register_incoming(clerk, subject="Instància", channel="electronic", sender="Joan Veí Garcia",
                              locale=locale)  # fmt: skip
    made["registry receipt"] = read_content(clerk, entry.receipt_document_id)[1]
    year = local_date(utcnow()).year
    made["decree book"] = export_year_pdf(secretary, year, locale)
    body = db.session.scalars(select(Body).where(Body.tenant_id == tenant.id)).first()
    assert body is not None
    made["minutes book"] = export_book_pdf(replace(secretary, locale=locale), body.id, year)
    held = db.session.scalars(select(BodySession).where(BodySession.body_id == body.id,
                                                        BodySession.status == SessionStatus.HELD)).first()  # fmt: skip
    assert held is not None
    reader = replace(secretary, locale=locale)
    made["convocation"] = paperwork.render(reader, "convocation.html", csv="ABCDE-FGHJK-LMNPQ-RSTUV", session=held,
                                           body=held.body)  # fmt: skip
    made["minutes"] = paperwork.render(reader, "minutes.html", csv="ABCDE-FGHJK-LMNPQ-RSTUV", session=held,
                                       body=held.body, quorum=quorum_of(held))  # fmt: skip
    closed = db.session.scalars(select(Expedient).where(Expedient.tenant_id == tenant.id,
                                                        Expedient.state == ExpedientState.CLOSED)).first()  # fmt: skip
    assert closed is not None
    index = foliated_index(replace(secretary, locale=locale), closed.id)
    made["foliated index"] = read_content(secretary, index.id)[1]
    opened = db.session.scalars(select(Expedient).where(Expedient.tenant_id == tenant.id,
                                                        Expedient.state == ExpedientState.OPEN)).first()  # fmt: skip
    assert opened is not None
    today = local_date(utcnow())
    edict = publish(reader, opened.id, title="Edicte de prova", text="Exposició al públic.", starts_on=today,
                    ends_on=today)  # fmt: skip
    issue_diligence(reader, edict.id, now=utcnow() + timedelta(days=2))
    made["notice board diligence"] = read_content(secretary, edict.diligence_document_id or 0)[1]
    version = resolve_version(tenant.id, "llicencia_obres_majors")
    assert version is not None
    made["tax assessment"] = render_version_template(
        version,
        "liquidacio.ca.html",
        locale,
        {
            "expedient": {"number": "2026/000007", "subject": "Obres"},
            "ajuntament": {"name": tenant.name},
            "nom": "Maria Soler Vidal",
            "nif": DEMO_CITIZEN[0],
            "descripcio_obres": "Reforma de la cuina",
            "emplacament": "Carrer Major, 3",
            "csv": "ABCDE-FGHJK-LMNPQ-RSTUV",
            "verify_url": "http://gee.test/verify",
            "pressupost": 12500,
            "icio_tipus": 0.04,
            "icio_quota": 500,
            "taxa": 40,
            "total_liquidacio": 540,
            "avui": "2026-03-12",
            "locale": locale,
        },
    ).pdf()
    return made


@pytest.fixture(scope="module")
def readings(app: Flask) -> dict[str, Reading]:
    """The demo read in each language (built once: every test leaves an empty database behind)."""
    found = {}
    with app.app_context():
        result = CliRunner().invoke(main, ["demo"])
        assert result.exit_code == 0, result.output
        tenant = db.session.scalars(select(Tenant).where(Tenant.code == MUNICIPALITIES[0].code)).one()
        paths = _staff_paths(app, tenant)
        for locale in LOCALES:
            reading = found.setdefault(locale, Reading())
            catalan = catalan_only_phrases(locale)
            make_user(f"marta.{locale}", tenant, STAFF_ROLES, locale=locale, platform_admin=True)
            db.session.commit()
            staff = app.test_client()
            login(staff, f"marta.{locale}")
            _read_pages(staff, paths, catalan, reading)
            citizen = app.test_client()
            citizen_login(citizen, tenant.code, *DEMO_CITIZEN)
            citizen.post("/locale", data={"locale": locale, "csrf_token": csrf_token(citizen, "/seu/")})
            folder = citizen.get(f"/seu/{tenant.code}/carpeta").get_data(as_text=True)
            mine = sorted(set(re.findall(rf"/seu/{tenant.code}/carpeta/(\d+)", folder)))
            _read_pages(
                citizen,
                [
                    f"/seu/{tenant.code}/",
                    f"/seu/{tenant.code}/carpeta",
                    *[f"/seu/{tenant.code}/carpeta/{i}" for i in mine],
                ],
                catalan,
                reading,
            )
            for name, pdf in _documents(tenant, locale).items():
                reading.documents[name] = pdf_text(pdf)
            db.session.rollback()
        db.session.remove()
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_no_page_shows_catalan_sentences_or_ambiguous_dates(readings: dict[str, Reading], locale: str) -> None:
    reading = readings[locale]
    assert len(reading.pages) >= 60, sorted(reading.pages)  # the staff pages and the citizen's
    assert reading.lang_attributes == {locale}
    assert {path: found for path, found in reading.pages.items() if found} == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_documents_are_in_an_official_language_with_its_dates_and_amounts(
    readings: dict[str, Reading], locale: str
) -> None:
    documents = readings[locale].documents
    assert {name: AMBIGUOUS.findall(text) for name, text in documents.items() if AMBIGUOUS.search(text)} == {}
    tax = documents["tax assessment"]
    # The ICIO rate of 4 % (art. 102.3 TRLRHL allows up to 4 %) on a 12.500 € budget: 500 €.
    if locale == "es":
        assert "Tipo del ICIO 4,00 %" in tax and "500,00 €" in tax and "12 de marzo de 2026" in tax
        assert "Justificante de presentación" in documents["registry receipt"]
        assert "Índice foliado del expediente" in documents["foliated index"]
        assert "Convocatoria" in documents["convocation"] and "Acta" in documents["minutes"]
        assert "Diligencia de exposición en el tablón de anuncios" in documents["notice board diligence"]
        assert "de gener" not in " ".join(documents.values())
    else:  # English readers get the Catalan document, written the Catalan way
        assert "Tipus de l'ICIO 4,00 %" in tax and "500,00 €" in tax and "12 de març del 2026" in tax
        assert "Justificant de presentació" in documents["registry receipt"]
        assert "Índex foliat de l'expedient" in documents["foliated index"]


def test_the_e_office_speaks_the_municipalitys_language_until_the_citizen_chooses(app: Flask, tenant: Tenant) -> None:
    english_browser = {"Accept-Language": "en-GB,en;q=0.9"}
    citizen = app.test_client()
    home = citizen.get(f"/seu/{tenant.code}/", headers=english_browser).get_data(as_text=True)
    assert '<html lang="ca">' in home
    token = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert token is not None
    citizen.post("/locale", data={"locale": "en", "csrf_token": token.group(1)}, headers=english_browser)
    assert '<html lang="en">' in citizen.get(f"/seu/{tenant.code}/", headers=english_browser).get_data(as_text=True)
    # Staff pages follow the browser until the person chooses (then their account's language).
    staff_login = app.test_client().get("/login", headers=english_browser).get_data(as_text=True)
    assert '<html lang="en">' in staff_login


def test_formats_follow_each_language() -> None:
    moment = datetime(2026, 12, 3, 6, 59, tzinfo=UTC)  # 07:59 in Spain (CET, UTC+1)
    assert format_moment(moment, "en") == "Dec 3, 2026, 07:59"
    assert format_moment(moment, "es") == "3 dic 2026, 07:59"
    assert format_moment(moment, "ca") == "3 de des. del 2026, 07:59"
    assert format_day(date(2026, 4, 3), "ca", long=True) == "3 d'abril del 2026"
    # A month on its own, as a chart's axis shows it: standalone, not "de gen. 2026".
    assert [format_month(date(2026, 1, 1), loc) for loc in ("ca", "es", "en")] == ["gen. 2026", "ene 2026", "Jan 2026"]
    assert [format_percent("0.04", loc) for loc in ("ca", "es", "en")] == ["4,00 %", "4,00 %", "4.00%"]
    assert [format_amount(1234.5, loc) for loc in ("ca", "es", "en")] == ["1.234,50 €", "1.234,50 €", "€1,234.50"]
    # A file's size (the verification page): to one decimal, a thousand of each unit making the next.
    assert [format_size(36275, loc) for loc in ("ca", "es", "en")] == ["36,3 kB", "36,3 kB", "36.3 kB"]
    assert [format_size(n, "ca") for n in (512, 1000, 999_960, 5_300_000)] == ["512 B", "1 kB", "1 MB", "5,3 MB"]
