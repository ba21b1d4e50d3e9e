"""Expected outcomes of ``gee`` commands are one readable line, never a Python traceback."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from engine.demo import ca as test_ca
from engine.signatures.credentials import UnlockedCredential
from engine.signatures.pades import Stamp, sign_pdf
from tests.conftest import make_tenant
from tests.test_signatures_helpers import report_pdf
from webapp.cli import main
from webapp.logging_setup import configure_logging

GEE = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "gee"


def _self_signed_pdf(target: Path) -> Path:
    # A certificate that is its own issuer: not in GEE_TRUST_ROOTS, so not a valid signature.
    key, cert = test_ca.make_ca("Signant autosignat")
    stamp = Stamp(signer="Autosignat", role="-", date="-", csv="-", verify_url="-",
                  labels={"signed_by": "Signat per", "role": "Càrrec", "date": "Data"})
    signed = sign_pdf(report_pdf(), UnlockedCredential(key=key, certificate=cert, chain=[]), stamp, reason="Prova")
    target.write_bytes(signed)
    return target


def test_verify_of_a_self_signed_pdf_says_why_in_one_line(tmp_path: Path) -> None:
    # The real console script, as an operator runs it (Catalan is the default language).
    pdf = _self_signed_pdf(tmp_path / "autosignat.pdf")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'gee.sqlite3'}",
           "GEE_DOCUMENT_STORE": str(tmp_path / "docs"), "GEE_LOG_LEVEL": "INFO"}
    env.pop("GEE_DEFAULT_LOCALE", None)
    done = subprocess.run([str(GEE), "verify", str(pdf)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: El certificat de Signant autosignat no s'encadena amb cap autoritat de confiança."]


def test_a_failed_step_is_one_log_line_and_its_traceback_only_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    # What `gee start` prints on stderr when the sandbox refuses a script: the incident's one line.
    log = logging.getLogger("gee.process.incidents")
    try:
        configure_logging("INFO", "text")
        try:
            raise RuntimeError("imports are not allowed in scripts")
        except RuntimeError as err:
            log.warning("step compute failed: %s", err, exc_info=err)
        logging.getLogger("pyhanko.sign.validation").warning("Validation error", exc_info=True)
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].endswith("step compute failed: imports are not allowed in scripts")
        configure_logging("DEBUG", "text")
        try:
            raise RuntimeError("imports are not allowed in scripts")
        except RuntimeError as err:
            log.warning("step compute failed: %s", err, exc_info=err)
        assert "Traceback" in capsys.readouterr().err
    finally:
        configure_logging("INFO", "text")


def test_audit_seal_without_a_seal_certificate_is_one_translated_line(app: Flask) -> None:
    make_tenant("ajt-sense-segell", dir3="L01250031")
    from engine.base.db import db
    db.session.commit()
    result = app.test_cli_runner().invoke(main, ["audit", "seal", "--tenant", "ajt-sense-segell"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: This municipality has no seal certificate to sign with; an administrator must import one."]


def test_logging_set_up_inside_a_command_runner_still_logs_after_it(capsys) -> None:
    """An app built while a command runner had swapped stderr (and closed it since) logs to the stderr of now."""
    import io
    import sys

    swapped = io.StringIO()
    real = sys.stderr
    try:
        sys.stderr = swapped
        configure_logging("INFO", "text")
    finally:
        sys.stderr = real
        swapped.close()
    try:
        logging.getLogger("gee.tests").info("written after the runner closed its stream")
        err = capsys.readouterr().err
        assert "written after the runner closed its stream" in err and "Logging error" not in err
    finally:
        configure_logging("INFO", "text")
