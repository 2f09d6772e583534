"""Study commands of the `welzijnsim` command line: study, staffing, budget, compare, query, export.

Kept apart so the study runner grows without touching the other commands. Bad input (scenario files,
--set, a foreign or corrupt study directory) exits with code 2 and a message, through the one handler in
analysis/cli/errors.py. An interrupted study (Ctrl-C) exits 130 and keeps every completed run for `--resume`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analysis.cli.common import (
    check_seed_replications,
    check_study_options,
    fail,
    load_scenario_or_exit,
    prepare_study_out,
    run_study_or_exit,
)
from analysis.cli.options import (
    BatchSize,
    Force,
    Quiet,
    Replications,
    Resume,
    Scheduler,
    Seed,
    SetOpt,
    VaryOpt,
    Workers,
)


def _parameter_draws(vary: list[str], replications: int, seed: int, priors_for=None) -> dict:
    """Study options for --vary: the ranges and one drawn parameter set per replication. With `priors_for` (a
    scenario), the prior ranges of the parameters today's counts cannot identify are drawn too, except those
    the scenario sets itself (a calibrated value is kept); an explicit --vary range wins."""
    from analysis.study.uncertainty import draws, parse_ranges, prior_ranges

    ranges = parse_ranges(vary)
    if priors_for is not None:
        ranges = {k: v for k, v in prior_ranges(ranges).items() if k in ranges or k not in priors_for.overrides}
    if not ranges:
        return {}
    return {"vary": {k: list(v) for k, v in ranges.items()}, "parameter_draws": draws(ranges, replications, seed)}


def _variants(base, variants: list[str], set_: list[str]):
    """`NAME:key=value,key=value` → scenarios derived from `base`."""
    out = []
    for text in variants:
        if ":" not in text:
            fail(f"--variant {text}: expected NAME:dotted.key=value[,dotted.key=value...]")
        name, assigns = text.split(":", 1)
        assignments = [f"scenario.name={name}"] + [a for a in assigns.split(",") if a]
        out.append(base.with_overrides(assignments, source=f"--variant {name}"))
    return out


def study(
    scenarios: Annotated[
        Optional[list[Path]], typer.Argument(help="Scenario TOML files (not needed with --resume)")
    ] = None,
    out: Annotated[Path, typer.Option(help="Study directory")] = Path("results/study"),
    replications: Annotated[
        Optional[int], typer.Option(help="Replications per scenario (default: the first scenario's)")
    ] = None,
    seed: Annotated[
        Optional[int], typer.Option(help="Study seed, shared by all scenarios (default: the first scenario's)")
    ] = None,
    set_: SetOpt = [],
    variant: Annotated[
        list[str], typer.Option("--variant", help="Extra scenario derived from the first: NAME:key=value,key=value")
    ] = [],
    weekly: Annotated[bool, typer.Option("--weekly", help="Also store weekly tables per stadsdeel")] = False,
    vary: VaryOpt = [],
    workers: Workers = None,
    scheduler: Scheduler = None,
    batch_size: BatchSize = None,
    resume: Resume = False,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Run replications of one or more scenarios (common random numbers) into a study directory."""
    from analysis.study.study import StudyScenario, StudySpec

    check_seed_replications(seed, replications)
    check_study_options(workers, scheduler, batch_size)
    prepare_study_out(out, resume, force)
    if resume and not scenarios:
        from analysis.study.study import read_manifest, spec_from_manifest

        spec = spec_from_manifest(read_manifest(out))
    else:
        if not scenarios:
            fail("give at least one scenario file (or --resume --out DIR)")
        loaded = [load_scenario_or_exit(s, None, None, set_) for s in scenarios]
        loaded += _variants(loaded[0], variant, set_)
        study_seed = seed if seed is not None else loaded[0].meta.seed
        reps = replications or loaded[0].meta.replications
        spec = StudySpec(
            kind="simulate",
            scenarios=[StudyScenario.from_scenario(s) for s in loaded],
            seed=study_seed,
            replications=reps,
            options={"weekly": weekly, **_parameter_draws(vary, reps, study_seed)},
        )
    res = run_study_or_exit(spec, out, workers, scheduler, resume, batch_size, quiet, force)
    typer.echo(
        f"{res.computed} run(s) computed, {res.skipped} already stored, in {res.seconds:.1f} s. "
        f"Study in {out}/ (summary.parquet, summary.csv; workshop sheet: welzijnsim export {out} --format xlsx)"
    )


def _years(value: list[int], first: int, last: int, default: list[int]) -> list[int]:
    years = value or default
    for y in years:
        if not first <= y <= last:
            fail(f"--year {y}: outside the simulated years {first}-{last}")
    return years


