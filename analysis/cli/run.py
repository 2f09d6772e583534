"""`welzijnsim validate` and `welzijnsim run`: one scenario, checked or run once, tables printed.

Results are written atomically to the output directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analysis.cli.common import fail, load_scenario_or_exit
from analysis.cli.options import QuietMessages, Seed, SetOne


def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML file")]) -> None:
    """Check a scenario file; exit 0 if it is valid, 2 with the problem if not."""
    sc = load_scenario_or_exit(scenario, None, None, [])
    typer.echo(
        f"{scenario}: valid scenario '{sc.name}' ({len(sc.overrides)} parameters set, "
        f"city {sc.meta.city}, {sc.meta.replications} replication(s))"
    )


def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file, e.g. scenarios/baseline.toml")],
    seed: Seed = None,
    replications: Annotated[Optional[int], typer.Option(help="Number of replications")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Results directory (default results/<scenario>)")] = None,
    set_: SetOne = [],
    year: Annotated[
        Optional[int],
        typer.Option(
            help="Year of both per-stadsdeel tables (default: first year for staffing, last for observed vs true)"
        ),
    ] = None,
    quiet: QuietMessages = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the results of an earlier run in the output directory")
    ] = False,
) -> None:
    """Run a scenario and print the staffing and cost table per stadsdeel."""
    from analysis.staffing.tables import area_need_run_table, city_by_year_table, mechanism_table, stadsdeel_table
    from analysis.study.runner import run_scenario
    from analysis.study.store import check_output_dir, write_json, write_parquet, write_text

    sc = load_scenario_or_exit(scenario, seed, replications, set_)
    params = sc.params()
    first, last = params["run.start_year"], params["run.start_year"] + params["run.years"] - 1
    if year is not None and not first <= year <= last:
        fail(f"--year {year}: outside the simulated years {first}-{last}")
    out_dir = out or Path("results") / sc.name
    check_output_dir(out_dir, force=force)  # before computing: a bad --out must not cost the runs

    def progress(done: int, total: int) -> None:
        if not quiet:
            typer.echo(f"  replication {done}/{total} done", err=True)

    if not quiet:
        typer.echo(
            f"Running '{sc.name}': {sc.meta.replications} replication(s), {first}-{last}, scale {params['run.scale']}",
            err=True,
        )
    frames = run_scenario(sc, progress)

    def save(directory: Path) -> None:
        for name, df in frames.items():
            write_parquet(directory / f"{name}.parquet", df)
        write_text(directory / "scenario.toml", sc.to_toml())
        write_json(
            directory / "manifest.json",
            {"scenario": sc.name, "source": str(sc.path), "seed": sc.meta.seed, "replications": sc.meta.replications},
        )

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
    typer.echo(
        f"Per stadsdeel, {shown}{which}, mean of {sc.meta.replications} replication(s); "
        f"waits are for a first contact, in weeks:"
    )
    typer.echo(stadsdeel_table(frames["annual_stadsdeel"], frames["annual_city"], shown))
    which = "" if year else " (the last simulated year; choose another with --year)"
    last = year or last
    typer.echo(
        f"\nObserved versus true, and mechanisms, {last}{which} (need FTE: individual support the simulated "
        f"demand needs; norm FTE: a per-capita norm from counted contacts and the register):"
    )
    typer.echo(mechanism_table(frames["annual_stadsdeel"], frames["annual_city"], last))
    typer.echo(
        f"\nArea-based work, {last}{which}: FTE an unchanged mandate needs (today's coverage of the target "
        "groups held), today's FTE (range of the estimate), cost:"
    )
    typer.echo(area_need_run_table(frames["annual_stadsdeel"], frames["annual_city"], last))
    end = params["run.start_year"] + params["run.years"] - 1
    typer.echo(f"\nCity by year, {first}-{end}:" if end > first else f"\nCity, {first}:")
    typer.echo(city_by_year_table(frames["annual_city"]))
    typer.echo(f"\nResults written to {out_dir}/")


COMMANDS = {"validate": validate, "run": run}
