# Fraud detection platform. `make help` lists the targets.
#
#   make test                 build .venv (first time only) and run every test
#   make demo                 run the whole pipeline locally with a realistic workload
#   make deploy-all STACK=qa  deploy the five layers in order (Pulumi CLI + AWS credentials)
#   make destroy STACK=qa     tear them down in reverse order

SHELL := /bin/bash
.DEFAULT_GOAL := help

STACK ?= dev
REGION ?= us-east-2
export STACK YES KEY VALUE REGION SECRETS_PROVIDER

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

# major.minor of a Python, or nothing when it does not run.
python_version = $(shell $(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# A .venv built by another Python than $(PYTHON) is rebuilt, not reused (checked on every run).
ifneq ($(call python_version,$(PY)),$(call python_version,$(PYTHON)))
.PHONY: $(INSTALLED)
endif

# Deploy order, read from its one definition in shared/layers.py.
LAYERS := $(shell $(PYTHON) -m shared.layers)
REVERSED_LAYERS := $(shell printf '%s\n' $(LAYERS) | tac)

.PHONY: help install test lint preview-all deploy-all destroy outputs config-set demo local report bench smoke \
	apigateway-account destroy-apigateway-account \
	backtest train backtest-weeks \
	$(addprefix deploy-,$(LAYERS)) $(addprefix destroy-,$(LAYERS)) $(addprefix preview-,$(LAYERS))

help: ## List the targets
	@grep -hE '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z%-]+):.*## /  \1\t/' | expand -t 30
	@echo "  deploy-<layer>              pulumi up of one layer (also preview-<layer>, destroy-<layer>)"
	@echo "  Layers, in deploy order: $(LAYERS)"
	@echo "  STACK=$(STACK) selects the stack in every layer (created when new); YES=1 skips confirmation."

# Reinstalls only when pyproject.toml (the one list of pins) is newer than the last install.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: Python 3.11+ is needed; PYTHON=$(PYTHON) is $(or $(call python_version,$(PYTHON)),not a working Python)." \
	    "Install Python 3.11 (python3.11 on PATH) or pass PYTHON=<a Python 3.11+>." >&2; exit 1; }
	@if [ -e $(VENV) ] && [ "$(call python_version,$(PY))" != "$(call python_version,$(PYTHON))" ]; then \
	  echo "Rebuilding $(VENV)/: it was made by Python $(or $(call python_version,$(PY)),unknown), not $(call python_version,$(PYTHON)) ($(PYTHON))."; \
	  rm -rf $(VENV); fi
	@echo "Installing the pinned dependencies of pyproject.toml into $(VENV)/ ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,train]'
	@touch $@

install: $(INSTALLED) ## Create .venv with the pinned dependencies (again only if pyproject.toml changed)

# A file per worker (its module fixtures set up once), files in collection order: tests/local,
# which mostly waits, first (tests/conftest.py).
test: install ## ruff, then every test (stacks under Pulumi mocks, handlers on moto, local end to end)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder

lint: install ## ruff
	$(VENV)/bin/ruff check .

preview-all: install ## pulumi preview of every layer, in deploy order
	@scripts/layers.sh preview $(LAYERS)

deploy-all: install ## pulumi up of every layer, in deploy order
	@scripts/layers.sh up $(LAYERS)

destroy: install ## pulumi destroy of every layer, in reverse order
	@scripts/layers.sh destroy $(REVERSED_LAYERS)

$(addprefix preview-,$(LAYERS)): preview-%: install
	@scripts/layers.sh preview $*

$(addprefix deploy-,$(LAYERS)): deploy-%: install
	@scripts/layers.sh up $*

$(addprefix destroy-,$(LAYERS)): destroy-%: install
	@scripts/layers.sh destroy $*

deploy-% destroy-% preview-%:
	@echo "error: unknown layer '$*'; layers: $(LAYERS)" >&2; exit 2

smoke: install ## Drive STACK's API as a client does (STACK=local: a running `make local SIGV4=1`)
	@if [ "$(STACK)" = local ]; then $(PY) -m smoke local; else scripts/layers.sh smoke; fi

outputs: ## The deployed API URL and reports bucket name of STACK
	@scripts/layers.sh outputs

config-set: install ## Set KEY=VALUE in every layer of STACK, e.g. KEY=fraud:alertEmail VALUE=a@b.co
	@scripts/layers.sh config-set $(LAYERS)

apigateway-account: install ## Set REGION's API Gateway CloudWatch role (once per account and region)
	@scripts/layers.sh account up

destroy-apigateway-account: install ## Remove it: stops the logs of every REST API in REGION
	@scripts/layers.sh account destroy

# Local mode (local_mode/): `make local API_PORT=3001 EMULATOR_PORT=4567` moves its ports, and
# `make local SIGV4=1` makes the API verify SigV4 signatures (made with the local credentials);
# `make demo TRANSACTIONS=2000 SEED=11` sizes the workload; `make report DAY=2026-05-01`.
API_PORT ?= 3000
EMULATOR_PORT ?= 4566
TRANSACTIONS ?= 1000
SEED ?= 7
DAY ?=

demo: install ## Run the local pipeline with a realistic workload and print the figures
	@$(PY) -m local_mode demo --transactions $(TRANSACTIONS) --seed $(SEED)

local: install ## Run the whole pipeline locally until Ctrl-C (API :3000, AWS emulator :4566)
	@$(PY) -m local_mode serve --api-port $(API_PORT) --emulator-port $(EMULATOR_PORT) \
	  $(if $(filter 1,$(SIGV4)),--sigv4)

report: install ## Build DAY's report (YYYY-MM-DD, default today) against a running `make local`
	@$(PY) -m local_mode report $(if $(DAY),--day $(DAY))

bench: install ## Run the benchmarks (2 to 3 minutes), write bench/results.md and results.json
	@$(PY) -m bench

# Backtest (backtest/): the Handbook's benchmark, generated once per DAYS and SEED (and again
# when the generator changes) into BACKTEST_DIR, then the chapter 3.4 protocol: a training
# week (2018-07-25 to 31), a week of label delay, the test week. Tune with
# `make backtest BACKTEST_RULES='{"highAmount": 220}'` (fraud:ruleOverrides' JSON).
BACKTEST_DIR ?= .backtest
BACKTEST_DAYS ?= 183
BACKTEST_SEED ?= 0
BACKTEST_FROM ?= 2018-08-08
BACKTEST_TO ?= 2018-08-14
BACKTEST_DELAY_DAYS ?= 7
BACKTEST_RULES ?=
export BACKTEST_RULES
BACKTEST_TRAIN_FROM ?= 2018-07-25
BACKTEST_TRAIN_TO ?= 2018-07-31
# The model to replay with the rules, e.g. BACKTEST_MODEL=functions/detect_fraud/model.json.
BACKTEST_MODEL ?=
DEFAULT_MODEL := functions/detect_fraud/model.json
BACKTEST_DATA := $(BACKTEST_DIR)/handbook-$(BACKTEST_DAYS)days-seed$(BACKTEST_SEED).csv

$(BACKTEST_DATA): backtest/generator.py | $(INSTALLED)
	@$(PY) -m backtest generate --days $(BACKTEST_DAYS) --seed $(BACKTEST_SEED) --out $@

backtest: install $(BACKTEST_DATA) ## Replay the benchmark (made once) through the rules, print the figures
	@$(PY) -m backtest run --data $(BACKTEST_DATA) --from $(BACKTEST_FROM) --to $(BACKTEST_TO) \
		--label-delay-days $(BACKTEST_DELAY_DAYS) $(if $(BACKTEST_RULES),--set "ruleOverrides=$$BACKTEST_RULES") \
		$(if $(BACKTEST_MODEL),--model $(BACKTEST_MODEL)) \
		--scores $(BACKTEST_DIR)/scores.csv --report $(BACKTEST_DIR)/report.html

train: install $(BACKTEST_DATA) ## Train the shipped model on the benchmark's training week (fixed seeds)
	@$(PY) -m backtest train --data $(BACKTEST_DATA) --from $(BACKTEST_TRAIN_FROM) \
		--to $(BACKTEST_TRAIN_TO) --label-delay-days $(BACKTEST_DELAY_DAYS) --model $(DEFAULT_MODEL)

# Out of sample (docs/backtest.md): weeks after the standard one, which the shipped model's
# design never looked at. Each week a model is trained on its own training week, shifted as
# much (start - 14 to start - 8 days), then the week is replayed with rules + that model
# (retrained), rules + the shipped model (its aging) and the rules only: a training and 3
# replays a week, 4 to 5 minutes. `make backtest-weeks BACKTEST_WEEKS="2018-08-15 2018-08-22"`.
BACKTEST_WEEKS ?= 2018-08-15 2018-08-22 2018-08-29 2018-09-05 2018-09-12
# A week's start -> its training week's first and last day and its own last day, or nothing.
week_days = $(shell $(PYTHON) -c 'import sys; from datetime import date, timedelta as d; \
  s = date.fromisoformat(sys.argv[1]); print(s - d(14), s - d(8), s + d(6))' '$(1)' 2>/dev/null)

# $(1): the week's start, $(2): its last day, $(3): the scorer's name, $(4): its model or none.
define backtest_week_run
@echo "== week $(1) to $(2), $(3)" >&2
@$(PY) -m backtest run --data $(BACKTEST_DATA) --from $(1) --to $(2) \
	--label-delay-days $(BACKTEST_DELAY_DAYS) $(if $(filter-out none,$(4)),--model $(4) )\
	--scores $(BACKTEST_DIR)/scores-$(1)-$(3).csv

endef

# $(1): the week's start, $(2): its training week's first and last day and the week's last day.
define backtest_week
@echo "== week $(1): training on $(word 1,$(2)) to $(word 2,$(2))" >&2
@$(PY) -m backtest train --data $(BACKTEST_DATA) --from $(word 1,$(2)) --to $(word 2,$(2)) \
	--label-delay-days $(BACKTEST_DELAY_DAYS) --model $(BACKTEST_DIR)/model-$(1).json
$(call backtest_week_run,$(1),$(word 3,$(2)),retrained,$(BACKTEST_DIR)/model-$(1).json)
$(call backtest_week_run,$(1),$(word 3,$(2)),shipped,$(DEFAULT_MODEL))
$(call backtest_week_run,$(1),$(word 3,$(2)),rules,none)
endef

# A week that is not a day stops make before anything runs (the dataset's generation too).
ifneq ($(filter backtest-weeks,$(MAKECMDGOALS)),)
$(foreach start,$(BACKTEST_WEEKS),$(if $(call week_days,$(start)),,\
  $(error BACKTEST_WEEKS: '$(start)' is not a day as YYYY-MM-DD)))
endif

backtest-weeks: install $(BACKTEST_DATA) ## Out of sample: each of BACKTEST_WEEKS trained on its own week (~5 min a week)
	$(foreach start,$(BACKTEST_WEEKS),$(call backtest_week,$(start),$(call week_days,$(start))))
