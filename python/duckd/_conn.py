"""duckd.Connection (DB-API on psycopg 3 plus DuckDB-style conveniences) and its asyncio twin."""

import itertools

import psycopg
from psycopg import sql as _sql

from . import _info

_cursor_ids = itertools.count(1)


def _ident(name):
    """A table name as psycopg SQL: "schema.table" is split on the dot; a str with quotes or a
    psycopg.sql.Composable is taken as it is."""
    if isinstance(name, _sql.Composable):
        return name
    if isinstance(name, (tuple, list)):
        return _sql.Identifier(*name)
    return _sql.Identifier(*name.split("."))


def _copy_sql(table, columns):
    cols = _sql.SQL("")
    if columns:
        cols = _sql.SQL(" ({})").format(_sql.SQL(", ").join(_sql.Identifier(c) for c in columns))
    return _sql.SQL("COPY {}{} FROM STDIN").format(_ident(table), cols)


def _integral(v):
    return int(v) if v is not None and v.is_integer() else v


def _df_rows(df):
    """The rows of a DataFrame as tuples of plain Python values (NaN/NaT -> None). Whole
    numbers in float columns (pandas turns an integer column with a missing value into
    float64) are sent as integers, which an INTEGER column accepts and a DOUBLE column too."""
    obj = df.astype(object).where(df.notna(), None)
    floats = [i for i, dtype in enumerate(df.dtypes) if dtype.kind == "f"]
    rows = obj.itertuples(index=False, name=None)
    if not floats:
        return rows
    return (tuple(_integral(v) if i in floats else v for i, v in enumerate(row)) for row in rows)


def _to_df(description, rows):
    import pandas as pd
    cols = [d.name for d in description] if description else []
    return pd.DataFrame.from_records(rows, columns=cols)


class Relation:
    """The result of Connection.sql(query, params): nothing runs until it is fetched. Each
    fetch method runs the query once; iteration streams through a server-side cursor."""

    def __init__(self, conn, query, params, itersize):
        self._conn = conn
        self._query = query
        self._params = params
        self.itersize = itersize

    def _run(self):
        cur = self._conn.raw.cursor()
        cur.execute(self._query, self._params)
        return cur

    def fetchall(self):
        with self._run() as cur:
            return cur.fetchall()

    def fetchone(self):
        with self._run() as cur:
            return cur.fetchone()

    def fetchmany(self, size):
        with self._run() as cur:
            return cur.fetchmany(size)

    def df(self):
        """The whole result as a pandas DataFrame (column names from the result)."""
        with self._run() as cur:
            return _to_df(cur.description, cur.fetchall())

    def __iter__(self):
        """Rows one at a time through a server-side cursor (DECLARE/FETCH, `itersize` rows per
        round trip): the result is never held whole, here or in the server. Runs inside a
        transaction of its own when the connection has none."""
        raw = self._conn.raw
        name = "duckd_iter_%d" % next(_cursor_ids)
        with raw.transaction():
            with raw.cursor(name=name) as cur:
                cur.itersize = self.itersize
                cur.execute(self._query, self._params)
                for row in cur:
                    yield row


class Connection:
    """A connection to duckd: psycopg 3's connection (`raw`) with the DB-API calls passed
    through (cursor, execute, executemany, commit, rollback, close) and DuckDB-style
    conveniences: sql(...).df()/fetchall()/fetchone()/iteration, insert_df, info()."""

    def __init__(self, raw):
        self.raw = raw

    # DB-API
    def cursor(self, *args, **kw):
        return self.raw.cursor(*args, **kw)

    def execute(self, query, params=None):
        """Runs one statement; returns the psycopg cursor (fetchall(), rowcount, ...)."""
        return self.raw.execute(query, params)

    def executemany(self, query, params_seq):
        """Runs the statement once per parameter tuple, pipelined in one implicit transaction
        (all or nothing). A plain INSERT ... VALUES ($1, ...) takes duckd's group-commit
        path. Returns the total row count."""
        with self.raw.cursor() as cur:
            cur.executemany(query, params_seq)
            return cur.rowcount

    def commit(self):
        self.raw.commit()

    def rollback(self):
        self.raw.rollback()

    def transaction(self):
        """psycopg's transaction context manager (BEGIN ... COMMIT / ROLLBACK on error)."""
        return self.raw.transaction()

    @property
    def closed(self):
        return self.raw.closed

    def close(self):
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # conveniences
    def sql(self, query, params=None, itersize=2000):
        """A lazy Relation: .df(), .fetchall(), .fetchone(), .fetchmany(n), or iterate."""
        return Relation(self, query, params, itersize)

    def insert_rows(self, table, rows, columns=None):
        """Appends rows (an iterable of tuples) to `table` through COPY FROM STDIN: one
        statement, all or nothing. Returns the row count."""
        n = 0
        with self.raw.cursor() as cur:
            with cur.copy(_copy_sql(table, columns)) as cp:
                for row in rows:
                    cp.write_row(row)
                    n += 1
        return n

    def insert_df(self, table, df, columns=None):
        """Appends a pandas DataFrame to an existing `table` through COPY (its columns by
        name, unless `columns` says otherwise). Returns the row count."""
        return self.insert_rows(table, _df_rows(df), list(columns or df.columns))

    def info(self):
        return _info.read_info(self.raw)


