"""The analysts' register is validated like the data: every problem at once, as file:line: field: value: rule."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing import brief, register
from briefing.cli import main

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "analysis" / "judgments"
FIXTURES = Path(__file__).parent / "fixtures" / "register"
BRIEF = "01-dprk-russia-alliance"

# fixture (named by behaviour) -> (field, words of the rule it breaks)
BROKEN = {
    "unknown_likelihood": ("likelihood", "not an ICD 203 term"),
    "missing_confidence": ("confidence", "missing"),
    "unresolved_placeholder": ("text", "unresolved placeholder: no query named 'troop_total'"),
    "unknown_basis": ("basis", "no such row id"),
    "unknown_supersedes": ("supersedes", "no such id"),
    "text_without_likelihood": ("text", "must use its likelihood term 'likely' exactly once"),
    "placeholder_without_data_on_authored": ("text", "the data as known on 2024-06-30 hold nothing for it"),
    "new_version_without_reason": ("reason", "says why it replaces the old one"),
    "reconstructed_without_date": ("reconstructed_on", "says when it was written"),
}


@pytest.fixture
def register_copy(tmp_path: Path) -> Path:
    """The project's register and data in a throwaway project folder."""
    shutil.copytree(REGISTER, tmp_path / "analysis" / "judgments")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path / "analysis" / "judgments"


def test_the_project_register_is_valid():
    assert register.validate(REGISTER, ROOT / "data") == []


def test_every_broken_fixture_is_named_in_the_table():
    assert sorted(p.stem for p in FIXTURES.glob("*.md")) == sorted(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_rule_reports_its_file_line_field_and_rule(register_copy, name):
    shutil.copy(FIXTURES / f"{name}.md", register_copy / BRIEF / f"{name}.md")
    problems = register.validate(register_copy, register_copy.parents[1] / "data")
    assert len(problems) == 1, [str(p) for p in problems]
    field, rule = BROKEN[name]
    problem = problems[0]
    assert problem.file == f"analysis/judgments/{BRIEF}/{name}.md" and problem.column == field
    assert rule in problem.rule and problem.row >= 1
    assert str(problem).startswith(f"analysis/judgments/{BRIEF}/{name}.md:{problem.row}: {field}: ")


def test_briefing_validate_reports_every_register_problem_at_once_and_exits_2(register_copy):
    for path in FIXTURES.glob("*.md"):
        shutil.copy(path, register_copy / BRIEF / path.name)
    result = CliRunner().invoke(main, ["validate", "--data", str(register_copy.parents[1] / "data")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.startswith("analysis/judgments/")]
    assert sorted({line.split("/")[3].split(".md:")[0] for line in lines}) == sorted(BROKEN)


def test_a_withdrawn_version_needs_no_likelihood_but_a_reason(register_copy):
    (register_copy / BRIEF / "paid-in-kind-2025-12-withdrawn.md").write_text(
        "---\nid: paid-in-kind-2025-12-withdrawn\nbrief: 01-dprk-russia-alliance\nkind: judgment\n"
        "authored: 2025-12-15\nsupersedes: paid-in-kind-2025-12\nwithdrawn: true\n---\nWithdrawn.\n")
    problems = register.validate(register_copy, register_copy.parents[1] / "data", evaluate=False)
    assert [(p.column, p.rule) for p in problems] == [("reason", "a new version says why it replaces the old one")]


def test_no_likelihood_phrase_in_string_literals_under_src():
    """Judgment wording lives in the register: the scale table brief.LIKELIHOOD is the one place a term is typed."""
    found = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {id(node) for assign in ast.walk(tree) if isinstance(assign, ast.Assign)
                   and any(isinstance(t, ast.Name) and t.id == "LIKELIHOOD" for t in assign.targets)
                   for node in ast.walk(assign.value)}
        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {brief.likelihood_terms(node.value)}"
                  for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in allowed
                  and brief.likelihood_terms(node.value)]
    assert found == []
    assert brief.likelihood_terms(" ".join(term for term, _ in brief.LIKELIHOOD)) != []  # the scan can see them
