"""The free text of the minutes (acta) the secretary may still correct before they are signed.

The minutes are drafted from the session's record, so a change the mayor asks for when returning
them is made in that record, then the minutes are drafted again. Only the typed text the minutes
print is editable: each voted item's debate summary. Attendance, votes, results and the agreements
themselves (the proposals' titles and texts that were voted) are what happened in the session and
stay as recorded. Editing is open while the session is held and its minutes are not signed, and
either not drafted yet or returned for changes: minutes waiting in a signature circuit would be
signed without the change, and signed minutes are final. Every change is audited, before and after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.base.i18n import _l
from engine.bodies.bodies import require_keeper
from engine.bodies.minutes import minutes_returned
from engine.bodies.models import AgendaItem, BodySession, SessionStatus
from engine.bodies.sessions import get_session

#: The longest debate summary of one item (a repeated vote's debates together).
DEBATE_LIMIT = 20000

_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


def debate_field(item_id: int) -> str:
    """The name (and DOM id) of an item's debate in the minutes' text form."""
    return f"minutes-debate-{item_id}"


def editable_items(session: BodySession) -> list[AgendaItem]:
    """The items whose debate the minutes print: those voted (an item not taken has none)."""
    return [i for i in session.items if i.result is not None]


def why_not_editable(ctx: Context, session: BodySession) -> str | None:
    """Why the minutes' text cannot change now, or ``None`` when it can."""
    if session.minutes_signed:
        return str(_l("The minutes are signed: their text can no longer be changed."))
    if session.status != SessionStatus.HELD:
        return str(_l("The text of the minutes can be changed once the session is held."))
    if session.minutes_document_id is not None and minutes_returned(ctx, session) is None:
        return str(_l("The minutes are waiting for signatures: their text can be changed if a signer returns "
                      "them for changes."))
    return None


def may_edit(ctx: Context, session: BodySession) -> bool:
    return why_not_editable(ctx, session) is None


def clean_debate(value: str | None) -> str | None:
    """Paragraphs separated by one blank line (the minutes print one paragraph each); ``None`` if empty."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    return "\n\n".join(p.strip() for p in _BLANK_LINE.split(text) if p.strip())


def edit_minutes_text(ctx: Context, session_id: int, debates: Mapping[int, str | None]) -> list[AgendaItem]:
    """Set the debate summaries of a held session's voted items (by item id) while its minutes are
    not signed; the items whose text changed, each change audited. Nothing else of the session can
    change here: the votes, attendance and results are what happened."""
    require_keeper(ctx)
    session = get_session(ctx, session_id, for_update=True)
    refusal = why_not_editable(ctx, session)
    if refusal is not None:
        raise Conflict(refusal)
    items = {i.id: i for i in editable_items(session)}
    unknown = sorted(set(debates) - set(items))
    if unknown:
        raise ValidationFailed(_l("That item is not among the voted items of this session."), field="item_id")
    texts = {item_id: clean_debate(value) for item_id, value in debates.items()}
    too_long = [ValidationFailed(_l("At most %(n)s characters.", n=DEBATE_LIMIT), field=debate_field(item_id))
                for item_id, text in sorted(texts.items()) if text is not None and len(text) > DEBATE_LIMIT]
    if too_long:
        raise ValidationFailed(too_long[0].message, field=too_long[0].field, details=too_long)
    changed: list[AgendaItem] = []
    for item_id, text in sorted(texts.items(), key=lambda pair: items[pair[0]].position):
        item = items[item_id]
        if text == item.debate:
            continue
        before = item.debate
        item.debate = text
        changed.append(item)
        record(ctx, "body.minutes_text_edited", "body_session", session.id, expedient_id=item.expedient_id,
               before={"position": item.position, "title": item.title, "debate": before},
               after={"position": item.position, "title": item.title, "debate": text})
    db.session.flush()
    return changed
