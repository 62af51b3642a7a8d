# Two commands: `make demo` and `make test`. Both set everything up from a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup system lint unit kernel bench clean

demo: setup
	$(VENV)/bin/jupyter lab notebooks/demo.ipynb

test: setup lint unit

setup: system $(STAMP)

system:
	@scripts/system-deps.sh

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml package.json
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check jupyter_sessions tests benchmarks
	$(VENV)/bin/mypy

unit: setup
	$(VENV)/bin/pytest -ra

bench: setup
	$(PY) benchmarks/bench_bokeh.py

clean:
	rm -rf $(VENV) build dist *.egg-info
