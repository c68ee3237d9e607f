# The two commands: `make run` starts the whole platform locally, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test faults api-fuzz lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m devstack

# Every broker-touching test runs on Tansu and on Apache Kafka, the two halves side by side
# (scripts/run-tests); ADIEU_TEST_BROKERS=tansu (or kafka) runs one of them only.
test: $(STAMP)
	scripts/ensure-chromium
	scripts/ensure-kafka
	scripts/run-tests

# Minutes, not seconds: the platform under one fault at a time, on Tansu and on Apache Kafka
# (docs/reliability.md); e.g. make faults FAULTS_ARGS='--broker tansu -n 10'.
faults: $(STAMP)
	scripts/ensure-kafka
	$(BIN)/python -m faults $(FAULTS_ARGS)

# Schemathesis over every service's OpenAPI document: every check, a bounded number of examples
# and a fixed seed, against the platform as `make run` starts it (tests/fuzz/api_fuzz.py, a few
# minutes; CI runs it after make test). E.g. make api-fuzz API_FUZZ_ARGS='--examples 50'.
FUZZ_STAMP := $(VENV)/.fuzz-installed

$(FUZZ_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,fuzz]'
	touch $(FUZZ_STAMP)

api-fuzz: $(FUZZ_STAMP)
	$(BIN)/python -m tests.fuzz.api_fuzz $(API_FUZZ_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Benchmarks on stacks of their own (not tests), on Tansu and then on Apache Kafka where it can
# run here; e.g. make bench BENCH_ARGS='--purges 5000 --brokers tansu'.
bench: $(STAMP)
	scripts/ensure-kafka
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
