"""Sensitivity designs: the uncertain factors (ranges and sources) and the SALib sample over them.

A design file (TOML) lists the factors and the method's settings, e.g. scenarios/designs/baseline-morris.toml:

    [design]
    method = "morris"          # morris | sobol | delta (the command line's --method overrides)
    seed = 2026                # SALib sample and bootstrap seed
    replications = 5           # runs per design point, common random numbers (same seeds at every point)
    trajectories = 20          # morris: r
    levels = 4                 # morris: grid levels p
    samples = 256              # sobol: N (a power of 2; N*(k+2) points); delta: N points (Latin hypercube)
    conf_level = 0.95
    resamples = 1000           # bootstrap resamples for every confidence interval

    [[factor]]
    name = "demand.episode_rate"   # a numeric parameter of sim/parameters.py
    low = 0.07
    high = 0.13
    source = "estimate; figures.md §E"

A dummy factor (`dummy`, range 0-1) is always added. It does not enter the model: it moves the random
seed instead (`run_seed`), so its index is what a factor without any effect scores through the model's
own randomness alone: the noise floor. Every other factor keeps common random numbers (two design points
with the same dummy value use the same seeds).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

METHODS = ("morris", "sobol", "delta")
DUMMY = "dummy"


class DesignError(ValueError):
    """A design file is missing, malformed or names a factor the model does not have. For people."""


@dataclass(frozen=True)
class Factor:
    name: str
    low: float
    high: float
    source: str
    label: str = ""          # short human name for reports (default: the parameter name)
    integer: bool = False


@dataclass
class Design:
    factors: list[Factor]                 # without the dummy
    method: str = "morris"
    seed: int = 2026
    replications: int = 5
    trajectories: int = 20
    levels: int = 4
    samples: int = 256
    conf_level: float = 0.95
    resamples: int = 1000
    path: str = ""
    discovery: dict = field(default_factory=dict)   # [discovery]: outcome, threshold, fails_when
    outcomes: list[str] = field(default_factory=list)  # [outcomes] include = [...]; empty = all

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors] + [DUMMY]

    def problem(self) -> dict:
        """SALib problem dict (factors then the dummy)."""
        bounds = [[f.low, f.high] for f in self.factors] + [[0.0, 1.0]]
        return {"num_vars": len(self.names), "names": self.names, "bounds": bounds}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["factors"] = [asdict(f) for f in self.factors]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Design:
        d = dict(d)
        d["factors"] = [Factor(**f) for f in d["factors"]]
        return cls(**d)


def _num(path: str, where: str, key: str, value, kind=float, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not float(value).is_integer()):
        raise DesignError(f"{path}: {where} field '{key}': expected a {'whole ' if kind is int else ''}number, "
                          f"found {value!r}")
    value = kind(value)
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise DesignError(f"{path}: {where} field '{key}': {value!r} is outside the allowed range [{low}, {high}]")
    return value


def load_design(path: Path, method: str | None = None, *, model: bool = True) -> Design:
    """Read and check a design file. `model=False` accepts any factor name (analytic test functions)."""
    from sim.parameters import PARAMETERS

    path = Path(path)
    if not path.is_file():
        raise DesignError(f"{path}: no such design file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DesignError(f"{path}: not valid TOML ({exc})") from exc
    known = {"design", "factor", "discovery", "outcomes"}
    for key in data:
        if key not in known:
            raise DesignError(f"{path}: unknown section '{key}'; allowed: {', '.join(sorted(known))}")
    head = data.get("design", {})
    allowed = {"method", "seed", "replications", "trajectories", "levels", "samples", "conf_level", "resamples",
               "name", "question"}
    for key in head:
        if key not in allowed:
            raise DesignError(f"{path}: [design] unknown field '{key}'; allowed: {', '.join(sorted(allowed))}")
    m = method or head.get("method", "morris")
    if m not in METHODS:
        raise DesignError(f"{path}: [design] field 'method': expected one of {', '.join(METHODS)}, found {m!r}")
    w = "[design]"
    kw = {
        "seed": _num(path, w, "seed", head.get("seed", 2026), int, 0, 2**32 - 1),
        "replications": _num(path, w, "replications", head.get("replications", 5), int, 1, 1000),
        "trajectories": _num(path, w, "trajectories", head.get("trajectories", 20), int, 2, 10000),
        "levels": _num(path, w, "levels", head.get("levels", 4), int, 2, 100),
        "samples": _num(path, w, "samples", head.get("samples", 256), int, 4, 2**20),
        "conf_level": _num(path, w, "conf_level", head.get("conf_level", 0.95), float, 0.5, 0.999),
        "resamples": _num(path, w, "resamples", head.get("resamples", 1000), int, 10, 100000),
    }
    if m == "morris" and kw["levels"] % 2:
        raise DesignError(f"{path}: [design] field 'levels': Morris needs an even number of levels, found {kw['levels']}")
    if m == "sobol" and kw["samples"] & (kw["samples"] - 1):
        raise DesignError(f"{path}: [design] field 'samples': Sobol needs a power of 2, found {kw['samples']}")
    raw = data.get("factor", [])
    if not isinstance(raw, list) or not raw:
        raise DesignError(f"{path}: no [[factor]] entries; a design needs at least one uncertain factor")
    factors, seen = [], set()
    for i, f in enumerate(raw, 1):
        where = f"[[factor]] #{i}"
        for key in f:
            if key not in ("name", "low", "high", "source", "label"):
                raise DesignError(f"{path}: {where} unknown field '{key}'; allowed: name, low, high, source, label")
        name = f.get("name")
        if not isinstance(name, str) or not name:
            raise DesignError(f"{path}: {where} field 'name': expected a parameter name")
        where = f"[[factor]] '{name}'"
        if name == DUMMY:
            raise DesignError(f"{path}: {where}: '{DUMMY}' is added automatically (noise floor); remove it")
        if name in seen:
            raise DesignError(f"{path}: {where}: listed twice")
        seen.add(name)
        if not isinstance(f.get("source"), str) or not f["source"].strip():
            raise DesignError(f"{path}: {where} field 'source': every factor needs a source (or 'estimate; why')")
        low, high = _num(path, where, "low", f.get("low")), _num(path, where, "high", f.get("high"))
        integer = False
        if model:
            if name not in PARAMETERS:
                raise DesignError(f"{path}: {where} field 'name': unknown parameter (see docs/model.md)")
            p = PARAMETERS[name]
            if p.kind not in (int, float):
                raise DesignError(f"{path}: {where} field 'name': not numeric; allowed: numeric parameters")
            for key, v in (("low", low), ("high", high)):
                try:
                    p.check(float(v) if p.kind is float else (int(v) if float(v).is_integer() else v))
                except ValueError as exc:
                    raise DesignError(f"{path}: {where} field '{key}': {exc}") from exc
            integer = p.kind is int
        if not low < high:
            raise DesignError(f"{path}: {where}: 'low' ({low}) must be below 'high' ({high})")
        factors.append(Factor(name=name, low=low, high=high, source=f["source"].strip(),
                              label=str(f.get("label", "")), integer=integer))
    disc = data.get("discovery", {})
    for key in disc:
        if key not in ("outcome", "threshold", "fails_when"):
            raise DesignError(f"{path}: [discovery] unknown field '{key}'; allowed: outcome, threshold, fails_when")
    if disc.get("fails_when", "below") not in ("below", "above"):
        raise DesignError(f"{path}: [discovery] field 'fails_when': expected below or above")
    include = data.get("outcomes", {}).get("include", [])
    return Design(factors=factors, method=m, path=str(path), discovery=dict(disc), outcomes=list(include), **kw)


# ---- the sample ---------------------------------------------------------------------------
def sample(design: Design) -> np.ndarray:
    """The SALib sample (rows = design points, columns = factors then dummy), in SALib's row order.

    The order matters: Morris reads trajectories of k+1 rows, Sobol blocks of k+2 rows (A, AB_1..AB_k, B).
    """
    problem = design.problem()
    if design.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, N=design.trajectories, num_levels=design.levels, seed=design.seed)
    if design.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, design.samples, calc_second_order=False, scramble=True, seed=design.seed)
    from SALib.sample import latin

    return latin.sample(problem, design.samples, seed=design.seed)


def point_values(design: Design, row: np.ndarray) -> dict[str, float]:
    """Model parameters of one design point (the dummy is not a parameter)."""
    out = {}
    for f, v in zip(design.factors, row):
        out[f.name] = int(round(float(v))) if f.integer else float(v)
    return out


def run_seed(base_seed: int, dummy_value: float) -> int:
    """The seed of one replication at one design point: the replication's seed moved by the dummy value.

    Design points with the same dummy value share seeds (common random numbers), so only the dummy's
    own steps change the randomness; its index measures the model's noise.
    """
    key = int(round(float(dummy_value) * 2**20))
    return int(np.random.SeedSequence([int(base_seed), key]).generate_state(1)[0])


def point_rows(design: Design, n_points: int) -> list[int]:
    """How many points the analysis at half the design uses (the convergence check: N/2 vs N, r/2 vs r)."""
    k = len(design.names)
    if design.method == "morris":
        return list(range((design.trajectories // 2) * (k + 1)))
    if design.method == "sobol":
        return list(range((design.samples // 2) * (k + 2)))
    return list(range(n_points // 2))
