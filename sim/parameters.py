"""The one table of model parameters: name, default, unit, allowed range and source.

Scenario files, the command line's ``--set``, sensitivity studies and ``docs/model.md`` all read
this table, so a number has one definition. Parameters are addressed by dotted names
(``demand.episode_rate``); a scenario sets them in TOML sections of the same name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    unit: str
    low: float | None
    high: float | None
    source: str
    doc: str
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> type:
        return type(self.default)

    def check(self, value: Any) -> Any:
        """Return `value` coerced to this parameter's type, or raise ValueError saying what is allowed."""
        if self.kind is dict:
            return self._check_table(value)
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"expected true or false, found {value!r}")
            return value
        if self.kind is int:
            if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            ):
                raise ValueError(f"expected a whole number in {self.allowed}, found {value!r}")
            value = int(value)
        elif self.kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"expected a number in {self.allowed}, found {value!r}")
            value = float(value)
        elif self.kind is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise ValueError(f"expected one of {', '.join(self.choices)}; found {value!r}")
            return value
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number in {self.allowed}, found {value!r}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError(f"{value!r} is outside the allowed range {self.allowed}")
        return value

    def _check_table(self, value: Any) -> dict[str, float]:
        """A per-area table {area name = number}: names are checked against the city by the loader and model
        (sim.parameters.check_area_tables); here the numbers are checked against the range."""
        if not isinstance(value, dict):
            raise ValueError(
                f"expected a table {{ name = number, ... }} with numbers in {self.allowed}, found {value!r}"
            )
        out = {}
        for key, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"entry {key!r}: expected a number in {self.allowed}, found {v!r}")
            if (self.low is not None and v < self.low) or (self.high is not None and v > self.high):
                raise ValueError(f"entry {key!r}: {v!r} is outside the allowed range {self.allowed}")
            out[str(key)] = float(v)
        return out

    @property
    def allowed(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        return f"[{self.low}, {self.high}]"


def _p(name, default, unit, low, high, source, doc, choices=()) -> Parameter:
    return Parameter(name, default, unit, low, high, source, doc, tuple(choices))


F = "figures.md"
ESC_CAL = (
    "estimate; with the durations and light questions (escalation.light_factor), sets the gross B/C of "
    "individual support near SEOR's 1.6 (check-model)"
)
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in [
        # --- run ---------------------------------------------------------------------------
        _p("run.start_year", 2026, "year", 2020, 2040, "scenario", "First simulated year."),
        _p("run.years", 10, "years", 1, 30, "scenario", "Number of simulated years (52 weekly ticks each)."),
        _p(
            "run.warmup_weeks",
            0,
            "weeks",
            0,
            260,
            "scenario (shipped scenarios use 52)",
            "Weeks simulated before the start year under the foundation rules and not reported, so the first "
            "year starts with realistic queues.",
        ),
        _p(
            "run.scale",
            1.0,
            "fraction",
            0.001,
            1.0,
            "scenario",
            "Fraction of residents simulated; counts are scaled back up, capacity scaled down.",
        ),
        # --- population ----------------------------------------------------------------------
        _p(
            "population.trust_registered",
            0.55,
            "0-1",
            0.1,
            0.9,
            "estimate",
            "Mean trust in institutions of registered residents (Beta distributed).",
        ),
        _p(
            "population.trust_unregistered",
            0.30,
            "0-1",
            0.05,
            0.9,
            "estimate; source 001 (distrust of institutions)",
            "Mean trust in institutions of unregistered residents.",
        ),
        _p(
            "population.trust_labour_migrant",
            0.30,
            "0-1",
            0.05,
            0.9,
            "estimate, range 0.15-0.45; figures.md §B: low trust in and low awareness of Dutch services",
            "Mean trust in institutions (and awareness of services) of unregistered labour migrants.",
        ),
        _p(
            "population.trust_homeless",
            0.35,
            "0-1",
            0.05,
            0.9,
            "estimate, range 0.2-0.5; figures.md §B: high need, some contact through shelters",
            "Mean trust in institutions of homeless residents.",
        ),
        _p(
            "population.trust_undocumented",
            0.15,
            "0-1",
            0.02,
            0.9,
            "estimate, range 0.05-0.3; figures.md §B: undocumented residents avoid institutions",
            "Mean trust in institutions of undocumented residents.",
        ),
        _p(
            "population.trust_migration_shift",
            -0.05,
            "0-1",
            -0.3,
            0.3,
            "estimate; source 001",
            "Shift of mean trust for residents with a migration background.",
        ),
        _p(
            "population.network_mean",
            0.55,
            "0-1",
            0.1,
            0.9,
            "estimate",
            "Mean strength of a resident's own network (Beta distributed).",
        ),
        _p(
            "population.network_alone_shift",
            -0.15,
            "0-1",
            -0.4,
            0.0,
            "estimate; loneliness >50% (figures.md §A1)",
            "Shift of mean network strength for residents living alone.",
        ),
        _p(
            "population.network_unregistered_shift",
            -0.20,
            "0-1",
            -0.4,
            0.0,
            "estimate",
            "Shift of mean network strength for unregistered residents.",
        ),
        _p(
            "population.beta_concentration",
            6.0,
            "-",
            1.0,
            50.0,
            "estimate",
            "Concentration (a+b) of the Beta distributions for trust and network.",
        ),
        _p(
            "population.unregistered_alone",
            0.6,
            "share",
            0.0,
            1.0,
            "estimate",
            "Share of unregistered residents living alone (no household in the register).",
        ),
        _p(
            "population.unregistered_low_income",
            0.85,
            "share",
            0.0,
            1.0,
            "estimate",
            "Share of unregistered residents with a low income.",
        ),
        _p(
            "unregistered.position",
            0.5,
            "0-1",
            0.0,
            1.0,
            f"{F} §B (range per stadsdeel)",
            "Where in the per-stadsdeel uplift range the unregistered population lies (0 = low end).",
        ),
        _p(
            "unregistered.factor",
            1.0,
            "x",
            0.0,
            5.0,
            "scenario lever",
            "Multiplier on unregistered residents (2 = doubled by a housing crisis).",
        ),
        # --- space ---------------------------------------------------------------------------
        _p(
            "space.layout_seed",
            2026,
            "-",
            0,
            2**31 - 1,
            "scenario",
            "Seed of the synthetic geography (grid fields, Servicepunt XL sites); fixed across replications.",
        ),
        _p(
            "space.cells_per_wijk",
            16,
            "cells",
            1,
            400,
            "estimate",
            "Grid cells per wijk; a stadsdeel grid is about sqrt(wijken * cells_per_wijk) wide.",
        ),
        _p(
            "space.deprivation_contrast",
            1.0,
            "-",
            0.0,
            3.0,
            "estimate",
            "How strongly low income concentrates in deprived cells (0 = uniform).",
        ),
        _p(
            "space.overcrowding_contrast",
            2.0,
            "-",
            0.0,
            5.0,
            f"estimate; overcrowding signals {F} §B",
            "How strongly unregistered residents concentrate in overcrowded cells (0 = like density).",
        ),
        # --- demand --------------------------------------------------------------------------
        _p(
            "demand.episode_rate",
            0.041,
            "episodes/person/year",
            0.01,
            0.5,
            "estimate, prior range 0.03-0.06; set (issue 9) so that the 2026 baseline gives ~29,000 SPXL visits "
            "and ~100-120 unique clients per FTE (docs/validation.md); not identified by contacts alone",
            "Base hazard of a problem episode for an adult reference resident.",
        ),
        _p(
            "demand.rr_child",
            0.3,
            "x",
            0.0,
            2.0,
            "estimate (children's problems reach services via parents)",
            "Relative risk for ages 0-11.",
        ),
        _p("demand.rr_youth", 1.0, "x", 0.2, 3.0, "estimate", "Relative risk for ages 12-23."),
        _p("demand.rr_senior", 1.1, "x", 0.2, 3.0, "estimate", "Relative risk for ages 65-74."),
        _p("demand.rr_elderly", 1.5, "x", 0.2, 4.0, "estimate", "Relative risk for ages 75+."),
        _p(
            "demand.rr_low_income",
            2.0,
            "x",
            1.0,
            5.0,
            "estimate; source 004 table 2.1 (finances domain)",
            "Relative risk for residents with a low income.",
        ),
        _p(
            "demand.rr_alone",
            1.5,
            "x",
            1.0,
            4.0,
            "estimate; source 004 (loneliness, social domain)",
            "Relative risk for residents living alone.",
        ),
        _p("demand.rr_migration", 1.2, "x", 0.5, 3.0, "estimate", "Relative risk for a migration background."),
        _p(
            "demand.rr_unregistered",
            1.8,
            "x",
            0.5,
            5.0,
            "estimate; source 000 (unregistered strain services)",
            "Relative risk for unregistered residents.",
        ),
        _p(
            "demand.network_protection",
            0.3,
            "-",
            0.0,
            0.9,
            "estimate",
            "Hazard multiplier 1 - network_protection*network: a strong network prevents problems.",
        ),
        _p(
            "demand.self_solve_share",
            0.50,
            "share",
            0.0,
            0.95,
            "estimate, prior range 0.3-0.7 (not identified by counts; the LEV Deurne 57% of source 004 box 5.1 is a "
            "share of questions asked, see service.triage_solved_share and the figures.md reading note)",
            "Share of episodes solved by the resident or their network at an average network strength, before "
            "anyone asks for help.",
        ),
        _p(
            "demand.self_solve_network_effect",
            0.3,
            "share per unit network",
            0.0,
            1.0,
            "estimate",
            "Change of the self-solve probability per unit of network strength above or below its mean.",
        ),
        _p(
            "demand.seek_help_min",
            0.10,
            "probability",
            0.0,
            1.0,
            "estimate; source 001",
            "Probability of asking for help at trust 0 (of episodes not self-solved).",
        ),
        _p(
            "demand.seek_help_max",
            0.70,
            "probability",
            0.0,
            1.0,
            "estimate; source 001",
            "Probability of asking for help at trust 1.",
        ),
        _p(
            "demand.hidden_weeks",
            26.0,
            "weeks",
            1.0,
            260.0,
            "estimate",
            "Mean duration of an episode that is neither self-solved nor brought to a service point.",
        ),
        _p(
            "demand.contacts_mean",
            12.0,
            "contacts/trajectory",
            1.0,
            20.0,
            f"estimate, prior range 7-16, set so that today's counts fit (docs/validation.md): ~3.7 contacts per "
            f"help request; {F} §E: short episodes 3-6 contacts, 3 contacts per client-year (2-5)",
            "Mean number of contacts a trajectory needs, the first contact included (1 + negative binomial). "
            "Requests solved or referred at the first contact need that one contact only.",
        ),
        _p(
            "demand.contacts_dispersion",
            1.0,
            "-",
            0.1,
            20.0,
            f"estimate; {F} §E: 20-30% of clients account for >50% of contacts",
            "Negative-binomial shape k of extra contacts (smaller = more skewed).",
        ),
        _p(
            "demand.repeat_gap_weeks",
            2.0,
            "weeks",
            1.0,
            12.0,
            "estimate",
            "Mean weeks between two contacts of one episode (geometric).",
        ),
        _p(
            "demand.give_up_per_week",
            0.02,
            "probability/week",
            0.0,
            1.0,
            "estimate, range 0-0.05 (issue 9: the old 0.10 had no source)",
            "Probability per week of waiting (a full week or more) that a client stops for reasons other than the "
            "queue (moved, problem changed); walk-ins who leave a long queue follow demand.leave_pressure.",
        ),
        # --- service -------------------------------------------------------------------------
        _p(
            "service.hours_per_contact",
            2.5,
            "hours",
            0.5,
            8.0,
            f"estimate, prior range 1.75-3.25; {F} §E: 60-120 episodes per FTE a year at 3-6 contacts",
            "Worker hours one trajectory (follow-up) contact takes, including its preparation and reporting; the "
            "unit of contact_capacity.",
        ),
        _p(
            "service.client_time_share",
            0.65,
            "share",
            0.3,
            0.9,
            f"{F} §E: direct client time 60-70% of hours",
            "Share of contract hours available for client contacts.",
        ),
        _p(
            "service.sickness_absence",
            0.064,
            "share",
            0.0,
            0.3,
            f"{F} §C: 6.4% (2020)",
            "Probability that a worker is absent through sickness in a given week.",
        ),
        _p(
            "service.working_weeks",
            46.0,
            "weeks/year",
            36.0,
            52.0,
            "estimate (CAO leave)",
            "Weeks a year a worker is not on leave; spread evenly as an availability factor.",
        ),
        _p(
            "service.hours_per_fte",
            36.0,
            "hours/week",
            32.0,
            40.0,
            f"{F} §C1: CAO Sociaal Werk 36 h/week",
            "Contract hours of one FTE.",
        ),
        _p(
            "service.cost_per_fte",
            95000.0,
            "EUR/FTE/year",
            85000.0,
            105000.0,
            f"{F} §C1 (central, range 85k-105k)",
            "Integral cost of one FTE.",
        ),
        _p(
            "service.cost_growth",
            0.03,
            "1/year",
            0.0,
            0.1,
            f"estimate for 2026+; {F} §C1: CAO Sociaal Werk +7%, +4%, +4% in Jul 2023-Jul 2024 (≈7.6%/yr, a catch-up)",
            "Yearly growth of the integral cost per FTE (wage indexation), from the start year.",
        ),
        _p(
            "service.repeat_priority",
            True,
            "-",
            None,
            None,
            "estimate; case-manager queueing (figures.md §D)",
            "Workers see their ongoing clients before new requests.",
        ),
        _p(
            "service.engine",
            "weekly",
            "-",
            None,
            None,
            "model choice (issue 5: verification against queueing theory)",
            "weekly: whole contacts per week from a capacity in contacts (default); servers: each service point is a "
            "continuous-time FCFS queue with c servers in working hours (sim/servers.py).",
            choices=("weekly", "servers"),
        ),
        _p(
            "service.duration",
            "exponential",
            "-",
            None,
            None,
            "model choice (servers engine only)",
            "Distribution of a contact's duration in the servers engine, mean service.hours_per_contact.",
            choices=("exponential", "deterministic"),
        ),
        # --- triage, referral and walk-in waiting (issue 9) --------------------------------------
        _p(
            "service.hours_first_contact",
            0.75,
            "hours",
            0.25,
            8.0,
            "estimate, prior range 0.5-1.25: a walk-in question (information, a form, a short advice) takes "
            "less time than a trajectory contact",
            "Worker hours a first (triage) contact takes, including registration.",
        ),
        _p(
            "service.triage_solved_share",
            0.57,
            "share",
            0.0,
            0.95,
            "source 004 box 5.1: LEV Deurne, 57% of the questions asked needed only light guidance (figures.md "
            "reading note)",
            "Share of help requests solved at the first contact (information, a form, a short advice).",
        ),
        _p(
            "service.triage_referred_share",
            0.15,
            "share",
            0.0,
            0.9,
            "estimate, prior range 0.10-0.30: passing residents on is a main job of a Servicepunt XL (source 002); "
            "no count of referrals is published yet (the uniform registration from April 2026 will count them)",
            "Share of help requests referred at the first contact to another service (debt help, Wmo/wijkteam, "
            "GGZ, housing, youth care, income support); the rest become trajectories.",
        ),
        _p(
            "demand.leave_pressure",
            0.25,
            "1/week of work ahead",
            0.0,
            5.0,
            "estimate, prior range 0.1-0.5 (walk-in residents facing a queue; no Den Haag count yet)",
            "A walk-in resident not seen this week leaves with probability 1 - exp(-leave_pressure x weeks of "
            "work ahead of them x impatience); impatience = 1.5 - trust, halved for urgent problems (finances, "
            "housing).",
        ),
        _p(
            "demand.no_return_share",
            0.35,
            "probability",
            0.0,
            1.0,
            "estimate, prior range 0.1-0.6",
            "Chance that a resident who left the queue does not come back, at trust 0.5 (x (1.5 - trust)/1.0); "
            "the others return another day and queue again.",
        ),
        _p(
            "demand.return_gap_weeks",
            1.5,
            "weeks",
            1.0,
            12.0,
            "estimate",
            "Mean weeks before a resident who left the queue comes back (geometric, at least 1).",
        ),
        _p(
            "demand.gave_up_solved_alone",
            0.30,
            "share",
            0.0,
            1.0,
            "estimate, prior range 0.1-0.5",
            "Share of residents who gave up before a first contact whose problem was later solved without the "
            "Servicepunt XL; the rest stay unresolved (recorded as gave_up_unresolved).",
        ),
        # --- staffing levers -----------------------------------------------------------------
        _p(
            "staffing.individual_support_factor",
            1.0,
            "x",
            0.0,
            10.0,
            "scenario lever",
            "Multiplier on today's individual-support FTE in every stadsdeel.",
        ),
        _p(
            "staffing.area_based_factor",
            1.0,
            "x",
            0.0,
            10.0,
            "scenario lever",
            "Multiplier on today's area-based FTE (jongerenwerk, opbouwwerk, ouderenwerk).",
        ),
        # Per-area levers (issue 10): tables keyed by stadsdeel or Servicepunt XL name, on top of the factors above.
        _p(
            "staffing.individual_support_by_stadsdeel",
            {},
            "x per stadsdeel",
            0.0,
            10.0,
            "scenario lever",
            "Extra multiplier on individual-support FTE in the named stadsdelen only, e.g. { Laak = 2.0 }; "
            "stadsdelen not named keep 1.",
        ),
        _p(
            "staffing.area_based_by_stadsdeel",
            {},
            "x per stadsdeel",
            0.0,
            10.0,
            "scenario lever",
            "Extra multiplier on area-based FTE (all three types) in the named stadsdelen only.",
        ),
        _p(
            "staffing.individual_support_by_servicepunt",
            {},
            "x per Servicepunt XL",
            0.0,
            10.0,
            "scenario lever",
            "Extra multiplier on the individual-support FTE of the named Servicepunten XL only, e.g. "
            "{ \"SPXL Laak 1\" = 2.0 } (names: 'SPXL <stadsdeel> <n>', n = 1 .. its number of sites).",
        ),
        # --- budget path -----------------------------------------------------------------------
        _p(
            "budget.mode",
            "mandate",
            "-",
            None,
            None,
            "scenario lever",
            "mandate: staff stays at today's FTE x staffing levers; budget: FTE follows the budget path.",
            choices=("mandate", "budget"),
        ),
        _p(
            "budget.index",
            "sociale_basis",
            "-",
            None,
            None,
            f"{F} §C: budget line 'Sociale basis' 2024-2029",
            "How the welfare budget moves: with the sociale basis line (held at its last year after) or frozen.",
            choices=("sociale_basis", "frozen"),
        ),
        _p(
            "budget.ravijnjaar_year",
            2028,
            "year",
            2026,
            2040,
            "domain README: ravijnjaar postponed to 2028",
            "Year from which the extra national cut applies.",
        ),
        _p(
            "budget.ravijnjaar_cut",
            0.0,
            "fraction",
            0.0,
            0.6,
            "scenario lever",
            "Extra cut of the welfare budget from the ravijnjaar on.",
        ),
        _p(
            "budget.azwa_extra",
            0.0,
            "EUR/year",
            0.0,
            50e6,
            "scenario lever; domain README (AZWa 2025)",
            "Extra money for welfare staff each year from AZWa.",
        ),
        _p(
            "budget.indexation",
            "nominal",
            "-",
            None,
            None,
            f"{F} §C1 (CAO rises); scenario lever",
            "nominal: the budget path is in current euros (a freeze loses purchasing power as wages and prices rise); "
            "real: the path is compensated for wage and price growth (loon- en prijsbijstelling).",
            choices=("nominal", "real"),
        ),
        _p(
            "budget.price_growth",
            0.02,
            "1/year",
            0.0,
            0.06,
            "estimate: consumer prices ≈2%/yr (ECB target)",
            "Yearly growth of non-staff costs (accommodation, activities, volunteer support) from the start year.",
        ),
        _p(
            "budget.priority",
            "core_first",
            "-",
            None,
            None,
            "scenario lever; issue 10 (documented priority rule)",
            "How a short budget shrinks the work: core_first (accommodation, then individual support, then "
            "jongerenwerk in the most deprived stadsdelen, then the rest) or pro_rata (everything alike).",
            choices=("core_first", "pro_rata"),
        ),
        _p(
            "budget.protected_deprived_count",
            3,
            "stadsdelen",
            0,
            8,
            "scenario lever; highest low-income share",
            "How many most deprived stadsdelen have their jongerenwerk protected (priority tier 2).",
        ),
        # --- area-based need (sim/area_need.py) ----------------------------------------------------
        _p(
            "area_need.youth_general_share",
            0.5,
            "share",
            0.3,
            0.7,
            "estimate: jongerenwerk time for all youths",
            "Share of today's jongerenwerk that serves all youths 12-23; the rest is outreach to risk youths "
            "(12-23 with a low income).",
        ),
        _p(
            "area_need.community_general_share",
            0.5,
            "share",
            0.3,
            0.7,
            "estimate: opbouwwerk time city-wide",
            "Share of today's opbouwwerk that serves all residents; the rest serves residents of deprived wijken.",
        ),
        _p(
            "area_need.deprived_low_income",
            0.5,
            "share",
            0.4,
            0.6,
            f"estimate; {F} §A2: Morgenstond buurten 52-72% low income, Molenwijk ~2/3",
            "A cell counts as a deprived wijk when its expected low-income share is at least this.",
        ),
        _p(
            "area_need.youths_per_fte_deprived",
            514.0,
            "youths/FTE",
            350.0,
            700.0,
            f"source 003: Moerwijk 1,800 youths / 3.5 FTE ({F} Reading notes: population per FTE, not reach)",
            "Coverage target: youths 12-23 in deprived wijken per jongerenwerk FTE.",
        ),
        _p(
            "area_need.youths_per_fte_other",
            2150.0,
            "youths/FTE",
            1700.0,
            2600.0,
            f"{F} §E: NL average 1 FTE per 1,700-2,600 minors (E from S)",
            "Coverage target: youths 12-23 elsewhere per jongerenwerk FTE.",
        ),
        _p(
            "area_need.residents_per_fte_deprived",
            11500.0,
            "residents/FTE",
            8000.0,
            15000.0,
            f"estimate; {F} §E: 8,000-15,000 per opbouwwerk FTE in deprived wijken (no source found)",
            "Coverage target: residents of deprived wijken per opbouwwerk FTE.",
        ),
        _p(
            "area_need.residents_per_fte_other",
            25000.0,
            "residents/FTE",
            20000.0,
            35000.0,
            f"estimate; {F} §E: 25,000+ per opbouwwerk FTE elsewhere (no source found)",
            "Coverage target: other residents per opbouwwerk FTE.",
        ),
        # --- mechanisms (each off by default: off reproduces the foundation exactly) -------------
        _p(
            "drivers.enabled",
            False,
            "-",
            None,
            None,
            "issue 3",
            "Ten-year drivers: growth, ageing, living alone, housing, workforce.",
        ),
        _p(
            "drivers.growth_path",
            "municipal",
            "-",
            None,
            None,
            f"{F} §A1",
            "Registered population growth: municipal forecast, PBL/CBS forecast or none.",
            choices=("municipal", "pbl", "none"),
        ),
        _p(
            "drivers.growth_municipal",
            0.009,
            "1/year",
            0.0,
            0.03,
            f"{F} §A1: ~0.9%/yr (Bevolkingsprognose 2024)",
            "Yearly growth of the registered population on the municipal path.",
        ),
        _p(
            "drivers.growth_pbl",
            0.0125,
            "1/year",
            0.0,
            0.03,
            f"{F} §A1: ~1.25%/yr (PBL/CBS 2022-2035)",
            "Yearly growth on the PBL/CBS path.",
        ),
        _p(
            "drivers.target_year",
            2035,
            "year",
            2027,
            2050,
            f"{F} §A1",
            "Year the ageing and living-alone targets are reached.",
        ),
        _p(
            "drivers.elderly_share_end",
            0.20,
            "share",
            0.05,
            0.4,
            f"{F} §A1: ~20% aged 65+ in 2035 (PBL/CBS)",
            "Share of residents aged 65+ in the target year.",
        ),
        _p(
            "drivers.alone_share_end",
            0.25,
            "share",
            0.05,
            0.5,
            f"{F} §A1: ~1/4 of inhabitants living alone by 2035",
            "Share of residents living alone in the target year.",
        ),
        _p(
            "drivers.unregistered_factor_end",
            1.25,
            "x",
            0.5,
            5.0,
            "estimate; housing shortage (source 000, figures.md §B)",
            "Unregistered residents relative to the start, reached in unregistered_end_year (linear).",
        ),
        _p(
            "drivers.unregistered_end_year",
            2035,
            "year",
            2027,
            2050,
            "scenario",
            "Year the unregistered factor is reached.",
        ),
        _p(
            "drivers.turnover",
            0.12,
            "1/year",
            0.0,
            0.5,
            "estimate (sector turnover)",
            "Probability per year that a worker leaves (the post becomes vacant).",
        ),
        _p(
            "drivers.time_to_fill_weeks",
            12.0,
            "weeks",
            1.0,
            52.0,
            "estimate, range 6-26: source 004 §2, 54% of vacancies hard to fill, i.e. filled later (weeks to "
            "months; figures.md reading note)",
            "Mean weeks a post stays empty after its worker leaves (geometric); with 12% turnover a year about "
            "3% of posts are empty at any time.",
        ),
        _p(
            "prevention.enabled",
            False,
            "-",
            None,
            None,
            "issue 3",
            "Area-based work reaches residents and prevents episodes.",
        ),
        _p(
            "prevention.youth_reach_per_fte",
            100.0,
            "youths/FTE",
            40.0,
            250.0,
            "estimate: youths in regular contact per FTE. Not Moerwijk's 514 (1,800 / 3.5 FTE, source 003), which is "
            "the youth population per FTE; Cigarbox: workers reach only a fraction of it (figures.md reading notes)",
            "Youths (12-23) one jongerenwerk FTE keeps in regular contact in a year (reach, not population per FTE).",
        ),
        _p(
            "prevention.community_reach_per_fte",
            500.0,
            "residents/FTE",
            150.0,
            2000.0,
            f"estimate: participants in activities and initiatives; not the population per FTE ({F} §E: 8k-25k)",
            "Residents one opbouwwerk FTE keeps in regular contact in a year (reach, not population per FTE).",
        ),
        _p(
            "prevention.elderly_reach_per_fte",
            150.0,
            "residents/FTE",
            50.0,
            400.0,
            "estimate: elderly in regular contact (visits, groups) per ouderenwerk FTE",
            "Residents aged 65+ one ouderenwerk FTE keeps in regular contact in a year.",
        ),
        _p(
            "prevention.delay_weeks",
            26,
            "weeks",
            13,
            104,
            "estimate; source 004 §4.4.2: effects mostly show over time, interventions need time to work",
            "Delay before a reached resident starts fewer episodes.",
        ),
        _p(
            "prevention.effect",
            0.15,
            "share",
            0.05,
            0.4,
            "source 004 §4.4.2: small effects of 11-25% on participants (WODC: 13% for risk youths)",
            "Reduction of the episode hazard of a resident reached by jongerenwerk or ouderenwerk, after the delay.",
        ),
        _p(
            "prevention.community_effect",
            0.05,
            "share",
            0.0,
            0.15,
            "estimate: below the 11-25% of targeted work (source 004 §4.4.2); collective, less personal work",
            "Reduction of the episode hazard of a resident reached only by opbouwwerk.",
        ),
        _p(
            "prevention.network_boost",
            0.05,
            "0-1",
            0.0,
            0.5,
            "estimate",
            "Network strength added once to a reached resident.",
        ),
        _p(
            "prevention.signalling",
            0.30,
            "probability",
            0.0,
            1.0,
            "estimate; domain README mechanism 6",
            "Chance that a newly reached resident with hidden need now asks for help.",
        ),
        _p(
            "prevention.deprived_count",
            3,
            "stadsdelen",
            0,
            8,
            "scenario",
            "How many most deprived stadsdelen get the youth factor.",
        ),
        _p(
            "prevention.youth_factor_deprived",
            1.0,
            "x",
            0.0,
            10.0,
            "scenario lever (Moerwijk-style push)",
            "Multiplier on jongerenwerk posts (and so reach) in the most deprived stadsdelen, from the start year.",
        ),
        _p(
            "prevention.push_funding",
            "extra",
            "-",
            None,
            None,
            "scenario lever (issue 10: extra reach costs FTE)",
            "extra: the push's jongerenwerk posts are new posts with their cost; reallocate: they are taken from "
            "opbouwwerk and ouderenwerk in the same stadsdelen.",
            choices=("extra", "reallocate"),
        ),
        _p("informal.enabled", False, "-", None, None, "issue 3", "Informal organisations take up episodes."),
        _p(
            "informal.orgs_per_wijk",
            1.0,
            "orgs/wijk",
            0.0,
            10.0,
            "estimate; source 001",
            "Informal organisations per wijk.",
        ),
        _p(
            "informal.capacity_per_org",
            100.0,
            "episodes/year",
            0.0,
            2000.0,
            "estimate; source 001",
            "Episodes one informal organisation takes up in a year.",
        ),
        _p(
            "informal.renewal_probability",
            0.85,
            "1/year",
            0.0,
            1.0,
            "estimate; source 001 (one-year subsidies)",
            "Probability that an organisation's subsidy is renewed for the next year.",
        ),
        _p(
            "informal.renewal_probability_earmarked",
            0.95,
            "1/year",
            0.0,
            1.0,
            "estimate",
            "Renewal probability with an earmark.",
        ),
        _p(
            "informal.restart_probability",
            0.20,
            "1/year",
            0.0,
            1.0,
            "estimate",
            "Probability a closed organisation slot restarts.",
        ),
        _p(
            "informal.earmark",
            0.0,
            "share",
            0.0,
            0.5,
            "source 001: Rotterdam earmarks 10%",
            "Share of the area-based budget moved from staff to informal organisations.",
        ),
        _p(
            "informal.cost_per_episode",
            500.0,
            "EUR/episode",
            50.0,
            5000.0,
            "estimate",
            "What an earmarked euro buys: informal cost per episode taken up.",
        ),
        _p("deployment.enabled", False, "-", None, None, "issue 3", "Flexible deployment of individual-support hours."),
        _p(
            "deployment.policy",
            "flexible",
            "-",
            None,
            None,
            "scenario lever",
            "fixed: no moves; flexible: a pool follows pressure.",
            choices=("fixed", "flexible"),
        ),
        _p(
            "deployment.pool_share",
            0.3,
            "share",
            0.0,
            0.5,
            "scenario lever",
            "Share of each service point's capacity in the pool.",
        ),
        _p(
            "deployment.interval_weeks",
            1,
            "weeks",
            1,
            13,
            "scenario lever",
            "How often the pool is re-allocated (1 = weekly, 4 = monthly).",
        ),
        _p(
            "deployment.travel_overhead",
            0.10,
            "share",
            0.0,
            0.5,
            "estimate (a 20-40 min trip per 2.5 h contact block)",
            "Share of a moved contact's hours lost to travel and co-ordination (paid, not with clients).",
        ),
        _p(
            "deployment.stranger_penalty",
            0.15,
            "probability",
            0.0,
            0.3,
            "estimate (source 004 §4.4.4: relational factors explain ≈30% of outcome variation, which is not a "
            "30% lower success; figures.md reading notes)",
            "Chance that a follow-up contact with a worker who is not the client's own does not move the episode "
            "forward (first contacts carry no penalty).",
        ),
        _p("escalation.enabled", False, "-", None, None, "issue 3", "Late or missing help escalates into costly care."),
        _p(
            "escalation.p_no_help",
            0.16,
            "probability",
            0.05,
            0.3,
            ESC_CAL,
            "Escalation chance of a help request that got no help (gave up waiting); the counterfactual of a "
            "helped episode in the gross avoided cost.",
        ),
        _p(
            "escalation.p_never_reached",
            0.10,
            "probability",
            0.05,
            0.3,
            "estimate: below p_no_help, since problems that never reach a service include milder ones that fade "
            "(those who ask are the acute part); the common chance before p_no_help was raised",
            "Escalation chance of a hidden episode that ended without anyone's help; also the counterfactual "
            "of informal help (informal organisations take up hidden episodes first).",
        ),
        _p(
            "escalation.p_late",
            0.05,
            "probability",
            0.02,
            0.15,
            ESC_CAL,
            "Escalation chance when the first contact came late.",
        ),
        _p(
            "escalation.p_in_time", 0.02, "probability", 0.0, 0.08, ESC_CAL, "Escalation chance when help came in time."
        ),
        _p("escalation.late_weeks", 4, "weeks", 0, 52, "estimate", "A first contact after this many weeks is late."),
        _p(
            "escalation.cost_growth",
            0.03,
            "1/year",
            0.0,
            0.1,
            "estimate: care costs are mostly wages (as service.cost_growth)",
            "Yearly growth of the escalation unit costs from the start year.",
        ),
        _p(
            "escalation.cost_problem_debt",
            11600.0,
            "EUR/household-year",
            0.0,
            1e6,
            f"{F} §E: €8.5bn / 730k households (IBO 2024)",
            "Societal cost of a year of problem debt per household (payer: Rijk, estimate).",
        ),
        _p(
            "escalation.cost_eviction",
            16000.0,
            "EUR/participant",
            0.0,
            1e6,
            f"{F} §E: Bouwdepot ~€16k per participant",
            "Cost of an eviction / homelessness case (payer: gemeente).",
        ),
        _p(
            "escalation.cost_ggz",
            21000.0,
            "EUR/patient-year",
            0.0,
            1e6,
            f"{F} §E: €4.7bn / 220k EPA patients",
            "Cost of a year of severe mental-health (GGZ) care (payer: zorgverzekeraar).",
        ),
        _p(
            "escalation.cost_wmo",
            5100.0,
            "EUR/client-year",
            0.0,
            1e6,
            f"estimate from {F} §E: €5.48bn / ~60 per 1,000 of 17.9M",
            "Cost of a year of Wmo maatwerk provision (payer: gemeente).",
        ),
        _p(
            "escalation.cost_youth_care",
            9000.0,
            "EUR/client-year",
            0.0,
            1e6,
            f"{F} §E: ~€9k per youth client per year",
            "Cost of a year of youth care (payer: gemeente).",
        ),
        # --- escalation: durations and informal failure (issue 10) -----------------------------
        _p(
            "escalation.p_informal",
            0.05,
            "probability",
            0.02,
            0.12,
            "estimate (range between p_in_time and p_no_help): volunteers help, but miss or cannot solve more",
            "Escalation chance of an episode taken up by an informal organisation (informal help can fail).",
        ),
        _p(
            "escalation.light_factor",
            0.25,
            "x",
            0.0,
            1.0,
            "estimate: a question triage solves in one contact (service.triage_solved_share) is a light one",
            "Relative escalation chance of a help request that triage solves in one contact "
            "(dropped, late or in time).",
        ),
        _p(
            "escalation.years_problem_debt",
            2.0,
            "years",
            1.0,
            5.0,
            "estimate: a debt-counselling / Wsnp trajectory takes 1.5-3 years after years of building debt",
            "Years of problem-debt cost booked per escalation (unit cost is per household-year).",
        ),
        _p(
            "escalation.years_eviction",
            1.0,
            "years",
            1.0,
            2.0,
            f"{F} §E: Bouwdepot cost is per participant, one-off",
            "Multiplier on the eviction unit cost (1: it is a per-case, not an annual, cost).",
        ),
        _p(
            "escalation.years_ggz",
            1.5,
            "years",
            1.0,
            5.0,
            "estimate: escalated cases need 1-2 years of specialised care; few become lifelong EPA",
            "Years of severe mental-health care booked per escalation (unit cost is per patient-year).",
        ),
        _p(
            "escalation.years_wmo",
            2.0,
            "years",
            1.0,
            5.0,
            "estimate: Wmo maatwerk provisions run for years",
            "Years of Wmo maatwerk booked per escalation (unit cost is per client-year).",
        ),
        _p(
            "escalation.years_youth_care",
            1.0,
            "years",
            0.5,
            3.0,
            "estimate: most youth-care trajectories end within 1-2 years",
            "Years of youth care booked per escalation (unit cost is per client-year).",
        ),
    ]
}

