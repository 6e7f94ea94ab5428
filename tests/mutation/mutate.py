"""Mutation testing of the guard modules with mutmut, one scoped run per module.

    python tests/mutation/mutate.py [MODULE ...] [--jobs N] [--fail-under PCT] [--root DIR]

Each module in MODULES is mutated alone, against only the tests listed for it
(fast, in-process tests: the kill -9, nbval and fuzz tests are too slow to run
once per mutant).  mutmut then runs, for each mutant, only those of these tests
that call the mutated function.  Work happens in ``.mutmut/<module>/`` (a
copy of src/, tests/ and the data descriptor); results are reused only while
src/ and tests/ are unchanged, and the working tree is never touched.

The score of a module is killed / (mutants - equivalent), where the
equivalent mutants are those listed in tests/mutation/equivalent.md.  To add
a module, add one line to MODULES.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# module (under src/briefing/) -> the tests that guard it, and an optional pytest -k filter.
MODULES: dict[str, tuple[list[str], str]] = {
    "publish.py": (["tests/test_publish.py"], ""),
    "cache.py": (["tests/test_cache.py"], "not rerenders"),
    "validate.py": (["tests/test_validate.py", "tests/test_register.py"], ""),
    "params.py": (["tests/test_params.py", "tests/test_catalog.py"], ""),
    "catalog.py": (["tests/test_catalog.py"], ""),
    "errors.py": (["tests/test_validate.py", "tests/test_params.py", "tests/test_catalog.py"], ""),
    # The edition model and its revisions (issue "editions you can trust"); escaping lives in the
    # autoescaped templates/blocks.html.j2, which mutmut cannot mutate: tests/test_structure.py guards it.
    "edition.py": (["tests/test_edition_model.py", "tests/test_structure.py", "tests/test_params.py",
                    "tests/test_catalog.py"],
                   "not papermill and not scaffold and not refresh and not notebooks_folder"),
    "revision.py": (["tests/test_revision.py"], ""),
}

PYTEST_ARGS = ["-p", "no:nbval", "-o", "addopts=", "-p", "no:cacheprovider", "-q", "-x",
               "-W", "ignore::DeprecationWarning"]
KILLED = {"killed", "timeout", "segfault", "suspicious"}  # the tests noticed the change


def equivalent(root: Path) -> dict[str, str]:
    """Mutant name -> reason, from the ``- `name`: reason`` lines of equivalent.md."""
    text = (root / "tests" / "mutation" / "equivalent.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^- `([^`]+)`: (.+)$", text, flags=re.M))


def config(module: str, tests: list[str], keyword: str) -> str:
    args = PYTEST_ARGS + (["-k", keyword] if keyword else [])
    return ("\n[tool.mutmut]\n"
            'source_paths = ["src/"]\n'
            'also_copy = ["data/", "analysis/", "notebooks/"]\n'
            f'only_mutate = ["src/briefing/{module}"]\n'
            f"pytest_add_cli_args = {json.dumps(args)}\n"
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n")


def fingerprint(root: Path) -> str:
    """Hash of the sources and tests: mutmut re-tests a survivor only when its source changed,
    so any change here (a new test) starts the module afresh."""
    digest = hashlib.sha256()
    for path in sorted(p for folder in ("src", "tests", "data", "analysis", "notebooks")
                       for p in (root / folder).rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts and ".cache" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare(root: Path, module: str) -> Path:
    work = root / ".mutmut" / module.removesuffix(".py")
    work.mkdir(parents=True, exist_ok=True)
    stamp, current = work / "inputs.sha256", fingerprint(root) + json.dumps(MODULES[module])
    if not stamp.is_file() or stamp.read_text() != current:
        shutil.rmtree(work / "mutants", ignore_errors=True)
        stamp.write_text(current)
    for folder in ("src", "tests"):
        shutil.rmtree(work / folder, ignore_errors=True)
        shutil.copytree(root / folder, work / folder,
                        ignore=shutil.ignore_patterns("__pycache__", ".cache", ".pytest_cache"))
    for folder in ("data", "analysis", "notebooks"):  # the tables, the register and the catalog the tests read
        shutil.rmtree(work / folder, ignore_errors=True)
        shutil.copytree(root / folder, work / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    tests, keyword = MODULES[module]
    (work / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + config(module, tests, keyword))
    return work


def results(work: Path) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=work,
                         capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"^\s*(\S+): (.+)$", out, flags=re.M))


def run(root: Path, module: str, jobs: int) -> dict:
    work = prepare(root, module)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": "", "HYPOTHESIS_PROFILE": "ci"}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)], cwd=work, env=env,
                   stdout=subprocess.DEVNULL, check=True)
    found = results(work)
    same = equivalent(root)
    stem = f"briefing.{module.removesuffix('.py')}."
    mine = {name: status for name, status in found.items() if name.startswith(stem)}
    counted = {n: s for n, s in mine.items() if n not in same}
    killed = sum(s in KILLED for s in counted.values())
    return {"module": module, "mutants": len(mine), "equivalent": len(mine) - len(counted), "killed": killed,
            "score": 100.0 * killed / len(counted) if counted else 100.0, "seconds": time.monotonic() - started,
            "survivors": sorted(n for n, s in counted.items() if s not in KILLED)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help=f"default: {' '.join(MODULES)}")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--fail-under", type=float, default=90.0)
    parser.add_argument("--root", type=Path, default=ROOT, help="project to test (default: this one)")
    args = parser.parse_args()
    rows = []
    for module in args.modules or MODULES:
        module = module if module.endswith(".py") else f"{module}.py"
        rows.append(run(args.root.resolve(), module, args.jobs))
        row = rows[-1]
        print(f"{row['module']:14} {row['killed']:4} killed / {row['mutants'] - row['equivalent']:4} "
              f"({row['equivalent']} equivalent)  {row['score']:5.1f}%  {row['seconds']:5.0f} s", flush=True)
        for name in row["survivors"]:
            print(f"    survived: {name}", flush=True)
    (args.root / ".mutmut").mkdir(exist_ok=True)
    (args.root / ".mutmut" / "scores.json").write_text(json.dumps(rows, indent=2))
    low = [r["module"] for r in rows if r["score"] < args.fail_under]
    if low:
        print(f"below {args.fail_under:g}%: {', '.join(low)} (see `cd .mutmut/<module> && mutmut show NAME`)")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
