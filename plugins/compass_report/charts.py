"""The report's charts, drawn once with matplotlib as inline SVG (no chart script in the page).

Text stays text (``svg.fonttype: none``), so the page's font stack — CJK fonts included —
draws the labels, and a 70-sample report is a few hundred kilobytes, not 5 MB of plotly.
"""

from __future__ import annotations

import io
import re

#: matplotlib's default cycle (tab10), the bars' colours in model order
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
RC = {"svg.fonttype": "none", "svg.hashsalt": "compass", "font.size": 9, "axes.spines.top": False,
      "axes.spines.right": False}


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # no XML prolog or doctype inside HTML
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def bar_chart(title: str, names: list[str], series: list[tuple[str, list, list, list]]) -> str:
    """Horizontal bars, one group per name, one bar per series ``(label, values, lows, highs)``
    with its 95% interval as an error bar; ``None`` values are left out."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    n, k = len(names), max(1, len(series))
    height = 0.6 + 0.22 * n * max(1.0, k ** 0.8)
    with rc_context(RC):
        fig = Figure(figsize=(8.5, height))
        ax = fig.add_subplot()
        band = 0.8 / k
        for j, (label, values, lows, highs) in enumerate(series):
            ys = [i + (j - (k - 1) / 2) * band for i in range(n)]
            xs = [v if v is not None else 0.0 for v in values]
            err = [[max(0.0, v - lo) if v is not None and lo is not None else 0.0 for v, lo in zip(values, lows)],
                   [max(0.0, hi - v) if v is not None and hi is not None else 0.0 for v, hi in zip(values, highs)]]
            ax.barh(ys, xs, height=band * 0.9, color=PALETTE[j % len(PALETTE)], label=label,
                    xerr=err, error_kw={"ecolor": "#444", "elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(range(n), names)
        ax.invert_yaxis()
        ax.set_xlim(0, 105)
        ax.set_xlabel("score (95% interval)")
        ax.set_title(title, loc="left", fontsize=11)
        ax.grid(axis="x", color="#e5e5e5")
        ax.set_axisbelow(True)
        if k > 1:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.02 + 0.1 / height), ncol=min(k, 4), frameon=False,
                      fontsize=8)
        return _svg(fig)


def radar_chart(names: list[str], series: list[tuple[str, list]]) -> str:
    """One closed polygon per series over the group rows ``names`` (0–100)."""
    import math

    from matplotlib import rc_context
    from matplotlib.figure import Figure

    angles = [2 * math.pi * i / len(names) for i in range(len(names))]
    with rc_context(RC):
        fig = Figure(figsize=(6, 6))
        ax = fig.add_subplot(projection="polar")
        for j, (label, values) in enumerate(series):
            r = [v or 0.0 for v in values]
            colour = PALETTE[j % len(PALETTE)]
            ax.plot([*angles, angles[0]], [*r, r[0]], color=colour, label=label)
            ax.fill([*angles, angles[0]], [*r, r[0]], color=colour, alpha=0.15)
        ax.set_xticks(angles, names)
        ax.set_ylim(0, 100)
        ax.set_title("capability groups", fontsize=11)
        if len(series) > 1:
            ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1), frameon=False, fontsize=8)
        return _svg(fig)
