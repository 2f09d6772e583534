"""Report texts: Dutch (default) and English. Domain proper nouns (stadsdeel, Servicepunt XL) stay Dutch."""

from __future__ import annotations

METRICS_NL = {
    "fte_total_needed": "FTE nodig (totaal)", "fte_individual_needed": "FTE individuele ondersteuning nodig",
    "fte_individual_today": "FTE individuele ondersteuning nu", "fte_area_based": "FTE gebiedsgericht (nu x hefbomen)",
    "cost_total_eur": "kosten (mln euro)", "cost_eur": "personeelskosten (mln euro)", "fte_total": "FTE betaald (totaal)",
    "fte_individual_support": "FTE individuele ondersteuning", "need_fte": "FTE nodig voor de vraag (ind. ondersteuning)",
    "budget_eur": "budget (mln euro)", "share_within_target": "aandeel binnen 10 werkdagen",
    "mean_wait_weeks": "gem. wachttijd (weken)", "dropped_first": "afgehaakt voor eerste contact",
}
METRICS_EN = {
    "fte_total_needed": "FTE needed (total)", "fte_individual_needed": "FTE individual support needed",
    "fte_individual_today": "FTE individual support today", "fte_area_based": "FTE area-based (today x levers)",
    "cost_total_eur": "cost (EUR M)", "cost_eur": "staff cost (EUR M)", "fte_total": "FTE paid (total)",
    "fte_individual_support": "FTE individual support", "need_fte": "FTE the demand needs (individual support)",
    "budget_eur": "budget (EUR M)", "share_within_target": "share within 10 working days",
    "mean_wait_weeks": "mean wait (weeks)", "dropped_first": "gave up before a first contact",
}

