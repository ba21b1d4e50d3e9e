"""Shared pieces of the onboarding tests: the platform administrator, CSV files, the mail sink."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from engine.base.context import Context
from engine.base.db import db
from tests.conftest import make_tenant, make_user
from tests.smtp_sink import SmtpSink

HEADER = "name,kind,ine,dir3,comarca,aran,holiday_1,holiday_2,admin_name,admin_email"


def platform_context() -> Context:
    provincial = make_tenant("diputacio", "Diputació de Lleida", kind="provincial", dir3="L02000025", ine_code=None)
    admin = make_user("plataforma", provincial, ("admin",), platform_admin=True)
    db.session.commit()
    return Context(tenant_id=provincial.id, user_id=admin.id, username=admin.username,
                   roles=frozenset({"admin"}), platform_admin=True, locale="en")  # fmt: skip


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


@contextmanager
def mail_sink(app: Flask) -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        app.config.update(GEE_SMTP_HOST=sink.host, GEE_SMTP_PORT=sink.port)
        try:
            yield sink
        finally:
            app.config.pop("GEE_SMTP_HOST")
            app.config.pop("GEE_SMTP_PORT")


def link_in(body: str) -> str:
    """The path of the one-time password link in a welcome or reset e-mail."""
    match = re.search(r"https?://[^/\s]+(/password/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)