# Prior ranges of the parameters that today's counts cannot identify (issue 9): `welzijnsim staffing` draws
# them by default (analysis/study/uncertainty.py), so its band covers what the data cannot pin down. Each lies inside
# the parameter's allowed range and contains its default; the table in docs/model.md shows them.
PRIORS: dict[str, tuple[float, float]] = {
    "demand.episode_rate": (0.03, 0.055),
    "demand.seek_help_max": (0.5, 0.85),
    "demand.self_solve_share": (0.35, 0.65),
    "demand.contacts_mean": (8.0, 16.0),
    "service.hours_per_contact": (1.75, 3.25),
    "service.hours_first_contact": (0.5, 1.25),
    "service.triage_referred_share": (0.10, 0.25),
    "demand.leave_pressure": (0.1, 0.5),
}


def defaults() -> dict[str, Any]:
    return {name: (dict(p.default) if isinstance(p.default, dict) else p.default) for name, p in PARAMETERS.items()}


# Per-area tables and what their keys name.
AREA_TABLES = {
    "staffing.individual_support_by_stadsdeel": "stadsdeel",
    "staffing.area_based_by_stadsdeel": "stadsdeel",
    "staffing.individual_support_by_servicepunt": "servicepunt",
}


def area_names(stadsdelen: list[str], sites: list[int]) -> dict[str, list[str]]:
    """Allowed keys of the per-area tables for a city: its stadsdelen and its Servicepunt XL names."""
    return {
        "stadsdeel": list(stadsdelen),
        "servicepunt": [f"SPXL {d} {k + 1}" for d, n in zip(stadsdelen, sites) for k in range(int(n))],
    }


