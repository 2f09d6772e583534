"""Validation and verification: the model against sourced figures and against queueing theory.

validation.py   face validation (`welzijnsim check-model`): the targets of targets.toml, simulated and judged
targets.toml    the face targets, lever targets and calibration settings, each with its source
lever_check.py  lever benefit/cost against the sources (`check-model --levers`)
queueing.py     Erlang C, Lindley and Little's law, used to verify the service engines (docs/verification.md)

Modules inside `analysis` import the module that defines a name, never this package; the names below are
for scripts and notebooks.
"""

from analysis.validation.validation import TARGETS_FILE, TargetError, check_model, format_check, load_targets

__all__ = ["TARGETS_FILE", "TargetError", "check_model", "format_check", "load_targets"]
