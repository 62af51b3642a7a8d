# Two commands: `make demo` and `make test`. Both set everything up from a fresh clone:
# Debian packages (libgl1, chromium), a virtualenv, npm packages, the labextension.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test test-loaded setup system lint jest extension docs pictures pytest floor build dist-check bench bench-deps bench-browser clean

# Root (containers, CI machines) needs --allow-root; a user doesn't.
demo: setup
	jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) notebooks/demo.ipynb

# CI order: set up -> lint -> unit tests (jest) -> build -> extension listed OK -> docs ->
# kernel and browser tests -> the kernel-side tests on the oldest and the newest Python.
# Setting up is three parts that wait on downloads and disks more than on a core, run at
# once: Debian's packages, the virtualenv (with npm and pip), the JupyterLab floor's
# virtualenv. -Otarget shows each part's output whole when it is done.
test:
	@$(MAKE) --no-print-directory -j3 -Otarget system $(STAMP) floor
	@$(MAKE) --no-print-directory lint jest extension docs pytest pythons

# The whole of `make test` with one of the two cores kept busy by another process, as
# on a shared CI machine: the suite must hold (no racing asserts) and stay under 30 min.
test-loaded:
	@$(PYTHON) -c 'while True: pass' & busy=$$!; \
	trap 'kill $$busy' EXIT INT TERM; \
	echo "one core kept busy by pid $$busy"; \
	$(MAKE) test

setup: system $(STAMP)

system:
	@scripts/system-deps.sh

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund

# pip builds the extension (hatch-jupyter-builder); `develop` links it so that
# `make build` (npm run build) is enough after TypeScript changes. The link goes
# first: an editable install writes install.json through it into the package,
# and the next build would then find install.json twice.
UNLINK := rm -rf $(VENV)/share/jupyter/labextensions/jupyter-sessions \
	jupyter_sessions/labextension/install.json