def check_area_tables(values: dict[str, Any], stadsdelen: list[str], sites: list[int]) -> list[tuple[str, str, str]]:
    """(parameter, bad key, allowed names) for every key of a per-area table that the city does not have."""
    allowed = area_names(stadsdelen, sites)
    bad = []
    for name, what in AREA_TABLES.items():
        for key in values.get(name) or {}:
            if key not in allowed[what]:
                bad.append((name, key, ", ".join(allowed[what])))
    return bad


class Resolved(dict):
    """Every parameter's value, checked against the table: what `resolve` returns.

    A plain dict given to `resolve` is checked entry by entry; a `Resolved` that `resolve` made is only
    copied. So values are checked once where they are merged (the scenario loader, a staffing search),
    not again by each of the ~35 model runs of a search. Changing an entry drops the mark (`checked`),
    so a changed dict is checked again; `dict(r)` and `{**r, ...}` are plain dicts and are checked too.
    """

    __slots__ = ("checked",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checked = False

    def __reduce__(self):
        # Pickled to worker processes with the mark (by default pickle would set the items through
        # __setitem__, which drops it).
        return (_resolved, (dict(self), self.checked))

    def _changed(self) -> None:
        self.checked = False

    def __setitem__(self, key, value):
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._changed()
        super().__delitem__(key)

    def __ior__(self, other):
        self._changed()
        return super().__ior__(other)

    def update(self, *args, **kwargs):
        self._changed()
        super().update(*args, **kwargs)

    def pop(self, *args):
        self._changed()
        return super().pop(*args)

    def popitem(self):
        self._changed()
        return super().popitem()

    def setdefault(self, key, default=None):
        self._changed()
        return super().setdefault(key, default)

    def clear(self):
        self._changed()
        super().clear()


def _resolved(values: dict, checked: bool) -> Resolved:
    out = Resolved(values)
    out.checked = checked
    return out


def resolve(overrides: dict[str, Any] | None = None) -> Resolved:
    """Every parameter: the defaults updated with `overrides`, each override checked against the table.

    The one place where defaults and set values are merged (scenario files, --set, studies and the model
    all come here). A `Resolved` from an earlier call is returned as a copy without checking it again."""
    if isinstance(overrides, Resolved) and overrides.checked:
        # A fresh copy (per-area tables too): the caller's dict and the model's never share a table.
        return _resolved({k: dict(v) if isinstance(v, dict) else v for k, v in overrides.items()}, True)
    values = defaults()
    for name, value in (overrides or {}).items():
        if name not in PARAMETERS:
            raise KeyError(f"unknown parameter '{name}'")
        values[name] = PARAMETERS[name].check(value)
    return _resolved(values, True)


def markdown_table() -> str:
    """The parameter table as Markdown, as it appears in docs/model.md."""
    rows = ["| Parameter | Default | Unit | Range | Source | Meaning |", "|---|---|---|---|---|---|"]
    for p in PARAMETERS.values():
        rng = p.allowed.replace("|", "/") if p.choices else ("–" if p.low is None else f"{p.low} – {p.high}")
        if p.name in PRIORS:  # issue 9: the range `welzijnsim staffing` draws from
            rng += f"; **prior {PRIORS[p.name][0]} – {PRIORS[p.name][1]}**"
        rows.append(f"| `{p.name}` | {p.default} | {p.unit} | {rng} | {p.source} | {p.doc} |")
    return "\n".join(rows)


# --- the parameter table in docs/model.md ------------------------------------------------------
DOCS_START = "<!-- parameters:start -->"
DOCS_END = "<!-- parameters:end -->"


def replace_docs_table(text: str) -> str:
    """`text` with everything between the parameter markers replaced by `docs_block()`."""
    start, end = text.find(DOCS_START), text.find(DOCS_END)
    if start < 0 or end < start:
        raise ValueError(f"markers {DOCS_START} ... {DOCS_END} not found (in this order)")
    return text[: start + len(DOCS_START)] + "\n" + docs_block() + "\n" + text[end:]


def docs_block() -> str:
    """What docs/model.md holds between the parameter markers: the table, then where each parameter acts."""
    from sim.parameter_uses import markdown_uses

    return (
        markdown_table() + "\n\n#### Where each parameter acts\n\nThe modules of `sim/` that read each "
        "parameter (found in their source when this section is written) and the effects that are not "
        "obvious from them.\n\n" + markdown_uses(list(PARAMETERS))
    )


def write_docs(path: str) -> bool:
    """Rewrite the parameter table in the Markdown file at `path`; True if the file changed."""
    from pathlib import Path

    doc = Path(path)
    old = doc.read_text(encoding="utf-8")
    new = replace_docs_table(old)
    if new != old:
        doc.write_text(new, encoding="utf-8")
    return new != old


def _main(argv: list[str] | None = None) -> int:
    """``python -m sim.parameters`` prints the table; ``--write-docs docs/model.md`` updates it in place;
    ``--check docs/model.md`` exits 1 if the table there is out of date."""
    import argparse
    from pathlib import Path

    # Run as ``python -m sim.parameters`` this file is module ``__main__``, a second copy next to the
    # ``sim.parameters`` that the package imported. Use that one, so the table is the model's own.
    from sim import parameters as canonical

    ap = argparse.ArgumentParser(prog="python -m sim.parameters", description=_main.__doc__)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--write-docs", metavar="FILE", help="replace the table between the markers in FILE")
    group.add_argument("--check", metavar="FILE", help="exit 1 if the table in FILE is out of date")
    args = ap.parse_args(argv)
    if args.write_docs:
        changed = canonical.write_docs(args.write_docs)
        print(f"{args.write_docs}: parameter table {'updated' if changed else 'already up to date'}")
    elif args.check:
        text = Path(args.check).read_text(encoding="utf-8")
        if canonical.replace_docs_table(text) != text:
            print(
                f"{args.check}: parameter table is out of date; run python -m sim.parameters --write-docs {args.check}"
            )
            return 1
        print(f"{args.check}: parameter table is up to date")
    else:
        print(canonical.markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
