# Two entry points: `make run` (demo on SQLite) and `make test` (the whole suite).
VENV ?= .venv
# Python 3.12 or newer; tools/find-python picks one (PATH, then pyenv). `make test PYTHON=…` overrides.
PYTHON ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)

.PHONY: run test lint extract translations

$(STAMP): pyproject.toml
	@python="$(PYTHON)"; if [ -z "$$python" ]; then python=$$(sh tools/find-python) || exit 1; \
	elif ! "$$python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  echo "PYTHON=$$python is not Python 3.12 or newer"; exit 1; fi; \
	if [ -e $(VENV) ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; \
	then echo "$(VENV) was made by a Python older than 3.12: making it again"; rm -rf $(VENV); fi; \
	echo "$$python -m venv $(VENV)"; "$$python" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations

run: translations
	TULUC_ENV=demo $(BIN)/flask --app app demo

# Two workers (pytest-xdist): each has its own database (tests/conftest.py).
# The 25 slowest tests are named at the end, to keep the whole of .ci/run under 30 minutes.
test: translations
	$(BIN)/python -m pytest -n auto --durations=25

lint: $(STAMP)
	$(BIN)/ruff check .

# After changing user-visible strings: refresh the template and the catalogs, then translate.
# A keyword without its argument spec (`-k ngettext`) would replace Babel's `ngettext:1,2`
# and extract plurals as singular messages; tests/test_catalog.py reads this line.
KEYWORDS := -k _l -k ngettext:1,2 -k lazy_ngettext:1,2 -k ngettext_noop:1,2 -k pgettext:1c,2 -k lazy_pgettext:1c,2 -k pgettext_noop:1c,2
extract: $(STAMP)
	$(BIN)/pybabel extract -F pyproject.toml $(KEYWORDS) \
	  --sort-by-file --no-wrap -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
	  --no-wrap --ignore-obsolete
