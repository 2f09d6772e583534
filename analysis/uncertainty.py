"""Parameter uncertainty in studies: `--vary NAME=LOW:HIGH` gives each replication its own value.

Values come from a Latin hypercube over the given ranges, seeded by the study seed, so a study is
reproducible and every replication (seed) pairs with one parameter set. Bands over replications then
cover both the model's randomness and the uncertain parameters. Scenarios in one study share the same
draws (common random numbers for parameters too), so their differences are still paired.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import PARAMETERS


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
