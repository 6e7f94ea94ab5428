"""The README and the CLI agree; CI runs the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.cli import main
from conftest import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_documented_with_an_example(name):
    assert f"`briefing {name}" in README
    help_text = CliRunner().invoke(main, [name, "--help"]).output
    assert "Example:" in help_text and f"briefing {name}" in help_text


def test_readme_documents_only_real_commands():
    documented = set(re.findall(r"`briefing ([a-z]+)", README))
    assert documented <= set(main.commands)


def test_ci_runs_the_readme_test_command():
    assert "make test" in README and "make briefs" in README
    assert re.search(r"^make test$", Path(ROOT / ".ci" / "run").read_text(), re.M)


def test_makefile_targets_from_the_readme_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"`make ([a-z]+)`", README):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_official_frictionless_cli_accepts_the_package():
    frictionless = Path(sys.executable).with_name("frictionless")
    result = subprocess.run([str(frictionless), "validate", "data/datapackage.json"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
