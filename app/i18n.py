"""Every text of the app in Dutch (the default) and English. Domain proper nouns stay Dutch in both."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # page
    "title": ("welzijnsim — werkplaats Den Haag", "welzijnsim — Den Haag workshop"),
    "switch_lang": ("English", "Nederlands"),
    "intro": (
        "Wat als? Kies een scenario, verschuif de knoppen en vergelijk. Uitkomsten zijn bandbreedtes onder "
        "de genoemde aannames, geen voorspelling.",
        "What if? Pick a scenario, move the levers and compare. Results are ranges under the stated "
        "assumptions, not a forecast.",
    ),
    "preset": ("Scenario", "Scenario"),
    "question": ("Vraag", "Question"),
    "levers": ("Knoppen", "Levers"),
    "uncertain": ("Onzekerheden", "Uncertainties"),
    "area_levers": ("FTE per stadsdeel", "FTE per stadsdeel"),
    "area_pick": ("Stadsdeel", "Stadsdeel"),
    "area_changed": ("Aangepast", "Changed"),
    "area_none": ("geen stadsdeel", "no stadsdeel"),
    "run_size": ("Omvang van de run", "Run size"),
    "scale": ("Steekproeffractie inwoners", "Sample fraction of residents"),
    "scale_tip": (
        "Deel van de inwoners dat gesimuleerd wordt; aantallen worden teruggeschaald naar de hele stad. "
        "Onder 0,2 worden wachttijden te kort (docs/verification.md); gebruik 1,0 voor cijfers die u "
        "rapporteert.",
        "Fraction of residents simulated; counts are scaled back to the whole city. Below 0.2 waits come "
        "out too short (docs/verification.md); use 1.0 for numbers you report.",
    ),
    "years": ("Jaren", "Years"),
    "replications": ("Replicaties (voor de 10–90%-banden)", "Replications (for the 10–90% bands)"),
    "too_big": ("Te grote run voor deze machine", "Run too large for this machine"),
    "run": ("Doorrekenen", "Run"),
    "pause": ("Pauze", "Pause"),
    "step": ("Stap", "Step"),
    "reset": ("Herstel", "Reset"),
    "step_tip": ("Eén replicatie extra doorrekenen", "Run one more replication"),
    "pause_tip": (
        "Stoppen na de lopende replicaties; doorrekenen gaat verder waar het bleef",
        "Stop after the running replications; Run continues where it stopped",
    ),
    "reset_tip": ("Knoppen terug naar het gekozen scenario", "Levers back to the chosen scenario"),
    "running": ("Bezig: replicatie {done} van {total}", "Running: replication {done} of {total}"),
    "done_in": ("Klaar: {done} replicatie(s) in {sec} s", "Done: {done} replication(s) in {sec} s"),
    "paused": ("Gepauzeerd na {done} van {total} replicaties", "Paused after {done} of {total} replications"),
    "no_run": ("Nog geen uitkomsten: klik op Doorrekenen.", "No results yet: click Run."),
    "stale": (
        "De knoppen zijn veranderd sinds deze uitkomsten; ze worden opnieuw berekend.",
        "The levers changed since these results; they are being recalculated.",
    ),
    "history": ("Geschiedenis", "History"),
    "history_empty": ("Nog geen runs.", "No runs yet."),
    "restore": ("Terug naar", "Back to"),
    "pin_a": ("Vastzetten als A", "Pin as A"),
    "pin_tip": (
        "Zet deze instelling vast als A; vergelijk daarna met de huidige instelling (B), met dezelfde seeds",
        "Pin this setting as A; then compare with the current setting (B), with the same seeds",
    ),
    "year": ("Jaar", "Year"),
    "level": ("Niveau", "Level"),
    "lvl_stadsdeel": ("Stadsdelen", "Stadsdelen"),
    "lvl_sp": ("Servicepunten XL", "Servicepunten XL"),
    # tabs
    "tab_key": ("Kerncijfers", "Key figures"),
    "tab_series": ("Tijdreeksen", "Time series"),
    "tab_map": ("Kaart", "Map"),
    "tab_staff": ("Formatie en kosten", "Staffing and cost"),
    "tab_observed": ("Gemeten of werkelijk", "Observed or true"),
    "tab_compare": ("Vergelijken", "Compare"),
    "tab_export": ("Meenemen", "Take home"),
    # key figures
    "key_intro": (
        "Stad Den Haag in {year}, gemiddelde over {n} replicatie(s), tegenover de basis (baseline) met "
        "dezelfde omvang en seeds.",
        "City of Den Haag in {year}, mean of {n} replication(s), against the baseline at the same size and seeds.",
    ),
    "col_figure": ("Kengetal", "Figure"),
    "col_this": ("Deze instelling", "This setting"),
    "col_baseline": ("Basis", "Baseline"),
    "col_diff": ("Verschil", "Difference"),
    "k_help_requests": ("Hulpvragen per jaar", "Help requests per year"),
    "k_unique_clients": ("Unieke cliënten per jaar", "Unique clients per year"),
    "k_seen_10": ("Binnen 10 werkdagen gezien", "Seen within 10 working days"),
    "k_mean_wait": ("Gemiddelde wachttijd (weken)", "Mean wait (weeks)"),
    "k_dropped": ("Afgehaakt voor eerste contact", "Gave up before a first contact"),
    "k_fte_ind": ("FTE individuele ondersteuning (formatie)", "Individual-support FTE (staffed)"),
    "k_need_fte": ("FTE nodig voor de vraag", "FTE the demand needs"),
    "k_fte_area": ("FTE gebiedsgericht werk", "Area-based FTE"),
    "k_fte_area_need": (
        "FTE gebiedsgericht nodig (norm per doelgroep)",
        "Area-based FTE needed (norm per target group)",
    ),
    "k_cost": ("Kosten professioneel welzijnswerk", "Cost of professional welfare work"),
    "k_escalations": ("Escalaties naar zware zorg", "Escalations into costly care"),
    "k_escalation_cost": ("Kosten van escalatie", "Cost of escalation"),
    # series
    "series_intro": (
        "Stad per jaar: lijn = gemiddelde, band = 10–90% over de replicaties.",
        "City by year: line = mean, band = 10–90% over the replications.",
    ),
    "s_help_requests": ("Hulpvragen per jaar", "Help requests per year"),
    "s_unique_clients": ("Unieke cliënten per jaar", "Unique clients per year"),
    "s_seen_10": ("Binnen 10 werkdagen gezien (%)", "Seen within 10 working days (%)"),
    "s_fte": ("FTE individuele ondersteuning: nodig vs vandaag", "Individual-support FTE: needed vs today"),
    "s_cost": ("Kosten (€ mln per jaar)", "Cost (€ M per year)"),
    "fte_needed": ("nodig", "needed"),
    "fte_staffed": ("formatie", "staffed"),
    # tables
    "col_area": ("Stadsdeel", "Stadsdeel"),
    "col_sp": ("Servicepunt XL", "Servicepunt XL"),
    "c_fte_ind": ("FTE individueel (formatie)", "FTE individual (staffed)"),
    "c_need_fte": ("FTE individueel nodig", "FTE individual needed"),
    "c_fte_area": ("FTE gebiedsgericht", "FTE area-based"),
    "c_fte_area_need": ("FTE gebiedsgericht nodig", "FTE area-based needed"),
    "c_cost": ("Kosten (€)", "Cost (€)"),
    "c_help_requests": ("Hulpvragen", "Help requests"),
    "c_unique_clients": ("Unieke cliënten", "Unique clients"),
    "c_mean_wait": ("Wachttijd (weken)", "Wait (weeks)"),
    "c_seen_10": ("Binnen 10 werkdagen", "Within 10 working days"),
    "c_registered": ("Ingeschreven inwoners (BRP)", "Registered residents (BRP)"),
    "c_actual": ("Werkelijke inwoners (geschat)", "Actual residents (estimated)"),
    "c_observed_contacts": ("Getelde contacten", "Counted contacts"),
    "c_contacts_needed": ("Benodigde contacten (vraag)", "Contacts needed (demand)"),
    "c_norm_fte": ("FTE volgens norm per inwoner", "FTE by per-capita norm"),
    "staff_intro": (
        "Formatie, behoefte en kosten in {year} (gemiddelde over replicaties). Individuele "
        "ondersteuning per Servicepunt XL; gebiedsgericht werk per stadsdeel.",
        "Staffing, need and cost in {year} (mean over replications). Individual support per "
        "Servicepunt XL; area-based work per stadsdeel.",
    ),
    "observed_intro": (
        "Wat de gemeente ziet (getelde contacten, een norm per ingeschreven inwoner) naast wat de "
        "simulatie weet (alle hulpvragen, ook van niet-ingeschrevenen), {year}.",
        "What the municipality sees (counted contacts, a norm per registered resident) next to what "
        "the simulation knows (every help request, also from unregistered residents), {year}.",
    ),
    "obs_norm": ("norm uit tellingen", "norm from counts"),
    "obs_need": ("gesimuleerde behoefte", "simulated need"),
    "obs_title": ("FTE individuele ondersteuning per stadsdeel", "Individual-support FTE per stadsdeel"),
    # map
    "map_layer": ("Kaartlaag", "Map layer"),
    "map_intro": (
        "De acht stadsdelen als rasters (schematisch, niet op schaal); ○ = Servicepunt XL. Lagen per cel "
        "of per verzorgingsgebied van een Servicepunt XL, {year}.",
        "The eight stadsdelen as their grids (schematic, not to scale); ○ = Servicepunt XL. Layers per "
        "cell or per Servicepunt XL catchment, {year}.",
    ),
    "layer_demand": ("Vraag: hulpvragen per 1.000 inwoners", "Demand: help requests per 1,000 residents"),
    "layer_waiting": ("Wachttijd (weken)", "Waiting (weeks)"),
    "layer_unregistered": ("Aandeel niet-ingeschreven", "Unregistered share"),
    "layer_reach": ("Bereik gebiedsgericht werk (jongeren/ouderen)", "Reach of area work (youth/elderly)"),
    "layer_escalation": ("Escalaties per 1.000 inwoners", "Escalations per 1,000 residents"),
    "layer_density": ("Bevolkingsdichtheid (relatief)", "Population density (relative)"),
    "layer_deprivation": ("Achterstand (relatief)", "Deprivation (relative)"),
    "map_no_reach": (
        "Preventie staat uit in deze instelling: geen bereik.",
        "Prevention is off in this setting: no reach.",
    ),
    # compare
    "compare_intro": (
        "A en B met dezelfde seeds, dus het verschil komt door de knoppen, niet door toeval.",
        "A and B with the same seeds, so the difference is the levers, not noise.",
    ),
    "compare_none": (
        "Zet eerst een instelling vast als A (knop links), verander dan de knoppen.",
        "First pin a setting as A (button on the left), then move the levers.",
    ),
    "compare_seeds": (
        "Let op: A en B hebben andere seeds (ander basisscenario).",
        "Note: A and B have different seeds (other base scenario).",
    ),
    "setting_a": ("Instelling A", "Setting A"),
    "setting_b": ("Instelling B (huidig)", "Setting B (current)"),
    # export
    "export_intro": (
        "Neem mee: grafieken (PNG), tabellen (CSV en werkplaats-XLSX), de instelling als scenario "
        "(TOML, voor welzijnsim run) en een verslag van deze sessie (HTML).",
        "Take home: charts (PNG), tables (CSV and workshop XLSX), the setting as a scenario (TOML, for "
        "welzijnsim run) and a debrief of this session (HTML).",
    ),
    "dl_toml": ("Scenario (TOML)", "Scenario (TOML)"),
    "dl_csv": ("Tabel per stadsdeel (CSV)", "Table per stadsdeel (CSV)"),
    "dl_xlsx": ("Werkplaats-tabellen (XLSX)", "Workshop tables (XLSX)"),
    "dl_debrief": ("Verslag (HTML)", "Debrief (HTML)"),
    "dl_series_png": ("Tijdreeksen (PNG)", "Time series (PNG)"),
    "dl_map_png": ("Kaart (PNG)", "Map (PNG)"),
    "dl_observed_png": ("Gemeten of werkelijk (PNG)", "Observed or true (PNG)"),
    "on": ("aan", "on"),
    "off": ("uit", "off"),
}


def tr(key: str, lang: str, **kw) -> str:
    """The text for `key` in `lang` ("nl" or "en"), with {placeholders} filled."""
    nl, en = TEXTS[key]
    text = nl if lang == "nl" else en
    return text.format(**kw) if kw else text
