"""The JSON API of collegiate bodies and the notice board (/api/v1, Bearer tokens like the rest of the
API; documented in :mod:`webapp.api.openapi`). The notice board is for its page's roles (publishers)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, jsonify

from engine.base.clock import as_utc, local_date, utcnow
from engine.bodies import bodies, sessions
from engine.bodies.models import Body, BodySession
from engine.expedients.expedients import require_role
from engine.noticeboard import edicts
from engine.noticeboard.models import Edict
from webapp.api.answers import id_list, json_body, ok
from webapp.api.auth import api_blueprint
from webapp.inputs import date_value, id_value, int_arg

bp = api_blueprint("api_bodies")


def _session(found: BodySession) -> dict[str, Any]:
    check = sessions.quorum_of(found)
    return {
        "id": found.id, "body_id": found.body_id, "kind": found.kind, "status": found.status,
        "starts_at": (as_utc(found.starts_at) or found.starts_at).isoformat(), "place": found.place,
        "convened_at": at.isoformat() if (at := as_utc(found.convened_at)) else None,
        "minutes_number": found.minutes_number, "minutes_signed": found.minutes_signed,
        "quorum": {"required": check.required, "present": check.present, "constituted": check.constituted},
        "items": [{"position": i.position, "title": i.title, "majority": i.majority, "urgent": i.urgent,
                   "expedient_id": i.expedient_id, "result": i.result, "votes": i.votes(),
                   "first_votes": {"for": i.first_votes_for, "against": i.first_votes_against,
                                   "abstentions": i.first_abstentions} if i.tied_once else None,
                   "casting_vote": i.casting_vote,
                   "certificate_signed": i.certificate_signed} for i in found.items],
    }


def _body(found: Body) -> dict[str, Any]:
    return {"id": found.id, "code": found.code, "name": found.name, "kind": found.kind,
            "legal_members": found.legal_members,
            "members": [{"name": m.name, "role": m.role, "group": m.group} for m in found.members if m.active]}


def _edict(found: Edict) -> dict[str, Any]:
    return {**edicts.feed_entry(found), "expedient_id": found.expedient_id, "intact": edicts.intact(found),
            "withdrawn": found.withdrawn_at is not None}


def _day(body: dict[str, Any], key: str) -> date | None:
    value = body.get(key)
    return None if value is None else date_value(str(value), key)


@bp.get("/bodies")
def list_bodies() -> Any:
    return jsonify([_body(b) for b in bodies.list_bodies(g.ctx)])


@bp.get("/bodies/<int:body_id>")
def show_body(body_id: int) -> Any:
    return jsonify(_body(bodies.get_body(g.ctx, body_id)))


@bp.get("/bodies/<int:body_id>/sessions")
def list_sessions(body_id: int) -> Any:
    body = bodies.get_body(g.ctx, body_id)
    return jsonify([_session(s) for s in sessions.sessions_of(g.ctx, body.id)])


@bp.get("/sessions/<int:session_id>")
def show_session(session_id: int) -> Any:
    return jsonify(_session(sessions.read_session(g.ctx, session_id)))


@bp.get("/edicts")
def list_edicts() -> Any:
    require_role(g.ctx, edicts.PUBLISHERS)
    return jsonify([_edict(e) for e in edicts.edicts_of(g.ctx)])


@bp.get("/edicts/<int:edict_id>")
def show_edict(edict_id: int) -> Any:
    require_role(g.ctx, edicts.PUBLISHERS)
    return jsonify(_edict(edicts.get_edict(g.ctx, edict_id)))


@bp.post("/edicts")
def publish_edict() -> Any:
    """Publish an edict of an open expedient, as the notice board page does."""
    body = json_body()
    published = edicts.publish(
        g.ctx, id_value(body.get("expedient_id"), "expedient_id") or 0, title=str(body.get("title") or ""),
        text=str(body.get("text") or ""), starts_on=_day(body, "starts_on") or local_date(utcnow()),
        ends_on=_day(body, "ends_on"),
        working_days=int_arg(body.get("working_days"), field="working_days", low=1, high=365),
        document_ids=id_list(body, "document_ids"),
    )  # fmt: skip
    return ok(_edict(published), 201)
