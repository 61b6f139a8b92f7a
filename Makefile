# Two entry points: `make run` (demo on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)

.PHONY: run test lint extract translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations

run: translations
	TULUC_ENV=demo $(BIN)/flask --app app demo

test: translations
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# After changing user-visible strings: refresh the template and the catalogs, then translate.
# A keyword without its argument spec (`-k ngettext`) would replace Babel's `ngettext:1,2`
# and extract plurals as singular messages; tests/test_catalog.py reads this line.
KEYWORDS := -k _l -k ngettext:1,2 -k lazy_ngettext:1,2 -k ngettext_noop:1,2 -k pgettext:1c,2 -k lazy_pgettext:1c,2
extract: $(STAMP)
	$(BIN)/pybabel extract -F pyproject.toml $(KEYWORDS) \
	  --sort-by-file --no-wrap -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
	  --no-wrap --ignore-obsolete
