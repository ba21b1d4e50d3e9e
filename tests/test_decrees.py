"""The decree book: numbers on signature only, gapless, attestation, annulment, year export."""

from __future__ import annotations

import io
import threading

import pytest
from pypdf import PdfReader

from engine.audit import AuditEvent
from engine.base.clock import MADRID
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.decrees.book import (
    Decree,
    annul_decree,
    attest,
    book,
    create_draft,
    export_year_pdf,
    get_decree,
    sign_decree,
)
from tests.conftest import ctx_for, make_tenant, make_user
from tests.records_helpers import close_expedient, new_expedient
from tests.services import postgres_app


@pytest.fixture
def people():
    tenant = make_tenant()
    users = {
        "clerk": make_user("clerk", tenant, ("tramitador",), full_name="Anna Clerk"),
        "mayor": make_user("mayor", tenant, ("alcalde",), full_name="Joan Batlle"),
        "secretary": make_user("secretary", tenant, ("secretari",), full_name="Marta Secretària"),
    }
    db.session.commit()
    return {name: ctx_for(user, tenant) for name, user in users.items()}


def _draft(ctx, title="Concessió de llicència d'obres menors", text="RESOLC:\nPrimer. Concedir la llicència.",
           expedient_id=None):
    decree = create_draft(ctx, title=title, text=text, expedient_id=expedient_id)
    db.session.commit()
    return decree


def _signed(people, **kwargs):
    decree = sign_decree(people["mayor"], _draft(people["clerk"], **kwargs).id)
    db.session.commit()
    return decree


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_draft_has_no_number_until_the_mayor_signs(people):
    draft = _draft(people["clerk"])
    assert draft.number is None and draft.status == "draft"
    signed = sign_decree(people["mayor"], draft.id)
    db.session.commit()
    year = signed.signed_at.astimezone(MADRID).year
    assert signed.number == f"DEC/{year}/0001"
    assert signed.signed_by_name == "Joan Batlle" and signed.signed_by_id == people["mayor"].user_id


def test_numbers_follow_signature_order_not_draft_order(people):
    first_draft = _draft(people["clerk"], title="Primer esborrany")
    second_draft = _draft(people["clerk"], title="Segon esborrany")
    sign_decree(people["mayor"], second_draft.id)
    sign_decree(people["mayor"], first_draft.id)
    db.session.commit()
    assert get_decree(people["clerk"], second_draft.id).seq == 1
    assert get_decree(people["clerk"], first_draft.id).seq == 2


def test_only_the_mayor_signs_and_only_the_secretary_attests(people):
    draft = _draft(people["clerk"])
    for ctx in (people["clerk"], people["secretary"]):
        with pytest.raises(Forbidden) as err:
            sign_decree(ctx, draft.id)
        assert str(err.value) == "This needs the role: Mayor."
    assert get_decree(people["clerk"], draft.id).number is None
    sign_decree(people["mayor"], draft.id)
    db.session.commit()
    with pytest.raises(Forbidden):
        attest(people["mayor"], draft.id)
    attested = attest(people["secretary"], draft.id)
    db.session.commit()
    assert attested.attested_by_name == "Marta Secretària" and attested.attested_at is not None
    with pytest.raises(Conflict):
        attest(people["secretary"], draft.id)


def test_a_signed_decree_cannot_be_signed_again(people):
    decree = _signed(people)
    with pytest.raises(Conflict):
        sign_decree(people["mayor"], decree.id)


def test_a_failed_signature_gives_its_number_back(people):
    expedient = new_expedient(people["clerk"])
    blocked = create_draft(people["clerk"], title="Decret de l'expedient", text="RESOLC", expedient_id=expedient.id)
    db.session.commit()
    close_expedient(people["clerk"], expedient)
    with pytest.raises(Conflict):
        sign_decree(people["mayor"], blocked.id)
    db.session.rollback()
    assert _signed(people).seq == 1


def test_numbers_are_per_tenant(people):
    _signed(people)
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01258888")
    other_mayor = ctx_for(make_user("batlle2", other, ("alcalde",)), other)
    decree = sign_decree(other_mayor, create_draft(other_mayor, title="Altre", text="RESOLC").id)
    db.session.commit()
    assert decree.seq == 1
    with pytest.raises(NotFound):
        get_decree(other_mayor, _draft(people["clerk"]).id)
    with pytest.raises(NotFound):
        sign_decree(other_mayor, _draft(people["clerk"]).id)


def test_annulment_keeps_the_number_and_the_reason(people):
    decree = _signed(people)
    _signed(people, title="Segon decret")
    with pytest.raises(Forbidden):
        annul_decree(people["clerk"], decree.id, "Error material")
    with pytest.raises(ValidationFailed):
        annul_decree(people["mayor"], decree.id, "  ")
    annulled = annul_decree(people["mayor"], decree.id, "Error en el destinatari")
    db.session.commit()
    assert annulled.status == "annulled" and annulled.number.endswith("/0001")
    assert annulled.annulment_reason == "Error en el destinatari"
    assert [d.seq for d in book(people["clerk"], annulled.year)] == [1, 2]
    with pytest.raises(Conflict):
        annul_decree(people["mayor"], decree.id, "Un altre cop")
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.seq)]
    assert actions.count("decree.signed") == 2 and actions[-1] == "decree.annulled"


