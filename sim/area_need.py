"""Area-based need: the FTE jongerenwerk, opbouwwerk and ouderenwerk need per stadsdeel and year.

Area-based work is not a queue of cases, so its need is not searched like individual support. It is
derived from its target groups in the simulated population (registered and unregistered residents):

- **unchanged mandate** (`need`): today's coverage of each target group held as the groups grow, age and
  move. Today's coverage is today's FTE of the type in the stadsdeel divided by today's target group; the
  need in year y is that coverage times the year-y group. Jongerenwerk covers all youths 12-23 (a share
  `area_need.youth_general_share` of its time) and risk youths (12-23 with a low income: the outreach
  part); opbouwwerk covers all residents (`area_need.community_general_share`) and the residents of
  deprived wijken (cells whose expected low-income share is at least `area_need.deprived_low_income`);
  ouderenwerk covers elderly (65+) living alone.
- **coverage target** (`target`, an option): the FTE a stated population per FTE needs, e.g. Moerwijk's
  intensity of ≈514 youths per jongerenwerk FTE (source 003) for the youths in deprived wijken and the
  national average (1 FTE per 1,700-2,600 minors) elsewhere. These are *population* per FTE, not the
  number of people a worker reaches (figures.md, Reading notes); reach per FTE is a prevention parameter.

"Today's" target group is the simulated group at the start of the run, with the unregistered residents
scaled back to the data file's central estimate (`unregistered.position` 0.5, `unregistered.factor` 1), so
a scenario that starts with more unregistered residents (a housing crisis) also starts with more need.
"""

from __future__ import annotations

import numpy as np

from sim.city import AGE_BANDS

GROUPS = ("youths", "risk_youths", "residents", "residents_deprived", "elderly_alone")
AREA_TYPES = ("jongerenwerk", "opbouwwerk", "ouderenwerk")
YOUTH_BAND = 1  # sim.city.AGE_BANDS: 12-23
ELDERLY_BANDS = (3, 4)  # 65-74, 75+


def deprived_cells(space, low_income_share: np.ndarray, threshold: float) -> np.ndarray:
    """Cells whose expected low-income share (stadsdeel share × the cell's deprivation weight, as the
    population draws it) is at least `threshold`. A property of the geography: fixed over the run."""
    expected = np.minimum(0.98, low_income_share[space.cell_district] * space.deprivation)
    return expected >= threshold


_ELDERLY_BY_BAND = np.isin(np.arange(len(AGE_BANDS)), ELDERLY_BANDS)
# code -> its four attributes (bit 0 youth, 1 youth with low income, 2 in a deprived cell, 3 elderly alone)
_CODE_BITS = np.arange(16)[:, None] >> np.arange(4) & 1


def count_codes(pop, deprived: np.ndarray, n_districts: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Simulated residents per (stadsdeel, combination of four yes/no attributes): (n_districts, 16).

    One count per combination instead of one masked count per group; the code is built in bytes, which
    keeps this yearly pass over every resident at a few milliseconds."""
    sel = slice(None) if mask is None else mask
    band = pop.age_band[sel]
    youth = band == YOUTH_BAND
    code = (
        youth.view(np.uint8)
        | ((youth & pop.low_income[sel]).view(np.uint8) << 1)
        | (deprived[pop.cell[sel]].view(np.uint8) << 2)
        | ((_ELDERLY_BY_BAND[band] & pop.alone[sel]).view(np.uint8) << 3)
    )
    district = pop.district[sel]
    key = (district.astype(np.uint8) << 4) | code if n_districts <= 16 else district.astype(np.intp) * 16 + code
    return np.bincount(key, minlength=n_districts * 16).reshape(n_districts, 16)


def groups_of(codes: np.ndarray) -> np.ndarray:
    """Residents per (stadsdeel, GROUPS) from the counts per attribute combination (`count_codes`)."""
    columns = [_CODE_BITS[:, 0], _CODE_BITS[:, 1], np.ones(16, dtype=np.int64), _CODE_BITS[:, 2], _CODE_BITS[:, 3]]
    return np.stack([codes @ c for c in columns], axis=1).astype(float)


def youths_deprived_of(codes: np.ndarray) -> np.ndarray:
    """Youths 12-23 living in deprived cells per stadsdeel, from `count_codes`."""
    return (codes @ (_CODE_BITS[:, 0] & _CODE_BITS[:, 2])).astype(float)


def count_groups(pop, deprived: np.ndarray, n_districts: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Simulated residents per (stadsdeel, GROUPS) (optionally only those in `mask`)."""
    return groups_of(count_codes(pop, deprived, n_districts, mask))


def reference_groups(registered: np.ndarray, unregistered: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Today's target groups: registered residents plus unregistered ones scaled per stadsdeel by `ratio`
    (central estimate ÷ the run's unregistered residents)."""
    return registered + unregistered * ratio[:, None]


def _ratio(now: np.ndarray, ref: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ref > 0, now / ref, 1.0)


def need_fte(groups: np.ndarray, reference: np.ndarray, fte_today: np.ndarray, params: dict) -> np.ndarray:
    """FTE per (stadsdeel, AREA_TYPES) that holds today's coverage of the target groups `groups`
    (stadsdeel, GROUPS) against `reference` (today's groups), from today's FTE (stadsdeel, AREA_TYPES)."""
    g = {name: _ratio(groups[:, i], reference[:, i]) for i, name in enumerate(GROUPS)}
    wy, wc = params["area_need.youth_general_share"], params["area_need.community_general_share"]
    growth = np.stack(
        [
            wy * g["youths"] + (1.0 - wy) * g["risk_youths"],
            wc * g["residents"] + (1.0 - wc) * g["residents_deprived"],
            g["elderly_alone"],
        ],
        axis=1,
    )
    return fte_today * growth


def target_fte(groups: np.ndarray, youth_deprived: np.ndarray, need: np.ndarray, params: dict) -> np.ndarray:
    """FTE per (stadsdeel, AREA_TYPES) at a stated population per FTE (whole-city counts): jongerenwerk at
    Moerwijk's intensity in deprived wijken and the national average elsewhere; opbouwwerk at its density
    estimates for deprived wijken and elsewhere; ouderenwerk has no stated target (= the mandate need)."""
    youths = groups[:, GROUPS.index("youths")]
    residents = groups[:, GROUPS.index("residents")]
    deprived = groups[:, GROUPS.index("residents_deprived")]
    jw = (
        youth_deprived / params["area_need.youths_per_fte_deprived"]
        + (youths - youth_deprived) / params["area_need.youths_per_fte_other"]
    )
    ow = (
        deprived / params["area_need.residents_per_fte_deprived"]
        + (residents - deprived) / params["area_need.residents_per_fte_other"]
    )
    return np.stack([jw, ow, need[:, 2]], axis=1)
