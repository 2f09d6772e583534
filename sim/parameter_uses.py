"""Where each parameter acts: the modules of `sim/` that read it, found in their source, and the
cross-effects that a module list does not show. Rendered into docs/model.md with the parameter table
(`python -m sim.parameters --write-docs docs/model.md`), so the list cannot go stale silently.

A parameter is read where its dotted name stands as a string (``p["demand.episode_rate"]``) or matches an
f-string pattern (``f"escalation.years_{kind}"``, ``f"{cls.name}.enabled"``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SIM_DIR = Path(__file__).resolve().parent

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
}


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
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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
