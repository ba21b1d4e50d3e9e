"""The OpenAPI 3.1 description of /api/v1, written by hand.

tests/test_api_openapi.py checks that every /api/v1 route is described here and every path
described here is a route, and validates the document against the OpenAPI 3.1 schema.
"""

from __future__ import annotations

from typing import Any

from engine.webhooks.events import EVENT_NAMES as WEBHOOK_EVENTS
from webapp.api.openapi_parts import JSON, errors, id_param, json_answer, operation, ref
from webapp.api.openapi_records import RECORDS_PATHS, RECORDS_SCHEMAS

_ref, _json, _id_param, _op = ref, json_answer, id_param, operation

_ERROR_RESPONSES = {
    f"E{code}": _json(_ref("Error"), text)
    for code, text in {
        400: "The request was not understood",
        401: "Missing, unknown or revoked token",
        403: "The token's user may not do this",
        404: "Not found (or of another municipality)",
        409: "Someone else changed it first",
        422: "Invalid data; `field` and `details` say where",
    }.items()
}

_WAITING = {"type": "boolean",
            "description": "true: the step only waits for a notification's outcome and goes on by itself when the "
                           "notification is accessed, rejected or expires; nothing to do but look (listed, as in the "
                           "inbox, but not counted as a task to do)"}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "examples": ["not_found", "validation", "unauthorized"]},
            "message": {"type": "string", "description": "In the caller's language (Accept-Language)"},
            "field": {"type": "string"},
            "details": {"type": "array", "items": {}},
        },
    },
    "Me": {
        "type": "object",
        "properties": {
            "user": {"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"}}},
            "tenant": {"type": "object",
                       "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                      "name": {"type": "string"}}},
            "roles": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ProcessModel": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "key": {"type": "string"},
            "name": {"type": "string"},
            "shared": {"type": "boolean"},
            "published": {"type": "boolean"},
            "latest_version": {"type": ["integer", "null"]},
        },
    },
    "DeployResult": {
        "type": "object",
        "properties": {
            "model_id": {"type": "integer"},
            "key": {"type": "string"},
            "version": {"type": "integer"},
            "version_id": {"type": "integer"},
            "created": {"type": "boolean", "description": "false when identical content was already deployed"},
        },
    },
    "NewExpedient": {
        "type": "object",
        "required": ["process_model_id"],
        "properties": {
            "process_model_id": {"type": "integer", "description": "A published procedure; it starts at once"},
            "subject": {"type": "string", "maxLength": 500,
                        "description": "Required unless taken from the registry entry"},
            "responsible_unit": {"type": "string"},
            "registry_entry_id": {"type": "integer", "description": "An incoming entry the expedient takes over"},
            "party": {
                "type": "object",
                "description": "The interested party, found by NIF or created",
                "required": ["nif"],
                "properties": {**{k: {"type": "string"} for k in
                                  ("nif", "name", "email", "phone", "address", "postal_code", "municipality")},
                               "preferred_channel": {"type": "string", "enum": ["electronic", "postal"]}},
            },
        },
    },
    "Expedient": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "examples": ["2026/000001"]},
            "eni_id": {"type": "string"},
            "subject": {"type": "string"},
            "state": {"type": "string", "enum": ["E01", "E02", "E03"]},
            "classification": {"type": ["string", "null"]},
            "process_model_id": {"type": ["integer", "null"]},
            "responsible_unit": {"type": ["string", "null"]},
            "opened_at": {"type": "string", "format": "date-time"},
        },
    },
    "ExpedientDetail": {
        "type": "object",
        "properties": {
            "expedient": _ref("Expedient"),
            "parties": {"type": "array", "items": {"type": "object"}},
            "documents": {"type": "array", "items": _ref("Document")},
            "tasks": {"type": "array", "items": _ref("Task")},
            "related": {"type": "array", "items": _ref("Expedient"),
                        "description": "Related expedients (an application and its call for grants)"},
        },
    },
    "Opened": {
        "type": "object",
        "properties": {
            "expedient": _ref("Expedient"),
            "instance": {"type": ["object", "null"], "description": "The started procedure, if any"},
        },
    },
    "NewDelivery": {
        "type": "object",
        "required": ["recipient_tenant_id", "subject"],
        "properties": {
            "recipient_tenant_id": {"type": "integer", "description": "Another administration on this platform"},
            "subject": {"type": "string", "maxLength": 500},
            "summary": {"type": "string", "maxLength": 4000},
            "document_ids": {"type": "array", "items": {"type": "integer"}, "description": "Documents sent"},
            "expedient_id": {"type": "integer", "description": "The open expedient the entry goes out of"},
        },
    },
    "Delivery": {
        "type": "object",
        "properties": {
            "entry": {"type": "object", "description": "The outgoing entry here (its receipt is the recipient's)"},
            "recipient": {"type": "string"},
            "their_number": {"type": "string", "description": "The incoming entry's number at the recipient"},
        },
    },
    "ExpedientPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"allOf": [_ref("Expedient"), {
                "type": "object", "properties": {"procedure": {"type": ["string", "null"]}}}]}},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "Notification": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "expedient_id": {"type": "integer"}, "party_id": {"type": "integer"},
            "document_id": {"type": "integer"}, "channel": {"type": "string", "enum": ["electronic", "postal"]},
            "state": {"type": "string"}, "human_task_id": {"type": ["integer", "null"]},
            "made_available_at": {"type": ["string", "null"], "format": "date-time"},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "settled_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "Document": {
        "type": "object",
        "description": "ENI metadata of a document (never its bytes)",
        "properties": {
            "id": {"type": "integer"},
            "expedient_id": {"type": ["integer", "null"]},
            "title": {"type": "string"},
            "file_name": {"type": "string"},
            "content_type": {"type": "string"},
            "size": {"type": "integer"},
            "sha256": {"type": "string"},
            "sha512": {"type": "string"},
            "eni_id": {"type": "string"},
            "tipo_documental": {"type": "string"},
            "csv": {"type": ["string", "null"]},
        },
    },
    "Task": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "description": "The step's name in the caller's language (Accept-Language)"},
            "element_id": {"type": "string"},
            "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
            "role": {"type": ["string", "null"]},
            "unit": {"type": ["string", "null"], "description": "Code of the unit the task is for (gee:unit)."},
            "assignee_id": {"type": ["integer", "null"]},
            "expedient_id": {"type": ["integer", "null"]},
            "instance_id": {"type": "integer"},
            "form": {"type": ["string", "null"]},
            "created_at": {"type": ["string", "null"], "format": "date-time"},
            "due_at": {"type": ["string", "null"], "format": "date-time"},
            "completed_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "TaskDetail": {
        "allOf": [_ref("Task"), {"type": "object", "properties": {
            "form_schema": {"type": ["object", "null"]},
            "may_work": {"type": "boolean", "description": "Whether the token's user may work on it now"},
            "waiting": _WAITING,
        }}],
    },
    "InboxTask": {
        "type": "object",
        "description": "A pending task of my inbox",
        "required": ["id", "name", "waiting"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "description": "The step's name in the caller's language (Accept-Language)"},
            "role": {"type": ["string", "null"]},
            "assignee_id": {"type": ["integer", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "due_at": {"type": ["string", "null"], "format": "date-time"},
            "deadline": {"type": "string", "enum": ["green", "amber", "red"],
                         "description": "How near its due date is (red: overdue)"},
            "expedient_id": {"type": ["integer", "null"]},
            "expedient_number": {"type": ["string", "null"]},
            "subject": {"type": ["string", "null"]},
            "procedure": {"type": "string"},
            "waiting": _WAITING,
        },
    },
    "InstanceSummary": {
        "type": "object",
        "properties": {
            "instance_id": {"type": "integer"},
            "status": {"type": "string"},
            "ready_tasks": {"type": "array", "items": {"type": "object"}},
            "incidents": {"type": "array", "items": {"type": "object"}},
        },
    },
}

