"""The PDFs of a body's session (convocation, minutes, certificates, the book of minutes), in Catalan
or Spanish, rendered from the templates beside this module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.base.context import Context
from engine.base.db import db
from engine.documents.pdf import render_pdf_from
from engine.documents.verification_codes import verify_url
from engine.tenancy.models import Tenant

TEMPLATES = Path(__file__).resolve().parent / "templates"

LABELS: dict[str, dict[str, str]] = {
    "ca": {
        "convocation": "Convocatòria", "minutes": "Acta", "certificate": "Certificat d'acord",
        "book": "Llibre d'actes", "ordinary": "ordinària", "extraordinary": "extraordinària",
        "urgent": "extraordinària i urgent", "session": "Sessió", "date": "Data i hora", "place": "Lloc",
        "agenda": "Ordre del dia", "convene_text": "Per ordre de l'Alcaldia, se us convoca a la sessió següent. "
        "Els expedients de l'ordre del dia estan a la vostra disposició a la seu electrònica des d'avui.",
        "attendees": "Assistents", "absent": "Absents", "remote": "a distància", "secretary": "Secretari/ària",
        "president": "President/a", "quorum": "Quòrum", "quorum_text": "Hi ha el quòrum legal: %(present)s membres "
        "presents de %(legal)s (en calen %(required)s), amb el president i el secretari (art. 46.2.c LBRL).",
        "items": "Assumptes tractats", "debate": "Debat", "votes": "Votació", "for": "a favor",
        "against": "en contra", "abstentions": "abstencions", "abstention": "abstenció",
        "votes_for_one": "vot a favor", "votes_for_many": "vots a favor",
        "approved": "APROVAT", "rejected": "REBUTJAT",
        "simple": "majoria simple", "absolute": "majoria absoluta", "urgency": "Urgència",
        "not_taken": "No es tracta: la urgència no s'aprova.", "number": "Número",
        "certify": "CERTIFICO: que %(body)s, en la sessió %(kind)s del %(date)s, amb el quòrum legal, va adoptar "
        "per %(majority)s (%(yes)s, %(against)s en contra i %(abstentions)s) l'acord "
        "següent:", "certify_rejected": "CERTIFICO: que %(body)s, en la sessió %(kind)s del %(date)s, va rebutjar "
        "per %(yes)s, %(against)s en contra i %(abstentions)s la proposta següent:",
        "reserve": "I, perquè consti, expedeixo aquest certificat amb el vistiplau de l'alcalde/ssa, a reserva dels "
        "termes que resultin de l'aprovació de l'acta (art. 206 ROF).", "vistiplau": "Vistiplau, l'alcalde/ssa",
        "expedient": "Expedient", "csv": "CSV", "verify": "Verificació", "empty": "Cap acta aquest any.",
        "approved_in": "Aprovada a la sessió", "pending_approval": "Pendent d'aprovació",
        "page": "Pàgina", "remote_note": "Assistència a distància (art. 46.3 LBRL)",
        "first_vote": "Primera votació", "tie_repeat": "empat: es fa una nova votació (art. 46.2.d LBRL)",
        "second_vote": "Nova votació", "casting": "Persisteix l'empat i decideix el vot de qualitat del president/a, "
        "%(direction)s (art. 46.2.d LBRL)", "casting_for": "a favor", "casting_against": "en contra",
        "certify_casting": "Després d'una primera votació amb empat (%(yes)s a favor, %(against)s en contra i "
        "%(abstentions)s) i d'una nova votació en què va persistir l'empat, l'acord es va decidir pel "
        "vot de qualitat del president/a, %(direction)s (art. 46.2.d LBRL).",
    },
    "es": {
        "convocation": "Convocatoria", "minutes": "Acta", "certificate": "Certificado de acuerdo",
        "book": "Libro de actas", "ordinary": "ordinaria", "extraordinary": "extraordinaria",
        "urgent": "extraordinaria y urgente", "session": "Sesión", "date": "Fecha y hora", "place": "Lugar",
        "agenda": "Orden del día", "convene_text": "Por orden de la Alcaldía, se le convoca a la sesión siguiente. "
        "Los expedientes del orden del día están a su disposición en la sede electrónica desde hoy.",
        "attendees": "Asistentes", "absent": "Ausentes", "remote": "a distancia", "secretary": "Secretario/a",
        "president": "Presidente/a", "quorum": "Quórum", "quorum_text": "Hay el quórum legal: %(present)s miembros "
        "presentes de %(legal)s (se necesitan %(required)s), con el presidente y el secretario (art. 46.2.c LBRL).",
        "items": "Asuntos tratados", "debate": "Debate", "votes": "Votación", "for": "a favor",
        "against": "en contra", "abstentions": "abstenciones", "abstention": "abstención",
        "votes_for_one": "voto a favor", "votes_for_many": "votos a favor",
        "approved": "APROBADO", "rejected": "RECHAZADO",
        "simple": "mayoría simple", "absolute": "mayoría absoluta", "urgency": "Urgencia",
        "not_taken": "No se trata: la urgencia no se aprueba.", "number": "Número",
        "certify": "CERTIFICO: que %(body)s, en la sesión %(kind)s del %(date)s, con el quórum legal, adoptó por "
        "%(majority)s (%(yes)s, %(against)s en contra y %(abstentions)s) el acuerdo "
        "siguiente:", "certify_rejected": "CERTIFICO: que %(body)s, en la sesión %(kind)s del %(date)s, rechazó por "
        "%(yes)s, %(against)s en contra y %(abstentions)s la propuesta siguiente:",
        "reserve": "Y, para que conste, expido este certificado con el visto bueno del alcalde/sa, a reserva de los "
        "términos que resulten de la aprobación del acta (art. 206 ROF).", "vistiplau": "Visto bueno, el alcalde/sa",
        "expedient": "Expediente", "csv": "CSV", "verify": "Verificación", "empty": "Ninguna acta este año.",
        "approved_in": "Aprobada en la sesión", "pending_approval": "Pendiente de aprobación",
        "page": "Página", "remote_note": "Asistencia a distancia (art. 46.3 LBRL)",
        "first_vote": "Primera votación", "tie_repeat": "empate: se efectúa una nueva votación (art. 46.2.d LBRL)",
        "second_vote": "Nueva votación", "casting": "Persiste el empate y decide el voto de calidad del "
        "presidente/a, %(direction)s (art. 46.2.d LBRL)", "casting_for": "a favor", "casting_against": "en contra",
        "certify_casting": "Tras una primera votación con empate (%(yes)s a favor, %(against)s en contra y "
        "%(abstentions)s) y una nueva votación en la que persistió el empate, el acuerdo se decidió por "
        "el voto de calidad del presidente/a, %(direction)s (art. 46.2.d LBRL).",
    },
}


def labels_for(ctx: Context) -> dict[str, str]:
    return LABELS.get(ctx.locale, LABELS["ca"])


def counted(labels: dict[str, str]) -> Callable[[int | None, str, str], str]:
    """``counted(n, one, many)``: ``n`` with the label for one or for many ("1 abstenció", "2 abstencions")."""
    return lambda n, one, many: f"{n} {labels[one] if n == 1 else labels[many]}"


def render(ctx: Context, template: str, *, csv: str | None = None, **context: Any) -> bytes:
    """A session PDF in the acting person's language (Catalan unless Spanish), with the CSV printed."""
    tenant = db.session.get(Tenant, ctx.tenant_id)
    labels = labels_for(ctx)
    return render_pdf_from(TEMPLATES, template, tenant=tenant, labels=labels, counted=counted(labels), csv=csv,
                           verify_url=verify_url(csv) if csv else None, locale=ctx.locale, **context)
