"""The records of collegiate bodies: bodies and members, sessions, agenda items, attendance, the
convocation notices members receive, and the proposals expedients send to a body."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.base.clock import as_utc, utcnow
from engine.base.db import db


class BodyKind(StrEnum):
    PLE = "ple"
    JUNTA_GOVERN = "junta_govern"
    COMISSIO = "comissio"


class MemberRole(StrEnum):
    PRESIDENT = "president"
    VOCAL = "vocal"
    #: The secretary attends and keeps the minutes, but is not a member of the corporation: no vote.
    SECRETARI = "secretari"


class SessionKind(StrEnum):
    ORDINARY = "ordinary"
    EXTRAORDINARY = "extraordinary"
    URGENT = "urgent"


class SessionStatus(StrEnum):
    DRAFT = "draft"  # agenda being built
    CONVENING = "convening"  # the convocation waits for the mayor's signature
    CONVENED = "convened"  # signed and notified to every member
    HELD = "held"  # closed: votes recorded, the minutes can be drafted


class Majority(StrEnum):
    SIMPLE = "simple"
    ABSOLUTE = "absolute"


class ProposalState(StrEnum):
    PENDING = "pending"  # waiting for a session
    SCHEDULED = "scheduled"  # on a session's agenda
    DECIDED = "decided"  # voted; the certificate resumes the expedient when signed


class Body(db.Model):  # type: ignore[name-defined]
    __tablename__ = "bodies"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    #: What a procedure names: ``ple``, ``jgl``, ``ci-urbanisme``...
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: The legal number of members (quorum and absolute majority count on it, not on who sits today).
    legal_members: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list[BodyMember]] = relationship(order_by="BodyMember.id", lazy="selectin")


class BodyMember(db.Model):  # type: ignore[name-defined]
    __tablename__ = "body_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: A member who logs in to GEE reads the convocation and the agenda's expedients.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    group: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def votes(self) -> bool:
        return self.role != MemberRole.SECRETARI


class BodySession(db.Model):  # type: ignore[name-defined]
    __tablename__ = "body_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.DRAFT.value, index=True)
    convocation_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    convened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: An urgent session first votes its urgency (simple majority); ``None`` until voted.
    urgency_approved: Mapped[bool | None] = mapped_column(Boolean)
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The minutes: numbered per body and year without gaps when drafted.
    minutes_year: Mapped[int | None] = mapped_column(Integer)
    minutes_seq: Mapped[int | None] = mapped_column(Integer)
    minutes_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    minutes_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The later session that approved these minutes.
    minutes_approved_in_id: Mapped[int | None] = mapped_column(ForeignKey("body_sessions.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    body: Mapped[Body] = relationship(lazy="selectin")
    items: Mapped[list[AgendaItem]] = relationship(order_by="AgendaItem.position", lazy="selectin",
                                                   foreign_keys="AgendaItem.session_id")
    attendance: Mapped[list[Attendance]] = relationship(order_by="Attendance.member_id", lazy="selectin")

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body.code,
            "kind": self.kind,
            "starts_at": as_utc(self.starts_at),
            "place": self.place,
            "status": self.status,
            "convened_at": as_utc(self.convened_at),
            "minutes_number": self.minutes_number,
        }

    @property
    def minutes_number(self) -> str | None:
        if self.minutes_seq is None:
            return None
        return f"{self.minutes_seq}/{self.minutes_year}"


class AgendaItem(db.Model):  # type: ignore[name-defined]
    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("body_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    majority: Mapped[str] = mapped_column(String(10), default=Majority.SIMPLE.value)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("body_proposals.id"))
    expedient_id: Mapped[int | None] = mapped_column(ForeignKey("expedients.id"))
    #: Approval of the minutes of an earlier session (the first item of an ordinary session).
    approves_minutes_of_id: Mapped[int | None] = mapped_column(ForeignKey("body_sessions.id"))
    #: Not on the convocation's agenda: its urgency is voted first, by absolute majority.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency_for: Mapped[int | None] = mapped_column(Integer)
    urgency_against: Mapped[int | None] = mapped_column(Integer)
    urgency_abstentions: Mapped[int | None] = mapped_column(Integer)
    urgency_approved: Mapped[bool | None] = mapped_column(Boolean)
    debate: Mapped[str | None] = mapped_column(Text)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    abstentions: Mapped[int | None] = mapped_column(Integer)
    #: A simple-majority vote that tied: kept here, and the item is voted again (LBRL art. 46.2.d).
    first_votes_for: Mapped[int | None] = mapped_column(Integer)
    first_votes_against: Mapped[int | None] = mapped_column(Integer)
    first_abstentions: Mapped[int | None] = mapped_column(Integer)
    #: ``for`` | ``against``: the president's casting vote when the repeated vote tied again.
    casting_vote: Mapped[str | None] = mapped_column(String(10))
    #: approved | rejected | None (not voted yet)
    result: Mapped[str | None] = mapped_column(String(10))
    certificate_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    certificate_signed: Mapped[bool] = mapped_column(Boolean, default=False)

    def votes(self) -> dict[str, int | None]:
        return {"for": self.votes_for, "against": self.votes_against, "abstentions": self.abstentions}

    @property
    def tied_once(self) -> bool:
        """The first vote tied: the item waits for (or had) a repeated vote."""
        return self.first_votes_for is not None


class Attendance(db.Model):  # type: ignore[name-defined]
    __tablename__ = "body_attendance"
    __table_args__ = (UniqueConstraint("session_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("body_sessions.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("body_members.id"))
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Attended remotely (LBRL art. 46.3), identity and vote ensured by the platform used.
    remote: Mapped[bool] = mapped_column(Boolean, default=False)

    member: Mapped[BodyMember] = relationship(lazy="selectin")


class ConvocationNotice(db.Model):  # type: ignore[name-defined]
    """The convocation made available to one member (electronic notice), and when they read it."""

    __tablename__ = "body_convocation_notices"
    __table_args__ = (UniqueConstraint("session_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("body_sessions.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("body_members.id"))
    made_available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    member: Mapped[BodyMember] = relationship(lazy="selectin")


class Proposal(db.Model):  # type: ignore[name-defined]
    """A proposal (dictamen) an expedient's procedure sends to a body; the procedure waits for the
    agreement (message :data:`engine.bodies.proposals.AGREEMENT_MESSAGE`)."""

    __tablename__ = "body_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    expedient_id: Mapped[int] = mapped_column(ForeignKey("expedients.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    majority: Mapped[str] = mapped_column(String(10), default=Majority.SIMPLE.value)
    state: Mapped[str] = mapped_column(String(20), default=ProposalState.PENDING.value, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