_EXPEDIENT_ID = _id_param("expedient_id", "Expedient id")
_DOCUMENT_ID = _id_param("document_id", "Document id")
_TASK_ID = _id_param("task_id", "Task id")


def _paths() -> dict[str, Any]:
    auth = {"401": {"$ref": "#/components/responses/E401"}}

    def err(*codes: int) -> dict[str, Any]:
        return auth | {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}

    return {
        "/api/v1/openapi.json": {
            "get": _op("This document", "openapi", {"200": {"description": "OpenAPI 3.1 document"}},
                       tag="meta", security=[])
        },
        "/api/v1/me": {
            "get": _op("Who the token acts as", "me", {"200": _json(_ref("Me"), "The token's user and tenant")}
                       | err(), tag="meta")
        },
        "/api/v1/process-models": {
            "get": _op("Process models the tenant sees", "listProcessModels",
                       {"200": _json({"type": "array", "items": _ref("ProcessModel")}, "Models")} | err(),
                       tag="process models"),
            "post": _op(
                "Deploy a process model (BPMN with its forms, DMN files and templates)",
                "deployProcessModel",
                {"201": _json(_ref("DeployResult"), "Deployed"),
                 "200": _json(_ref("DeployResult"), "Identical content was already deployed")}
                | err(403, 422),
                tag="process models",
                requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["bpmn"],
                    "properties": {
                        "bpmn": {"type": "string", "contentMediaType": "application/octet-stream"},
                        "forms": {"type": "array",
                                  "items": {"type": "string", "contentMediaType": "application/octet-stream"}},
                        "dmn": {"type": "array",
                                "items": {"type": "string", "contentMediaType": "application/octet-stream"}},
                        "templates": {"type": "array",
                                      "items": {"type": "string", "contentMediaType": "application/octet-stream"}},
                    }}}}},
            ),
        },
        "/api/v1/expedients": {
            "get": _op(
                "The municipality's expedients, newest first, a page at a time", "listExpedients",
                {"200": _json(_ref("ExpedientPage"), "A page; pass next_cursor back as cursor for the next one")}
                | err(422), tag="expedients",
                parameters=[
                    {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "closed"]}},
                    {"name": "procedure", "in": "query", "description": "A procedure's model key",
                     "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "description": "Number, subject, or a party's NIF or name contains",
                     "schema": {"type": "string", "maxLength": 100}},
                    {"name": "cursor", "in": "query", "description": "next_cursor of the previous page",
                     "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                                "default": 50}},
                ]),
            "post": _op("Open an expedient (and start its procedure)", "openExpedient",
                        {"201": _json(_ref("Opened"), "Opened")} | err(403, 404, 422), tag="expedients",
                        requestBody={"required": True, "content": {JSON: {"schema": _ref("NewExpedient")}}}),
        },
        "/api/v1/registry/deliveries": {
            "post": _op("Send an outgoing entry to another administration on this platform (it arrives there as "
                        "an incoming entry with the documents and a receipt)", "deliverEntry",
                        {"201": _json(_ref("Delivery"), "Registered on both sides")} | err(403, 404, 409, 422),
                        tag="registry",
                        requestBody={"required": True, "content": {JSON: {"schema": _ref("NewDelivery")}}}),
        },
        "/api/v1/expedients/{expedient_id}": {
            "get": _op("An expedient with its parties, documents and tasks", "getExpedient",
                       {"200": _json(_ref("ExpedientDetail"), "The expedient")} | err(404), tag="expedients",
                       parameters=[_EXPEDIENT_ID]),
        },
        "/api/v1/expedients/{expedient_id}/documents": {
            "get": _op("The documents of an expedient (latest versions)", "listDocuments",
                       {"200": _json({"type": "array", "items": _ref("Document")}, "Documents")} | err(404),
                       tag="documents", parameters=[_EXPEDIENT_ID]),
            "post": _op(
                "Add a document to an open expedient", "uploadDocument",
                {"201": _json(_ref("Document"), "Stored")} | err(404, 409, 422), tag="documents",
                parameters=[_EXPEDIENT_ID],
                requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file", "title"],
                    "properties": {
                        "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                        "title": {"type": "string"},
                        "tipo_documental": {"type": "string", "default": "TD99"},
                        "from_administration": {"type": "boolean", "default": True},
                    }}}}},
            ),
        },
        "/api/v1/documents/{document_id}": {
            "get": _op("A document's ENI metadata", "getDocument", {"200": _json(_ref("Document"), "Metadata")}
                       | err(404), tag="documents", parameters=[_DOCUMENT_ID]),
        },
        "/api/v1/documents/{document_id}/content": {
            "get": _op("A document's bytes (checked against its digests)", "downloadDocument",
                       {"200": {"description": "The file", "content": {"application/octet-stream": {}}}}
                       | err(404), tag="documents", parameters=[_DOCUMENT_ID]),
        },
        "/api/v1/tasks": {
            "get": _op("My pending tasks (assigned to me or to one of my roles)", "listTasks",
                       {"200": _json({"type": "array", "items": _ref("InboxTask")},
                                     "Tasks, most urgent first, 100 a page")}
                       | err(422), tag="tasks",
                       parameters=[{"name": "page", "in": "query", "description": "The page, from 1",
                                    "schema": {"type": "integer", "minimum": 1, "maximum": 100_000,
                                               "default": 1}}]),
        },
        "/api/v1/tasks/{task_id}": {
            "get": _op("A task and the JSON Schema of its form", "getTask",
                       {"200": _json(_ref("TaskDetail"), "The task")} | err(404), tag="tasks",
                       parameters=[_TASK_ID]),
        },
        "/api/v1/tasks/{task_id}/claim": {
            "post": _op("Take a task from the role's shared inbox", "claimTask",
                        {"200": _json(_ref("Task"), "Claimed")} | err(403, 404, 409), tag="tasks",
                        parameters=[_TASK_ID]),
        },
        "/api/v1/tasks/{task_id}/complete": {
            "post": _op(
                "Complete a task with its form data", "completeTask",
                {"200": _json(_ref("InstanceSummary"), "Completed; what the procedure waits for now")}
                | err(403, 404, 409, 422),
                tag="tasks",
                parameters=[_TASK_ID, {
                    "name": "Idempotency-Key", "in": "header", "required": False,
                    "description": "Retrying with the same key returns the first answer instead of failing",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 100}}],
                requestBody={"required": True, "content": {JSON: {"schema": {
                    "type": "object", "properties": {"data": {"type": "object"}}}}}},
            ),
        },
    }


