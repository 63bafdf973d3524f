# The course's commands. README.md shows the same steps as plain commands for machines without make.
#
#   make lab        install (first time only), then open JupyterLab on lessons/
#   make playground install (first time only), then serve the playground as a standalone page (Voila)
#   make test       install (first time only), then run the whole test suite
#   make bench      run the benchmarks (bench/run.py)
#   make lessons    regenerate lessons/ from solutions/ (python -m backprop_helpers build)
#   make clean      remove caches and test artifacts; `make distclean` also removes .venv
#
# Variables (override on the command line, e.g. `make test PYTHON=python3.12 PYTEST_ARGS=-x`):
#   PYTHON       the interpreter that creates .venv (default python3; must be 3.10 or newer)
#   VENV         where the virtual environment lives (default .venv)
#   LAB_PORT     JupyterLab's port on 127.0.0.1 (default 8888)
#   LAB_BROWSER  auto | yes | no: open a browser tab? auto opens one unless this is a Linux machine
#                without a display (no DISPLAY or WAYLAND_DISPLAY), where there is nothing to open
#   XDIST        pytest-xdist options for every test run, e.g. XDIST="-n 4 --dist loadfile" (loadfile
#                keeps a notebook's cells in one worker, as nbval needs). Empty by default: on the 2-core
#                machine the suite was measured with and without `-n 2`, and two workers were never
#                faster (their start-up costs 7 s of CPU, and the cores are shared), see docs/testing.md.
#   PYTEST_ARGS  extra pytest arguments for every test run, e.g. PYTEST_ARGS=-x
#   BENCH_ARGS   arguments for bench/run.py, e.g. BENCH_ARGS=--quick

PYTHON ?= python3
VENV ?= .venv
LAB_PORT ?= 8888
LAB_BROWSER ?= auto
XDIST ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Notebooks run in a kernel of this very environment, whatever kernels the machine has registered.
NBVAL_OPTS := --nbval-current-env --nbval-cell-timeout=600

# Exits with status 1 unless the interpreter given as $(1) is Python 3.10 or newer.
py_ok = $(1) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1

.DEFAULT_GOAL := help
.PHONY: help install lab playground test bench lessons clean distclean

help:
	@echo "make lab        open JupyterLab on lessons/ (installs into $(VENV) the first time)"
	@echo "make playground the playground as a standalone page, served by Voila on 127.0.0.1"
	@echo "make test       run the whole test suite (installs into $(VENV) the first time)"
	@echo "make bench      run the benchmarks"
	@echo "make lessons    regenerate lessons/ from solutions/"
	@echo "make clean      remove caches and test artifacts (make distclean: also $(VENV))"

install: $(STAMP)

# The environment is rebuilt whenever requirements.txt or pyproject.toml is newer than the stamp.
$(STAMP): requirements.txt pyproject.toml
	@if ! command -v $(PYTHON) >/dev/null 2>&1; then \
	  echo "error: '$(PYTHON)' was not found. The course needs Python 3.10 or newer: install it," \
	       "or name yours with e.g. 'make test PYTHON=python3.12'." >&2; \
	  exit 1; \
	fi
	@if ! $(call py_ok,$(PYTHON)); then \
	  echo "error: the course needs Python 3.10 or newer, but '$(PYTHON)' is $$($(PYTHON) -V 2>&1)." >&2; \
	  echo "       Install a newer Python, then run e.g. 'make test PYTHON=python3.12'." >&2; \
	  exit 1; \
	fi
	@if [ ! -x $(VENV_PY) ]; then \
	  echo "Creating $(VENV) with $$($(PYTHON) -V 2>&1) ..."; \
	  $(PYTHON) -m venv $(VENV) || { \
	    rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' failed. On Debian or Ubuntu install the venv module first:" \
	         "sudo apt-get install python3-venv" >&2; \
	    exit 1; }; \
	fi
	@if ! $(call py_ok,$(VENV_PY)); then \
	  echo "error: $(VENV) was made with $$($(VENV_PY) -V 2>&1), older than 3.10." \
	       "Remove it with 'make distclean' and run again." >&2; \
	  exit 1; \
	fi
	@# pip older than 21.3 cannot install the package in editable mode from pyproject.toml alone
	@$(VENV_PY) -c 'import sys, pip; sys.exit(int(pip.__version__.split(".")[0]) < 23)' \
	  || $(VENV_PY) -m pip install --disable-pip-version-check --upgrade pip
	$(VENV_PY) -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

# JupyterLab on 127.0.0.1 with token authentication. The token is $JUPYTER_TOKEN when set and not
# empty, otherwise a fresh random one; the server is never started without a token. The token travels
# in the environment, not on the command line (which every local user can read with ps), and a small
# config file passed with --config sets it explicitly, so that a personal jupyter_server_config.py
# with `token = ""` (a common recipe for switching tokens off) cannot switch it off here.
LAB_CONFIG := $(abspath $(VENV))/make_lab_config.py

lab: $(STAMP)
	@token="$${JUPYTER_TOKEN:-}"; \
	if [ -z "$$token" ]; then \
	  token="$$($(VENV_PY) -c 'import secrets; print(secrets.token_hex(24))')"; \
	fi; \
	if [ -z "$$token" ]; then \
	  echo "error: make lab could not create an access token, so JupyterLab was not started." >&2; \
	  exit 1; \
	fi; \
	extra=""; \
	if [ "$$(id -u)" = 0 ]; then extra="--allow-root"; fi; \
	case "$(LAB_BROWSER)" in \
	  yes) ;; \
	  no) extra="$$extra --no-browser" ;; \
	  auto) if [ "$$(uname -s)" = Linux ] && [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	          extra="$$extra --no-browser"; \
	        fi ;; \
	  *) echo "error: LAB_BROWSER must be auto, yes or no, got '$(LAB_BROWSER)'" >&2; exit 1 ;; \
	esac; \
	mkdir -p lessons; \
	printf '%s\n' '# Written by make lab: the access token comes from the environment and is never empty.' \
	  'import os, secrets' \
	  'c.IdentityProvider.token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)' \
	  > "$(LAB_CONFIG)"; \
	echo ""; \
	echo "JupyterLab will listen on 127.0.0.1:$(LAB_PORT). Open this address (it carries the token):"; \
	echo ""; \
	echo "    http://127.0.0.1:$(LAB_PORT)/lab?token=$$token"; \
	echo ""; \
	echo "Stop it with Ctrl-C (twice)."; \
	echo ""; \
	JUPYTER_TOKEN="$$token" exec $(VENV)/bin/jupyter lab --config="$(LAB_CONFIG)" \
	  --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0 \
	  --ServerApp.root_dir="$(CURDIR)/lessons" $$extra

