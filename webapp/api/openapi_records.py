"""The OpenAPI description of the records a municipality's programs read and write beyond expedients:
parties, registry receipts, decrees, notifications, terms, ENI import, collegiate bodies and edicts
one by one, and the platform's tenants. Merged into :func:`webapp.api.openapi.spec`."""

from __future__ import annotations

from typing import Any

from engine.base.settings import LOCALES
from engine.decrees.book import DecreeStatus
from engine.notifications.notifications import NotificationState
from engine.tenancy.admin import TenantKind
from webapp.api.openapi_parts import JSON, errors, id_param, json_answer, operation, ref

_NULL_STRING = {"type": ["string", "null"]}
_NULL_DATE = {"type": ["string", "null"], "format": "date"}
_NULL_MOMENT = {"type": ["string", "null"], "format": "date-time"}
_PDF = {"description": "The PDF", "content": {"application/pdf": {}}}
_CURSOR = {"name": "cursor", "in": "query", "description": "next_cursor of the previous page",
           "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}}
_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}}


def _page_of(item: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": ref(item)}, "next_cursor": _NULL_STRING}}


_PARTY_FIELDS = ("nif", "name", "email", "phone", "address", "postal_code", "municipality")

RECORDS_SCHEMAS: dict[str, Any] = {
    "Party": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "nif": {"type": "string", "examples": ["12345678Z"]},
            "kind": {"type": "string", "enum": ["person", "entity"]}, "name": {"type": "string"},
            **{k: _NULL_STRING for k in ("address", "postal_code", "municipality", "email", "phone")},
            "preferred_channel": {"type": "string", "enum": ["electronic", "postal"]},
            "representative_id": {"type": ["integer", "null"]},
        },
    },
    "NewParty": {
        "type": "object", "required": ["nif", "name"],
        "description": "A NIF/NIE/CIF with a valid check character. An entity (CIF) is notified electronically "
                       "(art. 14.2 Ley 39/2015); a natural person on paper unless they chose the e-office "
                       "(preferred_channel electronic, art. 14.1): an e-mail only receives the notices",
        "properties": {**{k: {"type": "string"} for k in _PARTY_FIELDS},
                       "preferred_channel": {"type": "string", "enum": ["electronic", "postal"]}},
    },
    "PartyPage": _page_of("Party"),
    "Decree": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "expedient_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
            "status": {"type": "string", "enum": list(DecreeStatus)},
            "number": {"type": ["string", "null"], "examples": ["DEC/2026/0001"]},
            "signed_at": _NULL_MOMENT, "signed_by": _NULL_STRING, "attested_at": _NULL_MOMENT,
            "attested_by": _NULL_STRING, "annulled_at": _NULL_MOMENT, "annulment_reason": _NULL_STRING,
        },
    },
    "DecreeDetail": {"allOf": [ref("Decree"), {"type": "object", "properties": {
        "text": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}}]},
    "DecreePage": _page_of("Decree"),
    "NotificationPage": _page_of("Notification"),
    "NotificationDetail": {"allOf": [ref("Notification"), {"type": "object", "properties": {"evidence": {
        "type": "array", "description": "Append-only, oldest first",
        "items": {"type": "object", "properties": {
            "kind": {"type": "string", "examples": ["made_available", "accessed", "postal_attempt"]},
            "at": {"type": "string", "format": "date-time"}, "result": _NULL_STRING,
            "recorded_by": _NULL_STRING}}}}}]},
    "TermExplanation": {
        "type": "object",
        "properties": {
            "start": {"type": "string", "format": "date", "description": "The day of notification"},
            "unit": {"type": "string", "enum": ["working_days", "natural_days", "months"]},
            "amount": {"type": "integer"},
            "end": {"type": "string", "format": "date", "description": "The last day of the term"},
            "counting_from": {"type": "string", "format": "date",
                              "description": "The first day counted (art. 30 Ley 39/2015)"},
            "moved_from": {**_NULL_DATE, "description": "The last day, had it not fallen on a day off"},
            "skipped": {"type": "array", "items": {"type": "object", "properties": {
                "day": {"type": "string", "format": "date"}, "reason": {"type": "string"}}}},
        },
    },
    "ExpedientTerm": {
        "type": "object",
        "properties": {"term": {"type": ["object", "null"], "description": "Null: closed, or no maximum term",
                                "properties": {
            "expedient_id": {"type": "integer"}, "number": {"type": "string"}, "subject": {"type": "string"},
            "procedure": _NULL_STRING, "start": {"type": "string", "format": "date"}, "months": {"type": "integer"},
            "due": {"type": "string", "format": "date"}, "elapsed_days": {"type": "integer"},
            "working_days_left": {"type": "integer"}, "days_past": {"type": "integer"},
            "suspended_since": _NULL_DATE, "silence": _NULL_STRING, "expired": {"type": "boolean"},
            "at_risk": {"type": "boolean", "description": "Past its term or 10 working days or fewer left"}}}},
    },
    "EniImported": {
        "type": "object",
        "properties": {
            "expedient": ref("Expedient"), "documents": {"type": "integer"},
            "index_signature_intact": {"type": ["boolean", "null"]},
            "index_signature_finding": _NULL_STRING,
        },
    },
    "Body": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
            "kind": {"type": "string"}, "legal_members": {"type": "integer"},
            "members": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "role": {"type": "string"}, "group": _NULL_STRING}}},
        },
    },
    "Edict": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "text": {"type": "string"},
            "starts_on": {"type": "string", "format": "date"}, "ends_on": {"type": "string", "format": "date"},
            "digest": {"type": "string"}, "documents": {"type": "array", "items": {"type": "integer"}},
            "expedient_id": {"type": "integer"}, "intact": {"type": "boolean"}, "withdrawn": {"type": "boolean"},
        },
    },
    "NewEdict": {
        "type": "object", "required": ["expedient_id", "title", "text"],
        "properties": {
            "expedient_id": {"type": "integer", "description": "An open expedient"},
            "title": {"type": "string", "maxLength": 300}, "text": {"type": "string"},
            "starts_on": {"type": "string", "format": "date", "description": "Today when absent; never past"},
            "ends_on": {"type": "string", "format": "date"},
            "working_days": {"type": "integer", "minimum": 1, "maximum": 365,
                             "description": "The exposure in working days (sets ends_on)"},
            "document_ids": {"type": "array", "items": {"type": "integer"},
                             "description": "Documents of the expedient shown with the edict"},
        },
    },
    "Tenant": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
            "kind": {"type": "string", "enum": list(TenantKind)},
            "dir3": {"type": "string"}, "ine_code": _NULL_STRING, "comarca": _NULL_STRING, "aran": {"type": "boolean"},
            "default_locale": {"type": "string", "enum": list(LOCALES)},
            **{k: {"type": "integer"} for k in ("active_users", "opened_this_month", "filed_this_month",
                                                "filed_online_this_month", "open_incidents", "overdue_tasks")},
        },
    },
    "TenantPage": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": ref("Tenant")}, "page": {"type": "integer"},
                       "pages": {"type": "integer"}, "total": {"type": "integer"}},
    },
    "NewTenant": {
        "type": "object", "required": ["code", "name", "dir3", "admin"],
        "properties": {
            "code": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 40},
            "name": {"type": "string", "maxLength": 200},
            "kind": {"type": "string", "enum": list(TenantKind),
                     "default": "ajuntament"},
            "dir3": {"type": "string", "examples": ["L01250001"]},
            "ine_code": {"type": "string", "description": "Required for an ajuntament"},
            "comarca": {"type": "string"}, "aran": {"type": "boolean", "default": False},
            "default_locale": {"type": "string", "enum": list(LOCALES), "default": "ca",
                               "description": "Language of its e-office and public pages and of the documents "
                                              "it sends"},
            "admin": {"type": "object", "required": ["username", "full_name", "password"],
                      "description": "The tenant's first administrator",
                      "properties": {k: {"type": "string"} for k in ("username", "full_name", "password", "email")}},
        },
    },
}

