"""A small typed client of the GEE API (/api/v1), derived by hand from its OpenAPI document
(``GET /api/v1/openapi.json``; docs/api.md). One file, needing only ``requests``: copy it into your
program.

    client = GeeClient("https://gee.example.cat", token="gee_...", language="ca")
    for expedient in client.expedients(state="open", q="gual"):
        print(expedient["number"], expedient["subject"])

Every failed call raises :class:`GeeApiError` with the API's ``error``, ``message`` (in ``language``)
and ``field``. :func:`genuine_webhook` checks the signature of a webhook delivery.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any, Literal, TypedDict

import requests

JSON = dict[str, Any]
WebhookEvent = Literal["expedient.opened", "task.completed", "decree.signed", "notification.settled"]


class Party(TypedDict, total=False):
    nif: str  # required by the API
    name: str
    email: str
    phone: str
    address: str
    postal_code: str
    municipality: str


class NewAdmin(TypedDict, total=False):
    username: str  # required
    full_name: str  # required
    password: str  # required
    email: str


class GeeApiError(Exception):
    """The API refused a call: ``status`` is the HTTP status, ``error`` its code (not_found, validation, ...)."""

    def __init__(self, status: int, error: str, message: str, field: str | None = None,
                 details: Any = None) -> None:  # fmt: skip
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message, self.field, self.details = status, error, message, field, details


def genuine_webhook(body: bytes, signature_header: str, secret: str) -> bool:
    """Whether a webhook body came from GEE: its X-GEE-Signature is the HMAC-SHA256 of the raw body."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature_header, expected)


