"""Typed notebook parameters, checked before any kernel starts.

A notebook declares its parameters in the cell tagged ``parameters``, in
papermill's ``name: type = value  # help`` form, so ``papermill
--help-notebook`` lists them too.  papermill itself only warns on an unknown
name and never checks a type; here both are errors, and values given as text
(``-p as_of=2024-06-30``) are parsed into the declared type, never evaluated.

Dates and markings travel as ``str`` (papermill injects literals), so a few
well-known names also get a format check.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .edition import DATE_PARAMETERS, MARKINGS, EditionRuleError, parse_date, window_rules
from .errors import ParameterError, UsageError


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: name, Python type name, default and help."""

    name: str
    type: str
    default: Any
    help: str


def declared(notebook: Path) -> dict[str, Parameter]:
    """Parameters declared in ``notebook``'s ``parameters`` cell (papermill's inspection).

    Memoised on the notebook's bytes: importing papermill alone costs about a
    second, which a no-change render should not pay.
    """
    from .cache import memo

    def inspect():
        from papermill import inspect_notebook

        try:
            return inspect_notebook(str(notebook))
        except Exception as err:  # papermill raises several kinds for a file that is not a notebook
            raise UsageError(f"{notebook}: cannot read its parameters: {err}") from None

    found = {}
    for name, info in memo("params", Path(notebook).resolve().parent.parent, [Path(notebook).read_bytes()], inspect).items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            default = info["default"]
        found[name] = Parameter(name, info["inferred_type_name"], default, info["help"])
    return found


def _parse(text: str, kind: str) -> Any:
    if kind == "str":
        return text
    if kind == "bool":
        lowered = text.lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
        raise ValueError
    if kind in {"int", "float"}:
        return {"int": int, "float": float}[kind](text)
    return ast.literal_eval(text)  # a literal only: never code


def coerce(notebook: str, params: dict[str, Parameter], values: dict[str, Any]) -> dict[str, Any]:
    """Check ``values`` against ``params``; return them in their declared types.

    Raises
    ------
    ParameterError
        Naming the parameter: unknown name, wrong type, bad date or marking.
    """
    typed = {}
    for name, value in values.items():
        if name not in params:
            known = ", ".join(params) or "none"
            raise ParameterError(notebook, name, f"unknown parameter (declared: {known})")
        kind = params[name].type
        if isinstance(value, str) and kind != "str":
            try:
                value = _parse(value, kind)
            except (ValueError, SyntaxError):
                raise ParameterError(notebook, name, f"{value!r} is not a valid {kind}") from None
        expected = {"str": str, "int": int, "float": (int, float), "bool": bool}.get(kind)
        if expected and (not isinstance(value, expected) or (kind != "bool" and isinstance(value, bool))):
            raise ParameterError(notebook, name, f"{value!r} is a {type(value).__name__}, expected {kind}")
        typed[name] = float(value) if kind == "float" else value
    for name in DATE_PARAMETERS:
        if typed.get(name):  # empty: follows from as_of (edition.window_rules)
            try:
                typed[name] = parse_date(name, typed[name])
            except EditionRuleError as err:
                raise ParameterError(notebook, name, str(err).partition(": ")[2]) from None
    if "marking" in typed and typed["marking"] not in MARKINGS:
        raise ParameterError(notebook, "marking", f"{typed['marking']!r} is not a TLP 2.0 label ({', '.join(MARKINGS)})")
    return typed


def resolve(notebook: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Defaults of ``notebook`` overlaid with checked ``values``.

    The window (``as_of``, ``since``, ``previous_edition``, ``marking``) is
    checked by :func:`briefing.edition.window_rules`, the same rules the
    kernel applies in its first cell; empty dates stay empty here and are
    completed there, so every path gets the same window.  A notebook default
    that contradicts a given ``as_of`` is emptied (derived); a given value
    that does is an error naming the parameter.
    """
    params = declared(notebook)
    defaults = coerce(notebook.name, params, {p.name: p.default for p in params.values()})
    given = coerce(notebook.name, params, values)
    resolved = {**defaults, **given}
    for name in ("since", "previous_edition"):  # a stale default yields to the one derived from as_of
        if name not in given and resolved.get(name) and resolved.get("as_of") and resolved[name] >= resolved["as_of"]:
            resolved[name] = ""
    if "as_of" in resolved:
        try:
            window_rules(resolved["as_of"], resolved.get("since"), resolved.get("previous_edition"),
                         resolved.get("marking"), default_since=resolved["as_of"])
        except EditionRuleError as err:
            raise ParameterError(notebook.name, err.name, str(err).partition(": ")[2]) from None
    return resolved
