"""Figures of a report, drawn with matplotlib (Agg) and returned as PNG bytes.

Every function takes plain tables (already reduced from the study's stored summary) and labels, so the
report's pictures show the same numbers as its tables.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DPI = 110
BAND = "#9ecae1"
LINE = "#08519c"
TODAY = "#d95f02"
DUMMY_COLOUR = "#999999"


def _int_years(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def fan_grid(bands: pd.DataFrame, title: str, ylabel: str, today: pd.DataFrame | None = None,
             today_label: str = "today") -> bytes:
    """Small multiples, one per area: p10-p90 band and p50 line over years (+ an optional 'today' line).

    `bands`: area, year, p10, p50, p90. `today`: area, year, value.
    """
    areas = list(dict.fromkeys(bands["area"]))
    n = len(areas)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), sharex=True, squeeze=False)
    for ax, area in zip(axes.ravel(), areas):
        b = bands[bands.area == area].sort_values("year")
        ax.fill_between(b.year, b.p10, b.p90, color=BAND, label="p10-p90")
        ax.plot(b.year, b.p50, color=LINE, lw=2, label="p50")
        if today is not None:
            t = today[today.area == area].sort_values("year")
            if len(t):
                ax.plot(t.year, t.value, color=TODAY, lw=1.5, ls="--", label=today_label)
        ax.set_title(str(area), fontsize=10)
        _int_years(ax)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel(ylabel)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title)
    fig.tight_layout()
    return _png(fig)


def city_lines(bands: dict[str, pd.DataFrame], title: str, ylabel: str) -> bytes:
    """One panel: a band and median line per series (e.g. FTE needed, FTE today)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    colours = [LINE, TODAY, "#1b9e77", "#7570b3", "#e7298a"]
    for (name, b), c in zip(bands.items(), colours):
        b = b.sort_values("year")
        ax.fill_between(b.year, b.p10, b.p90, color=c, alpha=0.2)
        ax.plot(b.year, b.p50, color=c, lw=2, label=name)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _int_years(ax)
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def district_maps(space, site_cells: np.ndarray, site_value: np.ndarray, names: list[str], layer: str,
                  title: str, value_label: str) -> bytes:
    """One synthetic grid per stadsdeel coloured by a layer; Servicepunt XL sites sized by `site_value`."""
    n = len(space.grids)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 3.0 * rows), squeeze=False)
    values = getattr(space, layer)
    vmax = float(np.nanpercentile(values, 98))
    smax = float(np.nanmax(site_value)) if len(site_value) and np.nanmax(site_value) > 0 else 1.0
    im = None
    for d, ax in enumerate(axes.ravel()[:n]):
        cells = space.cells_of(d)
        xy = space.cell_xy[cells]
        side = int(xy.max()) + 1
        img = np.full((side, side), np.nan)
        img[xy[:, 0], xy[:, 1]] = values[cells]
        im = ax.imshow(img.T, origin="lower", cmap="OrRd", vmin=0, vmax=vmax)
        mine = np.flatnonzero(space.cell_district[site_cells] == d)
        if len(mine):
            sxy = space.cell_xy[site_cells[mine]]
            ax.scatter(sxy[:, 0], sxy[:, 1], s=30 + 300 * site_value[mine] / smax, facecolor="none",
                       edgecolor="#08306b", lw=1.5)
            for i, (x, y) in zip(mine, sxy):
                ax.annotate(f"{site_value[i]:.0f}", (x, y), fontsize=7, ha="center", va="center", color="#08306b")
        ax.set_title(names[d], fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, label=layer)
    fig.suptitle(f"{title}\n({value_label})", fontsize=11)
    return _png(fig)