_ENI_PATHS: dict[str, Any] = {
    "/api/v1/expedients/{expedient_id}/eni": {
        "get": _op("The expedient as an ENI electronic expedient (XML: index, signature, metadata)", "exportEni",
                   {"200": {"description": "ENI XML", "content": {"application/xml": {}}},
                    "401": {"$ref": "#/components/responses/E401"}, "404": {"$ref": "#/components/responses/E404"},
                    "409": {"$ref": "#/components/responses/E409"},
                    "422": {"$ref": "#/components/responses/E422"}},
                   tag="expedients", parameters=[_EXPEDIENT_ID]),
    },
}


_BODY_ID = _id_param("body_id", "Collegiate body id")
_SESSION_ID = _id_param("session_id", "Session id")
_READ_ERRORS = {"401": {"$ref": "#/components/responses/E401"}, "404": {"$ref": "#/components/responses/E404"}}
_SESSION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "body_id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["ordinary", "extraordinary", "urgent"]},
        "status": {"type": "string", "enum": ["draft", "convening", "convened", "held"]},
        "starts_at": {"type": "string", "format": "date-time"}, "place": {"type": "string"},
        "convened_at": {"type": ["string", "null"], "format": "date-time"},
        "minutes_number": {"type": ["string", "null"], "examples": ["1/2026"]},
        "minutes_signed": {"type": "boolean"},
        "quorum": {"type": "object", "description": "LBRL art. 46.2.c"},
        "items": {"type": "array", "items": {"type": "object"}},
    },
}
_BODIES_PATHS: dict[str, Any] = {
    "/api/v1/bodies": {
        "get": _op("The collegiate bodies (Ple, Junta de Govern, comissions) with their members", "listBodies",
                   {"200": _json({"type": "array", "items": {"type": "object"}}, "Bodies"),
                    "401": {"$ref": "#/components/responses/E401"}}, tag="bodies"),
    },
    "/api/v1/bodies/{body_id}/sessions": {
        "get": _op("The sessions of a body, latest first", "listBodySessions",
                   {"200": _json({"type": "array", "items": _SESSION_SCHEMA}, "Sessions")} | _READ_ERRORS,
                   tag="bodies", parameters=[_BODY_ID]),
    },
    "/api/v1/sessions/{session_id}": {
        "get": _op("A session: agenda, quorum, votes and results, minutes", "showSession",
                   {"200": _json(_SESSION_SCHEMA, "Session")} | _READ_ERRORS | {
                       "403": {"$ref": "#/components/responses/E403"}},
                   tag="bodies", parameters=[_SESSION_ID]),
    },
    "/api/v1/edicts": {
        "get": _op("The edicts of the notice board (published, withdrawn, ended)", "listEdicts",
                   {"200": _json({"type": "array", "items": _ref("Edict")}, "Edicts"),
                    "401": {"$ref": "#/components/responses/E401"}, "403": {"$ref": "#/components/responses/E403"}},
                   tag="noticeboard"),
        "post": _op("Publish an edict of an open expedient on the notice board", "publishEdict",
                    {"201": _json(_ref("Edict"), "Published")} | errors(403, 404, 409, 422), tag="noticeboard",
                    requestBody={"required": True, "content": {JSON: {"schema": _ref("NewEdict")}}}),
    },
}