def test_drafts_are_not_annulled(people):
    with pytest.raises(Conflict):
        annul_decree(people["mayor"], _draft(people["clerk"]).id, "No cal")


def test_year_export_lists_index_and_texts_with_annulments(people):
    expedient = new_expedient(people["clerk"], "Subministrament elèctric de l'enllumenat")
    first = _signed(people, title="Aprovació de la factura de llum", text="RESOLC:\nAprovar la factura 12/2026.",
                    expedient_id=expedient.id)
    second = _signed(people, title="Convocatòria de subvencions", text="RESOLC:\nConvocar els ajuts.")
    attest(people["secretary"], first.id)
    annul_decree(people["mayor"], second.id, "Bases no publicades")
    _draft(people["clerk"], title="Esborrany pendent")
    db.session.commit()
    year = first.year
    text = _pdf_text(export_year_pdf(people["secretary"], year))
    assert f"Llibre de resolucions de l'Alcaldia {year}" in text
    assert "Ajuntament de Proves" in text and "L01259999" in text
    signed = first.signed_at.astimezone(MADRID).date()
    # The Catalan way, the month in words (CLDR): "3 de desembre del 2026", "1 d'abril del 2026".
    month = ("de gener", "de febrer", "de març", "d'abril", "de maig", "de juny", "de juliol", "d'agost",
             "de setembre", "d'octubre", "de novembre", "de desembre")[signed.month - 1]
    signed_day = f"{signed.day} {month} del {signed.year}"
    flat = " ".join(text.split())  # a cell's text may wrap
    assert f"DEC/{year}/0001 {signed_day} Aprovació de la factura de llum" in flat
    assert f"DEC/{year}/0002 {signed_day} Convocatòria de subvencions (ANUL·LAT) —" in flat
    # which expedient each decree resolves: in the index, and with its subject above the decree's text
    assert f"Aprovació de la factura de llum {expedient.number}" in text
    assert f"Expedient {expedient.number} — Subministrament elèctric de l'enllumenat" in text
    assert "Aprovar la factura 12/2026." in text
    assert "Motiu: Bases no publicades" in " ".join(text.split())
    assert "Marta Secretària" in text and "Joan Batlle" in text
    assert "Esborrany pendent" not in text


def test_year_export_in_spanish_and_empty_year(people):
    decree = _signed(people)
    text = _pdf_text(export_year_pdf(people["secretary"], decree.year, locale="es"))
    assert "Libro de resoluciones de la Alcaldía" in text
    empty = _pdf_text(export_year_pdf(people["secretary"], decree.year - 1))
    assert "No hi ha cap decret signat aquest any." in empty


def test_simultaneous_signatures_get_consecutive_numbers_on_postgresql():
    """Eight decrees signed at the same instant by eight connections: numbers 1..8, no gaps."""
    with postgres_app() as pg_app, pg_app.app_context():
        tenant = make_tenant()
        mayor = ctx_for(make_user("mayor", tenant, ("alcalde",)), tenant)
        ids = [create_draft(mayor, title=f"Decret {i}", text="RESOLC").id for i in range(8)]
        db.session.commit()
        barrier = threading.Barrier(len(ids))
        failures: list[BaseException] = []

        def sign(decree_id: int) -> None:
            with pg_app.app_context():
                try:
                    barrier.wait()
                    sign_decree(mayor, decree_id)
                    db.session.commit()
                except BaseException as exc:
                    failures.append(exc)
                    db.session.rollback()

        threads = [threading.Thread(target=sign, args=(i,)) for i in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        db.session.expire_all()
        numbers = sorted(db.session.query(Decree.seq).filter(Decree.id.in_(ids)).all())
        assert [n for (n,) in numbers] == list(range(1, 9))


def test_cli_exports_the_year_book(app, people, tmp_path):
    from webapp.cli import main

    decree = _signed(people, title="Decret exportat")
    target = tmp_path / "llibre.pdf"
    result = app.test_cli_runner().invoke(
        main, ["decrees", "export", "--tenant", "ajt-proves", "--year", str(decree.year), "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert f"{decree.number} " in _pdf_text(target.read_bytes())
    assert "Decret exportat" in _pdf_text(target.read_bytes())


def test_cli_exports_the_year_book_with_short_output_option(app, people, tmp_path):
    # README: `gee decrees export --tenant CODE --year N -o FILE`.
    from webapp.cli import main

    decree = _signed(people, title="Decret curt")
    target = tmp_path / "llibre-curt.pdf"
    result = app.test_cli_runner().invoke(
        main, ["decrees", "export", "--tenant", "ajt-proves", "--year", str(decree.year), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "Decret curt" in _pdf_text(target.read_bytes())
