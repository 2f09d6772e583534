"""How much each kind of municipal count narrows the staffing band (issue 9; docs/validation.md).

Synthetic counts are made by the model at known parameters (the defaults), in the quarterly per-Servicepunt XL
layout of the uniform registration. `calibrate` is then fitted, with the same search and seeds, to growing
sets of those counts: visits only; + unique clients; + new requests; + referrals by destination and first
contacts within 2 weeks. For each set the table gives the spread of the FTE the simulated demand needs
(`need_fte`, 2026) over the near-best trials, the fitted parameters' verdicts, and the prior spread (the
same output over all trials of the search, i.e. before the data), so the narrowing can be read directly.

    python -m analysis.calibration.band_narrowing --trials 30 --scale 0.25
"""

from __future__ import annotations

import argparse

import pandas as pd

from analysis.calibration.calibration import Settings, calibrate, counts_from_measurements, fit_parameter, read_counts
from analysis.validation.validation import simulate
from scenarios.loader import load_scenario
from sim.parameters import PRIORS

FITTED = ("demand.episode_rate", "demand.seek_help_max", "demand.contacts_mean", "service.hours_per_contact")
COUNT_SETS = {
    "visits": ["contacts"],
    "+ unique clients": ["contacts", "unique_clients"],
    "+ new requests": ["contacts", "unique_clients", "help_requests"],
    "+ referrals, waits": ["contacts", "unique_clients", "help_requests", "referred", "first_within_2_weeks"],
}


def narrowing(
    trials: int = 30, scale: float = 0.25, seed: int = 7, generator_seeds=(301, 302, 303), tmp_dir: str = "/tmp"
) -> pd.DataFrame:
    """One row per count set: need_fte spread over the near-best trials vs over all trials, and verdicts."""
    from pathlib import Path

    scenario = load_scenario("baseline", ["run.years=1", "run.warmup_weeks=13"])
    params = {**scenario.params(), "run.scale": scale}
    runs = [simulate(scenario.city(), params, s) for s in generator_seeds]
    settings = Settings(
        scale=scale, years=1, replications=1, relative_error=0.05, slice_points=5, noise_seeds=2, verify_scale=0
    )
    fit = [fit_parameter(name, *PRIORS[name]) for name in FITTED]
    truth = {name: scenario.params()[name] for name in FITTED}
    rows = []
    for label, measures in COUNT_SETS.items():
        frame = counts_from_measurements(runs, "service_point_quarter", measures)
        if "visits" in frame:
            frame.loc[frame.visits == 0, "visits"] = None  # a tiny point's empty quarter: "not known"
        path = Path(tmp_dir) / f"band-narrowing-{len(measures)}.csv"
        frame.to_csv(path, index=False)
        res = calibrate(
            scenario,
            trials=trials,
            seed=seed,
            counts=read_counts(path, scenario.city()),
            fit=fit,
            use_face=False,
            settings=settings,
            refit=False,
        )
        near = res.near_best_outputs.set_index("output").loc["need_fte"]
        every = res.trials["out:need_fte"]
        verdicts = {i.parameter: i.verdict for i in res.identifiability}
        rows.append(
            {
                "counts": label,
                "need_fte_best": near["best"],
                "near_best_low": near["min"],
                "near_best_high": near["max"],
                "all_trials_low": float(every.min()),
                "all_trials_high": float(every.max()),
                **{f"{k.split('.')[1]} (truth {truth[k]:g})": f"{res.best[k]:.3g}: {verdicts[k]}" for k in FITTED},
            }
        )
    return pd.DataFrame(rows)


def _markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m analysis.calibration.band_narrowing", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table (for docs/validation.md)")
    args = ap.parse_args(argv)
    table = narrowing(args.trials, args.scale, args.seed)
    table["need_fte_best"] = table.need_fte_best.round(1)
    for c in ("near_best_low", "near_best_high", "all_trials_low", "all_trials_high"):
        table[c] = table[c].round(1)
    print(_markdown(table) if args.markdown else table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