_ROLE_ERRORS = {f"{c}": {"$ref": f"#/components/responses/E{c}"} for c in (401, 403, 404)}
_WRITE_ERRORS = {f"{c}": {"$ref": f"#/components/responses/E{c}"} for c in (401, 403, 404, 409, 422)}
_EXPEDIENT_PATHS: dict[str, Any] = {
    "/api/v1/expedients/{expedient_id}/close": {
        "post": _op("Close an open expedient: its documents are frozen and its index kept", "closeExpedient",
                    {"200": _json(_ref("Expedient"), "Closed")} | _WRITE_ERRORS, tag="expedients",
                    parameters=[_EXPEDIENT_ID]),
    },
    "/api/v1/expedients/{expedient_id}/documents/{document_id}/versions": {
        "post": _op("Add a corrected file as the next version of a document", "addDocumentVersion",
                    {"201": _json(_ref("Document"), "The new version")} | _WRITE_ERRORS, tag="documents",
                    parameters=[_EXPEDIENT_ID, _DOCUMENT_ID],
                    requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                        "type": "object", "required": ["file"],
                        "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}},
                    }}}}),
    },
    "/api/v1/expedients/{expedient_id}/documents/{document_id}/issue": {
        "post": _op("Issue an administration document with its CSV (secure verification code)", "issueDocument",
                    {"200": _json(_ref("Document"), "Issued")} | _WRITE_ERRORS, tag="documents",
                    parameters=[_EXPEDIENT_ID, _DOCUMENT_ID]),
    },
    "/api/v1/expedients/{expedient_id}/notifications": {
        "get": _op("The notifications of an expedient", "listExpedientNotifications",
                   {"200": _json({"type": "array", "items": _ref("Notification")}, "Notifications")}
                   | _READ_ERRORS, tag="notifications", parameters=[_EXPEDIENT_ID]),
    },
}
_STEP_ID = _id_param("step_id", "The signature step (step_id of an item of the queue)")
_SIGN_REQUEST = {"type": "object", "description": "A document or decree to sign and its signers in order",
                 "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "state": {
                     "type": "string", "enum": ["pending", "signed", "returned"]},
                     "document_id": {"type": ["integer", "null"]}, "decree_id": {"type": ["integer", "null"]},
                     "expedient_id": {"type": ["integer", "null"]}, "csv": {"type": ["string", "null"]},
                     "result_document_id": {"type": ["integer", "null"]},
                     "return_reason": {"type": ["string", "null"]},
                     "steps": {"type": "array", "items": {"type": "object"}}}}
