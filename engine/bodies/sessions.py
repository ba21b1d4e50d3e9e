"""Sessions of a collegiate body: the agenda, the convocation, attendance and quorum, the votes.

The secretary builds the agenda from the body's pending proposals (and the approval of earlier
minutes), then asks the mayor to sign the convocation: a PDF with the agenda, signed with a PAdES
signature through the signature circuits. When the mayor signs, the convocation is made available
to every member (one notice each), which must happen at least two working days before the session
(:mod:`engine.bodies.rules`); from then on the members read the agenda's expedients. During the
session the secretary notes attendance (present, remote) and, item by item, the debate and the
votes; an item added after the convocation is urgent and its urgency is voted first.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from engine.audit import record
from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, ValidationFailed
from engine.base.formats import format_day, format_moment
from engine.base.i18n import _l
from engine.bodies import rules
from engine.bodies.bodies import bodies_of_user, clean_text, get_body, require_keeper
from engine.bodies.models import (
    AgendaItem,
    Attendance,
    BodySession,
    ConvocationNotice,
    Majority,
    MemberRole,
    Proposal,
    ProposalState,
    SessionKind,
    SessionStatus,
)
from engine.bodies.paperwork import render
from engine.bodies.returns import Returned, returned
from engine.calendar import TenantCalendar
from engine.documents.documents import store_document
from engine.documents.verification_codes import new_csv
from engine.signatures.circuits import request_signatures
from engine.tenancy.models import Role, Tenant
from engine.tenancy.scoping import get_owned, scoped


def calendar_of(ctx: Context) -> TenantCalendar:
    tenant = db.session.get(Tenant, ctx.tenant_id)
    return TenantCalendar.for_tenant(tenant) if tenant is not None else TenantCalendar()


def get_session(ctx: Context, session_id: int, *, for_update: bool = False) -> BodySession:
    return get_owned(BodySession, ctx, session_id, for_update=for_update)


def may_read(ctx: Context, session: BodySession) -> bool:
    """Staff read every session; a member reads the sessions of their bodies once convened."""
    if any(ctx.has_role(r) for r in (Role.SECRETARI, Role.ALCALDE, Role.ADMIN, Role.TRAMITADOR)):
        return True
    return session.body_id in bodies_of_user(ctx) and session.status != SessionStatus.DRAFT


def read_session(ctx: Context, session_id: int) -> BodySession:
    session = get_session(ctx, session_id)
    if not may_read(ctx, session):
        raise Forbidden(_l("You cannot read this session."))
    return session


def sessions_of(ctx: Context, body_id: int) -> list[BodySession]:
    stmt = scoped(BodySession, ctx).where(BodySession.body_id == body_id).order_by(BodySession.starts_at.desc())
    return [s for s in db.session.execute(stmt).scalars() if may_read(ctx, s)]


def create_session(ctx: Context, body_id: int, *, kind: str, starts_at: datetime, place: str) -> BodySession:
    require_keeper(ctx)
    body = get_body(ctx, body_id)
    if kind not in tuple(SessionKind):
        raise ValidationFailed(_l("The session must be ordinary, extraordinary or urgent."), field="kind")
    moment = as_utc(starts_at)
    if moment is None or moment <= utcnow():
        raise ValidationFailed(_l("A session is convened for a future date."), field="starts_at")
    session = BodySession(tenant_id=ctx.tenant_id, body_id=body.id, kind=kind, starts_at=moment,
                          place=clean_text(place, "place"), status=SessionStatus.DRAFT.value)
    db.session.add(session)
    db.session.flush()
    record(ctx, "body.session_created", "body_session", session.id, after=session.summary())
    return session


def _next_position(session: BodySession) -> int:
    return max((i.position for i in session.items), default=0) + 1


def convocation_returned(ctx: Context, session: BodySession) -> Returned | None:
    """The mayor returned the convocation for changes instead of signing it: the session is a draft
    again in all but name (its agenda can change and it is convened anew)."""
    if session.status != SessionStatus.CONVENING:
        return None
    return returned(ctx, session.convocation_document_id)


def _open_agenda(ctx: Context, session: BodySession) -> bool:
    """Items join a draft agenda freely; after the convocation only as urgent items."""
    if session.status == SessionStatus.HELD:
        raise Conflict(_l("The agenda of this session cannot change now."))
    if session.status == SessionStatus.CONVENING and convocation_returned(ctx, session) is None:
        raise Conflict(_l("The agenda of this session cannot change now."))
    return session.status == SessionStatus.CONVENED


def add_proposal(ctx: Context, session_id: int, proposal_id: int) -> AgendaItem:
    """Put a pending proposal of the session's body on its agenda."""
    require_keeper(ctx)
    session = get_session(ctx, session_id, for_update=True)
    urgent = _open_agenda(ctx, session)
    proposal = get_owned(Proposal, ctx, proposal_id, for_update=True)
    if proposal.body_id != session.body_id or proposal.state != ProposalState.PENDING:
        raise Conflict(_l("This proposal is not waiting for this body."))
    item = AgendaItem(tenant_id=ctx.tenant_id, session_id=session.id, position=_next_position(session),
                      title=proposal.title, text=proposal.text, majority=proposal.majority, proposal_id=proposal.id,
                      expedient_id=proposal.expedient_id, urgent=urgent)
    proposal.state = ProposalState.SCHEDULED.value
    db.session.add(item)
    db.session.flush()
    session.items.append(item)
    record(ctx, "body.item_added", "body_session", session.id, expedient_id=proposal.expedient_id,
           after={"position": item.position, "title": item.title, "urgent": urgent})
    return item


