"""Study running: many runs of one or more scenarios, stored in a study directory and read back.

study.py        the study directory: what a study is (StudySpec), the runner (run_study), resume, summary,
                export
kinds.py        the registry of study kinds: what a kind runs, stores, summarises and reports
simulate.py     the plain kind, "simulate" (staffing and sensitivity register theirs in their packages)
executors.py    where runs execute: this process, local worker processes or Dask; the progress bar
store.py        atomic writes, and output paths checked before anything is computed
outcomes.py     the tidy outcome tables of one run and the service-level convention
runner.py       the replications of one scenario for `welzijnsim run` (and the golden-number test)
uncertainty.py  --vary and the priors: one drawn parameter set per replication; what widens a band
compare.py      differences between two studies, paired by seed
query.py        DuckDB over a study directory, read-only and confined to it

Modules inside `analysis` import the module that defines a name (`analysis.study.study`), never this
package, so importing a sub-module never needs this file half-run. The names below are for scripts and
notebooks.
"""

from analysis.study.kinds import StudyKind, kind_names, register, study_kind
from analysis.study.study import (
    StudyError,
    StudyResult,
    StudyScenario,
    StudySpec,
    load_table,
    read_manifest,
    run_study,
    spec_from_manifest,
)

__all__ = [
    "StudyKind",
    "kind_names",
    "register",
    "study_kind",
    "StudyError",
    "StudyResult",
    "StudyScenario",
    "StudySpec",
    "load_table",
    "read_manifest",
    "run_study",
    "spec_from_manifest",
]
