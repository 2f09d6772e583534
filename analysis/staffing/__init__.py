"""Staff and money: what an unchanged mandate needs, what a budget buys, and what levers cost.

staffing.py         the FTE search per Servicepunt XL and year to meet a service level; its printed tables
budget.py           tables of a budget-mode study: what the money makes realistic
area_need.py        tables of the area-based need (jongerenwerk, opbouwwerk, ouderenwerk)
tables.py           the printed tables of `welzijnsim run`
levers.py           a lever's price and its net and gross benefit, from paired runs
scenario_report.py  the numbers of docs/scenarios.md (`python -m analysis.staffing.scenario_report`)

Modules inside `analysis` import the module that defines a name, never this package; the names below are
for scripts and notebooks.
"""

from analysis.staffing.staffing import SearchResult, Target, search_fte, staffing_table

__all__ = ["SearchResult", "Target", "search_fte", "staffing_table"]