def add_minutes_approval(ctx: Context, session_id: int, previous_id: int) -> AgendaItem:
    """The approval of an earlier session's signed minutes (simple majority) as an item."""
    require_keeper(ctx)
    session = get_session(ctx, session_id, for_update=True)
    urgent = _open_agenda(ctx, session)
    previous = get_session(ctx, previous_id)
    if previous.body_id != session.body_id or as_utc(previous.starts_at) >= as_utc(session.starts_at):  # type: ignore[operator]
        raise Conflict(_l("Only the minutes of an earlier session of the same body can be approved."))
    if not previous.minutes_signed or previous.minutes_approved_in_id is not None:
        raise Conflict(_l("These minutes are not signed, or are already approved."))
    if any(i.approves_minutes_of_id == previous.id for i in session.items):
        raise Conflict(_l("These minutes are already on the agenda."))
    elsewhere = _approval_pending_in(ctx, previous.id)
    if elsewhere is not None:
        raise Conflict(_l("The approval of these minutes is already on the agenda of the session of %(day)s.",
                          day=format_day(local_date(elsewhere.starts_at), ctx.locale)))
    item = AgendaItem(tenant_id=ctx.tenant_id, session_id=session.id, position=_next_position(session),
                      title=str(_l("Approval of the minutes of session %(number)s", number=previous.minutes_number)),
                      majority=Majority.SIMPLE.value, approves_minutes_of_id=previous.id, urgent=urgent)
    db.session.add(item)
    db.session.flush()
    session.items.append(item)
    return item


def _approval_pending_in(ctx: Context, previous_id: int) -> BodySession | None:
    """A session not held yet whose agenda already puts these minutes to approval (one at a time:
    a second approval would overwrite the first)."""
    stmt = (scoped(BodySession, ctx).join(AgendaItem, AgendaItem.session_id == BodySession.id)
            .where(AgendaItem.approves_minutes_of_id == previous_id, AgendaItem.result.is_(None),
                   BodySession.status != SessionStatus.HELD.value)
            .order_by(BodySession.starts_at).limit(1))
    return cast(BodySession | None, db.session.execute(stmt).scalar_one_or_none())


def approvable_minutes(ctx: Context, session: BodySession) -> list[BodySession]:
    """The earlier sessions of the body whose signed minutes ``session`` may put to approval: not
    approved yet and not on the agenda of a session still to be held (this one included)."""
    stmt = scoped(BodySession, ctx).where(
        BodySession.body_id == session.body_id, BodySession.id != session.id, BodySession.minutes_signed.is_(True),
        BodySession.minutes_approved_in_id.is_(None), BodySession.starts_at < session.starts_at,
    ).order_by(BodySession.starts_at)
    candidates = list(db.session.execute(stmt).scalars())
    return [s for s in candidates if _approval_pending_in(ctx, s.id) is None]