_PARTY_ID = id_param("party_id", "Party id")
_DECREE_ID = id_param("decree_id", "Decree id")
_EDICT_ID = id_param("edict_id", "Edict id")
_TENANT_ID = id_param("tenant_id", "Tenant id")


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            **({"description": description} if description else {})}


def _read_one(summary: str, op_id: str, schema: str, tag: str, param: dict[str, Any],
              *codes: int) -> dict[str, Any]:
    """The path item of a GET of one record by id (404: not found, or another municipality's)."""
    return {"get": operation(summary, op_id, {"200": json_answer(ref(schema), summary)} | errors(*codes, 404),
                             tag=tag, parameters=[param])}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(schema)}}}


RECORDS_PATHS: dict[str, Any] = {
    "/api/v1/parties": {
        "get": operation("Interested parties of the municipality, newest first, a page at a time", "listParties",
                         {"200": json_answer(ref("PartyPage"), "A page")} | errors(422), tag="parties",
                         parameters=[_query("q", {"type": "string", "maxLength": 100}, "NIF or name contains"),
                                     _CURSOR, _LIMIT]),
        "post": operation("Add a party (found again by NIF: an existing one comes back unchanged)", "createParty",
                          {"201": json_answer(ref("Party"), "Added"),
                           "200": json_answer(ref("Party"), "Already known by this NIF")} | errors(403, 422),
                          tag="parties", requestBody=_body("NewParty")),
    },
    "/api/v1/parties/{party_id}": _read_one("One party", "getParty", "Party", "parties", _PARTY_ID),
    "/api/v1/registry/entries/{entry_id}/receipt": {
        "get": operation("The receipt (justificant) PDF of a registry entry", "getRegistryReceipt",
                         {"200": _PDF} | errors(403, 404), tag="registry",
                         parameters=[id_param("entry_id", "Registry entry id")]),
    },
    "/api/v1/decrees": {
        "get": operation("Decrees of the decree book (drafts too), newest first, a page at a time", "listDecrees",
                         {"200": json_answer(ref("DecreePage"), "A page")} | errors(403, 422), tag="decrees",
                         parameters=[
                             _query("year", {"type": "integer", "minimum": 1900, "maximum": 2999},
                                    "Numbered in this year's book"),
                             _query("status", {"type": "string", "enum": list(DecreeStatus)}),
                             _query("q", {"type": "string", "maxLength": 100},
                                    "In the number, the title, or the expedient's number or subject, whatever "
                                    "the accents and the case (resolucio finds Resolució)"),
                             _CURSOR, _LIMIT]),
    },
    "/api/v1/decrees/{decree_id}": _read_one("One decree with its text", "getDecree", "DecreeDetail", "decrees",
                                             _DECREE_ID, 403),
    "/api/v1/decrees/{decree_id}/pdf": {
        "get": operation("The signed PDF of a decree (409 while it is a draft)", "getDecreePdf",
                         {"200": _PDF} | errors(403, 404, 409), tag="decrees", parameters=[_DECREE_ID]),
    },
    "/api/v1/notifications": {
        "get": operation("Notifications of the whole municipality, newest first, a page at a time",
                         "listNotifications", {"200": json_answer(ref("NotificationPage"), "A page")} | errors(422),
                         tag="notifications",
                         parameters=[_query("state", {"type": "string", "enum": list(NotificationState)}),
                                     _CURSOR, _LIMIT]),
    },
    "/api/v1/notifications/{notification_id}": _read_one(
        "One notification with its evidence", "getNotification", "NotificationDetail", "notifications",
        id_param("notification_id", "Notification id")),
    "/api/v1/deadlines": {
        "get": operation("The deadline calculator: the last day of a term on the municipality's calendar",
                         "calculateDeadline", {"200": json_answer(ref("TermExplanation"), "The term")} | errors(422),
                         tag="deadlines",
                         parameters=[
                             _query("start", {"type": "string", "format": "date"}, "The day of notification",
                                    required=True),
                             _query("amount", {"type": "integer", "minimum": 1, "maximum": 3650}, required=True),
                             _query("unit", {"type": "string", "enum": ["working_days", "natural_days", "months"],
                                             "default": "working_days"}),
                             _query("extra", {"type": "string"}, "More days off, ISO dates separated by spaces"),
                         ]),
    },
    "/api/v1/expedients/{expedient_id}/term": _read_one(
        "Where an open expedient stands against its maximum legal term", "getExpedientTerm", "ExpedientTerm",
        "deadlines", id_param("expedient_id", "Expedient id")),
    "/api/v1/eni/imports": {
        "post": operation("Import an ENI expedient (one XML file, or a zip of the remission)", "importEni",
                          {"201": json_answer(ref("EniImported"), "Imported")} | errors(403, 409, 422), tag="eni",
                          requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                              "type": "object", "required": ["file"],
                              "properties": {"file": {"type": "string",
                                                      "contentMediaType": "application/octet-stream"}}}}}}),
    },
    "/api/v1/bodies/{body_id}": _read_one("One collegiate body with its members", "getBody", "Body", "bodies",
                                          id_param("body_id", "Collegiate body id")),
    "/api/v1/edicts/{edict_id}": _read_one("One edict of the notice board", "getEdict", "Edict", "noticeboard",
                                           _EDICT_ID, 403),
    "/api/v1/tenants": {
        "get": operation("Every tenant of the platform with its figures, by name, 25 a page (platform "
                         "administrators)", "listTenants",
                         {"200": json_answer(ref("TenantPage"), "A page")} | errors(403, 422), tag="platform",
                         parameters=[_query("q", {"type": "string", "maxLength": 100},
                                            "Name, code, DIR3, INE code or comarca contains"),
                                     _query("page", {"type": "integer", "minimum": 1, "maximum": 100000,
                                                     "default": 1})]),
        "post": operation("Create a tenant with its first administrator (platform administrators)", "createTenant",
                          {"201": json_answer(ref("Tenant"), "Created")} | errors(403, 409, 422), tag="platform",
                          requestBody=_body("NewTenant")),
    },
    "/api/v1/tenants/{tenant_id}": _read_one("One tenant's figures (platform administrators)", "getTenant",
                                             "Tenant", "platform", _TENANT_ID, 403),
}
