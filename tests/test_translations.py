"""Every user-visible string exists in Catalan (default), Spanish and English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "engine" / "translations"


def _extracted_msgids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )
    with pot.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


def test_catalan_and_spanish_translate_every_string_in_the_code(tmp_path):
    wanted = _extracted_msgids(tmp_path)
    assert len(wanted) > 20
    for locale in ("ca", "es"):
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh)
        translated = {
            (m.id if isinstance(m.id, str) else m.id[0])
            for m in catalog
            if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
        }
        missing = sorted(wanted - translated)
        assert not missing, f"{locale}: {len(missing)} strings without translation, e.g. {missing[:5]}"


def test_every_catalogue_is_well_formed_and_english_lists_every_string(tmp_path):
    """A message without its msgstr line is dropped by the compiler with only a warning: refuse it here."""
    wanted = _extracted_msgids(tmp_path)
    for locale in ("ca", "es", "en"):
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh, abort_invalid=True)
        if locale == "en":
            listed = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
            missing = sorted(wanted - listed)
            assert not missing, f"en: {len(missing)} strings not listed, e.g. {missing[:5]}"


def test_the_interface_speaks_catalan_by_default_and_switches_language(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Inicia la sessió" in page
    page = client.get("/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Iniciar sesión" in page
