"""INE municipality codes with their control digit, and DIR3 codes of local bodies."""

from __future__ import annotations

import pytest

from engine.base.errors import ValidationFailed
from engine.tenancy.codes import check_body_dir3, check_ine, check_municipal_dir3, ine_control_digit


# Published codes: INE municipality code + control digit, and the DIR3 code L01 + those six digits
# of each ajuntament in the Common Directory (DIR3).
@pytest.mark.parametrize(("code5", "digit", "dir3"), [
    ("08019", 3, "L01080193"),  # Barcelona
    ("25120", 7, "L01251207"),  # Lleida
    ("17079", 2, "L01170792"),  # Girona
    ("43148", 2, "L01431482"),  # Tarragona
    ("28079", 6, "L01280796"),  # Madrid
])
def test_the_control_digit_is_ine_s(code5, digit, dir3):
    assert ine_control_digit(code5) == digit
    assert check_ine(code5) == code5 + str(digit)
    assert check_ine(code5 + str(digit)) == code5 + str(digit)
    assert check_municipal_dir3(dir3.lower(), code5 + str(digit)) == dir3


def test_a_wrong_control_digit_is_refused_with_the_right_one():
    with pytest.raises(ValidationFailed) as err:
        check_ine("251200")
    assert "should be 7" in str(err.value)


@pytest.mark.parametrize("value", ["", "2512", "2512077", "25-120", "abcde"])
def test_an_ine_code_has_five_or_six_digits(value):
    with pytest.raises(ValidationFailed):
        check_ine(value)


def test_an_ajuntament_s_dir3_is_l01_and_its_own_ine_code():
    with pytest.raises(ValidationFailed) as err:
        check_municipal_dir3("L01170792", "251207")
    assert "L01251207" in str(err.value)


@pytest.mark.parametrize("value", ["L0725001", "L070000011", "70000001X", "L07-00001"])
def test_a_dir3_code_has_nine_characters(value):
    with pytest.raises(ValidationFailed):
        check_body_dir3(value)
