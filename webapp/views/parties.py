"""Interested parties from the clerk's pages: change a party's name, address, contact data and the
channel it is notified by. A natural person chooses the channel and may change the choice at any time
(Ley 39/2015, art. 14.1); a legal person or entity is always notified electronically (art. 14.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, g, render_template, request, url_for

from engine.base.errors import GeeError, NotFound
from engine.base.i18n import _, _l
from engine.expedients import expedients
from engine.expedients.parties import (
    POSTAL_FIELDS,
    Party,
    PartyKind,
    check_postal_address,
    get_party,
    is_party_of,
    update_party,
)
from engine.expedients.party_changes import channel_label, party_change_words
from webapp.actions import act, field_errors
from webapp.auth import roles_required
from webapp.inputs import is_id
from webapp.redirects import is_safe_next, safe_next
from webapp.views.expedients import OPENER_ROLES

bp = Blueprint("parties", __name__)

#: The form's fields, named (and with DOM ids) as :func:`engine.expedients.parties.update_party` names them.
FIELDS = ("name", "address", "postal_code", "municipality", "email", "phone", "preferred_channel")


bp.add_app_template_global(channel_label, "party_channel_label")
bp.add_app_template_global(party_change_words, "party_change_words")


@bp.app_template_global()
def party_edit_url(party_id: int, expedient_id: int) -> str | None:
    """The address of a party's form from an expedient's summary (back to this page after), or None for
    a reader who may not change parties."""
    ctx = g.get("ctx")
    if ctx is None or not set(OPENER_ROLES) & ctx.roles:
        return None
    here = (request.full_path.rstrip("?") if request.method == "GET"
            else url_for("expedients.show", expedient_id=expedient_id))
    return url_for("parties.edit", party_id=party_id, expedient=expedient_id, next=here)


def _from_registry(target: str) -> bool:
    """Whether ``target`` (the page to go back to) is one of the registry's: the breadcrumb then says so."""
    return is_safe_next(target) and target.split("?")[0].startswith(url_for("registry.index"))


def _expedient(party: Party) -> expedients.Expedient | None:
    """The expedient the party is edited from (``expedient`` in the address or the form), if any: its
    history shows the change. One the party is not in, or of another municipality, is not found."""
    raw = request.values.get("expedient", "")
    if not is_id(raw):
        return None
    expedient = expedients.get_expedient(g.ctx, int(raw))
    if not is_party_of(g.ctx, party.id, expedient.id):
        raise NotFound(_l("Not found."))
    return expedient


def _back(expedient: expedients.Expedient | None) -> str:
    """Where the person came from (``next``, a path of this site), else the expedient, else the list."""
    default = (url_for("expedients.show", expedient_id=expedient.id) if expedient is not None
               else url_for("expedients.index"))
    return safe_next(request.values.get("next"), default)


def _page(party_id: int, form: Mapping[str, Any] | None = None, error: GeeError | None = None) -> str:
    """The form: the party's data, or after a refusal what was typed with the reason beside its field."""
    party = get_party(g.ctx, party_id)
    expedient = _expedient(party)
    values = form if form is not None else {field: getattr(party, field) or "" for field in FIELDS}
    back = request.values.get("next", "")
    return render_template("parties/edit.html", party=party, expedient=expedient, back=_back(expedient),
                           next=back, from_registry=expedient is None and _from_registry(back), form=values,
                           is_entity=party.kind == PartyKind.ENTITY, errors=field_errors(error, FIELDS))


@bp.get("/parties/<int:party_id>/edit")
@roles_required(*OPENER_ROLES)
def edit(party_id: int) -> Any:
    return _page(party_id)


@bp.post("/parties/<int:party_id>/edit")
@roles_required(*OPENER_ROLES)
def save(party_id: int) -> Any:
    party = get_party(g.ctx, party_id)
    expedient = _expedient(party)
    form = request.form
    # What the form sends (an emptied field clears it); an entity's form has no channel to choose.
    changes = {field: form[field] for field in FIELDS if field in form}
    name = " ".join(form.get("name", "").split()) or party.name

    def work() -> None:
        check_postal_address(party.kind, changes.get("preferred_channel", party.preferred_channel),
                             {name: changes.get(name, getattr(party, name)) for name in POSTAL_FIELDS})
        update_party(g.ctx, party_id, expedient_id=expedient.id if expedient else None, **changes)

    return act(work, _("The changes to %(name)s are saved.", name=name), _back(expedient),
               page=lambda err: _page(party_id, form, err))
