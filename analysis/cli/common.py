"""Helpers shared by the command modules: loading a scenario with the command's options, and running a
study with the output rule and a clean interrupt. Project errors raised here are left to the one handler
(analysis/cli/errors.py), which prints them and exits 2.
"""

from __future__ import annotations

from pathlib import Path

import typer

from analysis.cli.errors import EXIT_BAD_INPUT, fail
from scenarios.loader import load_scenario

__all__ = [
    "EXIT_BAD_INPUT",
    "check_seed_replications",
    "check_study_options",
    "fail",
    "load_scenario_or_exit",
    "prepare_study_out",
    "run_study_or_exit",
]


def check_seed_replications(seed: int | None, replications: int | None) -> None:
    """--seed / --replications named as the user typed them (not as the --set they become)."""
    if seed is not None and not 0 <= seed < 2**63:
        fail(f"--seed {seed}: must be a whole number from 0 to 2^63 - 1")
    if replications is not None and not 1 <= replications <= 10_000:
        fail(f"--replications {replications}: must be a whole number from 1 to 10000")


def load_scenario_or_exit(scenario: Path, seed: int | None, replications: int | None, assignments: list[str]):
    """The scenario with --set applied, then --seed and --replications (these win, and the resolved
    scenario's provenance names them as typed)."""
    check_seed_replications(seed, replications)
    sc = load_scenario(scenario, list(assignments))
    if seed is not None:
        sc = sc.with_overrides([f"scenario.seed={seed}"], source="--seed")
    if replications is not None:
        sc = sc.with_overrides([f"scenario.replications={replications}"], source="--replications")
    return sc


def check_study_options(workers: int | None, scheduler: str | None, batch_size: int | None) -> None:
    """Options checked before anything is computed or written (a bad --scheduler fails in seconds)."""
    from analysis.study.executors import check_scheduler_address

    if workers is not None and workers < 0:
        fail(f"--workers {workers}: must be 0 (serial in this process) or more")
    if batch_size is not None and batch_size < 1:
        fail(f"--batch-size {batch_size}: must be at least 1 run per task")
    if scheduler is not None:
        check_scheduler_address(scheduler)


def prepare_study_out(out: Path, resume: bool, force: bool) -> None:
    """The output rule of every study command: a new study needs an empty/new --out; --resume continues (or
    reprints) the study stored there; --force replaces an earlier study. Checked before computing."""
    from analysis.study.store import check_output_dir

    if resume and force:
        fail("--resume and --force contradict each other: --resume keeps the stored runs, --force deletes them")
    if not resume:
        check_output_dir(out, force=force, kind="study", resume_hint=True)


def run_study_or_exit(spec, out: Path, workers, scheduler, resume: bool, batch_size, quiet: bool, force: bool = False):
    """Run a study with clean errors (exit 2, via the handler) and a clean interrupt (exit 130)."""
    from analysis.study.executors import make_executor
    from analysis.study.study import run_study

    check_study_options(workers, scheduler, batch_size)
    prepare_study_out(out, resume, force)
    executor = make_executor(workers, scheduler)
    if force and not resume:
        from analysis.study.store import replace_dir_contents

        replace_dir_contents(out)  # checked above: an earlier welzijnsim study (or empty)
    if not quiet:
        typer.echo(
            f"Study '{out}': {len(spec.scenarios)} scenario(s) x {spec.replications} replication(s) "
            f"on {executor.description}",
            err=True,
        )
    try:
        with executor:
            return run_study(spec, out, executor, resume=resume, batch_size=batch_size, quiet=quiet)
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: completed runs are stored in {out}; continue with --resume", err=True)
        raise typer.Exit(130) from None  # the interrupt is reported above; its traceback is noise
