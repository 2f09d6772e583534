"""Golden numbers: small fixed runs of every engine and mechanism, compared with a stored file.

The safety net for refactoring and for deliberate model changes (in the spirit of Starsim's
``test_baselines.py``). Any change to a number fails this test. When a change of numbers is on purpose,
regenerate the file in the same commit and say in the commit message why the numbers moved:

    .venv/bin/python tests/test_golden.py --write

The configurations are small (a few percent of the city, two or three years) so the test takes seconds;
they are the shipped baseline scenario plus variants that switch on what the baseline leaves off
(flexible deployment, the continuous-time servers engine) and the bare foundation model.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: `python tests/test_golden.py --write`
    sys.path.insert(0, str(ROOT))

from analysis.study.runner import run_replication  # noqa: E402
from scenarios.loader import load_scenario  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden" / "golden.json"
SEED = 20260205
SMALL = ["run.scale=0.04", "run.years=3", "run.warmup_weeks=26"]
MECHANISMS = ("drivers", "prevention", "informal", "deployment", "escalation")

# name -> --set assignments on top of scenarios/baseline.toml
CONFIGS: dict[str, list[str]] = {
    "baseline": SMALL,
    "all_mechanisms": SMALL + [f"{m}.enabled=true" for m in MECHANISMS],
    "servers_engine": ["run.scale=0.03", "run.years=2", "run.warmup_weeks=13", "service.engine=servers"],
    "foundation": ["run.scale=0.04", "run.years=2", "run.warmup_weeks=0"] + [f"{m}.enabled=false" for m in MECHANISMS],
}
# Per-stadsdeel columns kept for every year (the city table keeps every numeric column).
STADSDEEL_COLUMNS = ("help_requests", "contacts", "new_clients", "fte_total", "cost_total")
REL_TOL = 1e-9
# The servers engine warns below run.scale 0.2 (lumpy capacity); the golden run is small on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:service.engine")


def _numbers(frame, columns=None) -> dict[str, float]:
    out = {}
    for _, row in frame.iterrows():
        area = row.get("area", "city")
        for col, value in row.items():
            if col in ("seed", "replication", "year", "area") or (columns and col not in columns):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            out[f"{area}/{int(row['year'])}/{col}"] = float(value)
    return out


def summary(name: str) -> dict[str, float]:
    """The golden numbers of one configuration: every numeric city column per year, and key columns per
    stadsdeel per year."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml", CONFIGS[name])
    frames = run_replication(scenario.meta.city, scenario.params(), SEED)
    numbers = _numbers(frames["annual_city"])
    numbers.update(_numbers(frames["annual_stadsdeel"], STADSDEEL_COLUMNS))
    return numbers


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-9)


@pytest.fixture(scope="module")
def golden() -> dict:
    if not GOLDEN.is_file():
        pytest.fail(f"{GOLDEN} is missing: write it with `python tests/test_golden.py --write`")
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_golden_numbers(name, golden):
    assert name in golden, f"no golden numbers for {name!r}: regenerate with `python tests/test_golden.py --write`"
    expected, actual = golden[name], summary(name)
    missing = sorted(set(expected) - set(actual))
    added = sorted(set(actual) - set(expected))
    changed = [
        f"{k}: golden {expected[k]!r}, now {actual[k]!r}"
        for k in sorted(set(expected) & set(actual))
        if not _same(expected[k], actual[k])
    ]
    problems = [f"missing: {k}" for k in missing[:10]] + [f"new: {k}" for k in added[:10]] + changed[:20]
    assert not problems, (
        f"{name}: {len(changed)} changed, {len(missing)} missing, {len(added)} new numbers "
        "(if on purpose: `python tests/test_golden.py --write`, and say why in the commit)\n  " + "\n  ".join(problems)
    )


def test_golden_file_covers_every_config(golden):
    assert set(golden) == set(CONFIGS)


def write() -> None:
    data = {name: summary(name) for name in sorted(CONFIGS)}
    GOLDEN.parent.mkdir(exist_ok=True)
    tmp = GOLDEN.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, allow_nan=True) + "\n")
    tmp.replace(GOLDEN)
    print(f"wrote {GOLDEN} ({sum(len(v) for v in data.values())} numbers in {len(data)} configurations)")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden.py --write")
    write()
