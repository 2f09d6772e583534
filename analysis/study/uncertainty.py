"""Parameter uncertainty in studies: `--vary NAME=LOW:HIGH` gives each replication its own value.

Values come from a Latin hypercube over the given ranges, seeded by the study seed, so a study is
reproducible and every replication (seed) pairs with one parameter set. Bands over replications then
cover both the model's randomness and the uncertain parameters. Scenarios in one study share the same
draws (common random numbers for parameters too), so their differences are still paired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.parameters import PARAMETERS

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where the band is computed
    import pandas as pd


class UncertaintyError(ValueError):
    """A --vary range is malformed or outside what a parameter allows."""


def parse_ranges(texts: list[str]) -> dict[str, tuple[float, float]]:
    """`["demand.episode_rate=0.08:0.12", ...]` → {name: (low, high)}, checked against the parameter table."""
    ranges: dict[str, tuple[float, float]] = {}
    for text in texts:
        name, _, rng = text.partition("=")
        name = name.strip()
        low_text, sep, high_text = rng.partition(":")
        if not sep:
            raise UncertaintyError(f"--vary {text}: expected NAME=LOW:HIGH, e.g. demand.episode_rate=0.08:0.12")
        if name not in PARAMETERS:
            raise UncertaintyError(f"--vary {text}: unknown parameter '{name}'")
        param = PARAMETERS[name]
        if param.kind not in (int, float):
            raise UncertaintyError(f"--vary {text}: '{name}' is not numeric; allowed: numeric parameters")
        try:
            low, high = param.check(float(low_text)), param.check(float(high_text))
        except ValueError as exc:
            raise UncertaintyError(f"--vary {text}: field '{name}': {exc}") from exc
        if low > high:
            raise UncertaintyError(f"--vary {text}: field '{name}': LOW {low} is above HIGH {high}")
        ranges[name] = (low, high)
    return ranges


def draws(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, float]]:
    """One parameter set per replication: a Latin hypercube of size `n` over `ranges`."""
    if not ranges:
        return [{} for _ in range(n)]
    from scipy.stats import qmc

    names = sorted(ranges)
    unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng([seed, 0x5EED])).random(n)
    out = []
    for row in unit:
        values = {}
        for name, u in zip(names, row):
            low, high = ranges[name]
            value = low + u * (high - low)
            values[name] = PARAMETERS[name].check(round(value) if PARAMETERS[name].kind is int else value)
        out.append(values)
    return out


# ---- the staffing band (issue 9) --------------------------------------------------------------------------
def prior_ranges(overrides: dict[str, tuple[float, float]] | None = None) -> dict[str, tuple[float, float]]:
    """The prior ranges of the parameters today's counts cannot identify (sim.parameters.PRIORS), with any
    explicit --vary ranges taking precedence."""
    from sim.parameters import PRIORS

    return {**PRIORS, **(overrides or {})}


def band_drivers(need: pd.DataFrame, parameter_draws: list[dict[str, float]], value: str = "need") -> pd.DataFrame:
    """Which drawn parameters widen the band: Spearman rank correlation, over replications, of each drawn value
    with `need[value]` (one row per replication, column `replication`). Sorted by |rho|, largest first; with
    few replications the correlations are noisy (the table says n)."""
    import pandas as pd
    from scipy.stats import spearmanr

    rows = []
    by_rep = need.set_index("replication")[value]
    reps = [r for r in by_rep.index if r < len(parameter_draws)]
    for name in sorted(parameter_draws[0]) if parameter_draws else []:
        x = np.array([parameter_draws[r][name] for r in reps], dtype=float)
        y = by_rep.loc[reps].to_numpy(dtype=float)
        ok = np.isfinite(y)
        rho = float(spearmanr(x[ok], y[ok]).statistic) if ok.sum() >= 3 and np.ptp(x[ok]) > 0 else float("nan")
        rows.append(
            {"parameter": name, "low": float(x.min()), "high": float(x.max()), "spearman": rho, "n": int(ok.sum())}
        )
    df = pd.DataFrame(rows, columns=["parameter", "low", "high", "spearman", "n"])
    return df.reindex(df.spearman.abs().sort_values(ascending=False, na_position="last").index).reset_index(drop=True)
