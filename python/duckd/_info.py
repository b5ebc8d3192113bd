"""duckd.Info: duckd_info() and duckd_tables() as dataclasses."""

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import List, Optional

MIB = 1024 * 1024


@dataclass
class TableInfo:
    schema: str
    name: str
    rows: int
    columns: int

    @property
    def qualified_name(self):
        return "%s.%s" % (self.schema, self.name)


@dataclass
class Info:
    """One snapshot of the server (see docs/PYTHON.md for every field). Fields an
    administrator only may see (path, temp_directory, pid) are None for other users."""
    mode: str
    read_only: bool
    path: Optional[Path]
    database_bytes: Optional[int]
    wal_bytes: Optional[int]
    memory_bytes: Optional[int]
    memory_limit: Optional[str]
    temp_bytes: Optional[int]
    temp_files: Optional[int]
    temp_directory: Optional[str]
    table_count: int
    table_rows: int
    created_at: Optional[datetime]
    started_at: datetime
    uptime_seconds: float
    duckd_version: str
    duckdb_version: str
    pid: Optional[int]
    sessions: int
    sessions_active: int
    sessions_idle: int
    sessions_idle_in_transaction: int
    group_commit: bool
    group_commit_batches: int
    group_commit_statements: int
    group_commit_rows: int
    group_commit_max_batch_rows: int
    group_commit_commit_ms: float
    group_commit_wait_ms: float
    group_commit_conflicts: int
    group_commit_retries: int
    group_commit_splits: int
    group_commit_fallbacks: int
    group_commit_cancels: int
    tables: List[TableInfo] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # columns a newer server added

    @property
    def disk_bytes(self):
        """The database file and its WAL (0 in memory mode)."""
        return (self.database_bytes or 0) + (self.wal_bytes or 0)

    @property
    def size_mb(self):
        """MiB the database takes: on disk (file + WAL), or in memory mode the memory DuckDB
        holds (the seed's StorageEngine reported 0.0 there)."""
        if self.mode == "memory":
            return (self.memory_bytes or 0) / MIB
        return self.disk_bytes / MIB

    @property
    def table_names(self):
        return [t.name if t.schema == "main" else t.qualified_name for t in self.tables]


_RENAMED = {"tables": "table_count"}
_FIELDS = {f.name for f in dataclasses.fields(Info)}

INFO_SQL = "SELECT * FROM duckd_info()"
TABLES_SQL = "SELECT schema_name, table_name, rows, columns FROM duckd_tables()"


def _build(desc, row, table_rows):
    kw, extra = {}, {}
    for d, v in zip(desc, row):
        name = _RENAMED.get(d.name, d.name)
        (kw if name in _FIELDS and name not in ("tables", "extra") else extra)[name] = v
    for f in dataclasses.fields(Info):
        if f.name not in kw and f.default is dataclasses.MISSING and \
                f.default_factory is dataclasses.MISSING:
            kw[f.name] = None
    if kw.get("path") is not None:
        kw["path"] = Path(kw["path"])
    return Info(**kw, tables=[TableInfo(*t) for t in table_rows], extra=extra)


def read_info(raw):
    """Info from a psycopg connection."""
    with raw.cursor() as cur:
        cur.execute(INFO_SQL)
        desc, row = cur.description, cur.fetchone()
        cur.execute(TABLES_SQL)
        tables = cur.fetchall()
    return _build(desc, row, tables)


async def read_info_async(raw):
    async with raw.cursor() as cur:
        await cur.execute(INFO_SQL)
        desc, row = cur.description, await cur.fetchone()
        await cur.execute(TABLES_SQL)
        tables = await cur.fetchall()
    return _build(desc, row, tables)
