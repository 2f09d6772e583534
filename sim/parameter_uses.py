"""Where each parameter acts: the modules of `sim/` that read it, found in their source, and the
cross-effects that a module list does not show. Rendered into docs/model.md with the parameter table
(`python -m sim.parameters --write-docs docs/model.md`), so the list cannot go stale silently.

A parameter is read where its dotted name stands as a string (``p["demand.episode_rate"]``) or matches an
f-string pattern (``f"escalation.years_{kind}"``, ``f"{cls.name}.enabled"``). A name that is only the key of
a dict literal is not a read: ``sim.service.FOUNDATION_VALUES`` lists parameter values for verification runs,
and the model never merges it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SIM_DIR = Path(__file__).resolve().parent

_BUDGET_SQUEEZE = (
    "In budget mode (`budget.mode = budget`) this sets the posts the budget must pay for, not the staff: each "
    "year's budget is split over today's posts × levers by `budget.priority`, so with core_first extra "
    "individual-support posts are paid first and the area-based work (other than protected jongerenwerk) "
    "shrinks to pay for them; with pro_rata every post's funded share falls."
)
_PREVENTION_CREDIT = (
    "Also prices prevention's gross credit (`avoided_cost_prevention`): each prevented episode is valued at "
    "its escalation case cost × `escalation.p_no_help` × the cost index."
)
# Effects beyond the modules that read a parameter: interactions a reader would not guess.
CROSS_EFFECTS = {
    "unregistered.factor": (
        "Also moves individual-support staff between Servicepunten XL: today's FTE of a stadsdeel are split "
        "over its points by catchment size, which counts unregistered residents, so more unregistered "
        "residents in one catchment draw staff there. Compounds with `drivers.unregistered_factor_end`: the "
        "drivers scale the starting amount (already × this factor) by a path towards that end factor. Area-"
        "based need takes today's coverage from the data's central amount, so this factor raises need."
    ),
    "unregistered.position": "Also moves staff between Servicepunten XL through the catchment split (as "
    "`unregistered.factor`).",
    "drivers.unregistered_factor_end": "Multiplies the starting unregistered residents, which already carry "
    "`unregistered.factor` (the two compound).",
    "service.cost_per_fte": "Also sets today's FTE: the budget lines are divided by it, so a higher cost "
    "per FTE means fewer FTE today, not only a higher bill.",
    "run.scale": "Scales residents and capacity together; counts are reported × 1/scale. Below about 0.2 "
    "capacity per Servicepunt XL becomes lumpy (docs/verification.md).",
    "service.cost_growth": "Indexes the cost of an FTE every year: in budget mode a budget that grows less "
    "(`budget.index`, `budget.indexation = nominal`) pays for fewer FTE each year. Also indexes the money "
    "earmarked for informal organisations (`informal.earmark`), the cost of hours moved by flexible deployment, "
    "and the staffing search's cost columns.",
    "budget.mode": "`welzijnsim staffing` searches under the mandate whatever the scenario says (its area-based "
    "need study too), and `welzijnsim budget` always runs budget mode.",
    "staffing.individual_support_factor": _BUDGET_SQUEEZE,
    "staffing.individual_support_by_stadsdeel": _BUDGET_SQUEEZE,
    "staffing.individual_support_by_servicepunt": _BUDGET_SQUEEZE,
    "staffing.area_based_factor": "In budget mode this sets the area-based posts the budget must pay for: "
    "beyond what the budget covers it lowers their funded share (`budget.priority`) instead of adding staff. "
    "Also sets the reach of prevention (posts × reach per FTE).",
    "staffing.area_based_by_stadsdeel": "As `staffing.area_based_factor`, for one stadsdeel (budget mode: its "
    "posts share the same budget).",
    "prevention.youth_factor_deprived": "With `prevention.push_funding = extra` the push's jongerenwerk posts "
    "are new posts: in budget mode the budget must pay them (in the stadsdelen `budget.protected_deprived_count` "
    "protects they are paid before other area-based work, which shrinks).",
    "escalation.enabled": "Also switches on prevention's gross credit (`avoided_cost_prevention`): without "
    "escalation, prevention books no avoided cost.",
    "escalation.p_no_help": _PREVENTION_CREDIT,
    "escalation.cost_growth": "Also indexes prevention's gross credit (`avoided_cost_prevention`).",
    "demand.repeat_gap_weeks": "Also the wait before the contact that flexible deployment adds when a contact "
    "with a stranger fails (`deployment.stranger_penalty`).",
}
for _kind in ("problem_debt", "eviction", "ggz", "wmo", "youth_care"):
    CROSS_EFFECTS[f"escalation.cost_{_kind}"] = CROSS_EFFECTS[f"escalation.years_{_kind}"] = _PREVENTION_CREDIT


def _pattern(node: ast.JoinedStr) -> re.Pattern | None:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(re.escape(value.value))
        else:
            parts.append(r"[A-Za-z0-9_]+")
    text = "".join(parts)
    return re.compile(text) if "." in text or r"\." in text else None


def parameter_uses(names, directory: Path = SIM_DIR) -> dict[str, list[str]]:
    """Parameter name -> sorted module names (``sim/<module>.py``) whose source reads it."""
    names = list(names)
    uses: dict[str, set[str]] = {n: set() for n in names}
    for path in sorted(directory.rglob("*.py")):
        if path.name in ("parameters.py", "parameter_uses.py"):
            continue
        module = path.relative_to(directory).with_suffix("").as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys if k is not None}
        for node in ast.walk(tree):
            if id(node) in keys:
                continue  # a dict literal's key names a value, it does not read one
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in uses:
                uses[node.value].add(module)
            elif isinstance(node, ast.JoinedStr) and (pat := _pattern(node)) is not None:
                for n in names:
                    if pat.fullmatch(n):
                        uses[n].add(module)
    return {n: sorted(m) for n, m in uses.items()}


def markdown_uses(names) -> str:
    """A Markdown table: parameter, the sim/ modules that read it, and its cross-effects."""
    uses = parameter_uses(names)
    rows = ["| Parameter | Read in (`sim/`) | Also acts through |", "|---|---|---|"]
    for n in names:
        where = ", ".join(f"`{m}`" for m in uses[n]) or "(not read by the model: analysis or scenario only)"
        rows.append(f"| `{n}` | {where} | {CROSS_EFFECTS.get(n, '')} |")
    return "\n".join(rows)
