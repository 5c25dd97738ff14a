# Concurrency in Python, hands-on: every command a learner, instructor or lecturer needs.
# `make lab` and `make test` are the two a new user runs; both create .venv on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# nbgrader shells out to `alembic`, which only the virtualenv has: put its bin/ first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

COURSE ?= $(CURDIR)/.course
JOBS   ?=
EX     ?=
NB     ?=
STUDENT ?=
MODEL_ANSWERS ?=

.PHONY: help lab test test-fast assignments start grade autograde feedback grades bench bench-grading clean-course

help:
	@echo "make lab                      open the course in JupyterLab (keeps this terminal busy)"
	@echo "make test                     run the whole test suite"
	@echo "make test-fast CH=04 [METHOD=fork]  only what one chapter needs (while editing it)"
	@echo "make start EX=ex01            copy an exercise into work/ to solve it (in a second terminal)"
	@echo "make grade EX=ex01 [NB=path]  grade your copy, hidden tests included; feedback page beside it"
	@echo "make assignments              regenerate exercises/ from solutions/ (instructors)"
	@echo "make autograde EX=ex01 [COURSE=dir] [JOBS=n] [STUDENT=id]  grade every (or one) submission; hand grades kept"
	@echo "make feedback EX=ex01 [COURSE=dir] [MODEL_ANSWERS=1]      write feedback pages (instructors)"
	@echo "make grades [COURSE=dir]      export all grades to CSV (instructors)"
	@echo "make bench                    print the course's benchmark figures"
	@echo "make bench-grading            class autograde speed: parallel vs one sequential nbgrader run"

# Re-install only when the dependency list changes (pyproject.toml is newer than the stamp).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "This course needs Python 3.10 or newer; you have " + sys.version.split()[0] + ". Run: make PYTHON=python3.12 ...")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# setuptools warns that folders named like the packages may shadow them: here they are the packages.
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --editable .
	@$(PY) grading/notebook_filter.py --install
	@touch $(STAMP)

# The Python side sets up the course root, nbgrader's exchange and git's notebook filter, then
# becomes JupyterLab (grading/commands.py, lab): conda users run `python -m grading lab` instead.
lab: $(STAMP)
	@$(PY) -m grading lab --course "$(COURSE)"

test: $(STAMP)
	$(PY) -m pytest -n auto --dist loadgroup

# While editing one chapter: that chapter, its exercise under one start method (METHOD=, default
# spawn), the tests of the helpers they import, and the repository checks.
test-fast: $(STAMP)
	@test -n "$(CH)" || { echo "Say which chapter: make test-fast CH=04"; exit 2; }
	COURSE_TEST_METHODS="$(or $(METHOD),spawn)" $(PY) -m pytest -n auto --dist loadgroup --chapter "$(CH)"

assignments: $(STAMP)
	$(PY) -m grading assignments

start: $(STAMP)
	$(PY) -m grading start "$(EX)"

grade: $(STAMP)
	$(PY) -m grading grade "$(EX)" $(if $(NB),--notebook "$(NB)")

autograde: $(STAMP)
	$(PY) -m grading autograde "$(EX)" --course "$(COURSE)" $(if $(JOBS),--jobs "$(JOBS)") $(if $(STUDENT),--student "$(STUDENT)")

feedback: $(STAMP)
	$(PY) -m grading feedback "$(EX)" --course "$(COURSE)" $(if $(filter-out 0,$(MODEL_ANSWERS)),--model-answers)

grades: $(STAMP)
	$(PY) -m grading grades --course "$(COURSE)"

bench: $(STAMP)
	$(PY) benchmarks/run.py

bench-grading: $(STAMP)
	$(PY) benchmarks/grading.py $(if $(JOBS),--jobs "$(JOBS)")
