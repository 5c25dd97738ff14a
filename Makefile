# Concurrency in Python, hands-on: every command a learner, instructor or lecturer needs.
# `make lab` and `make test` are the two a new user runs; both create .venv on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# nbgrader shells out to `alembic`, which only the virtualenv has: put its bin/ first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

COURSE ?= $(CURDIR)/.course
JOBS   ?= $(shell $(PYTHON) -c 'import os; print(os.cpu_count() or 1)')
EX     ?=
NB     ?=

.PHONY: help lab test assignments start grade autograde feedback grades bench bench-grading clean-course

help:
	@echo "make lab                      open the course in JupyterLab"
	@echo "make test                     run the whole test suite"
	@echo "make start EX=ex01            copy an exercise into work/ to solve it"
	@echo "make grade EX=ex01 [NB=path]  grade your copy, hidden tests included"
	@echo "make assignments              regenerate exercises/ from solutions/ (instructors)"
	@echo "make autograde EX=ex01 [COURSE=dir] [JOBS=n]  grade every submission (instructors)"
	@echo "make feedback EX=ex01 [COURSE=dir]           write feedback pages (instructors)"
	@echo "make grades [COURSE=dir]      export all grades to CSV (instructors)"
	@echo "make bench                    print the course's benchmark figures"
	@echo "make bench-grading            class autograde speed: parallel vs one sequential nbgrader run"

# Re-install only when the dependency list changes (pyproject.toml is newer than the stamp).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "This course needs Python 3.10 or newer; you have " + sys.version.split()[0] + ". Run: make PYTHON=python3.12 ...")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable .
	@touch $(STAMP)

lab: $(STAMP)
	$(PY) -m grading setup --course "$(COURSE)"
	COURSE_ROOT="$(COURSE)" $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(STAMP)
	$(PY) -m pytest

assignments: $(STAMP)
	$(PY) -m grading assignments

start: $(STAMP)
	$(PY) -m grading start "$(EX)"

grade: $(STAMP)
	$(PY) -m grading grade "$(EX)" $(if $(NB),--notebook "$(NB)")

autograde: $(STAMP)
	$(PY) -m grading autograde "$(EX)" --course "$(COURSE)" --jobs "$(JOBS)"

feedback: $(STAMP)
	$(PY) -m grading feedback "$(EX)" --course "$(COURSE)"

grades: $(STAMP)
	$(PY) -m grading grades --course "$(COURSE)"

bench: $(STAMP)
	$(PY) benchmarks/run.py

bench-grading: $(STAMP)
	$(PY) benchmarks/grading.py --jobs "$(JOBS)"