# -- convocation ----------------------------------------------------------------------------


def _check_in_time(ctx: Context, session: BodySession, convened_on: datetime) -> None:
    if session.kind == SessionKind.URGENT:
        return  # the Ple votes the urgency first instead (art. 46.2.b, ROF art. 79)
    calendar = calendar_of(ctx)
    session_on = local_date(session.starts_at)
    if not rules.convened_in_time(calendar, local_date(convened_on), session_on):
        latest = rules.latest_convocation_day(calendar, session_on)
        raise Conflict(_l("Too late to convene: a session on %(day)s must be convened by %(latest)s "
                          "(two working days before, LBRL art. 46.2.b).",
                          day=format_day(session_on, ctx.locale), latest=format_day(latest, ctx.locale)))


def convene(ctx: Context, session_id: int) -> BodySession:
    """Draft the convocation (PDF with the agenda) and put it in the mayor's signature queue."""
    require_keeper(ctx)
    session = get_session(ctx, session_id, for_update=True)
    if session.status != SessionStatus.DRAFT and convocation_returned(ctx, session) is None:
        raise Conflict(_l("This session is already convened."))
    if not session.items:
        raise ValidationFailed(_l("Put at least one item on the agenda."), field="items")
    if not any(m.active and m.role == MemberRole.PRESIDENT for m in session.body.members):
        raise ValidationFailed(_l("The body has no president."), field="members")
    _check_in_time(ctx, session, utcnow())
    csv = new_csv()
    pdf = render(ctx, "convocation.html", csv=csv, session=session, body=session.body)
    doc = store_document(ctx, None, f"convocatoria-{session.body.code}-{session.id}.pdf", pdf,
                         title=str(_l("Convocation of %(body)s", body=session.body.name)), tipo_documental="TD06",
                         from_administration=True, author=ctx.username, csv=csv)
    request_signatures(ctx, doc.id, [Role.ALCALDE.value])
    session.convocation_document_id = doc.id
    session.status = SessionStatus.CONVENING.value
    db.session.flush()
    record(ctx, "body.convocation_drafted", "body_session", session.id, after=session.summary())
    return session


def convocation_signed(ctx: Context, session: BodySession, signed_document_id: int) -> None:
    """The mayor signed: the convocation is made available to every member now."""
    now = utcnow()
    _check_in_time(ctx, session, now)
    session.convocation_document_id = signed_document_id
    session.status, session.convened_at = SessionStatus.CONVENED.value, now
    for member in session.body.members:
        if member.active:
            db.session.add(ConvocationNotice(tenant_id=session.tenant_id, session_id=session.id, member_id=member.id,
                                             made_available_at=now))
    db.session.flush()
    record(ctx, "body.session_convened", "body_session", session.id, after=session.summary())


def notices(ctx: Context, session_id: int) -> list[ConvocationNotice]:
    stmt = scoped(ConvocationNotice, ctx).where(ConvocationNotice.session_id == session_id)
    return cast(list[ConvocationNotice], list(db.session.execute(stmt.order_by(ConvocationNotice.id)).scalars()))


def read_notice(ctx: Context, session_id: int) -> None:
    """A member opened the convocation: the first reading is kept as evidence."""
    for notice in notices(ctx, session_id):
        if notice.member.user_id == ctx.user_id and ctx.user_id is not None and notice.read_at is None:
            notice.read_at = utcnow()
            record(ctx, "body.convocation_read", "body_session", session_id, after={"member": notice.member.name})
    db.session.flush()


# -- the session ----------------------------------------------------------------------------


def _in_session(ctx: Context, session_id: int) -> BodySession:
    """A convened session that has begun: attendance, votes and closing are what happens in it."""
    require_keeper(ctx)
    session = get_session(ctx, session_id, for_update=True)
    if session.status != SessionStatus.CONVENED:
        raise Conflict(_l("Only a convened session that is not closed can be recorded."))
    if not has_started(session):
        raise Conflict(_l("The session starts on %(moment)s: attendance, votes and the closing are recorded "
                          "from then on.", moment=format_moment(session.starts_at, ctx.locale)))
    return session


