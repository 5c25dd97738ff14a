"""The course website (`make site`, docs/site/make_site.py).

The cheap tests run in `make test`: the generated pages name every chapter, key term and exercise.
The check of a real build runs in `make test-site` (after `make site`, which runs every chapter at
default size: too slow for the suite): every chapter has its page, with its pictures and no error,
and every link of the site leads somewhere.
"""
from __future__ import annotations

import html
import importlib.util
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from grading import executed, paths, slides

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_site", REPO / "docs" / "site" / "make_site.py")
make_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_site)

CHAPTERS = slides.chapters()
HTML = make_site.OUT / "html"
BUILT = os.environ.get("COURSE_SITE_CHECK") == "1"


def built_site(test):
    """Marks a check of a real build: it runs only in `make test-site` (COURSE_SITE_CHECK=1)."""
    test.built_site = True
    return test


def deselect(item) -> bool:
    """Leave the checks of a real build out of `make test` (listed as deselected)."""
    return getattr(getattr(item, "function", None), "built_site", False) and not BUILT


# ---- the generated pages (cheap) -----------------------------------------------------------------

@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_has_key_terms_for_the_glossary(chapter):
    terms = make_site.key_terms(chapter)
    assert terms, f"{chapter.name}: no key-terms table (a markdown table with a 中文 column) for the glossary"
    glossary = make_site.glossary_page(CHAPTERS)
    for english, chinese, _ in terms:
        assert f"| {english} | {chinese} |" in glossary, f"the glossary lost {english!r} of {chapter.name}"


def test_the_front_page_lists_every_chapter():
    page = make_site.front_page(CHAPTERS)
    for chapter in CHAPTERS:
        assert f"\nchapters/{chapter.stem}\n" in page


def test_the_exercises_page_says_how_to_start_every_exercise():
    page = make_site.exercises_page(CHAPTERS)
    for name in paths.exercise_names():
        short = name.split("_", 1)[0]
        assert f"make start EX={short}" in page and f"make grade EX={short}" in page, name


# ---- a real build (make test-site) -----------------------------------------------------------------

class _Page(HTMLParser):
    """The images, links and element ids of one HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.images, self.links, self.ids, self.classes = [], [], set(), []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if attrs.get("class"):
            self.classes.append(attrs["class"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _page(path: Path) -> _Page:
    assert path.exists(), f"the site has no page {path.relative_to(HTML)}: run `make site`"
    return _Page(path.read_text(encoding="utf-8"))


def _text(path: Path) -> str:
    """A page's text, without its markup (code blocks are split into highlighted pieces)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def _pictures(notebook: Path) -> int:
    """How many pictures the cells of an executed notebook output (not counting widget state)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
               if any(k.startswith("image/") for k in o.get("data", {})))


@built_site
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_page_has_its_pictures_and_no_error(chapter):
    copy = executed.OUT / chapter.name
    assert executed.is_current(chapter, copy), f"{chapter.name} changed after the site was built: run `make site`"
    nb = json.loads(copy.read_text(encoding="utf-8"))
    errors = [o.get("ename") for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, f"{chapter.name} raised {errors} when it was run for the site"
    page = _page(HTML / "chapters" / f"{chapter.stem}.html")
    assert not [c for c in page.classes if "traceback" in c.split()], f"{chapter.stem}.html shows a traceback"
    wanted = _pictures(copy)
    shown = [src for src in page.images if not src.startswith(("http:", "https:", "data:"))
             and "_static" not in src]
    assert len(shown) >= wanted, f"{chapter.stem}.html shows {len(shown)} pictures; its run made {wanted}"
    missing = [src for src in shown if not (HTML / "chapters" / unquote(src)).resolve().exists()]
    assert not missing, f"{chapter.stem}.html shows pictures that are not in the site: {missing}"


@built_site
def test_the_site_has_the_glossary_exercises_and_instructor_guide():
    glossary = _text(HTML / "glossary.html")
    for chapter in CHAPTERS:
        for english, chinese, _ in make_site.key_terms(chapter):
            assert chinese.split(" (")[0] in glossary, f"the glossary page lacks {english} ({chinese})"
    exercises = _text(HTML / "exercises.html")
    for name in paths.exercise_names():
        assert f"make start EX={name.split('_', 1)[0]}" in exercises, name
    guide = _page(HTML / "instructors.html")
    assert "re-grading-what-a-re-run-keeps" in guide.ids, "the instructor guide lost its section anchors"


@built_site
def test_every_link_of_the_site_leads_somewhere():
    broken = []
    pages = {p: _page(p) for p in HTML.rglob("*.html") if "_static" not in p.parts}
    for path, page in pages.items():
        for href in page.links:
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "javascript:")) or (not url.path and not url.fragment):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(HTML)}: {href}")
            elif url.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _page(target).ids
                if url.fragment not in ids:
                    broken.append(f"{path.relative_to(HTML)}: {href} (no such anchor)")
    assert not broken, "links that lead nowhere:\n" + "\n".join(sorted(set(broken))[:40])

