"""How the e-office and the transparency portal word what they show citizens: the e-office offers only
the procedures a citizen can file online, and leads to the catalogue of every procedure with its term
and silence (art. 21.4 Ley 39/2015), which says which can be filed online; the portal elides before a
section's name, names the town as the other public pages do, writes amounts as money and shows the
signing officers without empty body columns."""

from __future__ import annotations

from lxml import html as lxml_html

from engine.base.db import db
from engine.expedients import parties
from engine.expedients.expedients import open_expedient
from engine.process.instances import tasks as instances
from tests.conftest import ctx_for, make_user
from tests.engine_helpers import make_version
from tests.procedures_helpers import town
from tests.test_seu import citizen_login
from tests.test_transparency import _town_with_an_approved_agreement

PORTAL = "/transparencia/sant-proves/"


def _tree(client, path: str):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return lxml_html.fromstring(response.get_data(as_text=True))


def _text(node) -> str:  # type: ignore[no-untyped-def]
    return " ".join(node.text_content().split())


def _table(tree, name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    table = tree.xpath(f'//table[@data-table="{name}"]')[0]
    return [[_text(cell) for cell in row.xpath("./th|./td")] for row in table.iter("tr")]


def test_the_e_office_offers_what_can_be_filed_online_and_links_every_procedure_with_its_term(client) -> None:
    town("instancia_generica.bpmn", "subvencio_convocatoria.bpmn", "assistencia_tecnica.bpmn")
    db.session.commit()
    home = _tree(client, "/seu/sant-proves/")
    offered = [_text(h) for h in home.xpath('//*[@id="procedures"]//h2')]
    # processes/*.info.json: the call for grants and the technical assistance are not online
    assert offered == ["Instància genèrica"]
    assert home.xpath('//*[@id="all-procedures"]/a/@href') == [f"{PORTAL}#procedures"]
    # their sheet still says how to do them
    sheet = _tree(client, "/seu/sant-proves/tramits/subvencio_convocatoria")
    assert not sheet.xpath('//*[@id="start-filing"]')

    portal = _tree(client, PORTAL)
    catalogue = _table(portal, "procedures-1")
    header = catalogue[0]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in catalogue[1:]}
    online = header[1]
    assert rows["Instància genèrica"][online] == "Sí"
    assert rows["Convocatòria de subvencions en concurrència competitiva"][online] == "No"
    assert rows["Convocatòria de subvencions en concurrència competitiva"][header[2]] == "6"  # months
    data = {r["name"]: r for r in client.get(f"{PORTAL}procedures.json").get_json()["rows"]}
    assert data["Instància genèrica"]["online"] is True
    assert data["Convocatòria de subvencions en concurrència competitiva"]["online"] is False


def test_the_portal_elides_names_the_town_and_shows_officers_without_empty_columns(client) -> None:
    _town_with_an_approved_agreement()
    db.session.commit()
    portal = _tree(client, PORTAL)
    links = [_text(a) for a in portal.xpath("//main//a")]
    assert "Esquema JSON d'Organització" in links and "Esquema JSON d'Acords dels òrgans col·legiats" in links
    assert "Esquema JSON de Organització" not in links
    assert "Tauler d'anuncis — Ajuntament de Sant Proves" in links
    assert "d'Ajuntament" not in _text(portal.find(".//main"))

    officers = _table(portal, "organisation-1")
    assert officers[0] == ["Nom", "Rol"]  # no empty body columns
    assert ["Jordi Mas", "Alcalde/essa"] in officers and ["Sandra Roig", "Secretari/ària"] in officers
    members = _table(portal, "organisation-2")
    assert members[0][:2] == ["Òrgan", "Tipus d'òrgan"]
    assert all(row[0] == "Ple de l'Ajuntament" and row[1] for row in members[1:])


def test_grants_awarded_are_written_as_money(client, tenant) -> None:
    clerk = ctx_for(make_user("clerk", tenant, ("tramitador",)), tenant)
    association = parties.find_or_create_party(clerk, "G25000001", "Associació Cultural de Proves")
    application = open_expedient(clerk, "Sol·licitud de subvenció", party_ids=[association.id])
    version = make_version(tenant.id, "seushow_published_call", "subvencio_convocatoria")
    instances.start_instance(
        clerk,
        version,
        data={
            "titol_convocatoria": "Subvencions a entitats 2026",
            "codi_bdns": "812345",
            "doc_decret": {"number": "DEC/2026/0007"},
            "data_publicacio_resolucio": "2026-04-28",
            "ranquing": [{"expedient": application.number, "sentit": "concedir", "import_concedit": 2500}],
        },
    )
    db.session.commit()
    grants = _table(_tree(client, f"/transparencia/{tenant.code}/"), "grants-1")
    assert grants[1][0] == "Subvencions a entitats 2026" and grants[1][-1] == "2.500,00 €"  # the amount is last
    # the reusable data keeps the number
    assert [r["amount"] for r in client.get(f"/transparencia/{tenant.code}/grants.json").get_json()["rows"]] == [2500]


def test_a_power_is_granted_for_procedures_filed_online(client) -> None:
    town("instancia_generica.bpmn", "subvencio_convocatoria.bpmn", "assistencia_tecnica.bpmn")
    db.session.commit()
    citizen_login(client, "sant-proves", "47110023C", "Maria Soler Vidal")
    form = _tree(client, "/seu/sant-proves/apoderaments/nou")
    # a representative files for someone: the internal procedures are none a citizen files
    assert [_text(o) for o in form.xpath('//select[@id="procedures"]/option')] == ["Instància genèrica"]
