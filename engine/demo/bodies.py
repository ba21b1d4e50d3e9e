"""Demo collegiate bodies: each demo municipality gets a Ple of seven with a session held two weeks
ago (its minutes numbered and signed by the secretary and the mayor) and an upcoming session whose
convocation waits for the mayor's signature. The held session approved the budget initially, so its
expedient's edict is on the public notice board, taking claims (reclamacions) from the e-office.
Idempotent: a municipality with a Ple is left alone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from engine.base.clock import MADRID, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.bodies import bodies, minutes, sessions
from engine.bodies.models import AgendaItem, Attendance, Body, BodySession, SessionStatus
from engine.demo.data import demo_person
from engine.expedients.expedients import Expedient, open_expedient
from engine.noticeboard import edicts
from engine.signatures import circuits
from engine.tenancy.models import Tenant, User

COUNCILLORS = ("Pere Font i Serra", "Laia Riera Pujol", "Joan Bosch Vila", "Núria Camps Soler", "Marc Prat Coll",
               "Carme Vives Roca")


def _held_session(secretary: Context, ple: Body, budget: Expedient) -> BodySession:
    """A session two weeks ago, as the secretary recorded it: all present but one, one agreement (the
    budget's initial approval)."""
    day = local_date(utcnow()) - timedelta(days=14)
    starts = datetime.combine(day, time(19, 0), tzinfo=MADRID)
    session = BodySession(tenant_id=ple.tenant_id, body_id=ple.id, kind="ordinary", starts_at=starts,
                          place="Sala de plens", status=SessionStatus.HELD.value,
                          convened_at=starts - timedelta(days=5), held_at=starts + timedelta(hours=2))
    db.session.add(session)
    db.session.flush()
    for member in ple.members:
        db.session.add(Attendance(tenant_id=ple.tenant_id, session_id=session.id, member_id=member.id,
                                  present=member.name != COUNCILLORS[-1], remote=member.name == COUNCILLORS[0]))
    db.session.add(AgendaItem(tenant_id=ple.tenant_id, session_id=session.id, position=1, expedient_id=budget.id,
                              title="Aprovació inicial del pressupost municipal", text="S'aprova inicialment el "
                              "pressupost general de l'exercici vinent i s'exposa al públic durant quinze dies.",
                              majority="simple", debate="El grup de l'oposició demana més inversió en camins.",
                              votes_for=4, votes_against=2, abstentions=0, result="approved"))
    db.session.flush()
    db.session.expire(session)
    return session


def load_demo_bodies(tenant: Tenant, password: str) -> bool:
    """The demo Ple of ``tenant``; False when it already exists. The caller commits."""
    secretary, mayor = demo_person(tenant, "secretari"), demo_person(tenant, "alcalde")
    if db.session.execute(select(Body).where(Body.tenant_id == tenant.id, Body.code == "ple")).first():
        return False
    ple = bodies.create_body(secretary, code="ple", name="Ple de l'Ajuntament", kind="ple", legal_members=7)
    mayor_user = db.session.get(User, mayor.user_id)
    secretary_user = db.session.get(User, secretary.user_id)
    assert mayor_user is not None and secretary_user is not None
    bodies.add_member(secretary, ple.id, name=mayor_user.full_name, role="president", user_id=mayor_user.id,
                      group="Grup municipal A")
    bodies.add_member(secretary, ple.id, name=secretary_user.full_name, role="secretari", user_id=secretary_user.id)
    for n, name in enumerate(COUNCILLORS):
        bodies.add_member(secretary, ple.id, name=name, role="vocal",
                          group="Grup municipal A" if n < 3 else "Grup municipal B")
    year = local_date(utcnow()).year + 1
    budget = open_expedient(secretary, f"Pressupost general per a l'exercici {year}")
    held = _held_session(secretary, ple, budget)
    minutes.draft_minutes(secretary, held.id)
    for signer in (secretary, mayor):
        for step in circuits.pending_for(signer):
            circuits.sign(signer, step.id, password)
    _expose_budget(secretary, budget, held, year)
    calendar = sessions.calendar_of(secretary)
    upcoming_day = calendar.add_working_days(local_date(utcnow()), 5)
    upcoming = sessions.create_session(secretary, ple.id, kind="ordinary",
                                       starts_at=datetime.combine(upcoming_day, time(19, 0), tzinfo=MADRID),
                                       place="Sala de plens")
    sessions.add_minutes_approval(secretary, upcoming.id, held.id)
    sessions.convene(secretary, upcoming.id)  # waits for the mayor's signature in the demo
    return True


def _expose_budget(secretary: Context, budget: Expedient, held: BodySession, year: int) -> None:
    """The initially approved budget on the notice board for fifteen working days, during which anyone
    interested may examine it and file claims before the Ple (TRLRHL, RDL 2/2004, art. 169.1)."""
    approved = held.starts_at.astimezone(MADRID).date()
    edicts.publish(
        secretary, budget.id, title=f"Aprovació inicial del pressupost general per a l'exercici {year}",
        text=(f"El Ple de l'Ajuntament, en la sessió ordinària del {approved:%d/%m/%Y}, va aprovar inicialment el "
              f"pressupost general per a l'exercici {year}.\n\nD'acord amb l'article 169.1 del Text refós de la "
              "Llei reguladora de les hisendes locals (Reial decret legislatiu 2/2004), s'exposa al públic durant "
              "quinze dies hàbils, durant els quals els interessats el poden examinar i presentar-hi reclamacions "
              "davant el Ple. Si no se'n presenta cap, el pressupost es considerarà definitivament aprovat."),
        starts_on=local_date(utcnow()), working_days=15, public_information=True)
