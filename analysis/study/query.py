"""Query a study directory in place with DuckDB: read-only and confined to the study.

Views: `runs` (runs.parquet), `summary` (summary.parquet) and one view per outcome table of the study's
kind found under `outcomes/` (`annual` and `weekly`, `staffing`, `outcomes` of a sensitivity study), each
row with its `scenario`. Only the runs the manifest plans are read, so a stray file under outcomes/ never
mixes in.

Confinement: this module reads the study's files itself (pyarrow) and hands DuckDB the tables in memory.
DuckDB then runs with `enable_external_access = false` (no file, URL or database outside those tables:
`read_csv('/etc/passwd')`, `COPY ... TO`, `ATTACH`, `INSTALL`/`LOAD` all fail), extension autoinstall
and autoload off, Python replacement scans off, and `lock_configuration = true` so the SQL cannot switch
any of it back. The database is in memory: nothing the SQL does reaches the disk. Because no path is
put into SQL, a study folder may have any name (`runs[2]`, `a*b`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.study.kinds import all_tables, study_kind
from analysis.study.study import StudyError, read_manifest, spec_from_manifest, stored_runs

LOCKED = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "python_enable_replacements": False,
}


class QueryError(ValueError):
    """Not a study, or the SQL failed. The message is meant for people."""


def _read_parquet(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - truncated, foreign or not Parquet
        raise QueryError(
            f"{path}: corrupt or not a Parquet file ({str(exc)[:160]}); rebuild the study's tables "
            f"with: welzijnsim study --resume --out {path.parent}"
        ) from None


def _outcome_table(directory: Path, table: str, spec):
    import pyarrow as pa

    parts = []
    for name, f in stored_runs(directory, table, spec=spec):
        t = _read_parquet(f)
        parts.append(t.add_column(0, "scenario", pa.array([name] * t.num_rows, pa.string())))
    if not parts:
        return None
    return pa.concat_tables(parts, promote_options="default")  # union by name, like the run files differ


def _mentioned(sql: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", sql, flags=re.I) is not None


def connect(directory: Path, sql: str | None = None):
    """(locked DuckDB connection, view names) for the study; QueryError if it is not a study.

    With `sql`, only the tables it names are loaded (a study's weekly table can be large)."""
    import duckdb

    directory = Path(directory)
    try:
        spec = spec_from_manifest(read_manifest(directory))
    except StudyError as exc:
        raise QueryError(str(exc)) from exc
    tables = {}
    for name in ("runs", "summary"):
        path = directory / f"{name}.parquet"
        if path.is_file() and (sql is None or _mentioned(sql, name)):
            tables[name] = _read_parquet(path)
    for table in study_kind(spec.kind).tables:
        if sql is None or _mentioned(sql, table):
            try:
                t = _outcome_table(directory, table, spec)
            except StudyError as exc:
                raise QueryError(str(exc)) from exc
            if t is not None:
                tables[table] = t
    con = duckdb.connect(":memory:", config=dict(LOCKED))
    for name, t in tables.items():
        con.register(f"_arrow_{name}", t)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM _arrow_{name}")
    con.execute("SET lock_configuration = true")
    return con, sorted(tables)


def available_views(directory: Path) -> list[str]:
    """The views a query of this study can use (for messages)."""
    directory = Path(directory)
    views = [n for n in ("runs", "summary") if (directory / f"{n}.parquet").is_file()]
    return views + [t for t in all_tables() if (directory / "outcomes" / t).is_dir()]


def run_query(directory: Path, sql: str) -> pd.DataFrame:
    if not sql.strip():
        raise QueryError(
            f'no SQL given; e.g. welzijnsim query {directory} "SELECT * FROM summary LIMIT 5" '
            f"(views: {', '.join(available_views(directory)) or '(none)'})"
        )
    con, views = None, []
    try:
        con, views = connect(directory, sql)
        result = con.execute(sql)
        if result.description is None:
            return pd.DataFrame()
        return result.df()
    except QueryError:
        raise
    except Exception as exc:  # noqa: BLE001 - duckdb errors do not share one base class
        text = str(exc)
        if "file system operations are disabled" in text or "external" in text.lower():
            text += (
                "\nwelzijnsim query is read-only and confined to the study directory: it can read the "
                "study's views, not other files, and cannot write or attach."
            )
        raise QueryError(
            f"query failed: {text}\nAvailable views: {', '.join(available_views(directory)) or '(none)'}"
        ) from None
    finally:
        if con is not None:
            con.close()
