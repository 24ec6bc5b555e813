# Two commands set everything up on a fresh machine (Python 3.11+ and make):
#   make run    install, migrate, load the demo schools, serve on http://127.0.0.1:5000
#   make test   install with the test tools, lint, run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

# A local secret for the embedded defaults; production sets HELPLINE_SECRET_KEY itself.
.env: | $(BIN)/python
	$(BIN)/python -c 'import secrets; print("HELPLINE_SECRET_KEY=" + secrets.token_hex(32))' > $@

run: $(VENV)/.installed .env
	$(BIN)/helpline db upgrade
	$(BIN)/helpline demo
	$(BIN)/helpline run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
