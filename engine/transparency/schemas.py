"""The JSON Schema (draft 2020-12) of each section's JSON download, so that the open data says what
each field is and which type it has."""

from __future__ import annotations

from typing import Any

from engine.transparency.portal import columns_of
from engine.transparency.sections import BY_KEY

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _field(kind: str, description: str, *, nullable: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"] if nullable else kind, "description": description, **extra}


#: Every column any section has; a column means the same in every section it appears in.
FIELDS: dict[str, dict[str, Any]] = {
    "body": _field("string", "Collegiate body; null for the signing officers.", nullable=True),
    "body_kind": _field("string", "Kind of body: ple, junta_govern, comissio.", nullable=True),
    "name": _field("string", "Name of the person or of the procedure."),
    "role": _field("string", "Role: alcalde, secretari, president, vocal..."),
    "group": _field("string", "Political group.", nullable=True),
    "session_date": _field("string", "Day of the session (Spain).", format="date"),
    "session_kind": _field("string", "ordinary, extraordinary or urgent."),
    "minutes": _field("string", "Number of the minutes.", nullable=True),
    "position": _field("integer", "Item of the agenda."),
    "title": _field("string", "Title; in decree extracts, without personal data."),
    "majority": _field("string", "Majority required: simple or absolute."),
    "votes_for": _field("integer", "Votes in favour.", nullable=True),
    "votes_against": _field("integer", "Votes against.", nullable=True),
    "abstentions": _field("integer", "Abstentions.", nullable=True),
    "casting_vote": {"enum": ["for", "against", None], "description": "The president's casting vote, if it decided."},
    "result": _field("string", "approved or rejected."),
    "number": _field("string", "Number of the decree in the book (DEC/year/sequence)."),
    "date": _field("string", "Day of signature (Spain).", nullable=True, format="date"),
    "procedure": _field("string", "Procedure of the decree's expedient.", nullable=True),
    "purpose": _field("string", "Purpose of the grant call.", nullable=True),
    "bdns_code": _field("string", "Code of the call in the national grants database (BDNS).", nullable=True),
    "decree": _field("string", "Number of the decree that resolved the call.", nullable=True),
    "published_on": _field("string", "Day of publication.", format="date"),
    "beneficiary": _field("string", "Beneficiary if a legal person or entity; null for a natural person.",
                          nullable=True),
    "beneficiary_kind": {"enum": ["entity", "person"], "description": "Legal person or entity, or natural person."},
    "amount": _field("number", "Amount granted, in euros.", nullable=True),
    "online": _field("boolean", "Whether a citizen can file it online on the e-office."),
    "max_term_months": _field("integer", "Maximum legal term to resolve, in months.", nullable=True),
    "max_term_days": _field("integer", "Maximum legal term to resolve, in days.", nullable=True),
    "silence": {"enum": ["positive", "negative", "none", None], "description": "Effect of silence at the term."},
    "median_days": _field("number", "Median natural days from opening to closing of the expedients closed in "
                          "the last 12 months; null when none was.", nullable=True),
    "resolved": _field("integer", "Expedients closed in the last 12 months.", minimum=0),
    "url": _field("string", "Where to consult it.", format="uri"),
}


def section_schema(key: str, schema_id: str) -> dict[str, Any]:
    """The schema of the JSON of section ``key`` (one of :data:`BY_KEY`), identified by ``schema_id``."""
    section, columns = BY_KEY[key], list(columns_of(key))
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "title": f"{section.title} ({section.law})",
        "type": "object",
        "required": ["tenant", "section", "title", "law", "columns", "rows"],
        "additionalProperties": False,
        "properties": {
            "tenant": {"type": "string", "description": "The municipality."},
            "section": {"const": key},
            "title": {"type": "string", "description": "The section's title, in the language asked for."},
            "law": {"const": section.law},
            "columns": {"const": columns},
            "rows": {"type": "array", "items": {"type": "object", "required": columns, "additionalProperties": False,
                                                "properties": {c: FIELDS[c] for c in columns}}},
        },
    }
