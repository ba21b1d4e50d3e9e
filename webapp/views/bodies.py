"""Collegiate bodies on the web: the bodies and their members, sessions with their agenda, the
convocation, attendance and votes, the minutes and the certificates (services in engine/bodies)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from engine.base.clock import MADRID
from engine.base.errors import Forbidden, GeeError, NotFound, ValidationFailed
from engine.base.i18n import _, _l
from engine.bodies import bodies, certificates, minutes, minutes_text, rules, sessions
from engine.bodies.models import BodySession
from engine.bodies.proposals import pending_proposals
from engine.bodies.returns import Returned
from engine.documents.documents import read_content
from webapp.actions import act as _act
from webapp.actions import field_errors
from webapp.auth import login_required, roles_required
from webapp.inputs import YEAR_MAX, YEAR_MIN, int_arg
from webapp.navigation import NavItem

bp = Blueprint("bodies", __name__)

KEEPERS = bodies.KEEPERS
NAV = [NavItem("bodies.index", _l("Collegiate bodies"), order=45, menu="tools")]


def _int(name: str, low: int = 0, high: int = 1000) -> int:
    value = int_arg(request.form.get(name), field=name, default=0, low=low, high=high)
    return int(value or 0)


def _keeper() -> bool:
    return any(g.ctx.has_role(r) for r in KEEPERS)


@bp.get("/bodies")
@login_required
def index() -> Any:
    return _index_page()


def _index_page(errors: dict[str, str] | None = None) -> str:
    """The bodies; after a refused new body, the form as typed with the reason beside its field."""
    mine = set(bodies.bodies_of_user(g.ctx))
    staff = any(g.ctx.has_role(r) for r in ("secretari", "alcalde", "admin", "tramitador"))
    shown = [b for b in bodies.list_bodies(g.ctx) if staff or b.id in mine]
    return render_template("bodies/index.html", bodies=shown, keeper=_keeper(), errors=errors or {},
                           form=request.form)


#: The fields of the new body form (their DOM ids are their names).
_BODY_FIELDS = ("name", "code", "kind", "legal_members")


@bp.post("/bodies")
@roles_required(*KEEPERS)
def create() -> Any:
    return _act(lambda: bodies.create_body(g.ctx, code=request.form.get("code", ""), name=request.form.get("name", ""),
                                           kind=request.form.get("kind", ""),
                                           legal_members=_int("legal_members", 1, 100)),
                _("Body created."), url_for("bodies.index"),
                page=lambda err: _index_page(field_errors(err, _BODY_FIELDS, "new-body")))


@bp.get("/bodies/<int:body_id>")
@login_required
def show(body_id: int) -> Any:
    return _body_page(body_id)


def _body_page(body_id: int, errors: dict[str, str] | None = None) -> str:
    """A body; after a refused member or session, that form as typed with the reason beside its field."""
    body = bodies.get_body(g.ctx, body_id)
    keeper = _keeper()
    held = sessions.sessions_of(g.ctx, body.id)
    return render_template("bodies/show.html", body=body, keeper=keeper, sessions=held,
                           proposals=pending_proposals(g.ctx, body.id) if keeper else [],
                           quorum=rules.quorum(body.legal_members),
                           absolute=rules.absolute_majority(body.legal_members),
                           years=sorted({s.minutes_year for s in held if s.minutes_year}, reverse=True),
                           errors=errors or {}, form=request.form)


#: The DOM ids of the fields of the body page's forms, by the names the services give them.
_MEMBER_FIELDS = {"name": "m-name", "role": "m-role", "group": "m-group"}
_SESSION_FIELDS = {"kind": "s-kind", "starts_at": "s-starts", "place": "s-place"}


def _refused_on_body(body_id: int, form: str, fields: dict[str, str]) -> Callable[[GeeError], str]:
    """The body page showing a refusal of its form ``form`` (whose own alert is ``form``-error)."""
    return lambda err: _body_page(body_id, field_errors(err, fields, form))


@bp.post("/bodies/<int:body_id>/members")
@roles_required(*KEEPERS)
def add_member(body_id: int) -> Any:
    user_id = request.form.get("user_id") or None
    return _act(lambda: bodies.add_member(g.ctx, body_id, name=request.form.get("name", ""),
                                          role=request.form.get("role", ""), group=request.form.get("group"),
                                          user_id=int(user_id) if user_id and user_id.isdigit() else None),
                _("Member added."), url_for("bodies.show", body_id=body_id),
                page=_refused_on_body(body_id, "member", _MEMBER_FIELDS))


def _starts_at() -> datetime:
    try:
        return datetime.fromisoformat(request.form.get("starts_at", "")).replace(tzinfo=MADRID)
    except ValueError:
        raise ValidationFailed(_l("Give the date and time of the session."), field="starts_at") from None


@bp.post("/bodies/<int:body_id>/sessions")
@roles_required(*KEEPERS)
def create_session(body_id: int) -> Any:
    created: list[int] = []

    def work() -> None:
        created.append(sessions.create_session(g.ctx, body_id, kind=request.form.get("kind", ""),
                                               starts_at=_starts_at(), place=request.form.get("place", "")).id)

    answer = _act(work, _("Session created."), url_for("bodies.show", body_id=body_id),
                  page=_refused_on_body(body_id, "session", _SESSION_FIELDS))
    return redirect(url_for("bodies.session", session_id=created[0])) if created else answer


@bp.get("/bodies/<int:body_id>/minutes/<int:year>.pdf")
@roles_required(*KEEPERS, "alcalde")
def minutes_book(body_id: int, year: int) -> Any:
    int_arg(year, field="year", low=YEAR_MIN, high=YEAR_MAX)
    response = Response(minutes.export_book_pdf(g.ctx, body_id, year), mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=f"llibre-actes-{body_id}-{year}.pdf")
    return response


# -- sessions -------------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>")
@login_required
def session(session_id: int) -> Any:
    return _session_page(session_id)


def _session_page(session_id: int, failed: str | None = None, errors: dict[str, str] | None = None) -> str:
    """A session; after a refused form (``failed``: agenda, attendance, a vote...), that form as typed with
    the reason beside its field."""
    found = sessions.read_session(g.ctx, session_id)
    sessions.read_notice(g.ctx, session_id)
    keeper = _keeper()
    return render_template("bodies/session.html", session=found, body=found.body, keeper=keeper,
                           proposals=pending_proposals(g.ctx, found.body_id) if keeper else [],
                           notices=sessions.notices(g.ctx, found.id), quorum=sessions.quorum_of(found),
                           present={a.member_id: a for a in found.attendance},
                           earlier=sessions.approvable_minutes(g.ctx, found) if keeper else [],
                           started=sessions.has_started(found), returned=_returned(found),
                           text_items=minutes_text.editable_items(found) if keeper else [],
                           text_editable=keeper and minutes_text.may_edit(g.ctx, found),
                           debate_field=minutes_text.debate_field,
                           debate_limit=minutes_text.DEBATE_LIMIT,
                           failed=failed, errors=errors or {}, form=request.form)


def _returned(found: BodySession) -> dict[str, Returned]:
    """What a signer returned for changes instead of signing, by ``convocation``, ``minutes`` and
    ``item-<id>`` (a certificate): the page says who, when and why, and offers to draft it again."""
    out: dict[str, Returned] = {}
    if (convocation := sessions.convocation_returned(g.ctx, found)) is not None:
        out["convocation"] = convocation
    if (acta := minutes.minutes_returned(g.ctx, found)) is not None:
        out["minutes"] = acta
    for item in found.items:
        if (certificate := certificates.certificate_returned(g.ctx, item)) is not None:
            out[f"item-{item.id}"] = certificate
    return out


def _back(session_id: int) -> str:
    return url_for("bodies.session", session_id=session_id)


def _refused_on_session(session_id: int, form: str, fields: dict[str, str]) -> Callable[[GeeError], str]:
    """The session page showing a refusal of its form ``form`` (whose own alert is ``form``-error)."""
    return lambda err: _session_page(session_id, form, field_errors(err, fields, form))


def _votes_fields(prefix: str) -> dict[str, str]:
    """The DOM ids of the three counts of a vote form (session.html's ``votes_inputs``)."""
    return {"votes_for": f"{prefix}-for", "against": f"{prefix}-against", "abstentions": f"{prefix}-abst"}


@bp.post("/sessions/<int:session_id>/items")
@roles_required(*KEEPERS)
def add_item(session_id: int) -> Any:
    proposal = request.form.get("proposal_id", "")
    previous = request.form.get("previous_id", "")

    def work() -> None:
        if previous.isdigit():
            sessions.add_minutes_approval(g.ctx, session_id, int(previous))
        elif proposal.isdigit():
            sessions.add_proposal(g.ctx, session_id, int(proposal))
        else:
            raise ValidationFailed(_l("Choose a proposal."), field="proposal_id")

    return _act(work, _("Item added to the agenda."), _back(session_id),
                page=_refused_on_session(session_id, "agenda", {"proposal_id": "proposal_id",
                                                                "previous_id": "previous_id"}))


@bp.post("/sessions/<int:session_id>/convene")
@roles_required(*KEEPERS)
def convene(session_id: int) -> Any:
    return _act(lambda: sessions.convene(g.ctx, session_id),
                _("The convocation waits for the mayor's signature."), _back(session_id))


@bp.post("/sessions/<int:session_id>/attendance")
@roles_required(*KEEPERS)
def attendance(session_id: int) -> Any:
    present = {int(v): True for v in request.form.getlist("present") if v.isdigit()}
    remote = {int(v): True for v in request.form.getlist("remote") if v.isdigit()}
    return _act(lambda: sessions.record_attendance(g.ctx, session_id, present, remote),
                _("Attendance recorded."), _back(session_id),
                page=_refused_on_session(session_id, "attendance", {}))


@bp.post("/sessions/<int:session_id>/urgency")
@roles_required(*KEEPERS)
def urgency(session_id: int) -> Any:
    item = request.form.get("item_id", "")
    prefix = f"u{item}" if item.isdigit() else "s"

    def work() -> None:
        votes = (_int("votes_for"), _int("against"), _int("abstentions"))
        if item.isdigit():
            sessions.vote_item_urgency(g.ctx, session_id, int(item), *votes)
        else:
            sessions.vote_session_urgency(g.ctx, session_id, *votes)

    return _act(work, _("Urgency voted."), _back(session_id),
                page=_refused_on_session(session_id, f"urgency-{prefix}", _votes_fields(prefix)))


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/vote")
@roles_required(*KEEPERS)
def vote(session_id: int, item_id: int) -> Any:
    return _act(lambda: sessions.vote_item(g.ctx, session_id, item_id, votes_for=_int("votes_for"),
                                           against=_int("against"), abstentions=_int("abstentions"),
                                           debate=request.form.get("debate", ""),
                                           casting_vote=request.form.get("casting_vote") or None),
                _("Vote recorded."), _back(session_id),
                page=_refused_on_session(session_id, f"vote-{item_id}", {
                    **_votes_fields(f"v{item_id}"), "debate": f"debate-{item_id}",
                    "casting_vote": f"casting-{item_id}"}))


@bp.post("/sessions/<int:session_id>/close")
@roles_required(*KEEPERS)
def close(session_id: int) -> Any:
    return _act(lambda: sessions.close_session(g.ctx, session_id), _("Session closed."), _back(session_id))


@bp.post("/sessions/<int:session_id>/minutes")
@roles_required(*KEEPERS)
def draft_minutes(session_id: int) -> Any:
    return _act(lambda: minutes.draft_minutes(g.ctx, session_id),
                _("The minutes wait for the signatures of the secretary and the mayor."), _back(session_id))


def _debates_typed(found: BodySession) -> dict[int, str]:
    """The debates the minutes' text form sent, by item id: only the voted items' debate fields are read
    (whatever else a crafted post carries, votes included, is not the form's and changes nothing)."""
    out: dict[int, str] = {}
    for item in minutes_text.editable_items(found):
        value = request.form.get(minutes_text.debate_field(item.id))
        if value is not None:
            out[item.id] = value
    return out


def _text_refused(session_id: int) -> Callable[[GeeError], str]:
    """The session page with the minutes' text form as typed, each too long debate's reason beside it."""
    def page(err: GeeError) -> str:
        errors: dict[str, str] = {}
        for refusal in err.details or [err]:
            field = getattr(refusal, "field", None)
            errors[field if field and field.startswith("minutes-debate-") else "minutes-text"] = str(refusal)
        return _session_page(session_id, "minutes-text", errors)
    return page


@bp.post("/sessions/<int:session_id>/minutes/text")
@roles_required(*KEEPERS)
def minutes_text_edit(session_id: int) -> Any:
    """Save the minutes' free text; with ``then=draft``, draft the minutes with it in the same step."""
    then_draft = request.form.get("then") == "draft"

    def work() -> None:
        minutes_text.edit_minutes_text(g.ctx, session_id, _debates_typed(sessions.get_session(g.ctx, session_id)))
        if then_draft:
            minutes.draft_minutes(g.ctx, session_id)

    done = (_("The minutes wait for the signatures of the secretary and the mayor.") if then_draft
            else _("The text of the minutes is saved: the minutes print it when drafted."))
    return _act(work, done, _back(session_id), page=_text_refused(session_id))


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/certificate")
@roles_required(*KEEPERS)
def certificate(session_id: int, item_id: int) -> Any:
    return _act(lambda: certificates.issue_certificate(g.ctx, item_id),
                _("The certificate waits for the signatures of the secretary and the mayor."), _back(session_id))


@bp.get("/sessions/<int:session_id>/documents/<int:document_id>")
@login_required
def document(session_id: int, document_id: int) -> Any:
    found = sessions.read_session(g.ctx, session_id)
    own = {found.convocation_document_id, found.minutes_document_id,
           *(i.certificate_document_id for i in found.items)} - {None}
    if document_id not in own:
        raise NotFound(_l("Not found."))
    try:
        doc, content = read_content(g.ctx, document_id)
    except Forbidden:
        raise NotFound(_l("Not found.")) from None
    response = Response(content, mimetype=doc.content_type)
    response.headers.set("Content-Disposition", "inline", filename=doc.file_name)
    return response
