"""pyproject.toml is the one place versions are pinned; environment.yml mirrors it."""

from __future__ import annotations

import tomllib

import yaml

from conftest import ROOT


def _pyproject_pins() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project["dependencies"]) | {d for deps in project["optional-dependencies"].values() for d in deps}


def _environment_pins() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return set(pip)


def test_environment_yml_matches_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_every_dependency_is_pinned_exactly():
    assert all("==" in pin for pin in _pyproject_pins())


def test_environment_python_matches_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"].startswith(">=3.11")


def _locked(path) -> dict[str, str]:
    """name -> version of every package pinned in a uv/pip-tools lock file."""
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.split(";")[0].strip().rstrip("\\").strip().partition("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_the_lock_file_pins_every_package_with_hashes_and_agrees_with_pyproject():
    locked = _locked("requirements.lock")
    for pin in _pyproject_pins():
        name, _, version = pin.partition("==")
        assert locked.get(name.lower().replace("_", "-")) == version, pin
    text = (ROOT / "requirements.lock").read_text()
    assert text.count("==") == len(locked) and text.count("--hash=sha256:") >= len(locked), "every pin has a hash"
    assert _locked("requirements-uv.lock") == {"uv": locked["uv"]}


def test_set_up_installs_from_the_lock_file_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes requirements.lock" in makefile and "--require-hashes --no-deps -r requirements-uv.lock" in makefile
    assert "pip install --quiet -e '.[test]'" not in makefile, "no resolution at set-up time"