TEXT = {
    "nl": {
        "contents": "Inhoud", "footer": "Gemaakt met welzijnsim. Dit bestand is op zichzelf staand: alle figuren zitten "
        "erin, er wordt niets van internet geladen.",
        "subtitle": "Rapport van {date}, code {version}, studie {dir}",
        "title_staffing": "Benodigde formatie welzijnswerk: {scenario}",
        "title_simulate": "Welzijnswerk Den Haag: {scenario}",
        "title_sensitivity": "Welke aannames bepalen het antwoord? Gevoeligheidsanalyse van {scenario}",
        "reproduce": "Reproduceren: scenario, seeds en codeversie", "scenario": "Scenario", "kind": "Soort studie",
        "study_seed": "Studieseed", "seeds": "Seeds per replicatie",
        "seeds_sensitivity": "{n} runs; {reps} replicaties per ontwerppunt met gemeenschappelijke random numbers; "
        "{distinct} verschillende seeds (de dummyfactor verschuift de seed)",
        "study_code": "Code van de studie", "report_code": "Code van dit rapport", "created": "Studie gemaakt",
        "versions": "Pakketversies", "what": "Wat", "value": "Waarde",
        "reproduce_hint": "Alle invoer staat in {dir}/manifest.json; runs.parquet geeft per run de seed en elke "
        "parameterwaarde.",
        "assumptions": "Aannames: alle parameterwaarden", "assumptions_intro": "Elke parameter van het model met zijn "
        "waarde in deze studie, eenheid en bron. 'Schatting' betekent: geen harde bron, daarom heeft de parameter een "
        "bereik in docs/model.md.",
        "varied": "gevarieerd", "base": "basis", "parameter": "Parameter", "unit": "Eenheid", "source": "Bron",
        "estimate": "Schatting", "yes": "ja", "no": "nee",
        "answer_staffing": "Het antwoord: benodigde FTE en euro's ({name})",
        "answer_simulate": "Uitkomsten per jaar ({name})",
        "answer_text_staffing": "Om de servicenorm te halen zijn in {first} {a} FTE nodig en in {last} {b} FTE "
        "(mediaan [p10 – p90] over {n} replicaties). Kosten: {ca} mln euro in {first}, {cb} mln euro in {last}.",
        "answer_text_simulate": "Betaalde formatie: {a} FTE in {first}, {b} FTE in {last} (mediaan [p10 – p90] over "
        "{n} replicaties). Personeelskosten: {ca} mln euro in {first}, {cb} mln euro in {last}.",
        "bands_note": "Banden: mediaan [p10 – p90] over replicaties (en over onzekere parameters als die gevarieerd zijn).",
        "year": "Jaar", "metric": METRICS_NL, "city_by_year": "Stad per jaar", "city_fig": "Stad: FTE per jaar",
        "areas": "Per stadsdeel en Servicepunt XL, elk jaar ({name})", "sd_fte": "Per stadsdeel: {metric}",
        "sd_cost": "Per stadsdeel: kosten (mln euro)", "sp_fte": "Per Servicepunt XL: {metric}",
        "fans": "Waaierdiagrammen en kaarten ({name})", "today": "nu", "fan_title": "{metric} per stadsdeel",
        "fan_caption": "Waaierdiagram per stadsdeel: mediaan en p10 – p90",
        "map_title": "Servicepunten XL per stadsdeel, {year}", "map_value": "kleur: deprivatie (synthetisch raster); "
        "cirkel en getal: {metric}",
        "map_caption": "Kaart per stadsdeel (synthetisch raster van het model, geen echte plattegrond)",
        "dummy": "dummy (ruisvloer)", "drivers": "{outcome}{year} hangt vooral af van: {drivers}.",
        "none": "geen factor boven de ruisvloer", "below_floor": "Niet te onderscheiden van toeval: {factors}.",
        "sens_summary": "Samenvatting: welke aannames bepalen het antwoord",
        "no_headline": "De hoofduitkomst (benodigde FTE) is niet in deze studie.",
        "method_note": "Methode {method}: {points} ontwerppunten x {reps} replicaties = {runs} runs; index {main}. "
        "Een factor telt mee als zijn index boven die van de dummyfactor (plus betrouwbaarheidsinterval) ligt: de "
        "dummy verandert alleen het toeval.",
        "indices": "Gevoeligheidsindices per uitkomst", "floor": "ruisvloer (dummy + interval)",
        "floor_note": "Balken met bootstrap-betrouwbaarheidsintervallen; grijs is de dummyfactor; de stippellijn is de "
        "ruisvloer.",
        "factor": "Factor", "above_floor": "boven ruisvloer", "convergence": "Convergentie: half ontwerp tegen heel ontwerp",
        "convergence_note": "Dezelfde analyse op de eerste helft van het ontwerp (r/2 of N/2). Geconvergeerd: geen "
        "hoofdindex verschuift meer dan {rel} van de grootste index.",
        "outcome": "Uitkomst", "max_change": "grootste verschuiving", "max_index": "grootste index", "converged": "geconvergeerd",
        "discovery": "Scenario discovery (PRIM): waar faalt de servicenorm bij het huidige budget?",
        "limits": "Grenzen", "prim_note": "Dekking (coverage): deel van alle falende punten in de box. Dichtheid "
        "(density): deel van de punten in de box dat faalt. Massa: deel van alle punten in de box.",
        "prim_fig": "PRIM-box in de twee meest beperkte factoren", "fails": "faalt", "ok": "haalt de norm",
        "scores": "Feature scores (extra trees): welke factoren voorspellen falen", "no_discovery": "Geen scenario discovery.",
        "design": "Ontwerp: factoren, bereiken en bronnen", "label": "Omschrijving", "low": "Laag", "high": "Hoog",
        "dummy_source": "geen effect op het model; verschuift alleen de seed (ruisvloer)", "settings": "Instellingen",
        "discovery_rule": "Een ontwerppunt faalt als {outcome} {when} {threshold} ligt in {year}, bij het huidige "
        "personeel (huidig budget): {failing} van {points} punten falen.",
        "below": "onder", "above": "boven",
        "box_sentence": "PRIM vindt de box {limits} (dekking {coverage}, dichtheid {density}).",
        "status_fails at every point": "De norm faalt in elk ontwerppunt: binnen deze bereiken is er geen combinatie "
        "van aannames waarbij het huidige budget volstaat, dus er is geen box te vinden.",
        "status_fails at no point": "De norm wordt in elk ontwerppunt gehaald.",
        "status_ok": "", "status_outcome not available": "De uitkomst voor deze regel ontbreekt in de runs.",
    },
    "en": {
        "contents": "Contents", "footer": "Made with welzijnsim. This file is self-contained: every figure is embedded "
        "and nothing is loaded from the internet.",
        "subtitle": "Report of {date}, code {version}, study {dir}",
        "title_staffing": "Welfare staff needed: {scenario}",
        "title_simulate": "Welfare work in Den Haag: {scenario}",
        "title_sensitivity": "Which assumptions drive the answer? Sensitivity analysis of {scenario}",
        "reproduce": "Reproduce: scenario, seeds and code version", "scenario": "Scenario", "kind": "Study kind",
        "study_seed": "Study seed", "seeds": "Seeds per replication",
        "seeds_sensitivity": "{n} runs; {reps} replications per design point with common random numbers; {distinct} "
        "distinct seeds (the dummy factor moves the seed)",
        "study_code": "Code of the study", "report_code": "Code of this report", "created": "Study created",
        "versions": "Package versions", "what": "What", "value": "Value",
        "reproduce_hint": "Every input is in {dir}/manifest.json; runs.parquet gives every run's seed and every "
        "parameter value.",
        "assumptions": "Assumptions: every parameter value", "assumptions_intro": "Every model parameter with its value "
        "in this study, unit and source. 'Estimate' means no firm source, so the parameter has a range in docs/model.md.",
        "varied": "varied", "base": "base", "parameter": "Parameter", "unit": "Unit", "source": "Source",
        "estimate": "Estimate", "yes": "yes", "no": "no",
        "answer_staffing": "The answer: FTE and euros needed ({name})",
        "answer_simulate": "Outcomes per year ({name})",
        "answer_text_staffing": "Meeting the service level takes {a} FTE in {first} and {b} FTE in {last} (median "
        "[p10 – p90] over {n} replications). Cost: EUR {ca} M in {first}, EUR {cb} M in {last}.",
        "answer_text_simulate": "Staff paid: {a} FTE in {first}, {b} FTE in {last} (median [p10 – p90] over {n} "
        "replications). Staff cost: EUR {ca} M in {first}, EUR {cb} M in {last}.",
        "bands_note": "Bands: median [p10 – p90] over replications (and over uncertain parameters where varied).",
        "year": "Year", "metric": METRICS_EN, "city_by_year": "City by year", "city_fig": "City: FTE per year",
        "areas": "Per stadsdeel and Servicepunt XL, every year ({name})", "sd_fte": "Per stadsdeel: {metric}",
        "sd_cost": "Per stadsdeel: cost (EUR M)", "sp_fte": "Per Servicepunt XL: {metric}",
        "fans": "Fan charts and maps ({name})", "today": "today", "fan_title": "{metric} per stadsdeel",
        "fan_caption": "Fan chart per stadsdeel: median and p10 – p90",
        "map_title": "Servicepunten XL per stadsdeel, {year}", "map_value": "colour: deprivation (synthetic grid); "
        "circle and number: {metric}",
        "map_caption": "Map per stadsdeel (the model's synthetic grid, not a real map)",
        "dummy": "dummy (noise floor)", "drivers": "{outcome}{year} depends most on: {drivers}.",
        "none": "no factor above the noise floor", "below_floor": "Indistinguishable from chance: {factors}.",
        "sens_summary": "Summary: which assumptions drive the answer",
        "no_headline": "The headline outcome (FTE needed) is not in this study.",
        "method_note": "Method {method}: {points} design points x {reps} replications = {runs} runs; index {main}. "
        "A factor counts when its index is above the dummy factor's (plus its confidence interval): the dummy only "
        "changes the randomness.",
        "indices": "Sensitivity indices per outcome", "floor": "noise floor (dummy + interval)",
        "floor_note": "Bars with bootstrap confidence intervals; grey is the dummy factor; the dashed line is the "
        "noise floor.",
        "factor": "Factor", "above_floor": "above noise floor", "convergence": "Convergence: half design against full design",
        "convergence_note": "The same analysis on the first half of the design (r/2 or N/2). Converged: no main index "
        "moves by more than {rel} of the largest index.",
        "outcome": "Outcome", "max_change": "largest change", "max_index": "largest index", "converged": "converged",
        "discovery": "Scenario discovery (PRIM): where does the service level fail at today's budget?",
        "limits": "Limits", "prim_note": "Coverage: share of all failing points inside the box. Density: share of the "
        "points inside the box that fail. Mass: share of all points inside the box.",
        "prim_fig": "PRIM box in the two most restricted factors", "fails": "fails", "ok": "meets the target",
        "scores": "Feature scores (extra trees): which factors predict failure", "no_discovery": "No scenario discovery.",
        "design": "Design: factors, ranges and sources", "label": "Label", "low": "Low", "high": "High",
        "dummy_source": "no effect on the model; only moves the seed (noise floor)", "settings": "Settings",
        "discovery_rule": "A design point fails when {outcome} is {when} {threshold} in {year}, with today's staff "
        "(today's budget): {failing} of {points} points fail.",
        "below": "below", "above": "above",
        "box_sentence": "PRIM finds the box {limits} (coverage {coverage}, density {density}).",
        "status_fails at every point": "The target fails at every design point: within these ranges no combination of "
        "assumptions lets today's budget suffice, so there is no box to find.",
        "status_fails at no point": "The target is met at every design point.",
        "status_ok": "", "status_outcome not available": "The outcome of this rule is missing from the runs.",
    },
}
