"""The `welzijnsim` command line.

Bad input (scenario files, --set, city data) exits with code 2 and a message naming the file, the
field and what is allowed; results are written atomically to the output directory.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from scenarios.loader import ScenarioError, load_scenario
from sim.city import CityDataError

# Plain help (rich_markup_mode=None): typer's rich help printed flags as `--quiet <bool>`, which suggested
# `--quiet true` (rejected). No pretty tracebacks: bad input must end in a message, never a traceback.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="welzijnsim: agent-based simulation of welfare demand and staffing in Den Haag.")

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _check_seed_replications(seed: int | None, replications: int | None) -> None:
    """--seed / --replications named as the user typed them (not as the --set they become)."""
    if seed is not None and not 0 <= seed < 2**63:
        _fail(f"--seed {seed}: must be a whole number from 0 to 2^63 - 1")
    if replications is not None and not 1 <= replications <= 10_000:
        _fail(f"--replications {replications}: must be a whole number from 1 to 10000")


def _output_dir(out: Path, force: bool, kind: str = "run", label: str = "--out", resume_hint: bool = False):
    """Check an output directory before computing (see analysis.store.check_output_dir); exit 2 if unusable."""
    from analysis.store import OutputError, check_output_dir

    try:
        check_output_dir(out, force=force, label=label, kind=kind, resume_hint=resume_hint)
    except OutputError as exc:
        _fail(str(exc))


def _output_file(path: Path, label: str) -> None:
    from analysis.store import OutputError, check_output_file

    try:
        check_output_file(path, label)
    except OutputError as exc:
        _fail(str(exc))


def _load(scenario: Path, seed: int | None, replications: int | None, assignments: list[str]):
    _check_seed_replications(seed, replications)
    extra = list(assignments)
    if seed is not None:
        extra.append(f"scenario.seed={seed}")
    if replications is not None:
        extra.append(f"scenario.replications={replications}")
    try:
        return load_scenario(scenario, extra)
    except (ScenarioError, CityDataError) as exc:
        _fail(str(exc))


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML file")]) -> None:
    """Check a scenario file; exit 0 if it is valid, 2 with the problem if not."""
    sc = _load(scenario, None, None, [])
    typer.echo(f"{scenario}: valid scenario '{sc.name}' ({len(sc.overrides)} parameters set, "
               f"city {sc.meta.city}, {sc.meta.replications} replication(s))")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file, e.g. scenarios/baseline.toml")],
    seed: Annotated[Optional[int], typer.Option(help="Study seed (default: the scenario's)")] = None,
    replications: Annotated[Optional[int], typer.Option(help="Number of replications")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Results directory (default results/<scenario>)")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Override a parameter: dotted.key=value")] = [],
    year: Annotated[Optional[int], typer.Option(
        help="Year of both per-stadsdeel tables (default: first year for staffing, last for observed vs true)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress messages")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the results of an earlier run in the output directory")] = False,
) -> None:
    """Run a scenario and print the staffing and cost table per stadsdeel."""
    from analysis.runner import run_scenario
    from analysis.store import write_json, write_parquet, write_text
    from analysis.tables import area_need_run_table, city_by_year_table, mechanism_table, stadsdeel_table

    sc = _load(scenario, seed, replications, set_)
    params = sc.params()
    first, last = params["run.start_year"], params["run.start_year"] + params["run.years"] - 1
    if year is not None and not first <= year <= last:
        _fail(f"--year {year}: outside the simulated years {first}-{last}")
    out_dir = out or Path("results") / sc.name
    _output_dir(out_dir, force)  # before computing: a bad --out must not cost the runs

    def progress(done: int, total: int) -> None:
        if not quiet:
            typer.echo(f"  replication {done}/{total} done", err=True)

    if not quiet:
        typer.echo(f"Running '{sc.name}': {sc.meta.replications} replication(s), {first}-{last}, "
                   f"scale {params['run.scale']}", err=True)
    frames = run_scenario(sc, progress)

    def save(directory: Path) -> None:
        for name, df in frames.items():
            write_parquet(directory / f"{name}.parquet", df)
        write_text(directory / "scenario.toml", sc.to_toml())
        write_json(directory / "manifest.json", {"scenario": sc.name, "source": str(sc.path),
                                                 "seed": sc.meta.seed, "replications": sc.meta.replications})

    try:
        save(out_dir)
    except OSError as exc:  # the directory vanished or the disk filled after the check: keep the run anyway
        import tempfile

        rescue = Path(tempfile.mkdtemp(prefix=f"welzijnsim-{sc.name[:40]}-"))
        save(rescue)
        typer.echo(f"error: cannot write {out_dir} ({exc.strerror}); the results were saved in {rescue}/", err=True)
        out_dir = rescue

    shown = year or first
    typer.echo(f"\n{sc.meta.question or sc.name}\n")
    which = "" if year else " (the first simulated year; choose another with --year)"
    typer.echo(f"Per stadsdeel, {shown}{which}, mean of {sc.meta.replications} replication(s); "
               f"waits are for a first contact, in weeks:")
    typer.echo(stadsdeel_table(frames["annual_stadsdeel"], frames["annual_city"], shown))
    which = "" if year else " (the last simulated year; choose another with --year)"
    last = year or last
    typer.echo(f"\nObserved versus true, and mechanisms, {last}{which} (need FTE: individual support the simulated "
               f"demand needs; norm FTE: a per-capita norm from counted contacts and the register):")
    typer.echo(mechanism_table(frames["annual_stadsdeel"], frames["annual_city"], last))
    typer.echo(f"\nArea-based work, {last}{which}: FTE an unchanged mandate needs (today's coverage of the target "
               "groups held), today's FTE (range of the estimate), cost:")
    typer.echo(area_need_run_table(frames["annual_stadsdeel"], frames["annual_city"], last))
    end = params["run.start_year"] + params["run.years"] - 1
    typer.echo(f"\nCity by year, {first}-{end}:" if end > first else f"\nCity, {first}:")
    typer.echo(city_by_year_table(frames["annual_city"]))
    typer.echo(f"\nResults written to {out_dir}/")


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


# Study commands register themselves on `app` (imported last: they import `app` from here).
from analysis import cli_study  # noqa: E402,F401
from analysis import cli_validation  # noqa: E402,F401
from analysis import cli_sensitivity  # noqa: E402,F401
from analysis import cli_app  # noqa: E402,F401
