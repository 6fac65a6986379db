"""Every registered figure, drawn from the committed snapshot as the plot step draws it, checked through
matplotlib's own bounding boxes: no text runs past the figure's edge (clipped labels), no two texts overlap
(the footer over an x label, tick labels on each other, a title on a legend), and no bar or annotation lies
outside its axes (a bar off the top). The checker itself is tested on figures built to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanogpt_analysis.figures import FIGURES
from nanogpt_analysis.figures.style import finish, new_figure
from nanogpt_analysis.store.snapshot import Snapshot

REPO = Path(__file__).resolve().parents[1]
TOL = 1.0  # pixels


def _texts(fig) -> list:
    """Every text the figure draws: tick labels only of the ticks drawn (matplotlib keeps spare tick
    objects with stale labels), and no empty or hidden text."""
    from matplotlib.text import Text

    tick_texts, drawn = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.majorTicks + axis.minorTicks:
                tick_texts.update((tick.label1, tick.label2))
            for tick in axis._update_ticks():
                drawn += [lab for lab in (tick.label1, tick.label2) if lab.get_visible()]
    drawn += [t for t in fig.findobj(Text) if t not in tick_texts and t.get_visible()]
    return [t for t in drawn if t.get_text().strip()]


def _label(t) -> str:
    return f"{t.get_text()[:40]!r}"


def _bar_outside(ax, p) -> bool:
    """A bar whose ends lie outside the view limits (in data units; a bar from 0 on a log axis starts at the
    axis by design, so only its value end counts there)."""
    import numpy as np

    if p.get_data_transform() != ax.transData:
        return False  # legend handles and other non-data rectangles
    x0, y0, w, h = p.get_bbox().bounds
    lo, hi = sorted(ax.get_ylim())
    xlo, xhi = sorted(ax.get_xlim())
    ends = [y0 + h] if (ax.get_yscale() == "log" and y0 <= 0) else [y0, y0 + h]
    eps = 1e-9 * max(abs(lo), abs(hi), 1)
    outside_y = any(not np.isnan(e) and (e > hi + eps or e < lo - eps) for e in ends)
    return outside_y or x0 < xlo - eps or x0 + w > xhi + eps


def layout_problems(fig) -> list[str]:
    """Overlapping texts, texts outside the figure, bars and annotations outside their axes."""
    from matplotlib.patches import Rectangle

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    problems = []
    texts = [(t, t.get_window_extent(renderer)) for t in _texts(fig)]
    for t, bb in texts:
        if bb.x0 < -TOL or bb.y0 < -TOL or bb.x1 > W + TOL or bb.y1 > H + TOL:
            problems.append(f"text outside the figure: {_label(t)} at {bb.bounds}")
    for i, (a, ba) in enumerate(texts):
        for b, bb in texts[i + 1 :]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > TOL and h > TOL:
                problems.append(f"texts overlap: {_label(a)} and {_label(b)}")
    for ax in fig.axes:
        box = ax.bbox
        for p in ax.patches:
            if not isinstance(p, Rectangle) or not p.get_visible() or not abs(p.get_height()) > 0:  # NaN: not drawn
                continue
            if _bar_outside(ax, p):
                problems.append(f"bar outside its axes in {ax.get_title()[:40]!r}: {p.get_bbox().bounds}")
        legend = ax.get_legend()
        if legend is not None:
            lb = legend.get_window_extent(renderer)
            for p in ax.patches:
                if isinstance(p, Rectangle) and p.get_visible() and abs(p.get_height()) > 0:
                    bb = p.get_window_extent(renderer)
                    if min(lb.x1, bb.x1) - max(lb.x0, bb.x0) > TOL and min(lb.y1, bb.y1) - max(lb.y0, bb.y0) > TOL:
                        problems.append(f"legend covers a bar in {ax.get_title()[:40]!r}")
                        break
        for t in ax.texts:
            bb = t.get_window_extent(renderer)
            if t.get_visible() and (bb.y1 > box.y1 + TOL or bb.y0 < box.y0 - TOL or bb.x1 > box.x1 + TOL):
                problems.append(f"annotation outside its axes: {_label(t)}")
    return problems


def test_checker_catches_each_kind_of_defect() -> None:
    import matplotlib.pyplot as plt

    fig, ax = new_figure(4, 3, layout=None)
    ax.set_ylabel("a long y label that the fixed margin clips on the left")
    fig.subplots_adjust(left=0.0)
    fig.text(0.5, 0.0, "footer", ha="center", va="bottom")
    ax.set_xlabel("x label")
    fig.subplots_adjust(bottom=0.08)
    ax.bar([0], [10])
    ax.set_ylim(0, 5)
    found = " | ".join(layout_problems(fig))
    plt.close(fig)
    assert "text outside the figure: 'a long y label" in found
    assert "texts overlap: " in found and "'footer'" in found
    assert "bar outside its axes" in found

    fig, ax = new_figure(4, 3)
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    finish(fig, "stamp")
    assert layout_problems(fig) == []
    plt.close(fig)


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    s = Snapshot(REPO)
    s.metrics  # noqa: B018 - parse once for every figure
    return s


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_layout(snap: Snapshot, name: str) -> None:
    import matplotlib.pyplot as plt

    out = FIGURES[name].draw(snap)
    if out is None:
        pytest.fail(f"{name}: the committed snapshot has the inputs, yet the figure drew nothing")
    fig = out[0]
    finish(fig, snap.stamp())
    problems = layout_problems(fig)
    plt.close(fig)
    assert problems == [], f"{name}: " + "; ".join(problems)


def test_captions_and_alt_text_follow_what_each_track_draws(snap: Snapshot) -> None:
    """Track 2 has no re-timing and one cumulative total: its captions must not copy track 1's."""
    t1, t2 = FIGURES["speedup_over_date.png"], FIGURES["speedup_over_date_medium.png"]
    assert "re-timing row" in t1.caption_for(snap) and "Crosses" in t1.caption_for(snap)
    assert "Crosses" not in t2.caption_for(snap) and "no re-timing row" in t2.caption_for(snap)
    assert "cross" in t1.alt_for(snap) and "cross" not in t2.alt_for(snap)
    c1, c2 = FIGURES["compute_decomposition.png"], FIGURES["compute_decomposition_medium.png"]
    assert "record 21" in c1.caption_for(snap) and "record 21" not in c2.caption_for(snap)
    assert "3 cumulative totals" in c1.alt_for(snap) and "one cumulative total" in c2.alt_for(snap)
    for name, spec in FIGURES.items():
        assert spec.caption_for(snap) and spec.alt_for(snap), name


def test_svg_beside_png_same_bytes_each_time(snap: Snapshot) -> None:
    from nanogpt_analysis.plots import PNG_DPI, render_files

    png, svg, _ = render_files(snap, "regimes.png")
    assert svg.startswith(b"<?xml") and b"<dc:date>" not in svg
    assert int.from_bytes(png[16:20], "big") == 9 * PNG_DPI  # a 9-inch figure at PNG_DPI
    assert render_files(snap, "regimes.png")[:2] == (png, svg)


def test_fit_lines_break_where_there_is_no_data() -> None:
    import numpy as np

    from nanogpt_analysis.figures.style import without_gaps

    grid = np.linspace(1, 10, 91)
    out = without_gaps(grid, [1, 2, 3, 10], np.ones_like(grid))
    assert np.isnan(out[(grid > 3.2) & (grid < 9.8)]).all()  # 3 → 10 is 78 % of the range: no line
    assert not np.isnan(out[grid <= 3]).any() and not np.isnan(out[-1])
    logged = without_gaps(np.geomspace(100, 10_000, 50), [100, 120, 150, 10_000], np.ones(50), log=True)
    assert np.isnan(logged[10:45]).all() and not np.isnan(logged[:4]).any()
