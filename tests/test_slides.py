"""Every chapter follows the slide convention (grading/slides.py), so a lecturer can present any of
them with RISE: each section a slide, no code cell too long for one, no widget skipped."""
from __future__ import annotations

import json

import pytest

from grading import slides

CHAPTERS = slides.chapters()


def test_there_are_chapters():
    assert CHAPTERS, "notebooks/ holds no chapter"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_follows_the_slide_convention(path):
    found = slides.problems(path)
    assert not found, (f"{path.name} departs from the slide convention (grading/slides.py); "
                       f"`.venv/bin/python -m grading slides --mark notebooks/{path.name}` fixes the mechanical "
                       "part:\n" + "\n".join(found))


def _notebook(tmp_path, *cells):
    nb = {"cells": [dict(cell_type=kind, id=f"x{i}", metadata={}, source=text, **(
        {"outputs": [], "execution_count": None} if kind == "code" else {})) for i, (kind, text) in enumerate(cells)],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "99_example.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_mark_splits_at_headings_and_sets_the_types(tmp_path):
    path = _notebook(tmp_path,
                     ("markdown", "# 99 · Title\n\nIntro."),
                     ("markdown", "## 1. A section\n\nText.\n\n### Try it\n\nMove it.\n\n**Self-check.** Why?\n\n"
                                  "<details><summary>Answer</summary>\n\n**Try it** inside an answer stays.\n</details>"),
                     ("code", "\n".join(f"x{i} = {i}" for i in range(slides.LONGEST_CODE + 1))))
    left = slides.mark(path)
    nb = json.loads(path.read_text())
    kinds = [(slides.slide_type(c), "".join(c["source"]).splitlines()[0]) for c in nb["cells"]]
    assert kinds[:4] == [("slide", "# 99 · Title"), ("slide", "## 1. A section"), ("subslide", "### Try it"),
                         ("subslide", "**Self-check.** Why?")]
    assert "inside an answer stays" in "".join(nb["cells"][3]["source"])
    assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"]), "new cells need ids of their own"
    assert len(left) == 1 and "more than a slide shows" in left[0], left


def test_a_skipped_widget_is_a_problem(tmp_path):
    path = _notebook(tmp_path, ("markdown", "# 99 · Title"), ("code", "interact(f, n=IntSlider(3))"))
    nb = json.loads(path.read_text())
    nb["cells"][1]["metadata"]["slideshow"] = {"slide_type": "skip"}
    nb["metadata"]["rise"] = slides.RISE_SETTINGS
    path.write_text(json.dumps(nb))
    assert any("must not be skipped" in p for p in slides.problems(path))


def test_a_chapter_is_named_by_its_number():
    first = CHAPTERS[0]
    assert slides.chapter(first.name[:2]) == first
    assert slides.chapter(str(int(first.name[:2]))) == first
    assert slides.chapter(first.stem) == first
    with pytest.raises(slides.CourseError, match="Chapters:"):
        slides.chapter("99")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_ends_with_a_teaching_note(path):
    """Lecturers find the same folded note at the end of every chapter (docs/instructors.md)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    last = next(c for c in reversed(cells) if c["cell_type"] == "markdown")
    text = "".join(last["source"])
    assert "<summary><b>Teaching this chapter</b>" in text, f"{path.name} should end with a 'Teaching this chapter' note"
    for part in ("**Time.**", "**Run live.**", "**Ask the room.**"):
        assert part in text, f"{path.name}'s teaching note has no {part} paragraph"
    assert slides.slide_type(last) == "skip", "the teaching note is for the lecturer, not the slides"
