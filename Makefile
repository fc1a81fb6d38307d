# Polku: `make up` runs the local stack with demo data, `make test` the whole suite.
# Both create .venv/ (Python 3.11, the project installed editable with its local-stack and dev
# tools: the `stack` and `dev` extras) first.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# Debian packages the targets need: chromium and its WebDriver for the dashboard browser test.
SYSTEM_PACKAGES ?= chromium chromium-driver

.PHONY: up test bench lint schemas system-packages clean-stack

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[stack,dev]'
	touch $@

$(VENV): $(VENV)/.installed

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq $$missing; fi

up: $(VENV)/.installed
	$(BIN)/polku up --demo

test: $(VENV)/.installed system-packages
	$(BIN)/pytest -q -p no:cacheprovider --timeout 600 $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python -m bench

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy --strict contracts services polku

schemas: $(VENV)/.installed
	$(BIN)/polku schemas

# Removes the persistent embedded stack (.polku/: Kafka and PostgreSQL data, cached jars).
clean-stack:
	rm -rf .polku
