"""A network's heatmap scores through its depth: one line per CAM method, the chance level, the best layer marked.

Two panels over the drawn layers: the insertion area (higher is better) and the deletion area (lower is better),
each with the random maps' level dashed. SVG through matplotlib, with no date and fixed element ids, so the same
scores give the same bytes (as ``render.confusion``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

METHOD_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
"""One colour per method, in the atlas' method order (colour-blind-distinguishable by marker too)."""
METHOD_MARKERS = ("o", "s", "^", "D", "v", "P")


def scores_svg(
    layers: Sequence[str], methods: Sequence[str], insertion: Sequence[Sequence[float]],
    deletion: Sequence[Sequence[float]], chance_insertion: Sequence[float], chance_deletion: Sequence[float],
    flagged: Sequence[Sequence[bool]], best: tuple[int, int] | None, title: str,
) -> bytes:
    """``insertion[m][l]`` and ``deletion[m][l]`` of method ``m`` at layer ``l``; ``flagged[m][l]`` where its maps
    fail the sanity check (crossed out); ``best`` is (method, layer)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    positions = list(range(len(layers)))
    with matplotlib.rc_context({"svg.hashsalt": "keras-atlas", "svg.fonttype": "none", "font.size": 9}):
        figure, (top, bottom) = plt.subplots(2, 1, sharex=True, layout="constrained",
                                             figsize=(max(5.6, 1.6 + 0.32 * len(layers)), 6.0))
        for axes, values, chance, label in ((top, insertion, chance_insertion, "insertion area\n(higher is better)"),
                                            (bottom, deletion, chance_deletion, "deletion area\n(lower is better)")):
            for index, (method, line) in enumerate(zip(methods, values, strict=True)):
                axes.plot(positions, line, color=METHOD_COLOURS[index % len(METHOD_COLOURS)],
                          marker=METHOD_MARKERS[index % len(METHOD_MARKERS)], markersize=4, linewidth=1.4, label=method)
            axes.plot(positions, chance, color="#777777", linestyle="--", linewidth=1.2, label="random map (chance)")
            crossed = [(layer, values[method][layer]) for method, row in enumerate(flagged)
                       for layer, failed in enumerate(row) if failed]
            if crossed:
                axes.plot(*zip(*crossed, strict=True), marker="x", markersize=10, markeredgewidth=2, color="black",
                          linestyle="none", label="fails the sanity check", zorder=4)
            if best is not None:
                method, layer = best
                axes.plot([layer], [values[method][layer]], marker="*", markersize=15, color="#f2c200",
                          markeredgecolor="black", linestyle="none", label="best (see text)", zorder=5)
            axes.set_ylabel(label)
            axes.set_ylim(0, 1)
            axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        top.set_title(title, loc="left", fontsize=9, wrap=True)
        handles, labels = top.get_legend_handles_labels()
        figure.legend(handles, labels, fontsize=8, ncols=3, loc="outside lower center", frameon=False)
        bottom.set_xticks(positions, layers, rotation=60 if len(layers) > 3 else 0,
                          ha="right" if len(layers) > 3 else "center")
        bottom.set_xlabel("drawn layer, by depth")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
        plt.close(figure)
    return buffer.getvalue()
