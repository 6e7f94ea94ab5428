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
    with pytest.raises(ParameterError, match="'previous_edition': 2025-01-01 is not before as_of"):
        resolve(OK, {"as_of": "2024-06-30", "previous_edition": "2025-01-01"})
    with pytest.raises(ParameterError, match="'since': 2024-07-01 is after as_of"):
        resolve(OK, {"as_of": "2024-06-30", "since": "2024-07-01"})
    assert resolve(OK, {"as_of": "2024-06-30"})["previous_edition"] == "", "a stale default is derived from as_of"


def _typed(kind, default=None):
    from briefing.params import Parameter

    return {"x": Parameter("x", kind, default, "")}


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("bool", "Yes", True), ("bool", "TRUE", True), ("bool", "1", True), ("bool", "no", False),
    ("bool", "False", False), ("bool", "0", False), ("int", "-3", -3), ("float", "2", 2.0), ("float", "2.5", 2.5),
    ("list", "[1, 'a']", [1, "a"]), ("dict", "{'a': 1}", {"a": 1}), ("str", "[1]", "[1]"),
])
def test_text_values_are_parsed_as_the_declared_type(kind, text, value):
    from briefing.params import coerce

    got = coerce("nb.ipynb", _typed(kind), {"x": text})["x"]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(("kind", "value", "message"), [
    ("bool", "maybe", "'maybe' is not a valid bool"), ("int", "1.5", "'1.5' is not a valid int"),
    ("float", "x", "'x' is not a valid float"), ("float", "0x10", "'0x10' is not a valid float"), ("list", "open('f')", "\"open('f')\" is not a valid list"),
    ("str", 5, "5 is a int, expected str"), ("float", True, "True is a bool, expected float"),
    ("int", False, "False is a bool, expected int"), ("bool", 1, "1 is a int, expected bool"),
])
def test_a_value_of_the_wrong_type_is_refused_with_its_type_named(kind, value, message):
    from briefing.params import coerce

    with pytest.raises(ParameterError) as info:
        coerce("nb.ipynb", _typed(kind), {"x": value})
    assert str(info.value) == f"nb.ipynb: parameter 'x': {message}"


def test_a_real_number_given_as_an_int_becomes_a_float():
    from briefing.params import coerce

    assert coerce("nb.ipynb", _typed("float"), {"x": 2}) == {"x": 2.0}
    assert type(coerce("nb.ipynb", _typed("float"), {"x": 2})["x"]) is float


def test_unknown_parameter_lists_the_declared_ones():
    from briefing.params import coerce

    with pytest.raises(ParameterError, match=r"unknown parameter \(declared: none\)"):
        coerce("nb.ipynb", {}, {"x": 1})
    with pytest.raises(ParameterError, match=r"unknown parameter \(declared: as_of, since, previous_edition, "
                                             r"marking, top\)"):
        resolve(OK, {"tpo": "1"})


def test_every_tlp_2_label_is_accepted_and_dates_come_back_iso():
    for marking in ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"):
        assert resolve(OK, {"marking": marking})["marking"] == marking
    resolved = resolve(OK, {"as_of": "2024-06-30", "since": "2023-01-01", "previous_edition": "2024-03-31"})
    assert (resolved["as_of"], resolved["since"], resolved["previous_edition"]) == (
        "2024-06-30", "2023-01-01", "2024-03-31")


def test_as_of_today_is_allowed_and_a_previous_edition_must_come_before_as_of():
    from datetime import date

    today = date.today().isoformat()
    assert resolve(OK, {"as_of": today})["as_of"] == today
    assert resolve(OK, {"as_of": "2024-06-30", "previous_edition": "2024-06-29"})["previous_edition"] == "2024-06-29"
    with pytest.raises(ParameterError, match="'previous_edition': 2024-06-30 is not before as_of"):
        resolve(OK, {"as_of": "2024-06-30", "previous_edition": "2024-06-30"})


def test_a_given_since_after_as_of_is_refused_never_moved():
    with pytest.raises(ParameterError, match="'since': 2024-01-01 is after as_of"):
        resolve(OK, {"as_of": "2023-06-30", "since": "2024-01-01"})


def test_a_file_that_is_not_a_notebook_is_a_usage_error(tmp_path):
    from briefing.errors import UsageError

    (tmp_path / "nb").mkdir()
    bad = tmp_path / "nb" / "x.ipynb"
    bad.write_text("not json")
    with pytest.raises(UsageError, match="x.ipynb: cannot read its parameters"):
        declared(bad)


def test_declared_keeps_a_non_literal_default_as_text_and_the_help():
    params = declared(OK)
    assert params["as_of"].default == "2025-04-30" and params["as_of"].type == "str"
    assert params["top"].help == "rows to show"


def _variant(tmp_path, edit):
    """A copy of ok.ipynb whose parameters cell is ``edit(lines)``."""
    import json

    nb = json.loads(OK.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    cell["source"] = "\n".join(edit("".join(cell["source"]).splitlines()))
    path = tmp_path / "notebooks" / "variant.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


@pytest.mark.parametrize(("values", "message"), [
    ({"tpo": "1"}, "ok.ipynb: parameter 'tpo': unknown parameter (declared: as_of, since, previous_edition, "
                   "marking, top)"),
    ({"since": "2024-02-30"}, "ok.ipynb: parameter 'since': '2024-02-30' is not a date YYYY-MM-DD"),
    ({"marking": "TLP:WHITE"}, "ok.ipynb: parameter 'marking': 'TLP:WHITE' is not a TLP 2.0 label (TLP:CLEAR, "
                               "TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)"),
    ({"as_of": "2999-01-01"}, "ok.ipynb: parameter 'as_of': 2999-01-01 is in the future"),
    ({"as_of": "2024-06-30", "previous_edition": "2024-07-01"},
     "ok.ipynb: parameter 'previous_edition': 2024-07-01 is not before as_of (2024-06-30)"),
])
def test_refusals_name_the_notebook_and_the_parameter(values, message):
    with pytest.raises(ParameterError) as info:
        resolve(OK, values)
    assert str(info.value) == message
    assert (info.value.notebook, info.value.name) == ("ok.ipynb", message.split("'")[1])


def test_a_bad_default_in_the_notebook_is_refused_naming_the_notebook(tmp_path):
    nb = _variant(tmp_path, lambda lines: [line.replace('"TLP:CLEAR"', '"TLP:WHITE"') for line in lines])
    with pytest.raises(ParameterError, match=r"^variant.ipynb: parameter 'marking': 'TLP:WHITE' is not"):
        resolve(nb, {})


def test_numbers_may_be_given_with_spaces_around_them():
    from briefing.params import coerce

    assert resolve(OK, {"top": " 7 "})["top"] == 7
    assert coerce("nb.ipynb", _typed("float"), {"x": " 2.5 "}) == {"x": 2.5}
    assert coerce("nb.ipynb", _typed("float"), {"x": "-1e3"}) == {"x": -1000.0}


def test_a_default_that_is_not_a_literal_is_kept_as_its_source_text(tmp_path):
    nb = _variant(tmp_path, lambda lines: [*lines, "label: str = DEFAULT_LABEL  # computed"])
    assert declared(nb)["label"].default == "DEFAULT_LABEL"
    assert declared(nb)["label"].help == "computed"


def test_without_since_a_default_previous_edition_after_as_of_is_left_to_follow_as_of(tmp_path):
    nb = _variant(tmp_path, lambda lines: [line for line in lines if not line.startswith("since")])
    assert resolve(nb, {"as_of": "2024-06-30"})["previous_edition"] == ""
