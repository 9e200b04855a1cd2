# Two commands on a fresh machine:
#   make train   set up .venv, then train the built-in digits default
#   make test    set up .venv, then run ruff and the test suite (what CI runs): the default run (< 10 min on
#                2 cores), then the slow-marked tests (bad input at scale, torch.compile)
# Override the torch requirement with e.g.  make test TORCH_SPEC='torch==2.14.1'

PYTHON     ?= python3
VENV       ?= .venv
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?= -n 2
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.ddpm-kit-setup
# Every plugin package under plugins/ is installed editable into the same environment, except the
# template (plugins/template), which the tests build and install into a temporary folder. A plugin's
# optional extras listed here are installed too, so that its tests run (not skip) in CI.
PLUGINS    := $(filter-out plugins/template/%,$(wildcard plugins/*/pyproject.toml))
EXTRAS_ddpm-kit-diffusers := [diffusers]
EXTRAS_ddpm-kit-hf := [datasets]
plugin_req = '$(patsubst %/,%,$(dir $(1)))$(EXTRAS_$(notdir $(patsubst %/,%,$(dir $(1)))))'

.PHONY: setup train test test-slow test-long bench clean

$(STAMP): pyproject.toml $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]" $(foreach p,$(PLUGINS),-e $(call plugin_req,$(p)))
	touch $(STAMP)

setup: $(STAMP)

train: $(STAMP)
	$(BIN)/ddpm-kit train $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check ddpm_kit tests benchmarks plugins
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

test-long: $(STAMP)
	$(BIN)/python -m pytest -m long $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