_SIGN_BATCH = {
    "type": "object",
    "required": ["signed", "already", "failed", "decrees"],
    "properties": {
        "signed": {"type": "array", "items": {"type": "integer"}, "description": "The steps signed now"},
        "already": {"type": "array", "items": {"type": "integer"},
                    "description": "Steps I had already signed (the same batch sent twice): done, not failed"},
        "failed": {"type": "array", "description": "The items that could not be signed, each with the reason",
                   "items": {"type": "object", "properties": {"step_id": {"type": "integer"},
                                                              "message": {"type": "string"}}}},
        "decrees": {"type": "array",
                    "description": "The decrees signed, in number order: the alcalde's signature gives a decree "
                                   "its number; the secretary's attests it by the number it has",
                    "items": {"type": "object", "properties": {
                        "number": {"type": "string", "examples": ["DEC/2026/0012"]},
                        "title": {"type": "string"}}}},
    },
}
_SIGNATURE_PATHS: dict[str, Any] = {
    "/api/v1/signatures": {
        "get": _op("The items waiting for my signature now, oldest first", "listMySignatures",
                   {"200": _json({"type": "array", "items": {"type": "object", "properties": {
                       "step_id": {"type": "integer"}, "position": {"type": "integer"},
                       "role": {"type": ["string", "null"]}, "request": _SIGN_REQUEST}}}, "My queue")}
                   | _ROLE_ERRORS, tag="signatures"),
    },
    "/api/v1/signatures/{step_id}/sign": {
        "post": _op("Sign with my certificate, unlocked with my key password", "signStep",
                    {"200": _json(_SIGN_REQUEST, "Signed")} | _WRITE_ERRORS, tag="signatures",
                    parameters=[_STEP_ID],
                    requestBody={"required": True, "content": {JSON: {"schema": {
                        "type": "object", "required": ["password"],
                        "properties": {"password": {"type": "string"}}}}}}),
    },
    "/api/v1/signatures/batch": {
        "post": _op("Sign several items of my queue with one key password; a wrong password signs nothing (422), "
                    "otherwise an item that cannot be signed is reported in `failed` and the others are signed",
                    "signBatch", {"200": _json(_SIGN_BATCH, "What was signed, and the decrees' numbers")}
                    | _WRITE_ERRORS, tag="signatures",
                    requestBody={"required": True, "content": {JSON: {"schema": {
                        "type": "object", "required": ["step_ids", "password"],
                        "properties": {"step_ids": {"type": "array", "minItems": 1, "items": {"type": "integer"},
                                                    "description": "step_id of items of my queue"},
                                       "password": {"type": "string"}}}}}}),
    },
    "/api/v1/signatures/{step_id}/return": {
        "post": _op("Return the item to whoever asked, with the reason (the request ends)", "returnStep",
                    {"200": _json(_SIGN_REQUEST, "Returned")} | _WRITE_ERRORS, tag="signatures",
                    parameters=[_STEP_ID],
                    requestBody={"required": True, "content": {JSON: {"schema": {
                        "type": "object", "required": ["reason"],
                        "properties": {"reason": {"type": "string", "minLength": 5}}}}}}),
    },
}
_ENTRY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "number": {"type": "string", "examples": ["E/2026/000001"]},
        "direction": {"type": "string", "enum": ["E", "S"], "description": "E incoming (entrada), S outgoing"},
        "presented_at": {"type": "string", "format": "date-time"},
        "effective_at": {"type": "string", "format": "date-time",
                         "description": "When it counts for terms (next working day if presented on a holiday)"},
        "subject": {"type": "string"}, "party_id": {"type": ["integer", "null"]},
        "sender": {"type": ["string", "null"]}, "recipient": {"type": ["string", "null"]},
        "channel": {"type": "string", "enum": ["electronic", "in_person", "postal", "interadministrative"]},
        "expedient_id": {"type": ["integer", "null"]}, "corrects_entry_id": {"type": ["integer", "null"]},
        "receipt_document_id": {"type": ["integer", "null"]},
        "documents": {"type": "array", "items": {"type": "object"}},
    },
}
_REGISTRY_PATHS: dict[str, Any] = {
    "/api/v1/registry/entries": {
        "get": _op("Entries of the registry book of a year, newest first", "listRegistryEntries",
                   {"200": _json({"type": "array", "items": _ENTRY_SCHEMA}, "Entries")} | _ROLE_ERRORS
                   | {"422": {"$ref": "#/components/responses/E422"}}, tag="registry",
                   parameters=[
                       {"name": "direction", "in": "query",
                        "description": "E incoming (entrada), S outgoing (sortida)",
                        "schema": {"type": "string", "enum": ["E", "S"], "default": "E"}},
                       {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 1900,
                                                                  "maximum": 2999}},
                       {"name": "q", "in": "query", "description": "Number, subject, sender, a party's NIF or name",
                        "schema": {"type": "string", "maxLength": 100}},
                   ]),
        "post": _op("Register an incoming entry (entrada); its receipt is issued at once", "registerIncomingEntry",
                    {"201": _json(_ENTRY_SCHEMA, "Registered")} | _WRITE_ERRORS, tag="registry",
                    requestBody={"required": True, "content": {JSON: {"schema": {
                        "type": "object", "required": ["subject"],
                        "properties": {
                            "subject": {"type": "string"}, "summary": {"type": "string"},
                            "channel": {"type": "string", "default": "in_person",
                                        "enum": ["electronic", "in_person", "postal", "interadministrative"]},
                            "sender": {"type": "string"},
                            "party": {"type": "object", "required": ["nif"], "properties": {
                                "nif": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
                                "phone": {"type": "string"}, "address": {"type": "string"},
                                "postal_code": {"type": "string"}, "municipality": {"type": "string"}}},
                            "expedient_id": {"type": "integer", "description": "Join an open expedient"},
                            "document_ids": {"type": "array", "items": {"type": "integer"}},
                        }}}}}),
    },
    "/api/v1/registry/entries/{entry_id}": {
        "get": _op("One entry of the registry book", "getRegistryEntry",
                   {"200": _json(_ENTRY_SCHEMA, "The entry")} | _ROLE_ERRORS, tag="registry",
                   parameters=[_id_param("entry_id", "Registry entry id")]),
    },
}
_WEBHOOK_ID = _id_param("webhook_id", "Webhook id")
_WEBHOOK_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "url": {"type": "string", "format": "uri"},
        "events": {"type": "array", "items": {"type": "string", "enum": list(WEBHOOK_EVENTS)}},
        "active": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
    },
}
_DELIVERY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "description": "Also sent as the X-GEE-Delivery header"},
        "webhook_id": {"type": "integer"}, "event": {"type": "string", "enum": list(WEBHOOK_EVENTS)},
        "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
        "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]},
        "response_status": {"type": ["integer", "null"]},
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
        "delivered_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_WEBHOOK_PATHS: dict[str, Any] = {
    "/api/v1/webhooks": {
        "get": _op("The municipality's webhooks (administrators)", "listWebhooks",
                   {"200": _json({"type": "array", "items": _WEBHOOK_SCHEMA}, "Webhooks")} | _ROLE_ERRORS,
                   tag="webhooks"),
        "post": _op("Register a webhook: a URL that receives signed JSON POSTs of the chosen events",
                    "registerWebhook", {"201": _json(_WEBHOOK_SCHEMA, "Registered")} | _ROLE_ERRORS
                    | {"422": {"$ref": "#/components/responses/E422"}}, tag="webhooks",
                    requestBody={"required": True, "content": {JSON: {"schema": {
                        "type": "object", "required": ["url", "secret", "events"],
                        "properties": {
                            "url": {"type": "string", "format": "uri", "maxLength": 500},
                            "secret": {"type": "string", "minLength": 16, "maxLength": 200,
                                       "description": "Key of the HMAC-SHA256 in the X-GEE-Signature header"},
                            "events": {"type": "array", "minItems": 1,
                                       "items": {"type": "string", "enum": list(WEBHOOK_EVENTS)}},
                        }}}}}),
    },
    "/api/v1/webhooks/{webhook_id}": {
        "delete": _op("Remove a webhook and its delivery log", "removeWebhook",
                      {"200": _json(_WEBHOOK_SCHEMA, "Removed")} | _ROLE_ERRORS, tag="webhooks",
                      parameters=[_WEBHOOK_ID]),
    },
    "/api/v1/webhooks/{webhook_id}/deliveries": {
        "get": _op("The latest deliveries to a webhook, newest first", "listWebhookDeliveries",
                   {"200": _json({"type": "array", "items": _DELIVERY_SCHEMA}, "Deliveries")} | _ROLE_ERRORS,
                   tag="webhooks", parameters=[_WEBHOOK_ID]),
    },
    "/api/v1/webhook-deliveries/{delivery_id}/retry": {
        "post": _op("Send a pending or failed delivery again now", "retryWebhookDelivery",
                    {"200": _json(_DELIVERY_SCHEMA, "Queued again")} | _ROLE_ERRORS
                    | {"422": {"$ref": "#/components/responses/E422"}}, tag="webhooks",
                    parameters=[_id_param("delivery_id", "Delivery id")]),
    },
}


def spec() -> dict[str, Any]:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "GEE API",
            "version": "1.0.0",
            "description": "Electronic case files of a municipality. Every call but this document needs "
            "`Authorization: Bearer <token>`; a token acts as its user in one municipality. Ids of "
            "another municipality answer 404.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": (_paths() | _ENI_PATHS | _BODIES_PATHS | _EXPEDIENT_PATHS | _SIGNATURE_PATHS | _REGISTRY_PATHS
                  | _WEBHOOK_PATHS | RECORDS_PATHS),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _SCHEMAS | RECORDS_SCHEMAS,
            "responses": _ERROR_RESPONSES,
        },
    }