$(STAMP): $(PY) pyproject.toml node_modules/.package-lock.json $(wildcard labextension/src/*.ts)
	$(UNLINK)
	$(PY) -m pip install --quiet -e ".[test]"
	@# Dash (a test extra) ships an old source extension for JupyterLab 3 that makes
	@# JupyterLab 4 pop a "Build Recommended" dialog over every page; Dash >= 2.11
	@# needs none, so it goes.
	rm -f $(VENV)/share/jupyter/lab/extensions/dash-jupyterlab*.tgz
	jupyter labextension develop --overwrite .
	touch $(STAMP)

build: setup
	npm run build

lint: setup
	ruff check jupyter_sessions tests benchmarks docs/pictures
	ruff format --check jupyter_sessions tests benchmarks docs/pictures
	mypy
	lint-imports
	npx tsc --noEmit
	npx eslint labextension/src
	npx prettier --check labextension/src labextension/style

jest: setup
	npx jest

extension: setup
	@jupyter labextension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | tee -a /dev/stderr \
		| grep -q "jupyter-sessions v.* enabled OK" \
		|| { echo "the jupyter-sessions labextension is not enabled and OK"; exit 1; }

# pytest as two processes at once: the browser tests (`-m browser`, Chromium and
# JupyterLab, about 1.3 cores busy) and the rest (kernels, about 0.7 of a core: they
# mostly wait on their kernels). One after the other they took 15 min; side by side,
# 10 to 12.5. The rest write to a log of their own, shown whole when both are done; the
# target fails if either did. A plain `pytest` still runs them all in one process.
KERNEL_TESTS_LOG := build/kernel-tests.log

pytest: setup floor
	@mkdir -p build
	@echo "the tests without a browser run beside these, into $(KERNEL_TESTS_LOG) (shown after)"
	pytest -m "not browser" -ra --durations=10 >$(KERNEL_TESTS_LOG) 2>&1 & kernels=$$!; \
	pytest -m browser -ra --durations=10; browser=$$?; \
	wait $$kernels; kernels=$$?; \
	cat $(KERNEL_TESTS_LOG); \
	echo "make pytest: without a browser exit $$kernels, in the browser exit $$browser"; \
	[ $$kernels = 0 ] && [ $$browser = 0 ]

# The docs site (Sphinx with MyST) into docs/_build/html; a warning fails it. -E reads
# every page each time, so a warning fails every build, not only the first. Only the
# docs tools go into the venv, with the pins of pyproject.toml's docs extra: the
# package is there already, and reinstalling it would redo the labextension link.
DOCS_DEPS  := "sphinx>=7" "myst-parser>=2"
DOCS_STAMP := $(VENV)/.docs-installed

docs: setup $(DOCS_STAMP)
	sphinx-build -W --keep-going -E -b html docs docs/_build/html

# The README's and the docs' screenshots (docs/pictures/*.png), and the demo notebooks
# saved with their outputs and pictures: one JupyterLab in Debian's Chromium runs them
# all (docs/pictures/make.py says how). Not part of `make test`; run it when what a
# page shows, the README's first example or a demo notebook changes, and commit both.
pictures: setup
	$(PY) docs/pictures/make.py

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet $(DOCS_DEPS)
	touch $@

# The oldest JupyterLab package.json claims (^4.1.0), in a virtualenv of its own where
# tests/test_jupyterlab_floor.py runs one browser test. This package goes in editable,
# without the npm build (SKIP_JUPYTER_BUILDER) or a build env (which would pull the
# newest JupyterLab), and the built labextension is linked: both follow the working
# tree. The stamp names the version, so changing it rebuilds the virtualenv.
JUPYTERLAB_FLOOR := 4.1.0
FLOOR_VENV       := .venv-floor
FLOOR_STAMP      := $(FLOOR_VENV)/.installed-$(JUPYTERLAB_FLOOR)

floor: $(FLOOR_STAMP)

$(FLOOR_STAMP): pyproject.toml
	rm -rf $(FLOOR_VENV)
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/pip install --quiet hatchling editables hatch-nodejs-version hatch-jupyter-builder
	SKIP_JUPYTER_BUILDER=1 $(FLOOR_VENV)/bin/pip install --quiet --no-build-isolation \
		"jupyterlab==$(JUPYTERLAB_FLOOR)" -e .
	rm -rf $(FLOOR_VENV)/share/jupyter/labextensions/jupyter-sessions
	ln -s $(CURDIR)/jupyter_sessions/labextension \
		$(FLOOR_VENV)/share/jupyter/labextensions/jupyter-sessions
	touch $@

# The kernel-side tests on the oldest and the newest Python that requires-python claims,
# from one wheel (the labextension `setup` built goes in: the build hook skips npm, and
# installing a wheel runs no Node): 3.10 with each dependency at its floor
# (tests/constraints-oldest.txt pins pyproject.toml's `>=` floors), 3.13 with the newest
# releases. The modules are those whose code differs across versions (ipykernel 6 and 7,
# the cell binding, comms, the embedded Bokeh server, PyMOL, processes, tasks). Each
# virtualenv is made again only when pyproject.toml or its constraints change; see
# scripts/pythons.sh. A Python the machine lacks is skipped, with how to get it.
PY_OLDEST     := 3.10
PY_NEWEST     := 3.13
WHEEL_DIR     := build/wheel
PYTHONS_LOGS  := build/pythons
PYTHONS_TESTS := tests/test_registry.py tests/test_cells.py tests/test_channel.py \
	tests/test_comm_link.py tests/test_bokeh_server.py tests/test_apps.py tests/test_own.py \
	tests/test_task_kernel.py tests/test_pymol_kernel.py tests/test_process_kernel.py \
	tests/test_widget.py
# Tests that cannot pass on the floors, left out on 3.10. Closing deleted cells'
# sessions needs IPython >= 9.16 (cell_meta), which needs Python >= 3.11. Subshells
# are ipykernel 7's. The widget registry the tests read (Widget.widgets, _instances)
# is ipywidgets 8.1's.
PYTHONS_OLDEST_SKIP := -k "not deleted and not deleting_clearing \
	and not test_clearing_closes_while_another_cell_computes \
	and not over_the_kernels_channel_while_busy \
	and not test_closed_sessions_leave_no_widgets_or_comms_behind \
	and not test_one_output_carries_the_view_the_widget \
	and not test_the_widgets_close_button_closes_the_session \
	and not test_a_closed_session_closes_its_widget \
	and not test_bad_messages_are_refused_and_a_good_one_after_them_still_counts"

.PHONY: pythons
pythons: setup
	rm -rf $(WHEEL_DIR) $(PYTHONS_LOGS)/*.log
	mkdir -p $(PYTHONS_LOGS)
	$(PY) -m pip wheel . --no-deps --quiet -w $(WHEEL_DIR)
	@# Both at once, one per core: their virtualenvs and suites overlap (4.1 min from
	@# warm virtualenvs, against 6.5 one after the other). Each writes a log of its own,
	@# shown whole when both are done; the target fails if either did.
	scripts/pythons.sh $(WHEEL_DIR) $(PY_OLDEST) tests/constraints-oldest.txt $(PYTHONS_TESTS) \
		-- $(PYTHONS_OLDEST_SKIP) >$(PYTHONS_LOGS)/oldest.log 2>&1 & oldest=$$!; \
	scripts/pythons.sh $(WHEEL_DIR) $(PY_NEWEST) - $(PYTHONS_TESTS) \
		>$(PYTHONS_LOGS)/newest.log 2>&1; newest=$$?; \
	wait $$oldest; oldest=$$?; \
	cat $(PYTHONS_LOGS)/oldest.log $(PYTHONS_LOGS)/newest.log; \
	echo "make pythons: $(PY_OLDEST) exit $$oldest, $(PY_NEWEST) exit $$newest"; \
	[ $$oldest = 0 ] && [ $$newest = 0 ]

# The package as users get it. The sdist, then the wheel built from it (with Node: the
# labextension is built into both); twine and check-wheel-contents read them; the wheel
# goes into a clean virtualenv with no Node on PATH, where JupyterLab must list the
# extension enabled and OK. Not part of `make test` (it builds from scratch, ~3 min).
DIST_VENV := build/dist-check

dist-check: setup
	rm -rf dist $(DIST_VENV)
	$(PY) -m pip install --quiet build twine check-wheel-contents
	$(PY) -m build --outdir dist .
	twine check --strict dist/*
	check-wheel-contents dist/*.whl
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/pip install --quiet dist/*.whl jupyterlab
	env -i HOME=$$HOME PATH=$(CURDIR)/$(DIST_VENV)/bin $(DIST_VENV)/bin/jupyter labextension list 2>&1 \
		| sed 's/\x1b\[[0-9;]*m//g' | tee -a /dev/stderr | grep -q "jupyter-sessions v.* enabled OK" \
		|| { echo "the wheel's labextension is not enabled and OK without Node"; exit 1; }

# The benchmarks compare with Bokeh's show(app) and jupyter_bokeh (the bench extra).
bench-deps: setup
	$(UNLINK)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	jupyter labextension develop --overwrite .

bench: bench-deps
	$(PY) benchmarks/bench_bokeh.py
	$(PY) benchmarks/bench_browser.py
	$(PY) benchmarks/bench_pymol.py
	$(PY) benchmarks/bench_process.py
	$(PY) benchmarks/bench_task.py
	$(PY) benchmarks/bench_idle.py
	$(PY) benchmarks/bench_capture.py

# Clear output -> server sessions destroyed, in JupyterLab and Chromium (~7 min).
bench-browser: bench-deps
	$(PY) benchmarks/bench_browser.py

clean:
	rm -rf $(VENV) $(FLOOR_VENV) .venv-py3* node_modules build dist docs/_build *.egg-info jupyter_sessions/labextension labextension/lib tsconfig.tsbuildinfo
