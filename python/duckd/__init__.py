"""duckd for Python: start or attach to a duckd server (one DuckDB database served over the
PostgreSQL protocol) and query it through psycopg 3.

    import duckd
    with duckd.Server.memory(init="load.sql") as server:
        with server.connect() as con:
            df = con.sql("SELECT * FROM t WHERE x > %s", [3]).df()
        print(server.info().tables)
"""

from ._conn import AsyncConnection, AsyncPool, Connection, Relation, connect, connect_async
from ._info import Info, TableInfo
from ._server import Server, ServerError, find_binary

__all__ = ["Server", "ServerError", "find_binary", "Connection", "AsyncConnection",
           "AsyncPool", "Relation", "connect", "connect_async", "Info", "TableInfo"]
__version__ = "0.1.0"
