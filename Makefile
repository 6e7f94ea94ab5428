# Two commands do all set-up from a clean clone: `make briefs` and `make test`.
# Needs only Python 3.11 and pip; the Korean font is added with apt when we are
# root on Debian (PDFs still render without it, with a warning).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup briefs test mutate fuzz lab refresh validate bench fonts clean

setup: $(STAMP) fonts

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
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

briefs: setup
	$(BIN)/briefing validate
	$(BIN)/briefing render

test: setup
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
	$(BIN)/jupyter lab notebooks/

bench: setup
	$(BIN)/python benchmarks/render_catalog.py

clean:
	rm -rf $(VENV) .pytest_cache .mutmut .hypothesis
