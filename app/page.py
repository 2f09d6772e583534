"""The workshop page (Solara components): controls on the left, views in tabs on the right.

Per browser session: every `solara.reactive` below holds an immutable value (a frozen `Settings`, a `Run`,
a tuple of runs) and is replaced with `.set(...)`, so sessions never share or mutate each other's state.
Runs go to the process pool of `app.runs` from a `solara.lab.task` thread, with progress and cancel.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import solara
import solara.lab

from app import charts, exports, fmt, runs
from app.i18n import tr
from app.levers import AREA_LEVERS, LEVERS, area_summary, switch_state, switch_value
from app.settings import DEFAULT_REPLICATIONS, DEFAULT_SCALE, MAX_REPLICATIONS, Settings, shipped_presets
from app.summary import OBSERVED_COLUMNS, area_table, key_table, years

START_SCENARIO = os.environ.get("WELZIJNSIM_APP_SCENARIO") or "baseline"
DEBOUNCE_S = 0.3


def start_settings() -> Settings:
    """What a new session starts with: the start scenario at the default run size, or the size given to
    `welzijnsim app --scale/--years/--replications`."""
    env = os.environ
    return Settings(
        START_SCENARIO,
        scale=float(env.get("WELZIJNSIM_APP_SCALE", DEFAULT_SCALE)),
        years=int(env.get("WELZIJNSIM_APP_YEARS", 10)),
        replications=int(env.get("WELZIJNSIM_APP_REPLICATIONS", DEFAULT_REPLICATIONS)),
    )


def presets() -> list[str]:
    names = shipped_presets()
    return names if START_SCENARIO in names else [START_SCENARIO] + names


lang = solara.reactive("nl")
settings = solara.reactive(start_settings())
current = solara.reactive(None)  # Run of `settings` (possibly partial while running or paused)
baseline = solara.reactive(None)  # Run of the baseline at the same size and seeds
history = solara.reactive(())  # tuple of Runs, oldest first
pinned = solara.reactive(None)  # Run "A" for the side-by-side comparison
year = solara.reactive(0)  # 0 = last simulated year
level = solara.reactive("stadsdeel")
map_layer = solara.reactive("demand")
message = solara.reactive("")
area = solara.reactive("")  # the stadsdeel the per-stadsdeel FTE sliders show ("" = the city's first)


def baseline_settings(s: Settings) -> Settings:
    return Settings("baseline", scale=s.scale, years=s.years, replications=s.replications)


@solara.lab.task
def run_task(limit: int | None = None):
    """Run the current setting (and the baseline at the same size); partial results are shown as they come."""
    s = settings.value
    problem = s.check_size()
    if problem:
        message.set(tr("too_big", lang.value) + ": " + problem)
        return None
    message.set("")
    t0 = time.perf_counter()
    time.sleep(DEBOUNCE_S)  # a dragged slider sends many values: only the last one is run
    if not run_task.is_current():
        return None

    def stop() -> bool:
        return not run_task.is_current()

    def progress(partial, total) -> None:
        run_task.progress = 100.0 * partial.done / total
        if settings.value == s:
            current.set(partial)

    run = runs.run_setting(s, progress, stop, limit)
    if stop():
        if settings.value == s:
            current.set(run)
        return run
    if settings.value == s:
        current.set(run)
    b = baseline_settings(s)
    base = run if b == s else runs.run_setting(b, stop=stop)
    if not stop() and settings.value == s:
        baseline.set(base)
        numbered = runs.Run(
            run.settings, run.frames, run.map, run.done, time.perf_counter() - t0, number=len(history.value) + 1
        )
        current.set(numbered)
        if not history.value or history.value[-1].settings != s or history.value[-1].done != run.done:
            history.set(history.value + (numbered,))
    return run


def change(new: Settings) -> None:
    """A lever moved: new settings, and recompute (the previous task is superseded)."""
    if new != settings.value:
        settings.set(new)
        run_task()


@solara.component
def LanguageToggle():
    solara.Button(
        tr("switch_lang", lang.value),
        on_click=lambda: lang.set("en" if lang.value == "nl" else "nl"),
        text=True,
        outlined=True,
        classes=["lang-toggle"],
    )


@solara.component
def LeverControl(lever):
    lg, s = lang.value, settings.value
    value = s.value(lever.name)
    with solara.Tooltip(lever.tooltip(lg)):
        with solara.Div(classes=["lever"]):
            if lever.kind == "switch":
                solara.Switch(
                    label=lever.label(lg),
                    value=switch_state(lever.name, value),
                    on_value=lambda on: change(settings.value.with_lever(lever.name, switch_value(lever.name, on))),
                )
            else:
                solara.Text(f"{lever.label(lg)}: {fmt.number(value, lg, 2)}", classes=["lever-label"])
                with solara.Div(classes=["lever-slider", "slider-" + lever.name.replace(".", "-")]):
                    solara.SliderFloat(
                        "",
                        value=float(value),
                        min=lever.low,
                        max=lever.high,
                        step=lever.step,
                        on_value=lambda v: change(settings.value.with_lever(lever.name, round(float(v), 4))),
                    )


@solara.component
def AreaControl():
    """FTE per stadsdeel: pick a stadsdeel, move its two factors; the summary lists every stadsdeel changed."""
    lg, s = lang.value, settings.value
    names = s.area_names()
    chosen = area.value if area.value in names else names[0]
    with solara.Column(gap="0px", classes=["area-levers"]):
        with solara.Div(classes=["area-select"]):
            solara.Select(tr("area_pick", lg), value=chosen, values=names, on_value=area.set)
        for lever in AREA_LEVERS:
            factor = s.table(lever.name).get(chosen, 1.0)
            with solara.Tooltip(lever.tooltip(lg)):
                with solara.Div(classes=["lever"]):
                    solara.Text(
                        f"{lever.label(lg).format(area=chosen)}: {fmt.number(factor, lg, 1)}", classes=["lever-label"]
                    )
                    with solara.Div(classes=["lever-slider", "slider-" + lever.name.replace(".", "-")]):
                        solara.SliderFloat(
                            "",
                            value=float(factor),
                            min=lever.low,
                            max=lever.high,
                            step=lever.step,
                            on_value=lambda v, name=lever.name: change(
                                settings.value.with_area_factor(name, chosen, round(float(v), 4))
                            ),
                        )
    with solara.Column(gap="0px", classes=["area-summary"]):
        lines = area_summary(s, lg)
        solara.Text(
            tr("area_changed", lg) + ": " + (" · ".join(lines) if lines else tr("area_none", lg)),
            style={"font-size": "90%", "color": "#555"},
        )


@solara.component
def Controls():
    lg, s = lang.value, settings.value
    with solara.Card(margin=0, classes=["controls"]):
        solara.Select(
            tr("preset", lg),
            value=s.preset,
            values=presets(),
            on_value=lambda p: change(Settings(p, scale=s.scale, years=s.years, replications=s.replications)),
        )
        question = s.base_scenario().meta.question
        if question:
            solara.Text(question, style={"font-size": "90%", "color": "#555"})
        with solara.Row(gap="4px", classes=["run-buttons"], style={"flex-wrap": "wrap"}):
            solara.Button(tr("run", lg), on_click=lambda: run_task(), color="primary", classes=["btn-run"])
            with solara.Tooltip(tr("pause_tip", lg)):
                solara.Button(
                    tr("pause", lg),
                    on_click=lambda: run_task.cancel() if run_task.pending else None,
                    disabled=not run_task.pending,
                    classes=["btn-pause"],
                )
            with solara.Tooltip(tr("step_tip", lg)):
                solara.Button(
                    tr("step", lg),
                    classes=["btn-step"],
                    disabled=run_task.pending,
                    on_click=lambda: run_task(
                        min(
                            s.replications,
                            (current.value.done if current.value and current.value.settings == s else 0) + 1,
                        )
                    ),
                )
            with solara.Tooltip(tr("reset_tip", lg)):
                solara.Button(
                    tr("reset", lg),
                    classes=["btn-reset"],
                    on_click=lambda: change(
                        Settings(s.preset, scale=s.scale, years=s.years, replications=s.replications)
                    ),
                )
        Status()
        # Each group in its own column: ipyvue renders tooltip-wrapped children after their plain siblings.
        for group, heading in (("levers", "levers"), ("uncertain", "uncertain")):
            solara.Markdown(f"**{tr(heading, lg)}**")
            with solara.Column(gap="0px"):
                for lever in LEVERS:
                    if lever.group == group:
                        LeverControl(lever)
            if group == "levers":
                solara.Markdown(f"**{tr('area_levers', lg)}**")
                AreaControl()
        solara.Markdown(f"**{tr('run_size', lg)}**")
        RunSize()
        problem = s.check_size()
        if problem:
            solara.Warning(f"{tr('too_big', lg)}: {problem}")
        with solara.Column(gap="0px"):
            with solara.Tooltip(tr("pin_tip", lg)):
                solara.Button(
                    tr("pin_a", lg),
                    disabled=current.value is None or not current.value.complete,
                    on_click=lambda: pinned.set(current.value),
                    classes=["btn-pin"],
                    outlined=True,
                )
        History()


@solara.component
def RunSize():
    lg, s = lang.value, settings.value
    with solara.Column(gap="0px"):
        with solara.Tooltip(tr("scale_tip", lg)):
            with solara.Div(classes=["lever"]):
                solara.Text(f"{tr('scale', lg)}: {fmt.number(s.scale, lg, 2)}", classes=["lever-label"])
                with solara.Div(classes=["slider-run-scale"]):
                    solara.SliderFloat(
                        "",
                        value=s.scale,
                        min=0.05,
                        max=1.0,
                        step=0.05,
                        on_value=lambda v: change(settings.value.with_run(scale=round(float(v), 2))),
                    )
    with solara.Column(gap="0px"):
        solara.Text(f"{tr('years', lg)}: {s.years}", classes=["lever-label"])
        with solara.Div(classes=["slider-run-years"]):
            solara.SliderInt(
                "", value=s.years, min=1, max=10, on_value=lambda v: change(settings.value.with_run(years=int(v)))
            )
        solara.Text(f"{tr('replications', lg)}: {s.replications}", classes=["lever-label"])
        with solara.Div(classes=["slider-run-replications"]):
            solara.SliderInt(
                "",
                value=s.replications,
                min=1,
                max=MAX_REPLICATIONS,
                on_value=lambda v: change(settings.value.with_run(replications=int(v))),
            )


@solara.component
def Status():
    lg = lang.value
    run = current.value
    if run_task.pending:
        solara.ProgressLinear(run_task.progress if run_task.progress is not None else True)
        done = run.done if run is not None and run.settings == settings.value else 0
        solara.Text(tr("running", lg, done=done, total=settings.value.replications), classes=["status"])
    elif run is not None and not run.complete:
        solara.Text(tr("paused", lg, done=run.done, total=run.settings.replications), classes=["status"])
    elif run is not None:
        solara.Text(tr("done_in", lg, done=run.done, sec=fmt.number(run.seconds, lg, 1)), classes=["status"])
    if message.value:
        solara.Warning(message.value)
    if run_task.error:
        solara.Error(str(run_task.exception))


@solara.component
def History():
    lg = lang.value
    solara.Markdown(f"**{tr('history', lg)}**")
    if not history.value:
        solara.Text(tr("history_empty", lg))
    for run in reversed(history.value[-8:]):
        solara.Button(
            f"{run.number}. {run.settings.label()}",
            text=True,
            classes=["history-item"],
            style={"text-transform": "none", "justify-content": "start"},
            on_click=lambda run=run: (settings.set(run.settings), current.set(run)),
        )


def _year(run) -> int:
    ys = years(run.frames)
    return year.value if year.value in ys else ys[-1]


def _html_table(df) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=df.to_html(index=False, border=0, classes="wtable"))


@solara.component
def KeyView(run):
    lg, y = lang.value, _year(run)
    solara.Text(tr("key_intro", lg, year=y, n=run.done))
    lines = area_summary(run.settings, lg)
    if lines:
        solara.Text(f"{tr('area_levers', lg)}: " + " · ".join(lines), classes=["key-areas"])
    base = (
        baseline.value.frames
        if baseline.value is not None and baseline.value.settings.years == run.settings.years
        else None
    )
    _html_table(key_table(run.frames, base, y, lg))


@solara.component
def SeriesView(run):
    lg = lang.value
    png = solara.use_memo(lambda: charts.series_png([(run.settings.label(), run.frames)], lg), dependencies=[run, lg])
    solara.Image(png, classes=["chart-series"])


@solara.component
def MapView(run):
    lg, y = lang.value, _year(run)
    layers = list(charts.LAYER_KEYS)
    labels = {tr("layer_" + k, lg): k for k in layers}
    solara.Select(
        tr("map_layer", lg),
        value=tr("layer_" + map_layer.value, lg),
        values=list(labels),
        on_value=lambda label: map_layer.set(labels.get(label, "demand")),
    )
    png = solara.use_memo(
        lambda: charts.map_png(run.map, run.frames, map_layer.value, y, lg) if run.map else None,
        dependencies=[run, lg, map_layer.value, y],
    )
    solara.Text(tr("map_intro", lg, year=y) + " " + tr("layer_" + map_layer.value, lg))
    if map_layer.value == "reach" and not run.settings.scenario().params().get("prevention.enabled", False):
        solara.Info(tr("map_no_reach", lg))
    if png is not None:
        solara.Image(png, classes=["chart-map"])


@solara.component
def StaffView(run):
    lg, y = lang.value, _year(run)
    labels = {tr("lvl_stadsdeel", lg): "stadsdeel", tr("lvl_sp", lg): "service_point"}
    solara.ToggleButtonsSingle(
        value=tr("lvl_stadsdeel" if level.value == "stadsdeel" else "lvl_sp", lg),
        values=list(labels),
        on_value=lambda label: level.set(labels.get(label, "stadsdeel")),
    )
    solara.Text(tr("staff_intro", lg, year=y))
    _html_table(area_table(run.frames, y, lg, level=level.value))


@solara.component
def ObservedView(run):
    lg, y = lang.value, _year(run)
    solara.Text(tr("observed_intro", lg, year=y))
    png = solara.use_memo(lambda: charts.observed_png(run.frames, y, lg), dependencies=[run, lg, y])
    solara.Image(png, classes=["chart-observed"])
    _html_table(area_table(run.frames, y, lg, columns=OBSERVED_COLUMNS))


@solara.component
def CompareView(run):
    lg = lang.value
    a = pinned.value
    png = solara.use_memo(
        lambda: charts.series_png([("A", a.frames), ("B", run.frames)], lg) if a else None, dependencies=[a, run, lg]
    )
    if a is None:
        solara.Info(tr("compare_none", lg))
        return
    y = min(_year(run), _year(a))
    solara.Text(tr("compare_intro", lg), classes=["compare-intro"])
    if a.settings.seeds() != run.settings.seeds()[: len(a.settings.seeds())]:
        solara.Warning(tr("compare_seeds", lg))
    solara.Markdown(f"**A** — {a.settings.label()}  \n**B** — {run.settings.label()}")
    _html_table(
        key_table(run.frames, a.frames, y, lg, other_label=tr("setting_a", lg)).rename(
            columns={tr("col_this", lg): tr("setting_b", lg)}
        )
    )
    solara.Image(png, classes=["chart-compare"])


@solara.component
def ExportView(run):
    lg, s, y = lang.value, settings.value, _year(run)
    base = baseline.value.frames if baseline.value is not None else None
    stem = Path(s.preset).stem
    solara.Text(tr("export_intro", lg))
    with solara.Column(gap="6px", classes=["downloads"]):
        solara.FileDownload(
            lambda: s.to_toml().encode("utf-8"), filename=f"workshop-{stem}.toml", label=tr("dl_toml", lg)
        )
        solara.FileDownload(
            lambda: exports.table_csv(run.frames, y, lg), filename=f"welzijnsim-{stem}-{y}.csv", label=tr("dl_csv", lg)
        )
        solara.FileDownload(
            lambda: exports.workshop_xlsx(run.frames, base, exports.settings_rows(s, lg), y, lg),
            filename=f"welzijnsim-{stem}.xlsx",
            label=tr("dl_xlsx", lg),
        )
        solara.FileDownload(
            lambda: exports.debrief_html(
                history.value, run, base, y, lg, charts.series_png([(run.settings.label(), run.frames)], lg)
            ),
            filename="welzijnsim-verslag.html" if lg == "nl" else "welzijnsim-debrief.html",
            label=tr("dl_debrief", lg),
        )
        solara.FileDownload(
            lambda: charts.series_png([(run.settings.label(), run.frames)], lg),
            filename=f"welzijnsim-{stem}-tijdreeksen.png",
            label=tr("dl_series_png", lg),
        )
        if run.map is not None:
            solara.FileDownload(
                lambda: charts.map_png(run.map, run.frames, map_layer.value, y, lg),
                filename=f"welzijnsim-{stem}-kaart-{map_layer.value}.png",
                label=tr("dl_map_png", lg),
            )
        solara.FileDownload(
            lambda: charts.observed_png(run.frames, y, lg),
            filename=f"welzijnsim-{stem}-gemeten.png",
            label=tr("dl_observed_png", lg),
        )


CSS = """
.wtable { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
.wtable th, .wtable td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: right; }
.wtable td { white-space: nowrap; }
.wtable th:first-child, .wtable td:first-child { text-align: left; }
.controls { max-height: calc(100vh - 90px); overflow-y: auto; }
.lever .v-input { margin-top: 0; }
.lever-label { font-size: 14px; color: #333; display: block; margin-top: 6px; }
.v-input__slot { margin-bottom: 0 !important; }
.v-messages { min-height: 0 !important; }
"""


@solara.component
def Page():
    lg = lang.value
    solara.Style(CSS)
    solara.Title(tr("title", lg))
    solara.use_effect(lambda: run_task() if current.value is None else None, [])
    with solara.Column(style={"padding": "8px"}):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            solara.Markdown(f"## {tr('title', lg)}")
            LanguageToggle()
        solara.Text(tr("intro", lg))
        with solara.Columns([1, 2.6]):
            Controls()
            with solara.Column():
                run = current.value
                if run is None or run.done == 0:
                    solara.Info(tr("no_run", lg))
                    return
                ys = years(run.frames)
                if len(ys) > 1:
                    with solara.Row(style={"align-items": "center"}):
                        solara.Text(f"{tr('year', lg)}: {_year(run)}", classes=["lever-label", "year-label"])
                        with solara.Div(classes=["slider-year"], style={"flex-grow": "1"}):
                            solara.SliderInt("", value=_year(run), min=ys[0], max=ys[-1], on_value=year.set)
                with solara.lab.Tabs():
                    with solara.lab.Tab(tr("tab_key", lg)):
                        KeyView(run)
                    with solara.lab.Tab(tr("tab_series", lg)):
                        SeriesView(run)
                    with solara.lab.Tab(tr("tab_map", lg)):
                        MapView(run)
                    with solara.lab.Tab(tr("tab_staff", lg)):
                        StaffView(run)
                    with solara.lab.Tab(tr("tab_observed", lg)):
                        ObservedView(run)
                    with solara.lab.Tab(tr("tab_compare", lg)):
                        CompareView(run)
                    with solara.lab.Tab(tr("tab_export", lg)):
                        ExportView(run)
