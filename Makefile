# itp-stats: two commands do all the set-up.
#   make report   create .venv if missing, install the project, validate the cohort, render
#   make test     create .venv (with the dev extras) if missing, run the test suite
#   make plan     render the statistical analysis plan (no cohort read)
#   make bundle   render, then write the submission ZIP (itp-stats bundle) and verify it
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data/cohort.csv
STUDY  ?= data/study.yaml
BUNDLE ?= submission.zip

.PHONY: report plan bundle test lint format bench clean

# uv installs the project in seconds (pip takes most of a minute); tools/install_venv.py gives
# it pip's configured indexes and falls back to pip when uv is missing or fails.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet 'uv>=0.13,<0.14' 2>/dev/null \
		|| echo "[install] uv could not be installed: pip installs the project instead"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python tools/install_venv.py -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python tools/install_venv.py -e '.[dev]'
	@touch $@ $(VENV)/.installed

report: $(VENV)/.installed
	$(BIN)/itp-stats render --study $(STUDY) -P data=$(DATA)

# the statistical analysis plan, from the study configuration alone (no cohort, no gate)
plan: $(VENV)/.installed
	$(BIN)/itp-stats plan --study $(STUDY)

# the submission ZIP of the render (every document and format, the analysis plan rendered
# after the report, figures, tables, validation record, manifest of digests), checked
# against the cohort it was built from
bundle: report
	$(BIN)/itp-stats plan --study $(STUDY)
	$(BIN)/itp-stats bundle --out $(BUNDLE)
	$(BIN)/itp-stats verify $(BUNDLE) $(DATA)

# two workers (pytest-xdist), each test module on one of them: the renders and the many
# small tests share the cores; TEST_WORKERS=0 runs the suite in this process
TEST_WORKERS ?= 2

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_synth.py
	$(BIN)/python benchmarks/bench_gate.py
	$(BIN)/python benchmarks/bench_source.py
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_render.py --report
	$(BIN)/python benchmarks/bench_quarto.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python tools/install_venv.py -e '.[db]' && $(BIN)/python benchmarks/bench_gate_sql.py

clean:
	rm -rf _output .itp-stats .pytest_cache
