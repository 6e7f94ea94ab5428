# Two commands do all set-up from a clean clone: `make briefs` and `make test`.
# Needs only Python 3.11 and pip; the Korean font is added with apt when we are
# root on Debian (PDFs still render without it, with a warning).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-12)
UV     := $(BIN)/uv
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Bytecode is cached in the project's own .venv: without it each build process compiles what it imports.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup briefs test mutate fuzz lab refresh validate bench fonts clean lock

setup: $(STAMP) fonts

# requirements.lock pins every package, transitive ones included, with hashes
# (`make lock` regenerates it from pyproject.toml). uv installs it without resolving.
# The venv gets no pip of its own (5 s): this Python's pip (22.3 or later; else ensurepip) installs uv in it.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	test -x $(UV) || $(PYTHON) -m pip --python $(BIN)/python install --quiet --require-hashes --no-deps -r requirements-uv.lock \
	  || { $(BIN)/python -m ensurepip --default-pip >/dev/null && \
	       $(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-uv.lock; }
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name peninsula-briefs --display-name "Python (peninsula briefs)" >/dev/null
	install -D -m 644 jupyter-config/jupyter_server_config.d/briefing.json $(VENV)/etc/jupyter/jupyter_server_config.d/briefing.json
	rm -f $(VENV)/.installed-*
	touch $@

# System libraries for the PDF engine, from Debian when we are root: a Korean
# font (Hangul in source titles) and HarfBuzz's subsetter (halves PDF time).
SYSTEM_PACKAGES := fonts-nanum libharfbuzz-subset0
fonts:
	@{ fc-list :lang=ko 2>/dev/null | grep -q . && ldconfig -p | grep -q libharfbuzz-subset; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null)) && \
	    echo "installed $(SYSTEM_PACKAGES)"; \
	  else echo "warning: missing a Korean font or libharfbuzz-subset; PDFs may show boxes for Hangul"; fi; }

validate: setup
	$(BIN)/briefing validate

# render validates the data first (beside its warm-up) and renders nothing if any row breaks a rule.
briefs: setup
	$(BIN)/briefing render

test: setup
	$(BIN)/pre-commit run --all-files --show-diff-on-failure
	$(BIN)/python -m pytest

# Mutation testing of the guard modules (not part of `make test`; about 20 minutes on 2 cores).
# Prints the score per module; MODULES="publish cache" runs some. See tests/mutation/.
mutate: setup
	$(BIN)/python tests/mutation/mutate.py $(MODULES)

# The fuzz tests with many more examples than `make test` runs.
fuzz: setup
	HYPOTHESIS_PROFILE=nightly $(BIN)/python -m pytest tests/test_fuzz.py

refresh: setup
	$(BIN)/briefing refresh

lab: setup
	@echo "Render with parameters (pick a brief, a date, a marking): http://localhost:8888/briefing"
	@echo "JupyterLab on notebooks/ (kernel: Python (peninsula briefs)). For a JupyterLab installed elsewhere:"
	@echo "  $(BIN)/python -m ipykernel install --user --name peninsula-briefs --display-name 'Python (peninsula briefs)'"
	$(BIN)/jupyter lab notebooks/

bench: setup
	$(BIN)/python benchmarks/render_catalog.py
	$(BIN)/python benchmarks/backfill.py

# Left out: rfc3987-syntax (and lark, which only it needs), jsonschema's optional checker of the "iri"
# format, which no schema here uses; importing it compiles 38 grammars, 1.3 s in every process that
# imports nbformat or frictionless (each CLI call, each render).
lock: setup
	$(UV) pip compile --quiet pyproject.toml --extra test --generate-hashes --python-version 3.11 \
	  --python-platform linux --no-emit-package rfc3987-syntax --no-emit-package lark -o requirements.lock
	grep -o '"uv==[^"]*"' pyproject.toml | tr -d '"' | $(UV) pip compile --quiet - --generate-hashes \
	  --python-version 3.11 --python-platform linux -o requirements-uv.lock

clean:
	rm -rf $(VENV) .pytest_cache .mutmut .hypothesis
