"""Query a study directory in place with DuckDB.

Views: `runs` (runs.parquet), `summary` (summary.parquet) and one view per outcome table found under
`outcomes/` (`annual`, `weekly`, `staffing`), read with Hive partitioning so each row has its `scenario`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.study import StudyError, read_manifest


class QueryError(ValueError):
    """Not a study, or the SQL failed. The message is meant for people."""


def connect(directory: Path):
    """(DuckDB connection, view names) for the study; StudyError/QueryError if it is not a study."""
    import duckdb

    directory = Path(directory)
    try:
        read_manifest(directory)
    except StudyError as exc:
        raise QueryError(str(exc)) from exc
    con = duckdb.connect(":memory:")
    views: list[str] = []
    for name in ("runs", "summary"):
        path = directory / f"{name}.parquet"
        if path.is_file():
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_sql_path(path)}')")
            views.append(name)
    outcomes = directory / "outcomes"
    if outcomes.is_dir():
        for table in sorted(p for p in outcomes.iterdir() if p.is_dir()):
            if any(table.glob("scenario=*/run-*.parquet")):
                pattern = _sql_path(table) + "/scenario=*/run-*.parquet"
                con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM "
                            f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)")
                views.append(table.name)
    return con, views


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


def run_query(directory: Path, sql: str) -> pd.DataFrame:
    con, views = None, []
    try:
        con, views = connect(directory)
        return con.execute(sql).df()
    except QueryError:
        raise
    except Exception as exc:  # noqa: BLE001 - duckdb errors do not share one base class
        raise QueryError(f"query failed: {exc}\nAvailable views: {', '.join(views) or '(none)'}") from exc
    finally:
        if con is not None:
            con.close()
