"""Sensitivity studies (issue 12): which uncertain assumptions move the FTE and money answer.

design.py    design files (factors, ranges, sources) and SALib samples; the dummy factor
runs.py      the run function (welzijnsim or the analytic Ishigami function) for the study runner
outcomes.py  the outcome registry (FTE needed, cost, service level, unmet demand, escalation cost)
analyse.py   SALib indices with bootstrap intervals, noise floor, convergence (N/2 vs N)
discovery.py PRIM boxes and feature scores (EMA Workbench)
kind.py      the study kind "sensitivity": its run function, the indices as its summary, its report
"""

from __future__ import annotations

from analysis.sensitivity.design import DUMMY, Design, run_seed, sample


def sensitivity_spec(design: Design, scenario, *, evaluator: str = "model", noise: float = 0.0):
    """A StudySpec of kind "sensitivity": one scenario, every (design point, replication) a run.

    Run i is design point i // R, replication i % R. Replication k of every point uses the k-th
    replication seed of the study (common random numbers), moved only by the dummy's value.
    """
    from analysis.study.study import StudySpec
    from sim.streams import replication_seeds

    X = sample(design)
    reps = design.replications
    base = replication_seeds(design.seed, reps)
    names = [f.name for f in design.factors]
    draws, seeds = [], []
    for row in X:
        values = {n: (int(round(float(v))) if f.integer else float(v)) for n, f, v in zip(names, design.factors, row)}
        for k in range(reps):
            draws.append(values)
            seeds.append(run_seed(base[k], row[-1]))
    options = {
        "design": design.to_dict(),
        "sample": X.tolist(),
        "point_replications": reps,
        "parameter_draws": draws,
        "run_seeds": seeds,
        "evaluator": evaluator,
        "outcomes": list(design.outcomes),
    }
    if noise:
        options["noise"] = float(noise)
    return StudySpec(
        kind="sensitivity", scenarios=[scenario], seed=design.seed, replications=len(X) * reps, options=options
    )


__all__ = ["DUMMY", "Design", "sensitivity_spec"]