class GeeClient:
    """The API as one user's token sees it (one municipality, the user's roles there)."""

    def __init__(self, base_url: str, token: str, *, language: str = "ca", timeout: float = 30.0,
                 session: requests.Session | None = None) -> None:  # fmt: skip
        self.base = base_url.rstrip("/") + "/api/v1"
        self.timeout = timeout
        self.http = session or requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {token}", "Accept-Language": language})

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
              **kwargs: Any) -> requests.Response:  # fmt: skip
        response = self.http.request(method, self.base + path, headers=headers, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise GeeApiError(response.status_code, str(body.get("error", "http_error")),
                              str(body.get("message", response.reason)), body.get("field"), body.get("details"))
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    def _post(self, path: str, body: JSON) -> Any:
        """POST ``body`` as JSON without its None fields (the API's defaults apply to them)."""
        return self._json("POST", path, json={k: v for k, v in body.items() if v is not None})

    # -- meta --------------------------------------------------------------------------------

    def me(self) -> JSON:
        return self._json("GET", "/me")

    def openapi(self) -> JSON:
        return self._json("GET", "/openapi.json")

    def process_models(self) -> list[JSON]:
        return self._json("GET", "/process-models")

    # -- expedients --------------------------------------------------------------------------

    def expedients_page(self, *, state: Literal["open", "closed"] | None = None, procedure: str | None = None,
                        q: str | None = None, limit: int = 50, cursor: str | None = None) -> JSON:
        """One page: ``{"items": [...], "next_cursor": str | None}``, newest first."""
        return self._page("/expedients", {"state": state, "procedure": procedure, "q": q}, limit, cursor)

    def expedients(self, *, state: Literal["open", "closed"] | None = None, procedure: str | None = None,
                   q: str | None = None, page_size: int = 50) -> Iterator[JSON]:
        """Every matching expedient, newest first, fetching page after page as you iterate."""
        return self._every("/expedients", {"state": state, "procedure": procedure, "q": q}, page_size)

    def _page(self, path: str, filters: JSON, limit: int, cursor: str | None) -> JSON:
        params = {k: v for k, v in {**filters, "limit": limit, "cursor": cursor}.items() if v is not None}
        return self._json("GET", path, params=params)

    def _every(self, path: str, filters: JSON, page_size: int) -> Iterator[JSON]:
        """The items of a paged list (``{"items", "next_cursor"}``), following the cursor as you iterate."""
        cursor: str | None = None
        while True:
            page = self._page(path, filters, page_size, cursor)
            yield from page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return

    def expedient(self, expedient_id: int) -> JSON:
        """The expedient with its parties, documents and tasks."""
        return self._json("GET", f"/expedients/{expedient_id}")

    def open_expedient(self, process_model_id: int, subject: str | None = None, party: Party | None = None,
                       registry_entry_id: int | None = None) -> JSON:
        body: JSON = {"process_model_id": process_model_id, "subject": subject, "party": party,
                      "registry_entry_id": registry_entry_id}  # fmt: skip
        return self._post("/expedients", body)

    def close_expedient(self, expedient_id: int) -> JSON:
        return self._json("POST", f"/expedients/{expedient_id}/close")

    # -- documents ---------------------------------------------------------------------------

    def documents(self, expedient_id: int) -> list[JSON]:
        return self._json("GET", f"/expedients/{expedient_id}/documents")

    def upload_document(self, expedient_id: int, filename: str, content: bytes, title: str, *,
                        tipo_documental: str = "TD99", from_administration: bool = True) -> JSON:
        data = {"title": title, "tipo_documental": tipo_documental,
                "from_administration": "true" if from_administration else "false"}  # fmt: skip
        return self._json("POST", f"/expedients/{expedient_id}/documents", data=data,
                          files={"file": (filename, content)})  # fmt: skip

    def new_version(self, expedient_id: int, document_id: int, filename: str, content: bytes) -> JSON:
        return self._json("POST", f"/expedients/{expedient_id}/documents/{document_id}/versions",
                          files={"file": (filename, content)})  # fmt: skip

    def issue_document(self, expedient_id: int, document_id: int) -> JSON:
        """Give an administration document its CSV (secure verification code)."""
        return self._json("POST", f"/expedients/{expedient_id}/documents/{document_id}/issue")

    def download(self, document_id: int) -> bytes:
        return self._call("GET", f"/documents/{document_id}/content").content

    def notifications(self, expedient_id: int) -> list[JSON]:
        return self._json("GET", f"/expedients/{expedient_id}/notifications")

    def expedient_term(self, expedient_id: int) -> JSON | None:
        """Where the expedient stands against its maximum legal term (None: closed or no term)."""
        return self._json("GET", f"/expedients/{expedient_id}/term")["term"]

    def export_eni(self, expedient_id: int) -> bytes:
        """The expedient as an ENI electronic expedient (XML)."""
        return self._call("GET", f"/expedients/{expedient_id}/eni").content

    def import_eni(self, filename: str, content: bytes) -> JSON:
        """Import an ENI expedient (XML or zip): ``{"expedient", "documents", "index_signature_intact"}``."""
        return self._json("POST", "/eni/imports", files={"file": (filename, content)})

    # -- parties -----------------------------------------------------------------------------

    def parties(self, *, q: str | None = None, page_size: int = 50) -> Iterator[JSON]:
        """Every party whose NIF or name contains ``q``, newest first."""
        return self._every("/parties", {"q": q}, page_size)

    def party(self, party_id: int) -> JSON:
        return self._json("GET", f"/parties/{party_id}")

    def add_party(self, party: Party) -> JSON:
        """The new party, or the existing one with this NIF (unchanged)."""
        return self._json("POST", "/parties", json=party)

    # -- decrees -----------------------------------------------------------------------------

    def decrees(self, *, year: int | None = None, status: Literal["draft", "signed", "annulled"] | None = None,
                q: str | None = None, page_size: int = 50) -> Iterator[JSON]:
        return self._every("/decrees", {"year": year, "status": status, "q": q}, page_size)

    def decree(self, decree_id: int) -> JSON:
        return self._json("GET", f"/decrees/{decree_id}")

    def decree_pdf(self, decree_id: int) -> bytes:
        return self._call("GET", f"/decrees/{decree_id}/pdf").content

    # -- notifications and terms -------------------------------------------------------------

    def all_notifications(self, *, state: str | None = None, page_size: int = 50) -> Iterator[JSON]:
        """The notifications of the whole municipality, newest first (``state``: pending, accessed, ...)."""
        return self._every("/notifications", {"state": state}, page_size)

    def notification(self, notification_id: int) -> JSON:
        """One notification with its ``evidence``."""
        return self._json("GET", f"/notifications/{notification_id}")

    def deadline(self, start: str, amount: int, *,
                 unit: Literal["working_days", "natural_days", "months"] = "working_days",
                 extra_holidays: list[str] | None = None) -> JSON:
        """The last day (``end``) of a term notified on ``start`` (ISO date) and the days skipped."""
        params: JSON = {"start": start, "amount": amount, "unit": unit}
        if extra_holidays:
            params["extra"] = " ".join(extra_holidays)
        return self._json("GET", "/deadlines", params=params)

    # -- tasks -------------------------------------------------------------------------------

    def tasks(self) -> list[JSON]:
        return self._json("GET", "/tasks")

    def task(self, task_id: int) -> JSON:
        return self._json("GET", f"/tasks/{task_id}")

    def claim_task(self, task_id: int) -> JSON:
        return self._json("POST", f"/tasks/{task_id}/claim")

    def complete_task(self, task_id: int, data: JSON, idempotency_key: str | None = None) -> JSON:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._json("POST", f"/tasks/{task_id}/complete", json={"data": data}, headers=headers)

    # -- signatures --------------------------------------------------------------------------

    def my_signatures(self) -> list[JSON]:
        """The items waiting for my signature: ``step_id`` and the ``request``."""
        return self._json("GET", "/signatures")

    def sign(self, step_id: int, password: str) -> JSON:
        return self._json("POST", f"/signatures/{step_id}/sign", json={"password": password})

    def return_signature(self, step_id: int, reason: str) -> JSON:
        return self._json("POST", f"/signatures/{step_id}/return", json={"reason": reason})

    # -- registry ----------------------------------------------------------------------------

    def registry_entries(self, *, direction: Literal["E", "S"] = "E", year: int | None = None,
                         q: str | None = None) -> list[JSON]:
        params = {k: v for k, v in {"direction": direction, "year": year, "q": q}.items() if v is not None}
        return self._json("GET", "/registry/entries", params=params)

    def registry_entry(self, entry_id: int) -> JSON:
        return self._json("GET", f"/registry/entries/{entry_id}")

    def registry_receipt(self, entry_id: int) -> bytes:
        """The receipt (justificant) PDF of an entry."""
        return self._call("GET", f"/registry/entries/{entry_id}/receipt").content

    def register_incoming(self, subject: str, *, channel: str = "in_person", summary: str | None = None,
                          sender: str | None = None, party: Party | None = None, expedient_id: int | None = None,
                          document_ids: list[int] | None = None) -> JSON:
        body: JSON = {"subject": subject, "channel": channel, "summary": summary, "sender": sender, "party": party,
                      "expedient_id": expedient_id, "document_ids": document_ids}  # fmt: skip
        return self._post("/registry/entries", body)

    # -- collegiate bodies and the notice board ---------------------------------------------

    def bodies(self) -> list[JSON]:
        return self._json("GET", "/bodies")

    def body(self, body_id: int) -> JSON:
        return self._json("GET", f"/bodies/{body_id}")

    def sessions(self, body_id: int) -> list[JSON]:
        return self._json("GET", f"/bodies/{body_id}/sessions")

    def session(self, session_id: int) -> JSON:
        return self._json("GET", f"/sessions/{session_id}")

    def edicts(self) -> list[JSON]:
        return self._json("GET", "/edicts")

    def edict(self, edict_id: int) -> JSON:
        return self._json("GET", f"/edicts/{edict_id}")

    def publish_edict(self, expedient_id: int, title: str, text: str, *, starts_on: str | None = None,
                      ends_on: str | None = None, working_days: int | None = None,
                      document_ids: list[int] | None = None) -> JSON:
        body: JSON = {"expedient_id": expedient_id, "title": title, "text": text, "starts_on": starts_on,
                      "ends_on": ends_on, "working_days": working_days, "document_ids": document_ids}  # fmt: skip
        return self._post("/edicts", body)

    # -- the platform (platform administrators) ----------------------------------------------

    def tenants(self, *, q: str | None = None, page: int = 1) -> JSON:
        """``{"items", "page", "pages", "total"}``: tenants by name with their figures, 25 a page."""
        return self._json("GET", "/tenants", params={k: v for k, v in {"q": q, "page": page}.items() if v})

    def tenant(self, tenant_id: int) -> JSON:
        return self._json("GET", f"/tenants/{tenant_id}")

    def create_tenant(self, code: str, name: str, dir3: str, admin: NewAdmin, *, kind: str = "ajuntament",
                      ine_code: str | None = None, comarca: str | None = None, aran: bool = False) -> JSON:
        body: JSON = {"code": code, "name": name, "dir3": dir3, "admin": admin, "kind": kind, "ine_code": ine_code,
                      "comarca": comarca, "aran": aran}  # fmt: skip
        return self._post("/tenants", body)

    # -- webhooks (administrators) -----------------------------------------------------------

    def webhooks(self) -> list[JSON]:
        return self._json("GET", "/webhooks")

    def register_webhook(self, url: str, secret: str, events: list[WebhookEvent]) -> JSON:
        return self._json("POST", "/webhooks", json={"url": url, "secret": secret, "events": events})

    def remove_webhook(self, webhook_id: int) -> JSON:
        return self._json("DELETE", f"/webhooks/{webhook_id}")

    def webhook_deliveries(self, webhook_id: int) -> list[JSON]:
        return self._json("GET", f"/webhooks/{webhook_id}/deliveries")

    def retry_delivery(self, delivery_id: int) -> JSON:
        return self._json("POST", f"/webhook-deliveries/{delivery_id}/retry")
