"""CSV exports (audit trail, transparency portal, migration reports) open in a spreadsheet as text: a cell that
starts like a formula is neutralised with an apostrophe, as OWASP's "CSV injection" advice says; numbers stay."""

from __future__ import annotations

import pytest

from engine.base.spreadsheet import cell


@pytest.mark.parametrize("typed", ["=1+2", "+34 973 000 000", "-rm", "@SUM(A1)", "\tx", "\r=1"])
def test_what_a_spreadsheet_would_run_is_written_as_text(typed):
    assert cell(typed) == "'" + typed


@pytest.mark.parametrize("value", ["-12.5", "+3", "Pressupost 2026", "", "a=b", 7, -3.5, None])
def test_numbers_and_plain_text_are_left_as_they_are(value):
    assert cell(value) == value
