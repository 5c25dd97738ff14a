"""One colour language in every picture, agreeing with the OS three-state model.

- Each state has one colour and no two states share one; other names for a state (`holding` for
  running, `GIL wait` for a lock wait) are drawn in that state's colour.
- "ready" means waiting for a CPU only: just the OS sampler (`states`) and the scheduler model can
  know it. Instruments that record from inside the program (locks, the GIL probe, recorders, pools)
  never call anything "ready"; a lock or GIL wait is a shade of blocked.
- Colours come from `helpers.plots` only: no chapter or helper writes a colour literal of its own,
  so a state cannot be painted in another state's colour by accident.
"""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import matplotlib.colors as mcolors
import pytest

from helpers import gil, locks, plots
from helpers.recording import Recorder

REPO = Path(__file__).resolve().parent.parent
STATES = [s for s in plots.STATE_COLORS if s not in plots.SAME_STATE]
# A hex colour, or a colour keyword given a string literal (color="red", facecolors="#abc").
LITERAL = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b"
                     r"|\b(?:colou?rs?|facecolou?rs?|edgecolou?r|fc|ec)\s*=\s*[\"'](?!white|black|none)[a-z]+")


def test_every_state_has_its_own_colour():
    colours = [plots.STATE_COLORS[s].lower() for s in STATES]
    assert len(set(colours)) == len(colours), f"two states share a colour: {dict(zip(STATES, colours))}"
    for alias, state in plots.SAME_STATE.items():
        assert plots.color_for(alias) == plots.color_for(state), f"{alias!r} must be drawn as {state!r}"
    others = {c.lower() for c in plots.FALLBACK_COLORS} | {c.lower() for c in plots.DIAGRAM_COLORS.values()}
    assert not others & set(colours), "a colour for labels that are not states is also a state's colour"


def test_a_lock_wait_is_a_shade_of_blocked_not_of_ready():
    hue = {s: mcolors.rgb_to_hsv(mcolors.to_rgb(plots.STATE_COLORS[s]))[0] for s in ("blocked", "lock wait", "ready")}
    assert abs(hue["lock wait"] - hue["blocked"]) < 0.05, "a lock wait is blocked: draw it as a shade of blue"
    assert abs(hue["lock wait"] - hue["ready"]) > 0.2


def test_the_colour_key_explains_every_state():
    assert set(plots.MEANINGS) == {s for s in STATES if s != "idle"}, "plots.MEANINGS must explain every state"


def _labels(rows) -> set[str]:
    return {state for segments in rows.values() for state, _, _ in segments}


def test_program_side_instruments_never_say_ready():
    lock = locks.TracedLock(name="demo")

    def worker():
        for _ in range(3):
            with lock:
                time.sleep(0.002)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found = {"TracedLock": _labels(lock.rows()),
             "gil.probe": _labels(gil.probe(threads=2, seconds=0.03, io_threads=1).rows())}
    rec = Recorder("demo")
    rec.state("blocked")
    rec.state("running")
    rec.done()
    found["Recorder"] = _labels(rec.rows())
    for name, labels in found.items():
        assert "ready" not in labels, f"{name} draws 'ready', which only the OS can know (waiting for a CPU)"
        unknown = labels - set(plots.STATE_COLORS)
        assert not unknown, f"{name} draws states the colour key does not know: {unknown}"


def _sources() -> list[tuple[str, str]]:
    out = []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "solutions").glob("*/*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                out.append((f"{path.relative_to(REPO)} cell {i}", "".join(cell["source"])))
    for path in sorted((REPO / "helpers").glob("*.py")):
        if path.name != "plots.py":
            out.append((str(path.relative_to(REPO)), path.read_text(encoding="utf-8")))
    return out


@pytest.mark.parametrize("where,source", _sources(), ids=[w for w, _ in _sources()])
def test_colours_come_from_plots_only(where, source):
    literals = [m.group(0) for m in LITERAL.finditer(source)]
    assert not literals, (f"{where} writes its own colours {literals}: use plots.STATE_COLORS[state] for a "
                          "state, plots.DIAGRAM_COLORS for anything else")
