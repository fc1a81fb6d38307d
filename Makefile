# Polku: `make up` runs the local stack with demo data, `make test` the whole suite.
# Both create .venv/ (Python 3.11, the project installed editable with its local-stack and dev
# tools: the `stack` and `dev` extras) first, from the lock files in requirements/ only
# (hash-checked, no resolution); `make lock` refreshes them after pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# Debian packages the targets need: chromium and its WebDriver for the dashboard browser test.
SYSTEM_PACKAGES ?= chromium chromium-driver
# The lock files (requirements/README.md): the image's set, the wheel build backend, and
# everything `make up` and `make test` install. Resolved for CPython 3.11 on Linux x86_64.
LOCK_DIR := requirements
LOCKS := $(LOCK_DIR)/runtime.lock $(LOCK_DIR)/build.lock $(LOCK_DIR)/dev.lock
LOCK_UPGRADE ?=
UV_COMPILE = $(BIN)/uv pip compile --quiet --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --generate-hashes --custom-compile-command 'make lock' \
	$(LOCK_UPGRADE)
# AUDIT_STRICT=1 also fails when the vulnerability service cannot be reached (default: warn).
AUDIT_STRICT ?=

.PHONY: up test bench lint schemas system-packages clean-stack lock lock-upgrade audit sbom

# Fails first, before installing anything, if pyproject.toml changed since the lock was made.
# uv (itself installed by pip from its hash-checked line of dev.lock) installs the locked set:
# the same hashes and no resolution, in seconds instead of minutes.
$(VENV)/.installed: pyproject.toml $(LOCKS) scripts/lockfiles.py
	$(PYTHON) scripts/lockfiles.py check $(LOCKS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PYTHON) scripts/lockfiles.py pick uv $(LOCK_DIR)/dev.lock > $(VENV)/uv.lock
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes --no-deps \
	  -r $(LOCK_DIR)/dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(BIN)/uv pip check --python $(BIN)/python
	touch $@

$(VENV): $(VENV)/.installed

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq $$missing; fi

up: $(VENV)/.installed
	$(BIN)/polku up --demo

test: $(VENV)/.installed system-packages audit
	$(BIN)/pytest -q -p no:cacheprovider --timeout 600 $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python -m bench

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy --strict contracts services polku

schemas: $(VENV)/.installed
	$(BIN)/polku schemas

# Re-resolves the lock files from pyproject.toml, keeping every pin that still fits;
# `make lock-upgrade` moves every pin to the newest allowed version. Commit the result.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(PYTHON) scripts/lockfiles.py build-requires > $(LOCK_DIR)/build.in
	$(UV_COMPILE) -o $(LOCK_DIR)/runtime.lock pyproject.toml
	$(UV_COMPILE) -o $(LOCK_DIR)/build.lock -c $(LOCK_DIR)/runtime.lock $(LOCK_DIR)/build.in
	$(UV_COMPILE) -o $(LOCK_DIR)/dev.lock --extra stack --extra dev \
	  -c $(LOCK_DIR)/runtime.lock -c $(LOCK_DIR)/build.lock pyproject.toml $(LOCK_DIR)/build.in
	$(PYTHON) scripts/lockfiles.py stamp $(LOCKS)

lock-upgrade:
	$(MAKE) lock LOCK_UPGRADE=--upgrade

# pip-audit over every locked package: fails on a known vulnerability with a fixed version
# that requirements/audit-allow.txt does not list.
audit: $(VENV)/.installed
	$(BIN)/python scripts/audit.py $(if $(AUDIT_STRICT),--strict)

# CycloneDX SBOM of the image's Python dependencies and the vendored Chart.js.
sbom: $(VENV)/.installed
	$(BIN)/python scripts/sbom.py --output build/sbom.cdx.json

# Removes the persistent embedded stack (.polku/: Kafka and PostgreSQL data, cached jars).
clean-stack:
	rm -rf .polku
