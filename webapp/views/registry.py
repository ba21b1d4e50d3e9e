"""Registre: the books of incoming and outgoing entries, a new incoming entry, its receipt,
and opening an expedient from an entry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.clock import local_date, utcnow
from engine.base.errors import GeeError, NotFound, ValidationFailed
from engine.base.i18n import _, _l
from engine.base.identifiers import normalise_nif
from engine.documents.documents import TIPO_LABELS, read_content
from engine.expedients.expedients import numbers_of
from engine.expedients.parties import Channel as PartyChannel
from engine.expedients.parties import (
    Party,
    PartyKind,
    check_postal_address,
    find_or_create_party,
    find_party_by_nif,
    kind_of,
    party_typed,
)
from engine.expedients.party_changes import channel_label
from engine.registry.book import search_entries, years_with_entries
from engine.registry.entries import Channel, Direction, RegistryEntry, Upload, get_entry, register_incoming
from engine.registry.open_expedient import open_and_start
from engine.registry.receipts import receipt_file
from engine.tenancy.scoping import get_owned
from webapp.actions import REFUSALS, field_errors
from webapp.auth import roles_required
from webapp.inputs import YEAR_MAX, YEAR_MIN, id_value, int_arg, search_text
from webapp.navigation import NavItem
from webapp.views.expedients import OPENER_ROLES, PARTY_FIELDS, published_procedures

bp = Blueprint("registry", __name__)

NAV = [NavItem("registry.index", _l("Registry"), roles=OPENER_ROLES, order=30)]


@bp.get("/registry")
@roles_required(*OPENER_ROLES)
def index() -> Any:
    direction = request.args.get("direction", Direction.INCOMING.value)
    if direction not in tuple(Direction):
        direction = Direction.INCOMING.value
    this_year = local_date(utcnow()).year
    year = int_arg(request.args.get("year"), field="year", default=this_year, low=YEAR_MIN, high=YEAR_MAX)
    assert year is not None
    q = search_text(request.args.get("q"))
    entries = search_entries(g.ctx, direction, year, q)
    years = sorted({this_year, year, *years_with_entries(g.ctx)}, reverse=True)
    template = "registry/_list.html" if request.headers.get("HX-Request") else "registry/index.html"
    return render_template(template, entries=entries, direction=direction, year=year, years=years, q=q,
                           numbers=numbers_of(g.ctx, [entry.expedient_id for entry in entries]))


#: The DOM ids of the new entry's fields, by the names the services give them.
_OPENING_FIELDS = ("process_model_id", "subject", "responsible_unit")
_ENTRY_FIELDS = {**PARTY_FIELDS, "preferred_channel": "preferred_channel", "subject": "subject", "summary": "summary",
                 "channel": "channel", "sender": "sender", "file": "files", "tipo_documental": "tipo_documental"}


def _chosen_channel(form: Any) -> str | None:
    """How the interested party wants to be notified, as they answered at the desk: a natural
    person chooses (art. 14.1 Ley 39/2015; paper unless they ask for the e-office), an entity is
    notified electronically whatever was ticked (art. 14.2). ``None``: the rule of the party."""
    if kind_of(normalise_nif(form["nif"])) is PartyKind.ENTITY:
        return None
    return str(form.get("preferred_channel") or PartyChannel.POSTAL.value)


def _new_entity(nif: str) -> bool:
    """Whether ``nif`` is a valid CIF: a legal person or entity, notified electronically with no choice (art. 14.2)."""
    try:
        return bool(nif.strip()) and kind_of(normalise_nif(nif)) is PartyKind.ENTITY
    except ValidationFailed:
        return False


def _desk_party(form: Any) -> dict[str, Any]:
    """What the form shows of the party whose NIF was typed: the one on record, else whether it is an entity."""
    nif = form.get("nif") or ""
    known = party_typed(g.ctx, nif)
    return {"known_party": known, "entity": known is None and _new_entity(nif)}


@bp.route("/registry/new", methods=["GET", "POST"])
@roles_required(*OPENER_ROLES)
def new() -> Any:
    # A GET may carry the NIF (back from the party's page, where its channel was changed).
    form = request.form if request.method == "POST" else {"nif": request.args.get("nif", "")}
    error = None
    if request.method == "POST":
        try:
            party_id, known = None, None
            if (form.get("nif") or "").strip():
                known = find_party_by_nif(g.ctx, form["nif"])
                if known is None:  # a new party: paper needs where to deliver it
                    check_postal_address(kind_of(normalise_nif(form["nif"])), _chosen_channel(form), form)
                party_id = find_or_create_party(
                    g.ctx, form["nif"], form.get("party_name", ""), email=form.get("email") or None,
                    phone=form.get("phone") or None, address=form.get("address") or None,
                    postal_code=form.get("postal_code") or None, municipality=form.get("municipality") or None,
                    preferred_channel=_chosen_channel(form),
                ).id
            uploads = [
                Upload(f.filename or "document", f.read(), tipo_documental=form.get("tipo_documental", "TD14"))
                for f in request.files.getlist("files") if f.filename
            ]
            entry = register_incoming(
                g.ctx, subject=form.get("subject", ""), channel=form.get("channel", Channel.IN_PERSON.value),
                party_id=party_id, sender=form.get("sender") or None, summary=form.get("summary") or None,
                uploads=uploads, locale=str(g.ctx.locale or "ca"),
            )
        except ValidationFailed as err:
            unit_of_work.discard()
            error = err
        else:
            flash(_("Entry %(number)s registered. Its receipt is ready to download.", number=entry.number), "success")
            if known is not None:  # whatever the form asked, the channel on record is kept: say which
                flash(_("%(name)s was already on record and is still notified by the channel on record: %(channel)s.",
                        name=known.name, channel=channel_label(known.preferred_channel)), "info")
            return redirect(url_for("registry.show", entry_id=entry.id))
    return render_template("registry/new.html", form=form, errors=field_errors(error, _ENTRY_FIELDS),
                           channels=list(Channel), tipos=TIPO_LABELS, **_desk_party(form)), 422 if error else 200


@bp.get("/registry/party-channel")
@roles_required(*OPENER_ROLES)
def party_channel() -> Any:
    """htmx, when the NIF changes: the channel on record of a party already known, else the choice to make."""
    return render_template("registry/_channel.html", form=request.args, errors={}, **_desk_party(request.args))


@bp.get("/registry/<int:entry_id>")
@roles_required(*OPENER_ROLES)
def show(entry_id: int) -> Any:
    return _entry_page(entry_id)


def _entry_page(entry_id: int, error: GeeError | None = None) -> Any:
    """An entry; after a refused opening of an expedient from it, the form as typed with the reason."""
    entry = get_entry(g.ctx, entry_id)
    page = render_template("registry/show.html", entry=entry, party=_party_of(entry),
                           numbers=numbers_of(g.ctx, [entry.expedient_id]), procedures=published_procedures(),
                           errors=field_errors(error, _OPENING_FIELDS, "open"), form=request.form)
    return (page, error.status) if error else page


def _party_of(entry: RegistryEntry) -> Party | None:
    """The interested party who filed the entry (or receives it), to show their NIF beside the name."""
    return get_owned(Party, g.ctx, entry.party_id) if entry.party_id is not None else None


@bp.get("/registry/<int:entry_id>/documents/<int:document_id>")
@roles_required(*OPENER_ROLES)
def attachment(entry_id: int, document_id: int) -> Any:
    """A document filed with an entry (of this municipality), also when the entry joined no expedient."""
    entry = get_entry(g.ctx, entry_id)
    if document_id not in {a.document_id for a in entry.attachments}:
        raise NotFound(_l("Not found."))
    doc, content = read_content(g.ctx, document_id)
    response = Response(content, mimetype=doc.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=doc.file_name)
    return response


@bp.get("/registry/<int:entry_id>/receipt.pdf")
@roles_required(*OPENER_ROLES)
def receipt(entry_id: int) -> Any:
    receipt = receipt_file(g.ctx, entry_id)
    response = Response(receipt.content, mimetype=receipt.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=receipt.file_name)
    return response


@bp.post("/registry/<int:entry_id>/open")
@roles_required(*OPENER_ROLES)
def open_expedient(entry_id: int) -> Any:
    try:
        if not request.form.get("process_model_id"):
            raise ValidationFailed(_l("Choose a procedure from the list."), field="process_model_id")
        opened = open_and_start(
            g.ctx, process_model_id=id_value(request.form["process_model_id"], "process_model_id"),
            subject=request.form.get("subject") or None,
            responsible_unit=request.form.get("responsible_unit") or None, registry_entry_id=entry_id,
        )
    except REFUSALS as err:
        unit_of_work.discard()
        return _entry_page(entry_id, err)
    flash(_("Expedient %(number)s opened from the entry and its procedure started.",
            number=opened.expedient.number), "success")
    return redirect(url_for("expedients.show", expedient_id=opened.expedient.id))
