"""The numbers of docs/scenarios.md: every shipped lever scenario paired with the baseline, seed by seed.

    python -m analysis.staffing.scenario_report --scale 0.3 --replications 5 > results/scenario-tables.md

For each seed the baseline and every scenario run with the same seed (common random numbers), so each
difference is the scenario's own effect. Cells are median [p10, p90] over the seeds. Lever price, net and
gross benefit and both benefit/cost ratios come from analysis/staffing/levers.py. Serial and single-process on
purpose (the machine is shared); at scale 0.3 one run takes 3-10 s.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from analysis.staffing.levers import LEVERS, benefit_cost, reallocated_eur, spending
from scenarios.loader import load_scenario
from sim.model import run_model
from sim.streams import replication_seeds

# Shipped scenario -> the lever whose price its benefit/cost is measured against (None: a world scenario).
SCENARIOS = {
    "laak-double": "staffing.individual_support_by_stadsdeel",
    "prevention-push": "prevention.youth_factor_deprived",
    "informal-partners": "informal.earmark",
    "flexible-pool": "deployment.pool_share",
    "budget-frozen": "budget.ravijnjaar_cut",
    "budget-cut": "budget.ravijnjaar_cut",
    "housing-crisis": None,
}


def run_pairs(scale: float, replications: int, years: int | None = None, scenarios=None) -> dict:
    sets = [f"run.scale={scale}"] + ([f"run.years={years}"] if years else [])
    base = load_scenario("baseline", sets)
    seeds = replication_seeds(base.meta.seed, replications)
    runs, bc = {}, {}
    for s in seeds:
        a = run_model(base.city(), base.params(), s)
        runs[("baseline", s)] = (a.annual("city"), a.annual("stadsdeel"))
        for name in scenarios or SCENARIOS:
            lever = SCENARIOS[name]
            sc = load_scenario(name, sets)
            b = run_model(sc.city(), sc.params(), s)
            runs[(name, s)] = (b.annual("city"), b.annual("stadsdeel"))
            if lever:
                moved = reallocated_eur(a, b) if LEVERS[lever].cost == "reallocated_eur" else None
                bc[(name, s)] = benefit_cost(a.annual("city"), b.annual("city"), lever, moved)
    return {"scale": scale, "seeds": seeds, "runs": runs, "bc": bc}


def _band(v, fmt: str = "{:,.1f}") -> str:
    v = np.asarray(v, float)
    if not np.isfinite(v).any():
        return "-"
    q = np.nanquantile(v, [0.5, 0.1, 0.9])
    return f"{fmt.format(q[0])} [{fmt.format(q[1])}, {fmt.format(q[2])}]"


def _tot(df: pd.DataFrame, col: str) -> float:
    return float(df[col].sum()) if col in df else 0.0


def _val(df: pd.DataFrame, col: str, year: int) -> float:
    return float(df.loc[df.year == year, col].iloc[0]) if col in df and (df.year == year).any() else np.nan


def _md(df: pd.DataFrame) -> str:
    cols = [""] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join([str(i)] + [str(x) for x in r]) + " |" for i, r in df.iterrows()]
    return "\n".join(lines)


def baseline_table(d: dict) -> str:
    seeds, runs = d["seeds"], d["runs"]
    b = [runs[("baseline", s)][0] for s in seeds]
    years = sorted(b[0].year)
    show = [years[0], years[len(years) // 2], years[-1]]
    rows = {}
    money = {
        "staff cost (EUR M)": "cost_eur",
        "escalation cost (EUR M)": "escalation_cost",
        "... staffing can change it (gave up, late)": "escalation_cost_staffing",
        "... never reached a service": "escalation_cost_never_reached",
        "... informal help failed": "escalation_cost_informal",
        "... paid by gemeente": "escalation_cost_gemeente",
        "... paid by zorgverzekeraar": "escalation_cost_zorgverzekeraar",
        "... paid by Rijk": "escalation_cost_rijk",
    }
    for y in show:
        r = {
            "help requests": _band([_val(x, "help_requests", y) for x in b], "{:,.0f}"),
            "mean wait (weeks)": _band([_val(x, "mean_wait_weeks", y) for x in b], "{:.1f}"),
            "gave up before a first contact": _band([_val(x, "dropped_first", y) for x in b], "{:,.0f}"),
            "FTE (all welfare staff)": _band([_val(x, "fte_total", y) for x in b], "{:.0f}"),
        }
        r.update({k: _band([_val(x, c, y) / 1e6 for x in b], "{:.1f}") for k, c in money.items()})
        r["gross B/C of individual support (in-run)"] = _band(
            [_val(x, "benefit_cost_ratio_gross", y) for x in b], "{:.2f}"
        )
        rows[y] = r
    share = [_tot(x, "escalation_cost_never_reached") / _tot(x, "escalation_cost") for x in b]
    return (
        _md(pd.DataFrame(rows)) + f"\n\nShare of escalation cost {show[0]}-{show[-1]} from problems that never "
        f"reached a service: {_band(share, '{:.2f}')}"
    )


def paired_table(d: dict) -> str:
    seeds, runs = d["seeds"], d["runs"]
    names = [n for n in SCENARIOS if ("baseline", seeds[0]) in runs and (n, seeds[0]) in runs]
    years = sorted(runs[("baseline", seeds[0])][0].year)
    first, last = years[0], years[-1]
    table = {}
    for n in names:
        A = [runs[("baseline", s)][0] for s in seeds]
        B = [runs[(n, s)][0] for s in seeds]

        def diff(col, scale=1.0, year=None, A=A, B=B):  # this scenario's runs, bound now
            if year is None:
                return [(_tot(b, col) - _tot(a, col)) / scale for a, b in zip(A, B)]
            return [(_val(b, col, year) - _val(a, col, year)) / scale for a, b in zip(A, B)]

        spend = [float(spending(b).sum() - spending(a).sum()) / 1e6 for a, b in zip(A, B)]
        r = {f"Δ spending {first}-{last} (EUR M)": _band(spend)}
        bc = [d["bc"][(n, s)] for s in seeds] if (n, seeds[0]) in d["bc"] else None
        r["lever price (EUR M)"] = _band([x["cost_eur"] / 1e6 for x in bc], "{:,.2f}") if bc else "-"
        r["net benefit (EUR M)"] = _band([x["benefit_net_eur"] / 1e6 for x in bc]) if bc else "-"
        r["gross benefit (EUR M)"] = _band([x["benefit_gross_eur"] / 1e6 for x in bc]) if bc else "-"
        r["B/C net"] = _band([x["bc_net"] for x in bc], "{:.2f}") if bc else "-"
        r["B/C gross"] = _band([x["bc_gross"] for x in bc], "{:.2f}") if bc else "-"
        for y in (first, last):
            r[f"Δ FTE {y}"] = _band(diff("fte_total", year=y), "{:+.1f}")
            r[f"Δ mean wait {y} (weeks)"] = _band(diff("mean_wait_weeks", year=y), "{:+.2f}")
        r[f"Δ help requests {first}-{last}"] = _band(diff("help_requests"), "{:+,.0f}")
        r[f"Δ gave up {first}-{last}"] = _band(diff("dropped_first"), "{:+,.0f}")
        r[f"Δ escalation {first}-{last} (EUR M)"] = _band(diff("escalation_cost", 1e6), "{:+,.1f}")
        r["... staffing-sensitive (gave up, late)"] = _band(diff("escalation_cost_staffing", 1e6), "{:+,.1f}")
        r["... never reached a service"] = _band(diff("escalation_cost_never_reached", 1e6), "{:+,.1f}")
        r["... informal help failed"] = _band(diff("escalation_cost_informal", 1e6), "{:+,.1f}")
        r[f"earmark {first}-{last} (EUR M)"] = _band([_tot(b, "earmark_eur") / 1e6 for b in B])
        r[f"travel hours {first}-{last}"] = _band([_tot(b, "travel_hours") for b in B], "{:,.0f}")
        r["follow-ups set back (stranger)"] = _band([_tot(b, "stranger_setbacks") for b in B], "{:,.0f}")
        table[n] = r
    return _md(pd.DataFrame(table))


def area_table(d: dict, scenario: str = "laak-double", areas=("Laak", "Escamp", "Centrum")) -> str:
    seeds, runs = d["seeds"], d["runs"]
    if (scenario, seeds[0]) not in runs:
        return ""
    years = sorted(runs[("baseline", seeds[0])][1].year.unique())
    mid = years[len(years) // 2]
    rows = {}
    for area in areas:
        A = [runs[("baseline", s)][1] for s in seeds]
        B = [runs[(scenario, s)][1] for s in seeds]
        A, B = [x[x.area == area] for x in A], [x[x.area == area] for x in B]
        rows[area] = {
            f"Δ individual-support FTE {years[0]}": _band(
                [
                    _val(b, "fte_individual_support", years[0]) - _val(a, "fte_individual_support", years[0])
                    for a, b in zip(A, B)
                ],
                "{:+.1f}",
            ),
            "Δ staff cost, all years (EUR M)": _band(
                [(_tot(b, "cost_eur") - _tot(a, "cost_eur")) / 1e6 for a, b in zip(A, B)], "{:+.1f}"
            ),
            f"mean wait {mid}, baseline (weeks)": _band([_val(a, "mean_wait_weeks", mid) for a in A], "{:.1f}"),
            f"Δ mean wait {mid} (weeks)": _band(
                [_val(b, "mean_wait_weeks", mid) - _val(a, "mean_wait_weeks", mid) for a, b in zip(A, B)], "{:+.2f}"
            ),
            "Δ gave up, all years": _band(
                [_tot(b, "dropped_first") - _tot(a, "dropped_first") for a, b in zip(A, B)], "{:+,.0f}"
            ),
            "Δ escalation, all years (EUR M)": _band(
                [(_tot(b, "escalation_cost") - _tot(a, "escalation_cost")) / 1e6 for a, b in zip(A, B)], "{:+.1f}"
            ),
        }
    return _md(pd.DataFrame(rows))


def report(d: dict) -> str:
    head = (
        f"Paired runs at run.scale {d['scale']}, {len(d['seeds'])} seed(s) ({', '.join(map(str, d['seeds']))}); "
        "cells: median [p10, p90] over seeds."
    )
    return (
        "\n\n".join(
            [
                head,
                "### Baseline",
                baseline_table(d),
                "### Each scenario minus the baseline, same seed",
                paired_table(d),
                "### laak-double per stadsdeel",
                area_table(d),
            ]
        )
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis.staffing.scenario_report", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=0.3)
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--years", type=int, default=None, help="simulated years (default: the scenarios')")
    ap.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="only these (repeatable)")
    args = ap.parse_args(argv)
    print(report(run_pairs(args.scale, args.replications, args.years, args.scenario)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