def staffing(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file, e.g. scenarios/baseline.toml")],
    replications: Replications = None,
    seed: Seed = None,
    set_: SetOpt = [],
    out: Annotated[Optional[Path], typer.Option(help="Study directory (default results/staffing-<scenario>)")] = None,
    year: Annotated[
        list[int], typer.Option("--year", help="Year(s) in the per-area table (default: first and last)")
    ] = [],
    service_points: Annotated[
        bool, typer.Option("--service-points/--no-service-points", help="Also print the Servicepunt XL table")
    ] = True,
    share_within: Annotated[
        float, typer.Option(help="Target share of help requests with a first contact within --within-weeks")
    ] = 0.80,
    within_weeks: Annotated[int, typer.Option(help="Whole weeks waited that count as 'within 10 working days'")] = 2,
    max_dropped: Annotated[
        float, typer.Option(help="Largest share of help requests that may give up before a first contact")
    ] = 0.05,
    vary: VaryOpt = [],
    priors: Annotated[
        bool,
        typer.Option(
            "--priors/--no-priors",
            help=(
                "Draw the parameters today's counts cannot identify from their prior ranges (docs/model.md, 'prior'), "
                "so the band covers them; --no-priors: randomness only"
            ),
        ),
    ] = True,
    workers: Workers = None,
    scheduler: Scheduler = None,
    resume: Resume = False,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """FTE needed per stadsdeel, Servicepunt XL and year to meet a service level (unchanged mandate), with bands
    that cover randomness and, by default, the parameters today's counts cannot identify.

    Each replication is one staffing search (some 20-40 model runs); the progress bar moves with the model
    runs of every search under way, so the ETA appears after the first model run (on a Dask cluster it moves
    when a search ends)."""
    from analysis.staffing.staffing import Target, area_table, city_table
    from analysis.study.study import StudyScenario, StudySpec, load_table

    sc = load_scenario_or_exit(scenario, seed, replications, set_)
    if not 0 < share_within <= 1 or not 0 <= max_dropped <= 1 or not 0 <= within_weeks <= 52:
        fail("--share-within must be in (0, 1], --max-dropped in [0, 1], --within-weeks in [0, 52]")
    reps = replications or max(sc.meta.replications, 6)
    target = Target(within_weeks=within_weeks, share_within=share_within, max_dropped=max_dropped)
    spec = StudySpec(
        kind="staffing",
        scenarios=[StudyScenario.from_scenario(sc)],
        seed=sc.meta.seed,
        replications=reps,
        options={"target": target.options(), **_parameter_draws(vary, reps, sc.meta.seed, sc if priors else None)},
    )
    out = out or Path("results") / f"staffing-{sc.name}"
    p = sc.params()
    first, last = p["run.start_year"], p["run.start_year"] + p["run.years"] - 1
    years = _years(year, first, last, sorted({first, last}))
    run_study_or_exit(spec, out, workers, scheduler, resume, 1, quiet, force)
    df = load_table(out, "staffing")
    typer.echo(f"\n{sc.meta.question or sc.name}")
    typer.echo(
        f"Staffing to meet the service level: >= {share_within:.0%} of help requests get a first contact "
        f"within {within_weeks} whole week(s) (10 working days) and <= {max_dropped:.0%} give up."
    )
    varied = (
        f"; uncertain: {', '.join(f'{k} {a}-{b}' for k, (a, b) in spec.options['vary'].items())}"
        if spec.options.get("vary")
        else ""
    )
    typer.echo(
        f"Median [p10-p90] over {reps} replications (common random numbers{varied}), scale {p['run.scale']}. "
        "Individual support is searched (tables below: 'area-based' there is today's FTE x levers); the area-based "
        "need is derived from its target groups (after them).\n"
    )
    typer.echo(
        "City by year (need and today's staff of the same year; 'posts' = funded FTE, 'filled' = FTE of "
        "the posts filled at the start of that year):"
    )
    typer.echo(city_table(df))
    if spec.options.get("parameter_draws"):
        typer.echo(_band_drivers_text(df, spec.options["parameter_draws"], years))
    levels = ("stadsdeel", "service_point") if service_points else ("stadsdeel",)
    typer.echo(f"\nPer area, {', '.join(map(str, years))} (FTE individual support needed; 'posts today' = funded):")
    typer.echo(area_table(df, years, levels))
    _print_area_need(df, out, years)
    typer.echo(f'\nStudy written to {out}/ (query it: welzijnsim query {out} "SELECT * FROM staffing LIMIT 5")')


def _band_drivers_text(df, draws: list[dict], years: list[int]) -> str:
    """Which drawn parameters widen the band of the city's individual-support need (Spearman rank correlation
    of drawn value and needed FTE over replications, per year)."""
    from analysis.study.uncertainty import band_drivers

    city = df[df.level == "city"]
    tables = []
    for y in years:
        need = city[city.year == y][["replication", "fte_individual_needed"]].rename(
            columns={"fte_individual_needed": "need"}
        )
        d = band_drivers(need, draws).set_index("parameter")
        tables.append(d.spearman.rename(f"rho {y}"))
        ranges = d[["low", "high", "n"]]
    import pandas as pd

    table = pd.concat([ranges.rename(columns={"low": "drawn low", "high": "drawn high"})] + tables, axis=1)
    table = table.reindex(table[f"rho {years[-1]}"].abs().sort_values(ascending=False).index)
    return (
        "\nWhat widens the band: Spearman rank correlation of each drawn parameter with the city's individual-"
        "support need (|rho| near 1 = this parameter moves the answer most; n replications, noisy when n is small):\n"
        + table.to_string(float_format=lambda v: f"{v:.3g}")
    )


def _print_area_need(staffing_df, out: Path, years: list[int]) -> None:
    """Area-based need (sim/area_need.py) for the staffing command, from the annual tables of the searches'
    pilot runs (today's FTE under the mandate, each replication's seed and parameter draw: the runs a
    simulate study of the same scenario makes; tests/test_area_need.py checks they are equal)."""
    from analysis.staffing.area_need import both_halves_table, city_need_by_year, need_table
    from analysis.study.study import load_table

    annual = load_table(out, "annual")
    if annual.empty or set(annual.replication) != set(staffing_df.replication):
        fail(f"{out}: a staffing study from before the pilot runs were stored; run it again with --force")
    typer.echo(
        "\nArea-based work (jongerenwerk, opbouwwerk, ouderenwerk): FTE an unchanged mandate needs = today's "
        "coverage of each target group (youths 12-23 and risk youths; residents and deprived wijken; 65+ "
        "living alone) held as the groups grow, age and move. 'today' is derived from the budget, with the "
        "range of that estimate; 'at targets' = Moerwijk intensity (514 youths/FTE) in deprived wijken."
    )
    typer.echo("City by year:")
    typer.echo(city_need_by_year(annual))
    typer.echo(f"\nPer stadsdeel, {', '.join(map(str, years))} (FTE needed, median [p10-p90]):")
    typer.echo(need_table(annual, years))
    typer.echo(
        f"\nBoth halves per stadsdeel, {', '.join(map(str, years))}: individual support needed (searched) + "
        "area-based need, FTE, staff cost and the total with today's non-staff costs "
        "(EUR M; paired by replication):"
    )
    typer.echo(both_halves_table(staffing_df, annual, years))


def budget(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file, e.g. scenarios/budget-frozen.toml")],
    replications: Replications = None,
    seed: Seed = None,
    set_: SetOpt = [],
    out: Annotated[Optional[Path], typer.Option(help="Study directory (default results/budget-<scenario>)")] = None,
    year: Annotated[
        list[int], typer.Option("--year", help="Year(s) in the stadsdeel table (default: first and last)")
    ] = [],
    workers: Workers = None,
    scheduler: Scheduler = None,
    batch_size: BatchSize = None,
    resume: Resume = False,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Unchanged budget: the FTE a budget path pays for and the service level, waits and unmet demand it buys."""
    from analysis.staffing.budget import (
        PRIORITY_RULE,
        budget_city_table,
        budget_service_point_table,
        budget_stadsdeel_table,
    )
    from analysis.study.study import StudyScenario, StudySpec, load_table

    sc = load_scenario_or_exit(scenario, seed, replications, list(set_))
    if sc.params()["budget.mode"] != "budget":
        sc = load_scenario_or_exit(scenario, seed, replications, list(set_) + ["budget.mode=budget"])
        typer.echo("note: budget.mode set to 'budget' (FTE follow the budget path)", err=True)
    reps = replications or max(sc.meta.replications, 6)
    spec = StudySpec(
        kind="simulate",
        scenarios=[StudyScenario.from_scenario(sc)],
        seed=sc.meta.seed,
        replications=reps,
        options={"weekly": False},
    )
    out = out or Path("results") / f"budget-{sc.name}"
    p = sc.params()
    first, last = p["run.start_year"], p["run.start_year"] + p["run.years"] - 1
    years = _years(year, first, last, sorted({first, last}))
    run_study_or_exit(spec, out, workers, scheduler, resume, batch_size, quiet, force)
    df = load_table(out, "annual")
    typer.echo(f"\n{sc.meta.question or sc.name}")
    indexation = (
        "real (compensated for wage and price growth)"
        if p["budget.indexation"] == "real"
        else "nominal (no compensation)"
    )
    typer.echo(
        f"Welfare budget EUR {df[df.level == 'city'].budget_eur.iloc[0] / 1e6:,.1f}M in {first}, path "
        f"'{p['budget.index']}', {indexation}"
        f"; wages +{p['service.cost_growth']:.1%}/yr, prices +{p['budget.price_growth']:.1%}/yr."
    )
    rule = (
        PRIORITY_RULE.format(n=p["budget.protected_deprived_count"])
        if p["budget.priority"] == "core_first"
        else "Priority rule: pro_rata (every kind of work and cost shrinks alike)."
    )
    typer.echo(rule)
    typer.echo(
        f"Median [p10-p90] over {reps} replications. Service level: share of help requests with a first "
        "contact within 2 whole weeks (10 working days). Spending never exceeds the budget in any year, "
        "stadsdeel or Servicepunt XL (checked per run).\n"
    )
    typer.echo("City by year:")
    typer.echo(budget_city_table(df))
    typer.echo(
        f"\nWhat the money makes realistic per stadsdeel, {', '.join(map(str, years))} (budget allocated "
        "(spent); contract hours a week by type; share of the area-based need (mandate) covered; unmet demand):"
    )
    typer.echo(budget_stadsdeel_table(df, years, p["service.hours_per_fte"]))
    typer.echo(f"\nPer Servicepunt XL, {', '.join(map(str, years))}:")
    typer.echo(budget_service_point_table(df, years, p["service.hours_per_fte"]))
    typer.echo(f"\nStudy written to {out}/")


def compare(
    dir_a: Annotated[Path, typer.Argument(help="Study directory A (reference)")],
    dir_b: Annotated[Path, typer.Argument(help="Study directory B")],
    metric: Annotated[list[str], typer.Option("--metric", help="Metric(s) to compare (default: key outcomes)")] = [],
    year: Annotated[list[int], typer.Option("--year", help="Year(s) (default: all)")] = [],
    level: Annotated[str, typer.Option(help="city, stadsdeel or service_point")] = "stadsdeel",
    scenario_a: Annotated[Optional[str], typer.Option(help="Scenario in A (default: A's first)")] = None,
    scenario_b: Annotated[
        Optional[str], typer.Option(help="Scenario in B (default: B's first that is not A's scenario)")
    ] = None,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the differences to this CSV file")] = None,
) -> None:
    """Differences B - A per area and year, paired by seed (common random numbers), with p10/p50/p90 bands."""
    from analysis.study.compare import compare_studies, format_comparison
    from analysis.study.store import check_output_file

    if csv is not None:
        check_output_file(csv, "--csv")  # before reading the studies
    diff = compare_studies(
        dir_a,
        dir_b,
        metrics=metric or None,
        years=year or None,
        level=level,
        scenario_a=scenario_a,
        scenario_b=scenario_b,
    )
    typer.echo(format_comparison(diff))
    if csv:
        from analysis.study.store import write_csv

        try:
            write_csv(csv, diff)
        except OSError as exc:
            fail(f"--csv {csv}: cannot write ({exc.strerror}); the table above is complete")
        typer.echo(f"\nWritten to {csv}")


def query(
    directory: Annotated[Path, typer.Argument(help="Study directory")],
    sql: Annotated[
        str,
        typer.Argument(
            help="SQL over views: runs, summary and the tables of the study (annual, weekly, staffing, outcomes)"
        ),
    ],
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table")] = False,
) -> None:
    """Query a study in place with DuckDB, e.g. welzijnsim query results/study "SELECT * FROM summary LIMIT 5"."""
    from analysis.study.query import run_query

    df = run_query(directory, sql)
    import pandas as pd

    if csv:
        typer.echo(df.to_csv(index=False), nl=False)
    else:
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
            typer.echo(df.to_string(index=False))


def export(
    directory: Annotated[Path, typer.Argument(help="Study directory")],
    format_: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "xlsx",
    out: Annotated[Optional[Path], typer.Option(help="Output file (default DIR/summary.<format>)")] = None,
) -> None:
    """Export a study's summary (bands per scenario, area, year, metric) to CSV or XLSX for workshops."""
    from analysis.study.study import export as do_export

    path = do_export(directory, format_, out)
    typer.echo(f"Written to {path}")


COMMANDS = {
    "study": study,
    "staffing": staffing,
    "budget": budget,
    "compare": compare,
    "query": query,
    "export": export,
}
