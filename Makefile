# make run    install if needed, init, load the demo once, serve   (./run.sh; ARGS="--port 9000")
# make test   install if needed (with test extras), run the whole test suite
# make lint   ruff on the code and tests, mypy --strict on bridge/services and hooks

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-test

.PHONY: run test lint install

run:
	./run.sh $(ARGS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check bridge hooks compat importers plugins tests
	$(VENV)/bin/mypy bridge/services hooks

install: $(STAMP)

# (re)install when the venv is missing or pyproject.toml changed
$(STAMP): pyproject.toml
	$(VENV)/bin/python -c 'import sys' 2>/dev/null || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@