def has_started(session: BodySession) -> bool:
    """The session's start (a moment, so Madrid's wall clock is implied) has come."""
    starts = as_utc(session.starts_at)
    return starts is not None and starts <= utcnow()


def record_attendance(ctx: Context, session_id: int, present: dict[int, bool], remote: dict[int, bool]) -> BodySession:
    """Who is present (and who attends remotely), by member id."""
    session = _in_session(ctx, session_id)
    member_ids = {m.id for m in session.body.members if m.active}
    if not set(present) <= member_ids or not set(remote) <= member_ids:
        raise ValidationFailed(_l("Only members of the body attend."), field="attendance")
    if any(i.result is not None or i.tied_once for i in session.items):
        raise Conflict(_l("Votes are recorded: attendance is closed."))
    rows = {a.member_id: a for a in session.attendance}
    for member_id in sorted(member_ids):
        row = rows.get(member_id)
        if row is None:
            row = Attendance(tenant_id=ctx.tenant_id, session_id=session.id, member_id=member_id)
            db.session.add(row)
            session.attendance.append(row)
        row.present = bool(present.get(member_id))
        row.remote = row.present and bool(remote.get(member_id))
    db.session.flush()
    record(ctx, "body.attendance", "body_session", session.id,
           after={"present": sorted(k for k, v in present.items() if v)})
    return session


def quorum_of(session: BodySession) -> rules.QuorumCheck:
    present = [a.member for a in session.attendance if a.present]
    return rules.check_quorum(
        session.body.legal_members,
        sum(1 for m in present if m.votes),
        president_present=any(m.role == MemberRole.PRESIDENT for m in present),
        secretary_present=any(m.role == MemberRole.SECRETARI for m in present),
    )


def _votes(session: BodySession, votes_for: int, against: int, abstentions: int) -> None:
    check = quorum_of(session)
    if not check.constituted:
        raise Conflict(_l("No quorum: %(present)s members present, %(required)s needed, with the president and "
                          "the secretary (LBRL art. 46.2.c).", present=check.present, required=check.required))
    if min(votes_for, against, abstentions) < 0 or votes_for + against + abstentions != check.present:
        raise ValidationFailed(_l("For, against and abstentions must add up to the %(n)s members present.",
                                  n=check.present), field="votes")


def vote_session_urgency(ctx: Context, session_id: int, votes_for: int, against: int, abstentions: int) -> bool:
    """An urgent session first votes its urgency (simple majority); if refused, it is lifted."""
    session = _in_session(ctx, session_id)
    if session.kind != SessionKind.URGENT or session.urgency_approved is not None:
        raise Conflict(_l("There is no urgency to vote."))
    _votes(session, votes_for, against, abstentions)
    session.urgency_approved = rules.passes(Majority.SIMPLE, session.body.legal_members, votes_for, against)
    db.session.flush()
    record(ctx, "body.session_urgency", "body_session", session.id,
           after={"for": votes_for, "against": against, "abstentions": abstentions,
                  "approved": session.urgency_approved})
    return bool(session.urgency_approved)


def _item(session: BodySession, item_id: int) -> AgendaItem:
    found = next((i for i in session.items if i.id == item_id), None)
    if found is None:
        raise ValidationFailed(_l("That item is not on this session's agenda."), field="item_id")
    if session.kind == SessionKind.URGENT and not session.urgency_approved:
        raise Conflict(_l("The urgency of the session has not been approved."))
    return found


def vote_item_urgency(ctx: Context, session_id: int, item_id: int, votes_for: int, against: int,
                      abstentions: int) -> bool:
    """The urgency of an item not on the convocation's agenda, by absolute majority."""
    session = _in_session(ctx, session_id)
    item = _item(session, item_id)
    if not item.urgent or item.urgency_approved is not None:
        raise Conflict(_l("There is no urgency to vote."))
    _votes(session, votes_for, against, abstentions)
    item.urgency_for, item.urgency_against, item.urgency_abstentions = votes_for, against, abstentions
    item.urgency_approved = rules.passes(Majority.ABSOLUTE, session.body.legal_members, votes_for, against)
    db.session.flush()
    return bool(item.urgency_approved)


