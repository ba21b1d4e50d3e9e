"""Service tasks: steps the engine runs itself, with the records services, inside the instance's
transaction (scripts cannot: they run in a sandbox without the database).

A BPMN service task names an operator of :data:`OPERATORS` with SpiffWorkflow's extension::

    <bpmn:serviceTask id="Gen_requeriment" name="Generar el requeriment">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="gee.generate_document" resultVariable="doc_requeriment">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="titol" type="str" value="'Requeriment d\\'esmena'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
        <spiffworkflow:properties>
          <spiffworkflow:property name="documentTemplate" value="requeriment.ca.html" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:serviceTask>

Parameter values are expressions evaluated in the sandbox against the task data (so a literal
text needs quotes); the operator's answer (a JSON object) is stored in ``resultVariable``.
Deploy refuses an unknown operator or a missing required parameter
(:func:`engine.process.definition.validation.check_service_tasks`). A failing call rolls back what it
wrote (a savepoint) and becomes an Incident, like a failing script.

The acting context is the one that advanced the instance: the person who completed the task
before, or the system for timers. Signatures are never an operator: a sign step (a user task
with ``gee:sign``) is signed by its signer with a real PAdES signature.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from jinja2 import TemplateError
from lxml import html as lxml_html
from sqlalchemy import select

from engine import audit
from engine.base.clock import MADRID, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.i18n import _l
from engine.calendar import TenantCalendar
from engine.control import legal_terms
from engine.decrees import book as decrees
from engine.documents import closing, documents
from engine.documents.procedure_templates import DOCUMENT_LOCALES, RenderedTemplate, render_version_template
from engine.documents.verification_codes import new_csv, verify_url
from engine.expedients import expedients, parties
from engine.expedients.parties import Party
from engine.notifications import notifications
from engine.process.definition.validation import TEMPLATE_PROPERTY
from engine.process.instances.messages import AwaitedMessage, deliver_in_transaction
from engine.process.instances.service_calls import Call, ServiceError, register_operator
from engine.registry import entries as registry
from engine.signatures.circuits import signed_decree_document
from engine.tenancy.models import Tenant

# --------------------------------------------------------------------------- documents


def render_document(call: Call, locale: str, csv: str | None = None) -> RenderedTemplate:
    """Fill in the task's ``documentTemplate`` (its ``locale`` variant) with the process data;
    ``csv``, drawn before rendering, is printed with the verification address on every page."""
    name = call.properties.get(TEMPLATE_PROPERTY)
    if not name:
        raise ServiceError(_l("the task names no document template (property documentTemplate)"))
    expedient = expedients.get_expedient(call.ctx, call.expedient_id())
    tenant = db.session.get(Tenant, call.ctx.tenant_id)
    context = {
        **call.data,
        "dades": call.data,
        "expedient": {"number": expedient.number, "subject": expedient.subject},
        "ajuntament": {"name": tenant.name if tenant else ""},
        "avui": local_date(utcnow()).isoformat(),
        "idioma": locale,
        "csv": csv,
        "verify_url": verify_url(csv) if csv else None,
    }
    try:
        return render_version_template(call.binding.version, name, locale, context)
    except TemplateError as err:
        raise ServiceError(_l("the template %(name)s cannot be filled in: %(error)s", name=name, error=err)) from None


def generate_document(call: Call) -> dict[str, Any]:
    """Render the task's ``documentTemplate`` (in ``idioma``: ca or es) with the process data to a
    PDF, store it in the expedient as an issued document with a CSV. Parameters: ``titol``,
    ``tipus_documental`` (TD01 resolució, TD07 notificació, TD11 certificat, TD13 informe...),
    optional ``idioma``. Answer: ``{"document_id", "csv", "template"}``."""
    locale = str(call.param("idioma") or call.data.get("idioma") or call.ctx.locale or "ca")
    locale = locale if locale in DOCUMENT_LOCALES else "ca"
    csv = new_csv()
    rendered = render_document(call, locale, csv)
    doc = documents.store_document(
        call.ctx,
        call.expedient_id(),
        rendered.pdf_filename,
        rendered.pdf(),
        title=str(call.param("titol")),
        tipo_documental=str(call.param("tipus_documental", "TD99")),
        from_administration=True,
        author=call.ctx.username,
        csv=csv,
    )
    return {"document_id": doc.id, "csv": doc.csv, "template": rendered.name}


# --------------------------------------------------------------------------- decrees


def _plain_text(html: str) -> str:
    """The paragraphs of a rendered template as plain text, one blank line between them."""
    root = lxml_html.fromstring(html)
    blocks = root.xpath(".//p | .//h1 | .//h2 | .//h3 | .//li | .//div[not(.//p) and not(.//div) and not(.//li)]")
    paragraphs = [" ".join(block.text_content().split()) for block in blocks]
    return "\n\n".join(p for p in paragraphs if p)


def create_decree_draft(call: Call) -> dict[str, Any]:
    """A draft decree in the expedient (no number yet). Parameters: ``titol`` and ``text``, or
    instead of ``text`` the task's ``documentTemplate`` (e.g. ``decret.ca.html``, which adds the
    appeals): its paragraphs, filled in with the process data, become the decree's text.
    Answer: ``{"decree_id"}``."""
    if call.properties.get(TEMPLATE_PROPERTY):
        locale = str(call.data.get("idioma") or call.ctx.locale or "ca")
        text = _plain_text(render_document(call, locale if locale in DOCUMENT_LOCALES else "ca").html)
    elif call.param("text") is not None:
        text = str(call.param("text"))
    else:
        raise ServiceError(_l("give the decree's text: the parameter text or a documentTemplate"))
    decree = decrees.create_draft(call.ctx, title=str(call.param("titol")), text=text, expedient_id=call.expedient_id())
    return {"decree_id": decree.id}


def decree_info(call: Call) -> dict[str, Any]:
    """What the book says of decree ``decree_id`` after its sign steps (``gee:sign``): its
    number, when it was signed, who attested it, and its signed PDF (the document to notify).
    Answer: ``{"number", "signed_on", "attested_by", "document_id", "csv"}``."""
    decree = decrees.get_decree(call.ctx, int(call.param("decree_id")))
    if decree.number is None or decree.signed_at is None:
        raise ServiceError(_l("the decree is not signed yet: put a sign task (gee:sign) of the alcalde before "
                              "this step"))
    doc = signed_decree_document(call.ctx, decree.id)
    return {"number": decree.number, "signed_on": local_date(decree.signed_at).isoformat(),
            "attested_by": decree.attested_by_name, "document_id": doc.id, "csv": doc.csv}


# --------------------------------------------------------------------------- notification, terms, closing


def _dispatch(call: Call, party: Party | None, recipient: Any = None) -> dict[str, Any]:
    """One outgoing registry entry of ``document_id`` and, to ``party``, its notification."""
    expedient_id = call.expedient_id()
    document_id = int(call.param("document_id"))
    channel = str(call.param("canal") or (party.preferred_channel if party else None) or "electronic")
    entry = registry.register_outgoing(
        call.ctx,
        subject=str(call.param("assumpte")),
        channel=channel,
        recipient=str(recipient) if recipient else None,
        party_id=party.id if party else None,
        document_ids=[document_id],
        expedient_id=expedient_id,
    )
    notification_id = None
    if party is not None:
        notification_id = notifications.notify(call.ctx, expedient_id, party.id, document_id, channel).id
    return {"registry_number": entry.number, "registered_on": local_date(entry.presented_at).isoformat(),
            "notification_id": notification_id}


def _named_parties(call: Call, named: Any) -> list[Party]:
    """The parties of ``interessats`` ([{"nif", "nom", optional "email", "adreca"}…]), found or
    created and linked to the expedient as interessats: whoever's rights the procedure may affect
    is one (art. 4.1.b Ley 39/2015)."""
    if not isinstance(named, list) or not named or not all(isinstance(p, dict) for p in named):
        raise ServiceError(_l("interessats must be a non-empty list of {'nif', 'nom'} objects"))
    found: dict[int, Party] = {}
    for person in named:
        party = parties.find_or_create_party(call.ctx, str(person.get("nif") or ""), str(person.get("nom") or ""),
                                             email=person.get("email") or None, address=person.get("adreca") or None)
        expedients.link_party(call.ctx, call.expedient_id(), party.id)
        found.setdefault(party.id, party)
    return list(found.values())


def notify(call: Call) -> dict[str, Any]:
    """Dispatch ``document_id``: an outgoing registry entry (sortida) and, to the expedient's first
    interested party, a notification with its evidence (made available; accessed, rejected or
    expired later, see :mod:`engine.notifications.notifications`). With ``destinatari`` (another
    body, e.g. asked for a sector report) it goes to that body by registry only, and no party is
    notified. With ``interessats`` (a list of ``{"nif", "nom"}``, e.g. the third parties an access
    request may affect) each of them is linked to the expedient and gets an entry and a
    notification of its own. Parameters: ``document_id``, ``assumpte``, optional ``destinatari``,
    ``interessats``, ``canal`` (electronic or postal; default the party's preferred one, else
    electronic). Answer: ``{"registry_number", "registered_on", "notification_id"}``
    (``registered_on``: the day of the outgoing entry in Spain, e.g. where a suspension of the
    term starts); with ``interessats``, ``{"registered_on", "notification_ids", "dispatches"}``
    (one answer per party), and a ``gee:await-notification`` step on it goes on when every one
    of them has its outcome."""
    recipient = call.param("destinatari")
    named = call.param("interessats")
    if named is not None and not recipient:
        dispatches = [_dispatch(call, party) for party in _named_parties(call, named)]
        return {"registered_on": dispatches[0]["registered_on"], "dispatches": dispatches,
                "notification_ids": [d["notification_id"] for d in dispatches]}
    links = [] if recipient else expedients.parties_of(call.ctx, call.expedient_id())
    party = links[0].party if links else None
    if party is None and not recipient:
        raise ServiceError(_l("the expedient has no interested party to notify and no destinatari was given"))
    return _dispatch(call, party, recipient)


def _as_date(value: Any, name: str) -> date:
    """A date, or the day in Spain of a moment (e.g. a message's ``received_at``, stored in UTC)."""
    text = str(value).strip()
    try:
        return local_date(datetime.fromisoformat(text)) if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        raise ServiceError(_l("%(name)s must be a date like 2026-03-02, got %(value)s", name=name,
                              value=repr(value))) from None


def max_resolution_date(call: Call) -> dict[str, Any]:
    """The last day to resolve and notify (art. 21 and 22.1.a Ley 39/2015) with the tenant's
    calendar: ``mesos`` months from ``inici`` pushed by the natural days of each suspension
    (``suspensions``: a list of [since, until] dates). Answer: ``{"date", "timer"}`` where
    ``timer`` is the end of that day in Spain, ready for a timeDate. On an expedient the term is
    also recorded for the legal-term control, ending any suspension still running there."""
    suspensions = [(_as_date(a, "suspensions"), _as_date(b, "suspensions")) for a, b in call.param("suspensions") or []]
    start, months = _as_date(call.param("inici"), "inici"), int(call.param("mesos"))
    if call.binding.instance.expedient_id is not None:
        end = legal_terms.record_term(call.ctx, call.expedient_id(), start, months, suspensions)
    else:
        tenant = db.session.get(Tenant, call.ctx.tenant_id)
        calendar = TenantCalendar.for_tenant(tenant) if tenant else TenantCalendar()
        end = calendar.max_resolution_date(start, months, suspensions)
    timer = datetime.combine(end, time(23, 59, 59), tzinfo=MADRID).isoformat()
    return {"date": end.isoformat(), "timer": timer}


def suspend_term(call: Call) -> dict[str, Any]:
    """The maximum term is suspended from ``des_de`` (a requeriment d'esmena notified, a sector
    report asked for: art. 22.1 Ley 39/2015) until ``gee.max_resolution_date`` records it again
    with that suspension ended. Answer: ``{"since"}``."""
    since = _as_date(call.param("des_de"), "des_de")
    legal_terms.suspend_term(call.ctx, call.expedient_id(), since)
    return {"since": since.isoformat()}


def record_silence(call: Call) -> dict[str, Any]:
    """The maximum term ran out without a notified resolution: flag the silence (``efecte``:
    positive or negative) on the expedient's history. Answer: ``{"effect", "on"}``."""
    effect = str(call.param("efecte"))
    if effect not in ("positive", "negative"):
        raise ServiceError(_l("efecte must be 'positive' or 'negative'"))
    expedient_id = call.expedient_id()
    on = local_date(utcnow()).isoformat()
    audit.record(call.ctx, "expedient.silence", "expedient", expedient_id, expedient_id=expedient_id,
                 after={"effect": effect, "on": on, "instance_id": call.binding.instance.id})  # fmt: skip
    return {"effect": effect, "on": on}


def relate_expedient(call: Call) -> dict[str, Any]:
    """Relate the expedient to the one numbered ``numero`` (e.g. an application to its call)."""
    other = expedients.find_by_number(call.ctx, str(call.param("numero")))
    expedients.relate(call.ctx, call.expedient_id(), other.id)
    return {"related_id": other.id}


def message_related(call: Call) -> dict[str, Any]:
    """Deliver the message ``missatge`` to the process of each related expedient that waits for
    it, with its own payload ``dades[<expedient number>]`` (e.g. a call for grants resolved as a
    whole tells each application its place, score and amount, art. 22.1 Llei 38/2003). Answer:
    ``{"delivered": [numbers], "not_waiting": [numbers]}``: a related expedient with a payload
    whose process no longer waits is listed, not an error."""
    name = str(call.param("missatge"))
    payloads = call.param("dades")
    if not isinstance(payloads, dict):
        raise ServiceError(_l("dades must map expedient numbers to the payload of each"))
    expedient = expedients.get_expedient(call.ctx, call.expedient_id())
    unknown = sorted(set(payloads) - {e.number for e in expedient.related})
    if unknown:
        raise ServiceError(_l("not related to this expedient: %(numbers)s", numbers=", ".join(unknown)))
    delivered: list[str] = []
    not_waiting: list[str] = []
    for other in sorted(expedient.related, key=lambda e: e.number):
        payload = payloads.get(other.number)
        if not isinstance(payload, dict):
            continue
        waiting = [row.instance_id for row in db.session.execute(select(AwaitedMessage).where(
            AwaitedMessage.tenant_id == call.ctx.tenant_id, AwaitedMessage.expedient_id == other.id,
            AwaitedMessage.state == "waiting")).scalars() if row.accepts(name)]
        if not waiting:
            not_waiting.append(other.number)
            continue
        deliver_in_transaction(call.ctx, waiting[0], name, dict(payload))
        delivered.append(other.number)
    return {"delivered": delivered, "not_waiting": not_waiting}


def close_expedient(call: Call) -> dict[str, Any]:
    """Close the expedient (E02) with its index: the procedure closes it when it ends, whoever
    completed the last task (the audit names them). Answer: ``{"closed": true}``."""
    actor = Context.system(call.ctx.tenant_id, f"procediment/{call.ctx.username}"[:100])
    closing.close_expedient(actor, call.expedient_id())
    return {"closed": True}


register_operator("gee.generate_document", generate_document, ("titol",), ("tipus_documental", "idioma"), slow=True)
register_operator("gee.create_decree_draft", create_decree_draft, ("titol",), ("text",))
register_operator("gee.decree_info", decree_info, ("decree_id",))
register_operator("gee.notify", notify, ("document_id", "assumpte"), ("destinatari", "interessats", "canal"))
register_operator("gee.max_resolution_date", max_resolution_date, ("inici", "mesos"), ("suspensions",))
register_operator("gee.suspend_term", suspend_term, ("des_de",))
register_operator("gee.record_silence", record_silence, ("efecte",))
register_operator("gee.relate_expedient", relate_expedient, ("numero",))
register_operator("gee.message_related", message_related, ("missatge", "dades"))
register_operator("gee.close_expedient", close_expedient)