# The playground as a standalone page: Voila runs backprop_helpers/widgets/playground/page.ipynb (a
# title, one paragraph and the playground at full width) and shows it without the code, on
# 127.0.0.1:$(PLAYGROUND_PORT) (default 8866) and with a token, chosen as for `make lab` ($JUPYTER_TOKEN,
# else a fresh random one). The token travels in the environment, where Voila's --token takes it from;
# no port other than the one printed is tried. Voila reads voila.py/voila.json from the current folder
# and every Jupyter config folder, where `c.Voila.token = ""` would switch the token off:
# config_file_paths points it at a folder that holds no such file instead. The command itself is
# written once, in backprop_helpers/widgets/playground/server.py (the browser tests run the same):
# a page template that loads nothing from outside the machine, the kernel of a closed page shut down
# (at once, and by culling within a minute otherwise), and the kernel's messages sent without delay.
playground: $(STAMP)
	@token="$${JUPYTER_TOKEN:-}"; \
	if [ -z "$$token" ]; then \
	  token="$$($(VENV_PY) -c 'import secrets; print(secrets.token_hex(24))')"; \
	fi; \
	if [ -z "$$token" ]; then \
	  echo "error: make playground could not create an access token, so Voila was not started." >&2; \
	  exit 1; \
	fi; \
	port="$(or $(PLAYGROUND_PORT),8866)"; \
	echo ""; \
	echo "Voila will listen on 127.0.0.1:$$port. Open this address (it carries the token):"; \
	echo ""; \
	echo "    http://127.0.0.1:$$port/?token=$$token"; \
	echo ""; \
	echo "Stop it with Ctrl-C."; \
	echo ""; \
	JUPYTER_TOKEN="$$token" exec $(VENV_PY) -m backprop_helpers.widgets.playground.server \
	  --port=$$port --config-dir="$(abspath $(VENV))/no-voila-config"

# Three pytest runs, each reported, all run even if one fails:
#   tests/      unit and property-based tests, MPLBACKEND=Agg
#   solutions/  notebooks executed and their outputs compared (--nbval; cells marked
#               NBVAL_IGNORE_OUTPUT are run but not compared)
#   lessons/    notebooks executed, outputs not compared (--nbval-lax)
# The notebook runs leave MPLBACKEND unset so kernels draw inline as in JupyterLab (a kernel that
# inherits MPLBACKEND=Agg shows no figures and warns on plt.show()). 
# BACKPROP_PROGRESS=off: the checks that tests and notebooks run never write a learner's progress file.
test: $(STAMP)
	@t0=$$(date +%s); failed=""; \
	echo "==> tests/: unit and property-based tests"; \
	rc=0; MPLBACKEND=Agg BACKPROP_BLAS_THREADS=1 BACKPROP_PROGRESS=off \
	  $(VENV_PY) -m pytest $(XDIST) tests $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 2 ]; then echo "make test: interrupted" >&2; exit 2; fi; \
	if [ $$rc -ne 0 ]; then failed="$$failed tests/"; fi; \
	for run in "solutions --nbval" "lessons --nbval-lax"; do \
	  set -- $$run; dir=$$1; mode=$$2; \
	  echo ""; echo "==> $$dir/: notebooks ($$mode)"; \
	  rc=0; (unset MPLBACKEND; BACKPROP_BLAS_THREADS=1 BACKPROP_PROGRESS=off \
	    exec $(VENV_PY) -m pytest $(XDIST) $(NBVAL_OPTS) $$mode $$dir $(PYTEST_ARGS)) || rc=$$?; \
	  if [ $$rc -eq 2 ]; then echo "make test: interrupted" >&2; exit 2; fi; \
	  if [ $$rc -ne 0 ]; then failed="$$failed $$dir/"; fi; \
	done; \
	echo ""; \
	if [ -n "$$failed" ]; then \
	  echo "make test: FAILED in$$failed ($$(( $$(date +%s) - t0 )) s)" >&2; exit 1; \
	fi; \
	echo "make test: all passed ($$(( $$(date +%s) - t0 )) s)"

bench: $(STAMP)
	$(VENV_PY) bench/run.py $(BENCH_ARGS)

lessons: $(STAMP)
	$(VENV_PY) -m backprop_helpers build

clean:
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o \
	  \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache .hypothesis build test-artifacts

distclean: clean
	rm -rf $(VENV) *.egg-info