def _refuse_approved_minutes(ctx: Context, item: AgendaItem) -> None:
    """Minutes are approved once: a later vote must not overwrite the session that approved them."""
    if item.approves_minutes_of_id is None:
        return
    previous = get_session(ctx, item.approves_minutes_of_id)
    if previous.minutes_approved_in_id is not None and previous.minutes_approved_in_id != item.session_id:
        approver = get_session(ctx, previous.minutes_approved_in_id)
        raise Conflict(_l("These minutes were already approved at the session of %(day)s.",
                          day=format_day(local_date(approver.starts_at), ctx.locale)))


def vote_item(ctx: Context, session_id: int, item_id: int, *, votes_for: int, against: int, abstentions: int,
              debate: str = "", casting_vote: str | None = None) -> AgendaItem:
    """Record an item's debate and vote; the result follows from the majority it requires.

    A simple-majority vote that ties is kept and the item stays open for a new vote; if the new vote
    ties again, ``casting_vote`` (``for`` or ``against``, the president's) decides (LBRL art. 46.2.d).
    """
    session = _in_session(ctx, session_id)
    item = _item(session, item_id)
    if item.result is not None:
        raise Conflict(_l("This item is already voted."))
    if item.urgent and not item.urgency_approved:
        raise Conflict(_l("Vote the urgency of this item first (absolute majority)."))
    _refuse_approved_minutes(ctx, item)
    _votes(session, votes_for, against, abstentions)
    tie = rules.ties(item.majority, votes_for, against)
    if tie and item.tied_once and casting_vote not in rules.CASTING_VOTES:
        raise ValidationFailed(_l("The tie persists: the president's casting vote decides (LBRL art. 46.2.d). "
                                  "Record it as for or against."), field="casting_vote")
    item.debate = _debates(item.debate, debate)
    if tie and not item.tied_once:
        item.first_votes_for, item.first_votes_against, item.first_abstentions = votes_for, against, abstentions
        db.session.flush()
        record(ctx, "body.item_tied", "body_session", session.id, expedient_id=item.expedient_id,
               after={"position": item.position, "title": item.title, "for": votes_for, "against": against,
                      "abstentions": abstentions})
        return item
    item.votes_for, item.votes_against, item.abstentions = votes_for, against, abstentions
    if tie:
        item.casting_vote = casting_vote
        approved = casting_vote == "for"
    else:
        approved = rules.passes(item.majority, session.body.legal_members, votes_for, against)
    item.result = "approved" if approved else "rejected"
    if item.approves_minutes_of_id is not None and approved:
        previous = get_session(ctx, item.approves_minutes_of_id, for_update=True)
        previous.minutes_approved_in_id = session.id
    db.session.flush()
    record(ctx, "body.item_voted", "body_session", session.id, expedient_id=item.expedient_id,
           after={"position": item.position, "title": item.title, **item.votes(), "result": item.result,
                  "casting_vote": item.casting_vote})
    return item


def _debates(kept: str | None, new: str | None) -> str | None:
    """A repeated vote's debate follows the first one's (the minutes tell both, in order)."""
    said = (new or "").strip()
    if not said:
        return kept
    return f"{kept}\n\n{said}"[:20000] if kept else said[:20000]


def close_session(ctx: Context, session_id: int) -> BodySession:
    """The session is over: every item taken in is voted (an urgent one refused is not dealt with)."""
    session = _in_session(ctx, session_id)
    lifted = session.kind == SessionKind.URGENT and session.urgency_approved is False
    pending = [i for i in session.items if i.result is None and not (i.urgent and i.urgency_approved is False)]
    if not lifted and not quorum_of(session).constituted:
        raise Conflict(_l("The session was not constituted (no quorum)."))
    if pending and not lifted:
        positions = ", ".join(str(i.position) for i in pending)
        raise Conflict(_l("Some items are not voted yet: %(items)s.", items=positions))
    for item in session.items:
        if item.proposal_id is not None and item.result is None:  # not dealt with: back to the queue
            proposal = get_owned(Proposal, ctx, item.proposal_id, for_update=True)
            proposal.state = ProposalState.PENDING.value
    session.status, session.held_at = SessionStatus.HELD.value, utcnow()
    db.session.flush()
    record(ctx, "body.session_held", "body_session", session.id, after=session.summary())
    return session