def connect(dsn="", autocommit=True, **kw):
    """A duckd.Connection (autocommit by default, as DuckDB's own Python API)."""
    return Connection(psycopg.connect(dsn, autocommit=autocommit, **kw))


class AsyncConnection:
    """The asyncio twin of Connection (psycopg.AsyncConnection as `raw`). One connection runs
    one statement at a time; use AsyncPool for concurrent callers."""

    def __init__(self, raw):
        self.raw = raw

    def cursor(self, *args, **kw):
        return self.raw.cursor(*args, **kw)

    async def execute(self, query, params=None):
        return await self.raw.execute(query, params)

    async def executemany(self, query, params_seq):
        async with self.raw.cursor() as cur:
            await cur.executemany(query, params_seq)
            return cur.rowcount

    async def fetchall(self, query, params=None):
        async with self.raw.cursor() as cur:
            await cur.execute(query, params)
            return await cur.fetchall()

    async def fetchone(self, query, params=None):
        async with self.raw.cursor() as cur:
            await cur.execute(query, params)
            return await cur.fetchone()

    async def df(self, query, params=None):
        async with self.raw.cursor() as cur:
            await cur.execute(query, params)
            return _to_df(cur.description, await cur.fetchall())

    async def stream(self, query, params=None, itersize=2000):
        """Rows one at a time through a server-side cursor (an async generator)."""
        name = "duckd_iter_%d" % next(_cursor_ids)
        async with self.raw.transaction():
            async with self.raw.cursor(name=name) as cur:
                cur.itersize = itersize
                await cur.execute(query, params)
                async for row in cur:
                    yield row

    async def insert_rows(self, table, rows, columns=None):
        n = 0
        async with self.raw.cursor() as cur:
            async with cur.copy(_copy_sql(table, columns)) as cp:
                for row in rows:
                    await cp.write_row(row)
                    n += 1
        return n

    async def insert_df(self, table, df, columns=None):
        return await self.insert_rows(table, _df_rows(df), list(columns or df.columns))

    async def info(self):
        return await _info.read_info_async(self.raw)

    async def commit(self):
        await self.raw.commit()

    async def rollback(self):
        await self.raw.rollback()

    def transaction(self):
        return self.raw.transaction()

    @property
    def closed(self):
        return self.raw.closed

    async def close(self):
        await self.raw.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()


async def connect_async(dsn="", autocommit=True, **kw):
    """An AsyncConnection (autocommit by default)."""
    return AsyncConnection(await psycopg.AsyncConnection.connect(dsn, autocommit=autocommit,
                                                                  **kw))


class AsyncPool:
    """A small fixed pool of AsyncConnections for asyncio services: `size` connections opened
    on first use; `async with pool.connection() as c` borrows one; execute/executemany/
    fetchall/fetchone borrow one for a single call. Settings for every connection (SET ...)
    go in `setup` (statements run once per new connection), in one place."""

    def __init__(self, dsn, size=8, setup=(), **kw):
        import asyncio
        self._dsn = dsn
        self._size = size
        self._setup = list(setup)
        self._kw = kw
        self._free = asyncio.Queue()
        self._all = []
        self._opening = asyncio.Lock()
        self._closed = False

    async def _open(self):
        async with self._opening:
            while len(self._all) < self._size:
                c = await connect_async(self._dsn, **self._kw)
                for stmt in self._setup:
                    await c.execute(stmt)
                self._all.append(c)
                self._free.put_nowait(c)

    def connection(self):
        pool = self

        class _Borrow:
            async def __aenter__(self):
                if pool._closed:
                    raise RuntimeError("pool is closed")
                if len(pool._all) < pool._size:
                    await pool._open()
                self.c = await pool._free.get()
                return self.c

            async def __aexit__(self, *exc):
                pool._free.put_nowait(self.c)

        return _Borrow()

    async def execute(self, query, params=None):
        async with self.connection() as c:
            cur = await c.execute(query, params)
            return cur.rowcount

    async def executemany(self, query, params_seq):
        async with self.connection() as c:
            return await c.executemany(query, params_seq)

    async def fetchall(self, query, params=None):
        async with self.connection() as c:
            return await c.fetchall(query, params)

    async def fetchone(self, query, params=None):
        async with self.connection() as c:
            return await c.fetchone(query, params)

    async def close(self):
        self._closed = True
        for c in self._all:
            await c.close()
        self._all = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()
