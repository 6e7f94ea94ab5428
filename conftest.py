"""Make the suite runnable from any folder: nbval's sanitize file is found from here, not the working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    if config.getoption("nbval_sanitize_with", default=None) is None and hasattr(config.option, "nbval_sanitize_with"):
        config.option.nbval_sanitize_with = str(ROOT / "tests" / "sanitize.cfg")
