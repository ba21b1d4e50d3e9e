"""The JSON API of collegiate bodies and the notice board (/api/v1, Bearer tokens like the rest of the
API; documented in :mod:`webapp.api.openapi`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from engine.base.clock import as_utc
from engine.bodies import bodies, sessions
from engine.bodies.models import BodySession
from engine.noticeboard import edicts
from webapp.api.auth import authenticate
from webapp.security import csrf

bp = Blueprint("api_bodies", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


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


@bp.get("/bodies")
def list_bodies() -> Any:
    return jsonify([{"id": b.id, "code": b.code, "name": b.name, "kind": b.kind, "legal_members": b.legal_members,
                     "members": [{"name": m.name, "role": m.role, "group": m.group} for m in b.members if m.active]}
                    for b in bodies.list_bodies(g.ctx)])


@bp.get("/bodies/<int:body_id>/sessions")
def list_sessions(body_id: int) -> Any:
    body = bodies.get_body(g.ctx, body_id)
    return jsonify([_session(s) for s in sessions.sessions_of(g.ctx, body.id)])


@bp.get("/sessions/<int:session_id>")
def show_session(session_id: int) -> Any:
    return jsonify(_session(sessions.read_session(g.ctx, session_id)))


@bp.get("/edicts")
def list_edicts() -> Any:
    return jsonify([{**edicts.feed_entry(e), "expedient_id": e.expedient_id, "intact": edicts.intact(e),
                     "withdrawn": e.withdrawn_at is not None} for e in edicts.edicts_of(g.ctx)])
