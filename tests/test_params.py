"""Parameters are typed: unknown names and wrong types stop a run before any kernel."""

from __future__ import annotations

import pytest

from briefing.errors import ParameterError
from briefing.params import declared, resolve

from conftest import FIXTURES

OK = FIXTURES / "project" / "notebooks" / "ok.ipynb"


def test_declared_reads_name_type_default_help():
    params = declared(OK)
    assert list(params) == ["as_of", "since", "previous_edition", "marking", "top"]
    assert (params["top"].type, params["top"].default) == ("int", 5)
    assert "nothing reported later" in params["as_of"].help


def test_resolve_overlays_and_parses_text_values():
    resolved = resolve(OK, {"as_of": "2024-06-30", "top": "7"})
    assert resolved["as_of"] == "2024-06-30" and resolved["top"] == 7
    assert resolved["marking"] == "TLP:CLEAR"


@pytest.mark.parametrize(("values", "name", "message"), [
    ({"as_off": "2024-06-30"}, "as_off", "unknown parameter"),
    ({"top": "seven"}, "top", "not a valid int"),
    ({"top": 2.5}, "top", "expected int"),
    ({"top": True}, "top", "expected int"),
    ({"as_of": "30/06/2024"}, "as_of", "not a date"),
    ({"previous_edition": "31/03/2024"}, "previous_edition", "not a date YYYY-MM-DD"),
    ({"since": "2024-13-01"}, "since", "not a date YYYY-MM-DD"),
    ({"as_of": "2024-6-30"}, "as_of", "not a date YYYY-MM-DD"),
    ({"marking": "TLP:WHITE"}, "marking", "not a TLP 2.0 label"),
])
def test_bad_values_name_the_parameter(values, name, message):
    with pytest.raises(ParameterError) as info:
        resolve(OK, values)
    assert info.value.name == name
    assert f"parameter {name!r}" in str(info.value) and message in str(info.value)


def test_text_values_are_parsed_never_evaluated(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(ParameterError, match="not a valid int"):
        resolve(OK, {"top": f"__import__('pathlib').Path('{marker}').touch() or 1"})
    assert not marker.exists()


def test_as_of_may_not_be_in_the_future():
    with pytest.raises(ParameterError, match="in the future"):
        resolve(OK, {"as_of": "2999-01-01"})


def test_previous_edition_may_not_follow_as_of():
    with pytest.raises(ParameterError, match="'previous_edition': 2025-01-01 is after as_of"):
        resolve(OK, {"as_of": "2024-06-30", "previous_edition": "2025-01-01"})
    assert resolve(OK, {"as_of": "2024-06-30"})["previous_edition"] == "2024-01-01", "default falls back to since"
