"""The workshop app's logic without a browser: formatting, settings, levers, tables, exports, charts, the run
pool, the command's input checks, and the page rendered with `solara.render`.

Runs are real model runs at a small scale (0.05 of the residents, 2 years, 2 replications, seeds from the
baseline's study seed); no number is hard-coded: tables are checked against the result frames they come from.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("solara")

from app import exports, fmt, summary  # noqa: E402
from app.i18n import TEXTS, tr  # noqa: E402
from app.levers import AREA_LEVERS, LEVERS, area_summary, switch_state, switch_value  # noqa: E402
from app.settings import MAX_RUN_SIZE, Settings  # noqa: E402
from scenarios.loader import load_scenario  # noqa: E402
from sim.parameters import PARAMETERS  # noqa: E402

SMALL = Settings("baseline", scale=0.05, years=2, replications=2)


@pytest.fixture(scope="module")
def small_runs():
    """The small setting and a what-if (individual-support FTE x 2) run in this process, same seeds."""
    from app.runs import assemble
    from app.worker import run_one

    out = {}
    for name, s in (("base", SMALL), ("double", SMALL.with_lever("staffing.individual_support_factor", 2.0))):
        params = s.scenario().params()
        out[name] = assemble(s, {i: run_one("den_haag", params, seed, i == 0) for i, seed in enumerate(s.seeds())})
    return out


# ---- formatting ---------------------------------------------------------------------------------
def test_dutch_and_english_numbers():
    assert fmt.number(1234.5, "nl", 1) == "1.234,5"
    assert fmt.number(1234.5, "en", 1) == "1,234.5"
    assert fmt.number(1234567, "nl") == "1.234.567"
    assert fmt.money(12_345_678, "nl") == "€ 12,3 mln"
    assert fmt.money(12_345_678, "en") == "€ 12.3 M".replace(" M", " M")
    assert fmt.money(2.5e9, "nl") == "€ 2,50 mld"
    assert fmt.percent(0.425, "nl", 1) == "42,5%"
    assert fmt.signed(-3.25, "nl", 1) == "−3,2" or fmt.signed(-3.25, "nl", 1) == "−3,3"
    assert fmt.number(float("nan"), "nl") == "–"


def test_every_text_has_both_languages():
    for key, (nl, en) in TEXTS.items():
        assert nl and en, key
    assert tr("run", "nl") == "Doorrekenen" and tr("run", "en") == "Run"


# ---- levers and settings ----------------------------------------------------------------------------
def test_levers_are_parameters_with_ranges_inside_the_table():
    for lever in LEVERS:
        p = PARAMETERS[lever.name]
        tip = lever.tooltip("nl")
        assert p.unit in tip and p.source in tip and "bereik" in tip
        assert "source" in lever.tooltip("en")
        if lever.kind == "slider":
            assert p.low <= lever.low < lever.high <= p.high, lever.name
            assert p.check(lever.low) == lever.low
        elif lever.kind == "switch":
            for on in (True, False):
                value = switch_value(lever.name, on)
                assert p.check(value) == value and switch_state(lever.name, value) is on


def test_settings_are_immutable_values():
    s = Settings("baseline")
    t = s.with_lever("staffing.individual_support_factor", 1.5)
    assert s.levers == () and t.levers == (("staffing.individual_support_factor", 1.5),)
    assert t.value("staffing.individual_support_factor") == 1.5
    # Moving a lever back to the preset's value removes it, so equal settings compare equal.
    assert t.with_lever("staffing.individual_support_factor", 1.0) == s
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        s.scale = 0.5  # frozen


# ---- FTE per stadsdeel ------------------------------------------------------------------------------------
IND, AREA = "staffing.individual_support_by_stadsdeel", "staffing.area_based_by_stadsdeel"


def test_area_levers_are_table_parameters_with_tooltips():
    for lever in AREA_LEVERS:
        p = PARAMETERS[lever.name]
        assert isinstance(p.default, dict) and p.low <= lever.low < lever.high <= p.high
        assert p.unit in lever.tooltip("nl") and p.source in lever.tooltip("nl") and "range" in lever.tooltip("en")
        assert "{area}" in lever.label("nl") and "{area}" in lever.label("en")


def test_area_factor_sets_one_entry_and_stays_hashable():
    s = Settings("baseline")
    assert s.area_names()[0] and "Laak" in s.area_names() and len(s.area_names()) == 8
    t = s.with_area_factor(IND, "Laak", 2.0).with_area_factor(AREA, "Escamp", 1.5)
    assert t.value(IND) == (("Laak", 2.0),) and t.value(AREA) == (("Escamp", 1.5),)
    hash(t.key())
    u = t.with_area_factor(IND, "Centrum", 0.5)
    assert u.table(IND) == {"Laak": 2.0, "Centrum": 0.5}  # Laak kept
    assert u.with_area_factor(IND, "Centrum", 1.0) == t  # back to 1 drops the entry
    assert area_summary(t, "nl") == ["Escamp: gebiedsgericht werk ×1,5", "Laak: individuele ondersteuning ×2,0"]
    assert area_summary(t, "en")[1] == "Laak: individual support ×2.0"
    params = t.scenario().params()
    assert params[IND] == {"Laak": 2.0} and params[AREA] == {"Escamp": 1.5}
    # A preset with a table: its entries are the starting point, and moving them back equals the preset.
    laak = Settings("laak-double")
    assert laak.value(IND) == (("Laak", 2.0),) and laak.levers == ()
    assert laak.with_area_factor(IND, "Laak", 1.0).scenario().params()[IND] == {}
    assert laak.with_area_factor(IND, "Laak", 3.0).with_area_factor(IND, "Laak", 2.0) == laak


def _walk(widget, inside=False, css=""):
    """Widgets under `widget`, also inside tooltip slots (which `rc.find` does not search), flagged when they
    sit inside an element with the CSS class `css`."""
    inside = inside or css in (getattr(widget, "class_", "") or "").split()
    yield widget, inside
    kids = list(getattr(widget, "children", None) or [])
    for slot in getattr(widget, "v_slots", None) or []:
        kids += slot["children"] if isinstance(slot["children"], list) else [slot["children"]]
    for kid in kids:
        if hasattr(kid, "model_id"):
            yield from _walk(kid, inside, css)


def test_area_slider_on_the_page_changes_only_that_stadsdeel(monkeypatch):
    import ipyvuetify as v
    import solara

    from app import page

    monkeypatch.setattr(page, "change", page.settings.set)  # the setting only: no run in this test
    start = Settings("baseline", scale=0.05, years=2, replications=2).with_area_factor(IND, "Escamp", 1.5)
    page.settings.set(start)
    page.current.set(None)
    page.area.set("")
    box, rc = solara.render(page.Controls(), handle_error=False)
    try:
        rc.find(v.Select, label="Stadsdeel").widget.v_model = "Laak"
        assert page.area.value == "Laak"
        css = "slider-staffing-individual_support_by_stadsdeel"
        sliders = [w for w, inside in _walk(box, css=css) if inside and isinstance(w, v.Slider)]
        assert len(sliders) == 1
        sliders[0].v_model = 2.0
        s = page.settings.value
        assert s.table(IND) == {"Escamp": 1.5, "Laak": 2.0}
        assert s.table(AREA) == {} and dict(s.levers).keys() == {IND}
        labels = [w.children for w, _ in _walk(box) if isinstance(w, v.Html) and "lever-label" in w.class_]
        assert ["FTE individuele ondersteuning in Laak (×): 2,0"] in labels
        texts = " ".join(str(w.children) for w, inside in _walk(box, css="area-summary") if inside)
        assert "Laak: individuele ondersteuning ×2,0" in texts, texts
        assert "Escamp: individuele ondersteuning ×1,5" in texts
    finally:
        rc.close()
        page.settings.set(page.start_settings())


def test_saved_toml_with_a_per_stadsdeel_lever_validates_and_runs_unchanged(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli import app

    s = Settings("baseline", scale=0.1, years=3).with_area_factor(IND, "Laak", 2.0)
    s = s.with_area_factor(AREA, "Escamp", 1.5).with_lever("staffing.individual_support_factor", 1.2)
    path = tmp_path / "workshop-baseline.toml"
    path.write_text(s.to_toml(), encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.params() == s.scenario().params()
    staffing = tomllib.loads(path.read_text())["staffing"]
    assert staffing["individual_support_by_stadsdeel"] == {"Laak": 2.0}
    assert staffing["area_based_by_stadsdeel"] == {"Escamp": 1.5}
    r = CliRunner().invoke(app, ["validate", str(path)])
    assert r.exit_code == 0, r.output
    rows = dict(exports.settings_rows(s, "nl"))
    assert rows["FTE individuele ondersteuning in Laak (×)"] == "2,00"
    assert rows["FTE gebiedsgericht werk in Escamp (×)"] == "1,50"


@pytest.mark.slow
def test_run_with_laak_doubled_adds_fte_in_laak_only():
    from app import runs

    base = Settings("baseline", scale=0.02, years=1, replications=1)
    try:
        b = runs.run_setting(base).frames["annual_stadsdeel"]
        d = runs.run_setting(base.with_area_factor(IND, "Laak", 2.0)).frames["annual_stadsdeel"]
    finally:
        runs.shutdown()
    b = b.groupby("area")["fte_individual_support"].mean()
    d = d.groupby("area")["fte_individual_support"].mean()
    assert d["Laak"] > b["Laak"] * 1.5
    others = [a for a in b.index if a != "Laak"]
    assert len(others) == 7
    pd.testing.assert_series_equal(d[others], b[others])


def test_run_size_limit():
    assert Settings("baseline").check_size() is None
    big = Settings("baseline", scale=1.0, years=10, replications=5)
    assert big.run_size > MAX_RUN_SIZE and "5" in big.check_size()


def test_seeds_are_shared_between_settings_of_a_preset():
    a = Settings("baseline", replications=3)
    b = a.with_lever("informal.earmark", 0.2).with_run(replications=5)
    assert b.seeds()[:3] == a.seeds()


def test_saved_toml_is_a_scenario_that_loads_with_the_same_values(tmp_path):
    s = (
        Settings("prevention-push", scale=0.1, years=3)
        .with_lever("unregistered.factor", 2.0)
        .with_lever("budget.mode", "budget")
    )
    path = tmp_path / "saved.toml"
    path.write_text(s.to_toml(), encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.params() == s.scenario().params()
    assert loaded.meta.replications == s.replications
    assert tomllib.loads(path.read_text())["unregistered"]["factor"] == 2.0


# ---- tables from real runs --------------------------------------------------------------------
@pytest.mark.slow
def test_key_table_against_frames(small_runs):
    base, double = small_runs["base"], small_runs["double"]
    y = summary.years(base.frames)[-1]
    table = summary.key_table(double.frames, base.frames, y, "nl")
    assert list(table.columns) == ["Kengetal", "Deze instelling", "Basis", "Verschil"]
    city = double.frames["annual_city"]
    expected = city[city["year"] == y]["fte_individual_support"].mean()
    row = table[table["Kengetal"] == tr("k_fte_ind", "nl")].iloc[0]
    assert row["Deze instelling"] == fmt.number(expected, "nl", 1)
    assert row["Verschil"].startswith("+")  # twice the staff


def test_area_table_city_row_is_the_sum_of_stadsdelen(small_runs):
    frames = small_runs["base"].frames
    y = summary.years(frames)[0]
    t = summary.area_table(frames, y, "en", printed=False)
    col = tr("c_fte_ind", "en")
    assert len(t) == 9 and t.iloc[-1][tr("col_area", "en")] == "Den Haag"
    assert t[col].iloc[:-1].sum() == pytest.approx(t[col].iloc[-1], rel=1e-9)
    sp = summary.area_table(frames, y, "nl", level="service_point", printed=False)
    assert sp[tr("c_fte_ind", "nl")].sum() == pytest.approx(t[col].iloc[-1], rel=1e-9)


def test_bands_and_seen_within_ten_days(small_runs):
    frames = small_runs["base"].frames
    b = summary.bands(frames, "help_requests")
    assert (b["p10"] <= b["mean"] + 1e-9).all() and (b["mean"] <= b["p90"] + 1e-9).all()
    share = frames["annual_city"]["seen_within_10_days"]
    assert share.between(0, 1).all()
    # Faster help with twice the staff (same seeds).
    assert small_runs["double"].frames["annual_city"]["seen_within_10_days"].mean() > share.mean()
    assert summary.bands(frames, "no_such_column").empty  # a column the model does not report is skipped


@pytest.mark.slow
def test_map_snapshot_matches_the_run(small_runs):
    run = small_runs["base"]
    grids = run.map["grids"]
    assert len(grids) == 8
    residents = sum(g["residents"].sum() for g in grids)
    city = run.frames["annual_city"]
    actual = city[(city["year"] == city["year"].max()) & (city["replication"] == 0)]["actual_population"].iloc[0]
    assert residents / run.map["scale"] == pytest.approx(actual, rel=0.02)
    n_sp = run.frames["annual_service_point"]["area"].nunique()
    assert sum(len(g["sites"]) for g in grids) == n_sp
    from app.charts import LAYER_KEYS, map_layers

    layers = map_layers(run.map, run.frames, summary.years(run.frames)[-1])
    for key in LAYER_KEYS:
        assert len(layers[key]) == 8
    share = np.concatenate([v.ravel() for v in layers["unregistered"]])
    assert np.nanmax(share) <= 1.0


# ---- exports and charts ---------------------------------------------------------------------------
def test_exports(small_runs, tmp_path):
    import openpyxl

    base, double = small_runs["base"], small_runs["double"]
    y = summary.years(base.frames)[-1]
    xlsx = tmp_path / "w.xlsx"
    xlsx.write_bytes(
        exports.workshop_xlsx(double.frames, base.frames, exports.settings_rows(double.settings, "nl"), y, "nl")
    )
    wb = openpyxl.load_workbook(xlsx)
    assert {"Kerncijfers", "Instellingen", "Hulpvragen", "FTE nodig"} <= set(wb.sheetnames)
    wide = pd.read_excel(xlsx, sheet_name="Hulpvragen", index_col=0)
    assert list(wide.columns) == summary.years(base.frames) and len(wide) == 8
    assert "hulpvragen per jaar" in wide.index.name
    csv = exports.table_csv(base.frames, y, "nl").decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Stadsdeel;") and "Den Haag" in csv
    history = (base, double)
    html = exports.debrief_html(history, double, base.frames, y, "nl", b"\x89PNG").decode()
    assert "Geprobeerde instellingen" in html and double.settings.label() in html and "€" in html
    laak = double.settings.with_area_factor("staffing.individual_support_by_stadsdeel", "Laak", 2.0)
    from dataclasses import replace

    html = exports.debrief_html(history, replace(double, settings=laak), base.frames, y, "nl", None).decode()
    assert "FTE individuele ondersteuning in Laak (×)" in html and "individual_support_by_stadsdeel={Laak: 2}" in html


@pytest.mark.slow
def test_charts_are_png(small_runs):
    from app import charts

    run = small_runs["base"]
    y = summary.years(run.frames)[-1]
    for png in (
        charts.series_png([("A", run.frames), ("B", small_runs["double"].frames)], "nl"),
        charts.map_png(run.map, run.frames, "waiting", y, "en"),
        charts.observed_png(run.frames, y, "nl"),
    ):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


# ---- the pool -----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_pool_runs_progress_and_cache():
    from app import runs

    s = Settings("baseline", scale=0.02, years=1, replications=2)
    seen = []
    try:
        run = runs.run_setting(s, progress=lambda partial, total: seen.append((partial.done, total)))
        assert run.complete and run.map is not None and seen in ([], [(1, 2)])
        again = runs.run_setting(s)  # from the cache: identical numbers
        pd.testing.assert_frame_equal(again.frames["annual_city"], run.frames["annual_city"])
        stopped = runs.run_setting(s.with_run(replications=4), stop=lambda: True)
        assert stopped.done >= 2 and stopped.done <= 4  # the cached two at least
    finally:
        runs.shutdown()


# ---- the command --------------------------------------------------------------------------------------
def test_app_command_rejects_bad_input(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli import app

    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\n[demand]\nepisode_rat = 0.2\n')
    r = CliRunner().invoke(app, ["app", "--scenario", str(bad)])
    assert r.exit_code == 2 and "episode_rat" in r.output
    r = CliRunner().invoke(app, ["app", "--port", "70000"])
    assert r.exit_code == 2 and "--port" in r.output
    r = CliRunner().invoke(app, ["app", "--scale", "3"])
    assert r.exit_code == 2 and "--scale" in r.output


# ---- the page with solara.render ---------------------------------------------------------------------
def _html(rc) -> str:
    """The HTML tables on the page."""
    from solara.widgets import HTML

    return " ".join(w.unsafe_innerHTML for w in rc.find(HTML).widgets)


@pytest.mark.slow
def test_page_renders_dutch_then_english(small_runs):
    import ipyvuetify as v
    import solara

    from app import page

    page.settings.set(small_runs["base"].settings)
    page.current.set(small_runs["double"])
    page.baseline.set(small_runs["base"])
    box, rc = solara.render(page.Page(), handle_error=False)
    rc.find(v.Btn, children=["Doorrekenen"]).assert_single()
    html = _html(rc)
    assert "Hulpvragen per jaar" in html and "Basis" in html
    rc.find(v.Btn, children=["English"]).widget.click()
    rc.find(v.Btn, children=["Run"]).assert_single()
    html = _html(rc)
    assert "Help requests per year" in html
    rc.find(v.Btn, children=["Nederlands"]).widget.click()
    rc.find(v.Btn, children=["Doorrekenen"]).assert_single()
    rc.close()