def morris_plot(idx: pd.DataFrame, title: str, labels: dict[str, str], floor_label: str) -> bytes:
    """mu* (with bootstrap interval) as bars, and mu* against sigma; the dummy's floor as a line."""
    mu = idx[idx["index"] == "mu_star"].set_index("factor")
    sig = idx[idx["index"] == "sigma"].set_index("factor")["value"]
    order = mu.sort_values("value").index
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 0.35 * len(order) + 1.8))
    colours = [DUMMY_COLOUR if f == "dummy" else LINE for f in order]
    a1.barh([labels.get(f, f) for f in order], mu.loc[order, "value"], xerr=mu.loc[order, "conf"].fillna(0),
            color=colours, capsize=3)
    floor = mu.loc["dummy", "value"] + np.nan_to_num(mu.loc["dummy", "conf"])
    a1.axvline(floor, color=TODAY, ls="--", lw=1, label=floor_label)
    a1.set_xlabel("μ*")
    a1.legend(fontsize=8)
    a1.grid(axis="x", alpha=0.3)
    a2.scatter(mu["value"], sig.reindex(mu.index), color=[DUMMY_COLOUR if f == "dummy" else LINE for f in mu.index])
    for f in mu.index:
        a2.annotate(labels.get(f, f), (mu.loc[f, "value"], sig.get(f, 0)), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    lim = max(float(mu["value"].max()), float(sig.max()), 1e-12) * 1.1
    a2.plot([0, lim], [0, lim], color="#cccccc", lw=1)
    a2.set_xlabel("μ*")
    a2.set_ylabel("σ")
    a2.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return _png(fig)


def index_bars(idx: pd.DataFrame, indices: list[str], title: str, labels: dict[str, str], floor_label: str) -> bytes:
    """Grouped horizontal bars with bootstrap intervals (Sobol S1/ST, delta/S1); dummy in grey."""
    main = indices[0]
    p = idx[idx["index"] == main].set_index("factor").sort_values("value")
    order = list(p.index)
    y = np.arange(len(order))
    h = 0.8 / len(indices)
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(order) + 1.6))
    for j, name in enumerate(indices):
        q = idx[idx["index"] == name].set_index("factor").reindex(order)
        ax.barh(y + (j - (len(indices) - 1) / 2) * h, q["value"], height=h, xerr=q["conf"].fillna(0), capsize=2,
                label=name, color=[DUMMY_COLOUR if f == "dummy" else (LINE if j == 0 else BAND) for f in order])
    floor = p.loc["dummy", "value"] + np.nan_to_num(p.loc["dummy", "conf"])
    ax.axvline(floor, color=TODAY, ls="--", lw=1, label=floor_label)
    ax.set_yticks(y, [labels.get(f, f) for f in order])
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return _png(fig)


def prim_scatter(x: pd.DataFrame, fails: np.ndarray, box: dict, labels: dict[str, str], title: str,
                 fail_label: str, ok_label: str) -> bytes:
    """The two factors a PRIM box restricts most, points coloured by failing, the box drawn."""
    dims = list(box["limits"])[:2]
    if len(dims) < 2:
        dims = (dims + [c for c in x.columns if c not in dims])[:2]
    a, b = dims
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.scatter(x.loc[~fails, a], x.loc[~fails, b], s=12, color=BAND, label=ok_label)
    ax.scatter(x.loc[fails, a], x.loc[fails, b], s=12, color=TODAY, label=fail_label)
    lo_a, hi_a = box["limits"].get(a, [x[a].min(), x[a].max()])
    lo_b, hi_b = box["limits"].get(b, [x[b].min(), x[b].max()])
    ax.add_patch(plt.Rectangle((lo_a, lo_b), hi_a - lo_a, hi_b - lo_b, fill=False, lw=2, color=LINE))
    ax.set_xlabel(labels.get(a, a))
    ax.set_ylabel(labels.get(b, b))
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def score_bars(scores: dict[str, float], title: str, labels: dict[str, str]) -> bytes:
    order = sorted(scores, key=scores.get)
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(order) + 1.4))
    ax.barh([labels.get(f, f) for f in order], [scores[f] for f in order],
            color=[DUMMY_COLOUR if f == "dummy" else LINE for f in order])
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)
