"""The levers and uncertainties a workshop moves, and their tooltips from the parameter table.

Each lever is one parameter of `sim.parameters.PARAMETERS`; its range comes from that table (narrowed to
what a workshop needs where the table's range is a technical limit), and its tooltip gives the unit,
the allowed range and the source, so every number on screen has the same definition as in a scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.parameters import PARAMETERS


@dataclass(frozen=True)
class Lever:
    name: str  # dotted parameter name
    nl: str  # label in Dutch
    en: str  # label in English
    kind: str  # "slider", "switch", "select" or "area" (one slider per area of a per-area table)
    low: float | None = None  # slider range (within the parameter's allowed range)
    high: float | None = None
    step: float | None = None
    group: str = "levers"  # "levers" or "uncertain"
    short_nl: str = ""  # per-area levers: what the factor multiplies, for the summary line ("Laak: ... ×2,0")
    short_en: str = ""

    @property
    def parameter(self):
        return PARAMETERS[self.name]

    def label(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en

    def tooltip(self, lang: str) -> str:
        p = self.parameter
        rng = p.allowed if p.choices or p.low is None else f"{p.low:g} – {p.high:g}"
        default = p.default
        if isinstance(default, dict) and not default:  # an empty table reads as 1 everywhere
            default = "1 (geen stadsdeel genoemd)" if lang == "nl" else "1 (no stadsdeel named)"
        if lang == "nl":
            return f"{p.doc} Eenheid: {p.unit}; bereik: {rng}; standaard: {default}; bron: {p.source}."
        return f"{p.doc} Unit: {p.unit}; range: {rng}; default: {default}; source: {p.source}."

    def short(self, lang: str) -> str:
        return self.short_nl if lang == "nl" else self.short_en


LEVERS: tuple[Lever, ...] = (
    Lever(
        "staffing.individual_support_factor",
        "FTE individuele ondersteuning (× vandaag)",
        "Individual-support FTE (× today)",
        "slider",
        0.5,
        3.0,
        0.05,
    ),
    Lever(
        "staffing.area_based_factor",
        "FTE gebiedsgericht werk (× vandaag)",
        "Area-based FTE (× today)",
        "slider",
        0.5,
        3.0,
        0.05,
    ),
    Lever(
        "deployment.enabled",
        "Flexibele inzet tussen Servicepunten XL",
        "Flexible deployment between Servicepunten XL",
        "switch",
    ),
    Lever(
        "deployment.pool_share", "Flexibel deel van de uren", "Flexible share of the hours", "slider", 0.0, 0.5, 0.05
    ),
    Lever("budget.mode", "Budget bepaalt de formatie", "Budget sets the staffing", "switch"),
    Lever("budget.index", "Budget bevroren (geen indexatie)", "Budget frozen (no indexation)", "switch"),
    Lever(
        "budget.ravijnjaar_cut",
        "Extra bezuiniging vanaf ravijnjaar",
        "Extra cut from the ravijnjaar",
        "slider",
        0.0,
        0.6,
        0.05,
    ),
    Lever(
        "prevention.youth_factor_deprived",
        "Preventie-impuls jongerenwerk (× in kwetsbare stadsdelen)",
        "Prevention push: youth work (× in deprived stadsdelen)",
        "slider",
        1.0,
        5.0,
        0.5,
    ),
    Lever(
        "informal.earmark",
        "Oormerk voor informele organisaties (deel budget)",
        "Earmark for informal organisations (budget share)",
        "slider",
        0.0,
        0.5,
        0.05,
    ),
    Lever(
        "unregistered.factor",
        "Niet-ingeschrevenen (× schatting)",
        "Unregistered residents (× estimate)",
        "slider",
        0.5,
        3.0,
        0.1,
        group="uncertain",
    ),
    Lever(
        "unregistered.position",
        "Positie in de bandbreedte niet-ingeschrevenen",
        "Position in the unregistered range",
        "slider",
        0.0,
        1.0,
        0.1,
        group="uncertain",
    ),
    Lever(
        "demand.episode_rate",
        "Probleemepisodes per persoon per jaar",
        "Problem episodes per person per year",
        "slider",
        0.05,
        0.2,
        0.01,
        group="uncertain",
    ),
)
# FTE per stadsdeel (issue 11): on top of the city-wide factors above, as sim.model._staffing applies them.
AREA_LEVERS: tuple[Lever, ...] = (
    Lever(
        "staffing.individual_support_by_stadsdeel",
        "FTE individuele ondersteuning in {area} (×)",
        "Individual-support FTE in {area} (×)",
        "area",
        0.5,
        3.0,
        0.1,
        short_nl="individuele ondersteuning",
        short_en="individual support",
    ),
    Lever(
        "staffing.area_based_by_stadsdeel",
        "FTE gebiedsgericht werk in {area} (×)",
        "Area-based FTE in {area} (×)",
        "area",
        0.5,
        3.0,
        0.1,
        short_nl="gebiedsgericht werk",
        short_en="area-based work",
    ),
)
BY_NAME = {lever.name: lever for lever in LEVERS + AREA_LEVERS}


def area_summary(settings, lang: str) -> list[str]:
    """One line per stadsdeel whose FTE differs from 1: "Laak: individuele ondersteuning ×2,0; ...", in the
    city's order, so the room sees every per-stadsdeel change at once (the sliders show one stadsdeel)."""
    from app import fmt

    moved: dict[str, list[str]] = {}
    for lever in AREA_LEVERS:
        for area, factor in settings.value(lever.name):
            moved.setdefault(area, []).append(f"{lever.short(lang)} ×{fmt.number(factor, lang, 1)}")
    order = {a: i for i, a in enumerate(settings.area_names())}
    return [f"{a}: {'; '.join(parts)}" for a, parts in sorted(moved.items(), key=lambda kv: order.get(kv[0], 99))]


# Switches over choice parameters: which value "on" means.
SWITCH_ON = {"budget.mode": "budget", "budget.index": "frozen"}
SWITCH_OFF = {"budget.mode": "mandate", "budget.index": "sociale_basis"}


def switch_state(name: str, value) -> bool:
    return value == SWITCH_ON[name] if name in SWITCH_ON else bool(value)


def switch_value(name: str, on: bool):
    if name in SWITCH_ON:
        return SWITCH_ON[name] if on else SWITCH_OFF[name]
    return bool(on)
