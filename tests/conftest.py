"""Shared fixtures: a tiny valid data package, and a helper to break it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import Phase, settings

# Fuzz tests (tests/test_fuzz.py): bounded in `make test`; HYPOTHESIS_PROFILE=nightly for a long run.
settings.register_profile("ci", max_examples=30, deadline=None, print_blob=True, derandomize=True)  # CI: the same examples every run
settings.register_profile("nightly", max_examples=2000, deadline=None, print_blob=True)
settings.register_profile("explore", max_examples=30, deadline=None, phases=[Phase.generate])  # no shrinking
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
# What differs between two builds of the same edition: generated-at dates and papermill's durations.
TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?|\"duration\": [0-9.e-]+")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """The valid fixture tables with the project's real descriptor."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURES / "data" / "valid", target)
    shutil.copy(ROOT / "data" / "datapackage.json", target)
    return target


@pytest.fixture
def fixture_data(data_copy, monkeypatch):
    """``data_copy`` as the data folder the package reads."""
    monkeypatch.setenv("BRIEFING_DATA", str(data_copy))
    return data_copy


@pytest.fixture
def ed():
    """A TLP:CLEAR window as of 30 Jun 2025, for the blocks of a brief without a render."""
    from briefing.edition import Window

    return Window.checked("2025-06-30", marking="TLP:CLEAR")


@pytest.fixture
def broken_data(data_copy: Path):
    """Return a function that swaps in ``broken/<behaviour>.<table>.csv``."""

    def swap(name: str) -> Path:
        behaviour_file = FIXTURES / "data" / "broken" / f"{name}.csv"
        table = name.split(".")[1]
        shutil.copy(behaviour_file, data_copy / f"{table}.csv")
        return data_copy

    return swap


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A throwaway project: fixture notebooks and catalog, the valid fixture data."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", root)
    shutil.copytree(FIXTURES / "data" / "valid", root / "data")
    shutil.copy(ROOT / "data" / "datapackage.json", root / "data")
    monkeypatch.setenv("BRIEFING_DATA", str(root / "data"))
    monkeypatch.chdir(root)
    return root


def write_catalog(root: Path, text: str) -> None:
    (root / "notebooks" / "catalog.yml").write_text(text)


# Fixture notebooks fail on purpose; nbval checks only the real ones in notebooks/.
collect_ignore_glob = ["fixtures/*"]


def launch_chromium(playwright):
    """Debian's Chromium through Playwright (never a downloaded browser); skips outside CI when it is absent."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("Chromium must be installed in CI (.ci/run installs Debian's chromium)")
        pytest.skip("Chromium is not installed here (apt-get install chromium); CI runs this test")
    return playwright.chromium.launch(executable_path=path, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"])

