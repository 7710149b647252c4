# Two commands: `make run` (the service on an embedded local stack) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# `uv pip compile` flags: one lock for every platform, Python 3.11 (the Lambda's), hashes pip checks.
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command 'make lock' --quiet

.PHONY: install run test unit integration contract e2e fuzz lint bench lock clean

# The exact versions of requirements-dev.lock (hash-checked), then the project without resolving again.
$(STAMP): pyproject.toml requirements.txt requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# What the stack stored survives a restart (.local/aws-writes.jsonl); `make run FRESH=1` starts clean.
run: install
	$(BIN)/python -m infra.local $(if $(FRESH),--fresh)

test: lint
	$(BIN)/python -m pytest

unit: install
	$(BIN)/python -m pytest tests/unit

integration: install
	$(BIN)/python -m pytest tests/integration tests/infra

# FakeRepository and DynamoRepository (moto, the template's tables) against one test suite.
contract: install
	$(BIN)/python -m pytest tests/contract

e2e: install
	$(BIN)/python -m pytest tests/e2e

# Not part of `make test`: the contract fuzz with a large budget (FUZZ_EXAMPLES generated examples
# per operation; `make test` runs 10), then the hostile corpus (tests/hostile_requests.py), both
# over real HTTP against a fresh local stack.
FUZZ_EXAMPLES ?= 200
fuzz: install
	IGNY8_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/e2e/test_contract_fuzz.py tests/e2e/test_error_shape.py

bench: install
	$(BIN)/python -m bench.packaging_bench
	$(BIN)/python -m bench.bridge_bench
	$(BIN)/python -m bench.records_bench
	$(BIN)/python -m bench.hotpath_bench
	$(BIN)/python -m bench.coldstart_bench
	$(BIN)/python -m bench.fleet_sim --sites 1000 3000 --good 3
	$(BIN)/python -m bench.cost_model

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# After a change to pyproject.toml or requirements.txt: the dev set first, then the Lambda's runtime
# set constrained to it, so the Lambda bundle pins the versions the tests ran. Other pins stay as
# they are; `make lock UPGRADE=1` moves them all to the newest allowed.
lock: install
	$(BIN)/uv pip compile pyproject.toml requirements.txt --extra dev $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) --output-file requirements-dev.lock
	$(BIN)/uv pip compile requirements.txt --constraint requirements-dev.lock $(LOCK_FLAGS) --output-file requirements.lock

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
