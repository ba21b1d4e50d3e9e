"""``gee verify FILE.pdf`` and ``gee signatures``: check signed PDFs, import certificates."""

from __future__ import annotations

import os
from pathlib import Path

import click

from webapp.commands.output import fail, print_json, transactional


@click.command("verify")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print every signature's details as JSON.")
def verify_command(pdf: Path, as_json: bool) -> None:
    """Check the PAdES signatures of PDF: integrity, trusted chain (GEE_TRUST_ROOTS), signing time.

    Exit status 0 when every signature is valid, 1 otherwise (the reason is printed).
    """
    from engine.documents.signature_check import verify_pdf

    result = verify_pdf(pdf.read_bytes())
    if as_json:
        print_json(result.to_dict())
    else:
        for s in result.signatures:
            when = s.signing_time.isoformat() if s.signing_time else "-"
            click.echo(f"{'OK ' if s.ok else 'BAD'} {s.signer} (serial {s.serial}) signed at {when}")
    if not result.valid:
        fail(result.reason)
    click.echo(f"valid: {result.reason}")


@click.group("signatures")
def signatures_group() -> None:
    """Signing certificates."""


def _password(env_name: str) -> str:
    return os.environ.get(env_name) or click.prompt("PKCS#12 password", hide_input=True)


@signatures_group.command("import-certificate")
@click.argument("p12", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="User name of the certificate's holder.")
@click.option("--tenant", "tenant_code", required=True, help="A tenant the user belongs to (for the audit).")
@transactional
def import_certificate_command(p12: Path, username: str, tenant_code: str) -> None:
    """Import a person's signing certificate (PKCS#12). The password (asked, or GEE_P12_PASSWORD)
    stays the key's password: the holder types it at every signature."""
    from sqlalchemy import select

    from engine.base.context import Context
    from engine.base.db import db
    from engine.base.errors import GeeError
    from engine.signatures.credentials import import_personal
    from engine.tenancy.models import User
    from webapp.commands.records import _tenant_by_code

    tenant = _tenant_by_code(tenant_code)
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        fail(f"no user {username!r}")
    try:
        row = import_personal(Context.system(tenant.id, "cli:signatures"), user.id, p12.read_bytes(),
                              _password("GEE_P12_PASSWORD"))
    except GeeError as err:
        fail(err)
    click.echo(f"imported {row.subject} (serial {row.serial}, valid until {row.not_after:%Y-%m-%d})")


@signatures_group.command("import-seal")
@click.argument("p12", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@transactional
def import_seal_command(p12: Path, tenant_code: str) -> None:
    """Import a municipality's seal certificate (PKCS#12), used for automated signatures such as
    the ENI index. The password is asked (or GEE_P12_PASSWORD); the key is then kept encrypted
    with GEE_KEY_ENCRYPTION_KEY only."""
    from engine.base.context import Context
    from engine.base.errors import GeeError
    from engine.signatures.credentials import import_seal
    from webapp.commands.records import _tenant_by_code

    tenant = _tenant_by_code(tenant_code)
    try:
        row = import_seal(Context.system(tenant.id, "cli:signatures"), p12.read_bytes(), _password("GEE_P12_PASSWORD"))
    except GeeError as err:
        fail(err)
    click.echo(f"imported seal {row.subject} (serial {row.serial})")


commands = [verify_command, signatures_group]
