# Outreach: `make run` to try it, `make test` to test it. Nothing else is needed on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := OUTREACH_ENV=$${OUTREACH_ENV:-development} $(BIN)/flask --app outreach
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve install install-dev translations test test-postgres soak-postgres lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Compiled message catalogues (.mo) are built, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d outreach/translations >/dev/null

run: install translations
	@bash scripts/ensure-system-packages.sh runtime
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT) with the scheduler; Ctrl-C stops both."
	@trap 'kill $$SCHED 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) scheduler & SCHED=$$!; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

# Production: gunicorn (gunicorn.conf.py) against DATABASE_URL, migrated first. The scheduler
# is a separate process (`flask --app outreach scheduler`, docs/deployment.md).
serve: install translations
	OUTREACH_ENV=$${OUTREACH_ENV:-production} $(BIN)/flask --app outreach db upgrade
	OUTREACH_ENV=$${OUTREACH_ENV:-production} exec $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install-dev translations
	@bash scripts/ensure-system-packages.sh runtime browser pdf
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$status

test-postgres: install-dev translations
	@bash scripts/ensure-system-packages.sh runtime browser pdf
	bash scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

# The sync soak, short (benchmarks/sync_soak.py; the full run is in docs/performance.md):
# 10 phones x 50 records through two gunicorn instances on a throwaway PostgreSQL, one worker
# and one master killed. Fails on any lost, duplicated or wrong record, or a server error
# outside the kill windows.
soak-postgres: install-dev translations
	bash scripts/with-postgres.sh $(BIN)/python benchmarks/sync_soak.py --db postgresql \
	  --phones 10 --records 50 --worker-kills 1 --master-kills 1

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
