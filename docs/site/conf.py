"""Sphinx settings of the course website (`make site`; docs/site/make_site.py prepares the sources).

The chapters arrive executed (grading/executed.py), so myst-nb only renders them: it never runs a
notebook itself, and a build without a kernel cannot half-execute a chapter.
"""
project = "Concurrency in Python, hands-on"
author = "the course's authors"
copyright = "the course's authors, MIT licence"

extensions = ["myst_nb"]
nb_execution_mode = "off"            # executed beforehand, once, shared with `make slides-html`
nb_merge_streams = True              # one block per cell for what a cell printed, as JupyterLab shows it
myst_heading_anchors = 3             # the instructor guide links to its own sections
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["**.ipynb_checkpoints"]
# Chapters start at "# NN · Title" and use "###" under "##"; myst warns about nothing else worth failing for.
# A link to an HTML anchor in a chapter (`01_os_basics.ipynb#how-to-read`, an `<a id=...>`) works, but
# Sphinx only knows heading anchors: tests/test_site.py checks every link of the built site instead.
suppress_warnings = ["myst.header", "myst.xref_missing"]

html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,     # each chapter can be downloaded as the executed notebook
}
html_last_updated_fmt = "%Y-%m-%d"
