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

CH     ?=
# The browser test drives this Chromium (Debian's chromium package); Playwright's own download is not used.
CHROMIUM ?= /usr/bin/chromium
SITE_STAMP    := $(VENV)/.installed-site
BROWSER_STAMP := $(VENV)/.installed-browser

.PHONY: help lab test test-fast assignments start grade autograde feedback grades bench bench-grading clean-course \
        slides slides-html site test-site test-browser

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
	@echo "make slides CH=04             present a chapter: JupyterLab opens it as a live RISE slideshow (lecturers)"
	@echo "make slides-html              static reveal.js slides of every chapter, executed, in build/slides/"
	@echo "make site                     the course as a website, every chapter executed, in build/site/html/"
	@echo "make test-site                build the site and check it (every chapter page, its pictures, no error)"
	@echo "make test-browser             JupyterLab in a real browser (Chromium): widgets, exercises, nbgrader, RISE"

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

# ---- lecturers and readers without a kernel -------------------------------------------------------

slides: $(STAMP)
	@$(PY) -m grading slides "$(CH)" --course "$(COURSE)"

# Both run every chapter at default size once (build/executed/, again only after a change).
slides-html: $(STAMP)
	$(PY) -m grading slides-html

$(SITE_STAMP): pyproject.toml $(STAMP)
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --editable ".[site]"
	@touch $(SITE_STAMP)

site: $(SITE_STAMP)
	$(PY) docs/site/make_site.py

test-site: site
	COURSE_SITE_CHECK=1 $(PY) -m pytest -p no:cacheprovider tests/test_site.py

$(BROWSER_STAMP): pyproject.toml $(STAMP)
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --editable ".[browser]"
	@touch $(BROWSER_STAMP)

# Never passes silently: without Chromium it says how to get it and fails.
test-browser: $(BROWSER_STAMP)
	@test -x "$(CHROMIUM)" || { echo "make test-browser needs Chromium at $(CHROMIUM). Install it with"; \
	  echo "  sudo apt-get update && sudo apt-get install chromium     (Debian; elsewhere any Chromium or Chrome)"; \
	  echo "or name another Chromium or Chrome: make test-browser CHROMIUM=/path/to/chrome"; exit 1; }
	@# -s: the screenshots' folder and each screenshot are printed as they are taken
	COURSE_BROWSER_TEST=1 COURSE_CHROMIUM="$(CHROMIUM)" $(PY) -m pytest -s -p no:cacheprovider tests/test_browser.py
