"""Charts as PNG bytes (matplotlib, Agg): time series with bands, the map of the stadsdelen, observed vs true."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from app import fmt  # noqa: E402
from app.i18n import tr  # noqa: E402
from app.summary import bands  # noqa: E402

COLORS = ("#1f5fa8", "#d0632b")  # A/this setting, B/baseline


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _axis_numbers(ax, lang: str, scale: float = 1.0, decimals: int = 0) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v * scale, lang, decimals)))


def series_png(runs: list[tuple[str, dict]], lang: str) -> bytes:
    """Five panels (help requests, unique clients, seen within 10 days, FTE needed vs staffed, cost), one line
    with a 10-90% band per (label, frames) in `runs`."""
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
    panels = [
        ("help_requests", "s_help_requests", 1.0, 0),
        ("unique_clients", "s_unique_clients", 1.0, 0),
        ("seen_within_10_days", "s_seen_10", 100.0, 0),
        ("fte", "s_fte", 1.0, 0),
        ("cost_eur", "s_cost", 1e-6, 1),
    ]
    for ax, (col, title, scale, dec) in zip(axes.ravel(), panels):
        ax.set_title(tr(title, lang), fontsize=10)
        for k, (label, frames) in enumerate(runs):
            color = COLORS[k % 2]
            cols = (
                [("need_fte", tr("fte_needed", lang), "-"), ("fte_individual_support", tr("fte_staffed", lang), "--")]
                if col == "fte"
                else [(col, "", "-")]
            )
            for c, suffix, style in cols:
                b = bands(frames, c)
                if b.empty:
                    continue
                name = f"{label} {suffix}".strip()
                ax.plot(b["year"], b["mean"] * scale, style, color=color, label=name)
                ax.fill_between(b["year"], b["p10"] * scale, b["p90"] * scale, color=color, alpha=0.2)
        _axis_numbers(ax, lang, 1.0, dec)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0] and (col == "fte" or len(runs) > 1):
            ax.legend(fontsize=8)
    axes.ravel()[-1].axis("off")
    axes.ravel()[-1].text(0, 0.5, tr("series_intro", lang), wrap=True, fontsize=10)
    fig.tight_layout()
    return _png(fig)


LAYER_KEYS = ("demand", "waiting", "unregistered", "reach", "escalation", "density", "deprivation")


def map_layers(run_map: dict, frames: dict, year: int) -> dict[str, list[np.ndarray]]:
    """Per layer, one array per stadsdeel grid: cell values, or catchment values spread over its cells."""
    sp = frames["annual_service_point"]
    sp = sp[sp["year"] == year].groupby("area", sort=False).mean(numeric_only=True)
    names = list(sp.index)
    out: dict[str, list[np.ndarray]] = {k: [] for k in LAYER_KEYS}
    for g in run_map["grids"]:
        catch = g["catchment"].astype(int)
        res = g["residents"]
        # Residents per catchment from the simulated population, scaled to the city like the counts.
        catch_res = {i: res[catch == i].sum() / run_map["scale"] for i in np.unique(catch)}

        def per_catchment(column, per_1000=False, g=g, catch=catch, catch_res=catch_res):
            vals = np.full(catch.shape, np.nan)
            if column not in sp.columns:
                return vals
            for i, _name, _xy in g["sites"]:
                if i < len(names):
                    v = sp[column].iloc[i]
                    if per_1000:
                        v = 1000 * v / catch_res[i] if catch_res.get(i) else np.nan
                    vals[catch == i] = v
            return vals

        with np.errstate(invalid="ignore", divide="ignore"):
            out["demand"].append(per_catchment("help_requests", per_1000=True))
            out["waiting"].append(per_catchment("mean_wait_weeks"))
            out["escalation"].append(per_catchment("escalations", per_1000=True))
            out["unregistered"].append(np.where(res > 0, g["unregistered"] / res, np.nan))
            out["reach"].append(np.where(res > 0, g["reached"] / res, np.nan))
        out["density"].append(g["density"])
        out["deprivation"].append(g["deprivation"])
    return out


def map_png(run_map: dict, frames: dict, layer: str, year: int, lang: str) -> bytes:
    """The eight stadsdelen as their Mesa grids, cells coloured by `layer` on one colour scale."""
    grids = run_map["grids"]
    values = map_layers(run_map, frames, year)[layer]
    finite = np.concatenate([v[np.isfinite(v)].ravel() for v in values]) if values else np.array([])
    vmin, vmax = (float(np.nanmin(finite)), float(np.nanmax(finite))) if finite.size else (0.0, 1.0)
    if vmax <= vmin:
        vmax = vmin + 1e-9
    cols = 4
    rows = math.ceil(len(grids) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.4 * rows))
    cmap = plt.get_cmap("viridis" if layer in ("density", "deprivation", "reach") else "magma_r")
    im = None
    for ax, g, v in zip(np.ravel(axes), grids, values):
        im = ax.imshow(v.T, origin="lower", cmap=cmap, vmin=vmin, vmax=vmax)
        for _i, _name, (x, y) in g["sites"]:
            ax.plot(x, y, "o", markerfacecolor="white", markeredgecolor="black", markersize=7)
        ax.set_title(g["name"], fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in np.ravel(axes)[len(grids) :]:
        ax.axis("off")
    share = layer in ("unregistered", "reach")
    cb = fig.colorbar(im, ax=np.ravel(axes).tolist(), shrink=0.8)
    cb.formatter = FuncFormatter(lambda v, _: fmt.percent(v, lang) if share else fmt.number(v, lang, 1))
    cb.update_ticks()
    fig.suptitle(f"{tr('layer_' + layer, lang)} — {year}", fontsize=12)
    return _png(fig)


def observed_png(frames: dict, year: int, lang: str) -> bytes:
    """Per stadsdeel: individual-support FTE by a per-capita norm from counted contacts against the simulated need."""
    sd = frames["annual_stadsdeel"]
    sd = sd[sd["year"] == year].groupby("area", sort=False).mean(numeric_only=True)
    fig, ax = plt.subplots(figsize=(11, 4))
    x = np.arange(len(sd))
    w = 0.38
    if "naive_norm_fte" in sd.columns:
        ax.bar(x - w / 2, sd["naive_norm_fte"], w, color="#9aa5b1", label=tr("obs_norm", lang))
    if "need_fte" in sd.columns:
        ax.bar(x + w / 2, sd["need_fte"], w, color=COLORS[0], label=tr("obs_need", lang))
    ax.set_xticks(x, sd.index, rotation=20)
    ax.set_title(f"{tr('obs_title', lang)}, {year}")
    _axis_numbers(ax, lang)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)
