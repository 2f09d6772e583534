"""Sensitivity and report commands of the `welzijnsim` command line (issue 12).

    welzijnsim sensitivity SCENARIO --design DESIGN.toml [--method morris|sobol|delta] [--out DIR]
    welzijnsim report DIR [--lang nl|en] [--out FILE]

`sensitivity` runs through the study runner (same executors, progress bar, --resume, atomic store);
bad input (scenario, design file, output directory) exits 2 before anything is computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analysis.cli.common import fail, load_scenario_or_exit, run_study_or_exit
from analysis.cli.options import BatchSize, Force, Quiet, Resume, Scheduler, SetOpt, Workers


def _headline_table(directory: Path) -> str:
    import json

    import pandas as pd

    from analysis.sensitivity.outcomes import describe

    info = json.loads((directory / "sensitivity.json").read_text(encoding="utf-8"))
    idx = pd.read_parquet(directory / "summary.parquet")
    main, year = info["main_index"], info["last_year"]
    lines = []
    for outcome in ("fte_needed", "total_cost_eur", "share_within_target", "unmet_demand", "escalation_cost_eur"):
        for y in (year, 0):
            g = idx[(idx.outcome == outcome) & (idx.year == y) & (idx["index"] == main)]
            if g.empty:
                continue
            g = g.sort_values("value", ascending=False)
            floor = info["noise_floor"].get(f"{outcome}|{y}", {})
            conv = info["convergence"].get(f"{outcome}|{y}", {})
            label, unit = describe(outcome, "en")
            lines.append(
                f"\n{label}{f' {y}' if y else ''} ({main}, unit {unit}; noise floor (dummy) "
                f"{floor.get('value', float('nan')):.4g} ± {floor.get('conf', float('nan')):.2g}; "
                f"{'converged' if conv.get('converged') else 'NOT converged'} at half vs full design)"
            )
            for r in g.itertuples():
                if r.factor == "dummy":
                    continue
                mark = "*" if r.above_noise else " "
                lines.append(f"  {mark} {r.factor:<36} {r.value:>12.4g} ± {r.conf:.2g}")
            break
    d = info.get("discovery", {})
    if d:
        rule = d.get("rule", {})
        lines.append(
            f"\nScenario discovery ({rule.get('outcome')} {rule.get('fails_when')} {rule.get('threshold')} in "
            f"{d.get('year')}): {d.get('failing', '?')} of {d.get('points', '?')} design points fail; "
            f"{d.get('status')}"
        )
        for i, b in enumerate(d.get("boxes", []), 1):
            lims = "; ".join(f"{k} in [{lo:.4g}, {hi:.4g}]" for k, (lo, hi) in b["limits"].items()) or "(whole space)"
            lines.append(
                f"  box {i}: coverage {b['coverage']:.0%}, density {b['density']:.0%}, mass {b['mass']:.0%}: {lims}"
            )
    lines.append("\n* = above the noise floor (index above the dummy's index + its confidence interval)")
    return "\n".join(lines)


def sensitivity(
    scenario: Annotated[Optional[Path], typer.Argument(help="Scenario TOML file (not needed with --resume)")] = None,
    design: Annotated[
        Optional[Path],
        typer.Option(
            "--design", help="Design file: factors, ranges, sources (e.g. scenarios/designs/baseline-morris.toml)"
        ),
    ] = None,
    method: Annotated[Optional[str], typer.Option(help="morris, sobol or delta (default: the design's)")] = None,
    out: Annotated[
        Optional[Path], typer.Option(help="Study directory (default results/sensitivity-<scenario>-<method>)")
    ] = None,
    replications: Annotated[
        Optional[int], typer.Option(help="Replications per design point (default: the design's)")
    ] = None,
    trajectories: Annotated[Optional[int], typer.Option(help="Morris r (default: the design's)")] = None,
    samples: Annotated[
        Optional[int], typer.Option(help="Sobol N (a power of 2) or delta N (default: the design's)")
    ] = None,
    set_: SetOpt = [],
    workers: Workers = None,
    scheduler: Scheduler = None,
    batch_size: BatchSize = None,
    resume: Resume = False,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Which uncertain assumptions move the answer: Morris, Sobol or delta indices with a dummy noise floor,
    bootstrap intervals, a convergence check and PRIM scenario discovery."""
    from analysis.sensitivity import sensitivity_spec
    from analysis.sensitivity.design import METHODS, load_design
    from analysis.study.study import StudyScenario, read_manifest, spec_from_manifest

    if method is not None and method not in METHODS:
        fail(f"--method {method}: expected one of {', '.join(METHODS)}")
    if resume and scenario is None:
        if out is None:
            fail("--resume needs --out DIR (the study to continue)")
        spec = spec_from_manifest(read_manifest(out))
        if spec.kind != "sensitivity":
            fail(f"{out}: a '{spec.kind}' study, not a sensitivity study; continue it with 'welzijnsim study --resume'")
    else:
        if scenario is None or design is None:
            fail("give a scenario file and --design DESIGN.toml (or --resume --out DIR)")
        sc = load_scenario_or_exit(scenario, None, None, set_)
        d = load_design(design, method)
        if replications is not None:
            if replications < 1:
                fail("--replications must be at least 1")
            d.replications = replications
        if trajectories is not None:
            if trajectories < 2:
                fail("--trajectories must be at least 2 (the convergence check halves it)")
            d.trajectories = trajectories
        if samples is not None:
            if samples < 4 or (d.method == "sobol" and samples & (samples - 1)):
                fail("--samples must be at least 4 (and a power of 2 for Sobol)")
            d.samples = samples
        out = out or Path("results") / f"sensitivity-{sc.name}-{d.method}"
        spec = sensitivity_spec(d, StudyScenario.from_scenario(sc))
        if not quiet:
            typer.echo(
                f"Design {design}: {d.method}, {len(d.factors)} factors + dummy, "
                f"{spec.replications // d.replications} points x {d.replications} replications "
                f"(common random numbers) = {spec.replications} runs",
                err=True,
            )
    run_study_or_exit(spec, out, workers, scheduler, resume, batch_size, quiet, force)
    if not (out / "sensitivity.json").is_file():
        fail(f"{out}: not every design point is stored; continue with --resume --out {out}")
    typer.echo(_headline_table(out))
    typer.echo(f"\nStudy written to {out}/ (summary.csv: every index; report: welzijnsim report {out})")


def report(
    directory: Annotated[Path, typer.Argument(help="Study directory (staffing, budget, study or sensitivity)")],
    lang: Annotated[str, typer.Option(help="nl (default) or en")] = "nl",
    out: Annotated[
        Optional[Path], typer.Option(help="HTML file (default DIR/report/report.html; PNGs beside it)")
    ] = None,
) -> None:
    """One self-contained HTML report (images embedded, opens without network) plus the PNGs."""
    from analysis.report import write_report

    if lang not in ("nl", "en"):
        fail(f"--lang {lang}: expected nl or en")
    path = write_report(directory, lang=lang, out=out)
    typer.echo(f"Report written to {path}")


COMMANDS = {"sensitivity": sensitivity, "report": report}
