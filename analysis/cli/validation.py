"""Validation commands of the `welzijnsim` command line: check-model (face validation) and calibrate.

Bad input (scenario files, --set, a broken targets file, a bad counts CSV, a bad --param) exits with
code 2 and a message naming the file, the row or field and what is allowed (the one handler:
analysis/cli/errors.py). `check-model` exits 0 even when targets are out of range: it is a report.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from analysis.cli.common import fail, load_scenario_or_exit
from analysis.cli.options import QuietMessages, Seed, SetOne


def _calibration_default(key: str) -> str:
    """A default of [calibration] in analysis/validation/targets.toml, for --help (the file is the one source)."""
    import tomllib

    try:
        raw = tomllib.loads((Path(__file__).parents[1] / "validation" / "targets.toml").read_text(encoding="utf-8"))
        return f"{raw['calibration'][key]:g}"
    except (OSError, ValueError, KeyError, TypeError):
        return "see analysis/validation/targets.toml"


def _default_scenario(scenario: Optional[Path]) -> Path:
    if scenario is not None:
        return scenario
    from scenarios.loader import SCENARIO_DIR

    return SCENARIO_DIR / "baseline.toml"


def check_model_cmd(
    scenario: Annotated[
        Optional[Path], typer.Argument(help="Scenario TOML file (default: scenarios/baseline.toml)")
    ] = None,
    seed: Seed = None,
    replications: Annotated[Optional[int], typer.Option(help="Replications; >1 shows the band (min to max)")] = None,
    set_: SetOne = [],
    year: Annotated[Optional[int], typer.Option(help="Year measured (default: the first reported year)")] = None,
    targets: Annotated[
        Optional[Path], typer.Option(help="Targets file (default: analysis/validation/targets.toml)")
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a Markdown table (for docs/validation.md)")
    ] = False,
    quiet: QuietMessages = False,
    levers: Annotated[
        bool,
        typer.Option(
            "--levers",
            help="Also benefit/cost of levers from paired runs "
            "([[lever_target]] in the targets file; runs the scenario 2x per target)",
        ),
    ] = False,
) -> None:
    """Face validation: print each target of figures.md, its source, the simulated value and whether it is in range."""
    from analysis.validation.validation import check_model, format_check, load_targets

    sc = load_scenario_or_exit(_default_scenario(scenario), seed, replications, set_)
    params = sc.params()
    first, last = params["run.start_year"], params["run.start_year"] + params["run.years"] - 1
    if year is not None and not first <= year <= last:
        fail(f"--year {year}: outside the simulated years {first}-{last}")
    if targets is not None and not targets.is_file():
        fail(
            f"--targets {targets}: {'is a directory' if targets.is_dir() else 'no such file'}; "
            "give a targets TOML file like analysis/validation/targets.toml"
        )
    tlist = load_targets(targets)
    city = sc.city()

    def progress(done: int, total: int) -> None:
        if not quiet:
            typer.echo(f"  replication {done}/{total} done", err=True)

    if not quiet:
        typer.echo(
            f"Checking '{sc.name}' against {len(tlist)} targets: {sc.meta.replications} replication(s), "
            f"scale {params['run.scale']}",
            err=True,
        )
    result = check_model(
        city,
        params,
        sc.meta.seed,
        sc.meta.replications,
        (year or first) - first,
        targets=tlist,
        targets_path=targets,
        scenario=sc.name,
        progress=progress,
    )
    typer.echo(format_check(result, markdown=markdown))
    if levers:  # issue 10: paired benefit/cost against SEOR 1.6 and the 11-25% net effects
        from analysis.validation.lever_check import check_levers, format_levers, load_lever_targets

        try:
            ltargets = load_lever_targets(targets)
        except ValueError as exc:
            fail(str(exc))
        typer.echo(format_levers(check_levers(city, params, sc.meta.seed, sc.meta.replications, ltargets)))


def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file to calibrate, e.g. scenarios/baseline.toml")],
    trials: Annotated[
        int,
        typer.Option(
            help="Optuna trials of the search; keeping unpinned parameters at the base "
            "value adds refit trials (max(10, N/4) per attempt, reported)"
        ),
    ] = 100,
    seed: Annotated[
        Optional[int], typer.Option(help="Seed of the sampler and of the model runs (default: the scenario's)")
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(help="Calibrated scenario file (default results/calibration/<scenario>-calibrated.toml)"),
    ] = None,
    counts: Annotated[
        Optional[Path],
        typer.Option(
            help="Municipal counts CSV: year, stadsdeel or servicepunt, contacts, unique_clients"
            "[, help_requests, waiting_first_end]"
        ),
    ] = None,
    param: Annotated[
        list[str], typer.Option("--param", help="Parameter to fit instead of the defaults: NAME=LOW:HIGH[:log]")
    ] = [],
    face: Annotated[
        bool, typer.Option("--face/--no-face", help="Use the face targets of analysis/validation/targets.toml")
    ] = True,
    scale: Annotated[
        Optional[float],
        typer.Option(
            help=f"run.scale of each trial (default from analysis/validation/targets.toml: "
            f"{_calibration_default('scale')})"
        ),
    ] = None,
    replications: Annotated[
        Optional[int],
        typer.Option(
            help=f"Model seeds per trial (default from analysis/validation/targets.toml: "
            f"{_calibration_default('replications')})"
        ),
    ] = None,
    years: Annotated[Optional[int], typer.Option(help="Reported years per trial without --counts (default 1)")] = None,
    verify_scale: Annotated[
        Optional[float], typer.Option(help="Also run the calibrated set once at this scale (default 1.0; 0 = not)")
    ] = None,
    set_: SetOne = [],
    write_all: Annotated[
        bool, typer.Option("--write-all", help="Write every fitted value, also those the data do not pin")
    ] = False,
    trials_csv: Annotated[
        Optional[Path], typer.Option(help="Also write every trial (parameters, loss, outputs) to this CSV")
    ] = None,
    quiet: QuietMessages = False,
) -> None:
    """Fit hidden parameters (optuna, common random numbers) to the face targets and/or municipal counts;
    report which the data identify and write a calibrated scenario file."""
    from dataclasses import replace

    from analysis.calibration.calibration import calibrate as run_calibration
    from analysis.calibration.calibration import (
        default_out,
        load_settings,
        parse_param,
        read_counts,
        report,
        write_scenario,
    )

    sc = load_scenario_or_exit(scenario, seed, None, set_)
    if trials < 1:
        fail(f"--trials {trials}: give at least 1 trial")
    from analysis.study.store import check_output_file

    check_output_file(out or default_out(sc), "--out")  # before the trials: a bad path must not cost them
    if trials_csv is not None:
        check_output_file(trials_csv, "--trials-csv")
    settings, default_fit = load_settings()
    fit = [parse_param(p) for p in param] or default_fit
    names = [f.name for f in fit]
    if len(set(names)) != len(names):
        fail("--param: a parameter is given more than once")
    if scale is not None:
        if not 0.001 <= scale <= 1.0:
            fail(f"--scale {scale}: must be in [0.001, 1]")
        settings = replace(settings, scale=scale)
    if replications is not None:
        if replications < 1:
            fail(f"--replications {replications}: must be at least 1")
        settings = replace(settings, replications=replications)
    if years is not None:
        if not 1 <= years <= 10:
            fail(f"--years {years}: must be in 1-10")
        settings = replace(settings, years=years)
    if verify_scale is not None:
        if not (verify_scale == 0 or 0.001 <= verify_scale <= 1.0):
            fail(f"--verify-scale {verify_scale}: must be 0 or in [0.001, 1]")
        settings = replace(settings, verify_scale=verify_scale)
    obs = read_counts(counts, sc.city()) if counts is not None else None
    if not face and obs is None:
        fail("--no-face needs --counts: there is nothing else to calibrate to")

    def progress(stage: str, done: int, total: int) -> None:
        if not quiet and (done == total or done % max(1, total // 10) == 0):
            typer.echo(f"  {stage}: {done}/{total}", err=True)

    if not quiet:
        typer.echo(
            f"Calibrating '{sc.name}': {len(fit)} parameters, {trials} trials, scale {settings.scale:g}, "
            f"{settings.replications} seed(s) per trial",
            err=True,
        )
    result = run_calibration(
        sc,
        trials=trials,
        seed=seed,
        counts=obs,
        fit=fit,
        use_face=face,
        settings=settings,
        progress=progress,
        write_all=write_all,
    )
    typer.echo(report(result))
    target = out or default_out(sc)
    command = "welzijnsim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["calibrate"] else None
    path = write_scenario(result, target, command=command)
    if trials_csv is not None:
        trials_csv.parent.mkdir(parents=True, exist_ok=True)
        result.trials.to_csv(trials_csv, index=False)
        typer.echo(f"Trials written to {trials_csv}")
    typer.echo(f"\nCalibrated scenario written to {path}")


COMMANDS = {"check-model": check_model_cmd, "calibrate": calibrate}
