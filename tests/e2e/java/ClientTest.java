// duckd end-to-end test with the PostgreSQL JDBC driver (pgjdbc): connects to the port given
// as the first argument, reads one value of every type duckd maps back through ResultSet
// getters (text results, then binary results once pgjdbc switches a PreparedStatement to a
// named server statement), binds parameters, rolls a transaction back, and streams a result
// with setFetchSize in a transaction (portals executed with a row limit: PortalSuspended), and
// copies rows in and out with CopyManager.
// Prints "ClientTest: N checks passed" and exits 0, or prints the first failure and exits 1.

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;

public final class ClientTest {
    private static int checks = 0;

    private static void check(boolean ok, String what) {
        if (!ok)
            throw new AssertionError(what);
        checks++;
    }

    private static void eq(Object got, Object want, String what) {
        boolean ok = got instanceof Object[] && want instanceof Object[]
                ? Arrays.equals((Object[]) got, (Object[]) want)
                : got instanceof byte[] && want instanceof byte[]
                        ? Arrays.equals((byte[]) got, (byte[]) want)
                        : Objects.equals(got, want);
        if (!ok)
            throw new AssertionError(what + ": got " + show(got) + ", want " + show(want));
        checks++;
    }

    private static String show(Object o) {
        if (o instanceof Object[])
            return Arrays.toString((Object[]) o);
        if (o instanceof byte[])
            return Arrays.toString((byte[]) o);
        return o == null ? "null" : o + " (" + o.getClass().getName() + ")";
    }

    private static void decimal(BigDecimal got, String want, String what) {
        eq(got == null ? null : got.toPlainString(), want, what);
    }

    private static String compact(String json) {
        return json == null ? null : json.replace(" ", "");
    }

    static final String CREATE =
            "CREATE TABLE alltypes (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT, i4 INTEGER,"
            + " i8 BIGINT, hi HUGEINT, d18 DECIMAL(18,3), d38 DECIMAL(38,10), f4 REAL, f8 DOUBLE,"
            + " s VARCHAR, bl BLOB, dt DATE, tm TIME, ts TIMESTAMP, tstz TIMESTAMPTZ, iv INTERVAL,"
            + " u UUID, j JSON, li INTEGER[], ls VARCHAR[], st STRUCT(a INTEGER, b VARCHAR),"
            + " mp MAP(VARCHAR, INTEGER))";
    static final String INSERT =
            "INSERT INTO alltypes VALUES (1, true, -12345, 2147483647, 9223372036854775807,"
            + " 170141183460469231731687303715884105727, 1.250, 12345678901234567890.0123456789,"
            + " 1.5, 2.25, 'h\u00e9llo, \"world\"', '\\x00\\x01\\xff'::BLOB, DATE '2024-02-29',"
            + " TIME '13:45:06.5', TIMESTAMP '2024-02-29 13:45:06.123456',"
            + " TIMESTAMPTZ '2024-02-29 13:45:06.5+00',"
            + " INTERVAL '1 year 2 months 3 days 04:05:06.5',"
            + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": [1, 2, null]}', [1, 2, NULL],"
            + " ['a', 'b c', NULL], {'a': 1, 'b': 'x'}, MAP {'k': 1}), (2, NULL, NULL, NULL,"
            + " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
            + " NULL, NULL, NULL, NULL, NULL, NULL)";
    static final String SELECT = "SELECT id, b, i2, i4, i8, hi, d18, d38, f4, f8, s, bl, dt, tm,"
            + " ts, tstz, iv, u, j, li, ls, st, mp FROM alltypes WHERE id = ?";

    /** Checks row 1 of alltypes through the typed getters. */
    static void checkValues(ResultSet rs, String mode) throws SQLException {
        String m = mode + ": ";
        eq(rs.getInt("id"), 1, m + "id");
        eq(rs.getBoolean("b"), true, m + "bool");
        eq(rs.getShort("i2"), (short) -12345, m + "smallint");
        eq(rs.getInt("i4"), 2147483647, m + "integer");
        eq(rs.getLong("i8"), 9223372036854775807L, m + "bigint");
        decimal(rs.getBigDecimal("hi"), "170141183460469231731687303715884105727", m + "hugeint");
        decimal(rs.getBigDecimal("d18"), "1.250", m + "decimal(18,3)");
        decimal(rs.getBigDecimal("d38"), "12345678901234567890.0123456789", m + "decimal(38,10)");
        eq(rs.getFloat("f4"), 1.5f, m + "real");
        eq(rs.getDouble("f8"), 2.25, m + "double");
        eq(rs.getString("s"), "h\u00e9llo, \"world\"", m + "varchar");
        eq(rs.getBytes("bl"), new byte[] {0, 1, (byte) 0xff}, m + "blob");
        eq(rs.getObject("dt", LocalDate.class), LocalDate.of(2024, 2, 29), m + "date");
        eq(rs.getDate("dt").toLocalDate(), LocalDate.of(2024, 2, 29), m + "getDate");
        eq(rs.getObject("tm", LocalTime.class), LocalTime.of(13, 45, 6, 500_000_000), m + "time");
        eq(rs.getObject("ts", LocalDateTime.class),
                LocalDateTime.of(2024, 2, 29, 13, 45, 6, 123_456_000), m + "timestamp");
        eq(rs.getObject("tstz", OffsetDateTime.class).toInstant(),
                OffsetDateTime.of(2024, 2, 29, 13, 45, 6, 500_000_000, ZoneOffset.UTC).toInstant(),
                m + "timestamptz");
        eq(rs.getObject("iv"), new PGInterval(1, 2, 3, 4, 5, 6.5), m + "interval");
        eq(rs.getObject("u"), UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), m + "uuid");
        Object j = rs.getObject("j");
        check(j instanceof PGobject && "jsonb".equals(((PGobject) j).getType()), m + "json type (jsonb)");
        eq(compact(rs.getString("j")), "{\"k\":[1,2,null]}", m + "json");
        Array li = rs.getArray("li");
        eq(li.getBaseType(), Types.INTEGER, m + "int[] base type");
        eq(li.getArray(), new Integer[] {1, 2, null}, m + "int[]");
        eq(rs.getArray("ls").getArray(), new String[] {"a", "b c", null}, m + "varchar[]");
        eq(compact(rs.getString("st")), "{\"a\":1,\"b\":\"x\"}", m + "struct");
        eq(compact(rs.getString("mp")), "{\"k\":1}", m + "map");
    }

    static void checkNulls(ResultSet rs, String mode) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 2; i <= md.getColumnCount(); i++) {
            eq(rs.getObject(i), null, mode + ": NULL " + md.getColumnName(i));
            check(rs.wasNull(), mode + ": wasNull " + md.getColumnName(i));
        }
        eq(rs.getInt("i4"), 0, mode + ": getInt of NULL");
    }

    static void checkMetadata(ResultSetMetaData md) throws SQLException {
        eq(md.getColumnCount(), 23, "column count");
        eq(md.getColumnName(2), "b", "column name");
        int[] want = {Types.INTEGER, Types.BIT, Types.SMALLINT, Types.INTEGER, Types.BIGINT,
            Types.NUMERIC, Types.NUMERIC, Types.NUMERIC, Types.REAL, Types.DOUBLE, Types.VARCHAR,
            Types.BINARY, Types.DATE, Types.TIME, Types.TIMESTAMP, Types.TIMESTAMP, Types.OTHER,
            Types.OTHER, Types.OTHER, Types.ARRAY, Types.ARRAY, Types.OTHER, Types.OTHER};
        for (int i = 0; i < want.length; i++)
            eq(md.getColumnType(i + 1), want[i], "JDBC type of " + md.getColumnName(i + 1));
        eq(md.getColumnTypeName(7), "numeric", "type name of decimal");
        eq(md.getPrecision(7), 18, "precision of decimal(18,3)");
        eq(md.getScale(7), 3, "scale of decimal(18,3)");
        eq(md.getColumnTypeName(20), "_int4", "type name of int[]");
        eq(md.getColumnTypeName(18), "uuid", "type name of uuid");
    }

    static void types(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(CREATE);
            eq(st.executeUpdate(INSERT), 2, "insert count");
            try (ResultSet rs = st.executeQuery(SELECT.replace("?", "1"))) {
                check(rs.next(), "row 1 (simple statement)");
                checkValues(rs, "text");
                checkMetadata(rs.getMetaData());
                check(!rs.next(), "one row");
            }
        }
        // pgjdbc moves a PreparedStatement to a named server-side statement after
        // prepareThreshold (5) executions and then asks for binary results.
        try (PreparedStatement ps = c.prepareStatement(SELECT)) {
            for (int round = 1; round <= 7; round++) {
                ps.setInt(1, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "row 1, round " + round);
                    checkValues(rs, "prepared round " + round);
                }
                ps.setInt(1, 2);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "row 2, round " + round);
                    checkNulls(rs, "prepared round " + round);
                }
            }
        }
    }

    static void parameters(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE p (id INTEGER, d DECIMAL(18,3), dt DATE, ts TIMESTAMP,"
                    + " tz TIMESTAMPTZ, s VARCHAR, bl BLOB, u UUID, f DOUBLE, ok BOOLEAN, n BIGINT)");
        }
        UUID u = UUID.fromString("12345678-1234-5678-1234-567812345678");
        LocalDateTime ts = LocalDateTime.of(2020, 5, 6, 7, 8, 9, 10_000);
        OffsetDateTime tz = OffsetDateTime.of(2021, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(2));
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int id = 1; id <= 7; id++) { // past prepareThreshold: named statement
                ps.setInt(1, id);
                ps.setBigDecimal(2, new BigDecimal("-7.125"));
                ps.setObject(3, LocalDate.of(1999, 12, 31));
                ps.setObject(4, ts);
                ps.setObject(5, tz);
                ps.setString(6, "it's \"q\"");
                ps.setBytes(7, new byte[] {0, (byte) 0xfe, 39, 92});
                ps.setObject(8, u);
                ps.setDouble(9, 0.1);
                ps.setBoolean(10, id % 2 == 0);
                if (id == 7)
                    ps.setNull(11, Types.BIGINT);
                else
                    ps.setLong(11, -9000000000L * id);
                eq(ps.executeUpdate(), 1, "insert with parameters");
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id, d, dt, ts, tz, s, bl, u, f, ok, n FROM p WHERE s = ? AND id >= ?"
                + " AND u = ? ORDER BY id")) {
            ps.setString(1, "it's \"q\"");
            ps.setInt(2, 6);
            ps.setObject(3, u);
            try (ResultSet rs = ps.executeQuery()) {
                check(rs.next(), "parameter row 6");
                eq(rs.getInt(1), 6, "id");
                decimal(rs.getBigDecimal(2), "-7.125", "decimal parameter");
                eq(rs.getObject(3, LocalDate.class), LocalDate.of(1999, 12, 31), "date parameter");
                eq(rs.getObject(4, LocalDateTime.class), ts, "timestamp parameter");
                eq(rs.getObject(5, OffsetDateTime.class).toInstant(), tz.toInstant(),
                        "timestamptz parameter");
                eq(rs.getString(6), "it's \"q\"", "varchar parameter");
                eq(rs.getBytes(7), new byte[] {0, (byte) 0xfe, 39, 92}, "bytea parameter");
                eq(rs.getObject(8), u, "uuid parameter");
                eq(rs.getDouble(9), 0.1, "double parameter");
                eq(rs.getBoolean(10), true, "boolean parameter");
                eq(rs.getLong(11), -54000000000L, "bigint parameter");
                check(rs.next(), "parameter row 7");
                eq(rs.getObject(11), null, "NULL parameter");
                check(!rs.next(), "two rows");
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::INTEGER + 1, ? || 'x'")) {
            ps.setInt(1, 41);
            ps.setString(2, "y");
            try (ResultSet rs = ps.executeQuery()) {
                check(rs.next(), "expression row");
                eq(rs.getInt(1), 42, "integer expression");
                eq(rs.getString(2), "yx", "text expression");
            }
        }
    }

    static int count(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static void transactions(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE tx (x INTEGER)");
        }
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO tx VALUES (?)")) {
            ps.setInt(1, 1);
            ps.executeUpdate();
            eq(count(c, "tx"), 1, "row visible inside the transaction");
            c.rollback();
            eq(count(c, "tx"), 0, "rolled back");
            ps.setInt(1, 2);
            ps.executeUpdate();
            c.commit();
        }
        eq(count(c, "tx"), 1, "committed");
        try (Statement st = c.createStatement()) {
            st.executeQuery("SELECT * FROM no_such_table");
            check(false, "error expected");
        } catch (SQLException e) {
            eq(e.getSQLState(), "42P01", "SQLSTATE of a missing table");
        }
        try (Statement st = c.createStatement()) {
            st.executeQuery("SELECT 1");
            check(false, "statements in a failed transaction must fail");
        } catch (SQLException e) {
            eq(e.getSQLState(), "25P02", "SQLSTATE in a failed transaction");
        }
        c.rollback();
        c.setAutoCommit(true);
        eq(count(c, "tx"), 1, "usable after rollback");
    }

    /** setFetchSize with autocommit off: pgjdbc executes a named portal with a row limit and
     *  fetches the rest batch by batch (Execute/PortalSuspended round trips). */
    static void fetchSize(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT i, 'row ' || i AS label FROM range(0, 1000) t(i) WHERE i >= ? ORDER BY i")) {
            ps.setFetchSize(64);
            ps.setInt(1, 0);
            try (ResultSet rs = ps.executeQuery()) {
                long n = 0, sum = 0;
                while (rs.next()) {
                    eq(rs.getString(2), "row " + rs.getLong(1), "label of row " + n);
                    sum += rs.getLong(1);
                    n++;
                }
                eq(n, 1000L, "rows fetched in batches");
                eq(sum, 499500L, "sum of fetched rows");
            }
        }
        c.commit();
        c.setAutoCommit(true);
    }

    /** Two cursors open at once in a transaction, read alternately: each fetch of one
     *  portal is followed by a Parse/Bind/Execute of the other. */
    static void interleaved(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement a = c.createStatement(); Statement b = c.createStatement()) {
            a.setFetchSize(10);
            b.setFetchSize(7);
            try (ResultSet ra = a.executeQuery("SELECT i FROM range(0, 100) t(i) ORDER BY i");
                    ResultSet rb = b.executeQuery("SELECT i FROM range(0, 50) t(i) ORDER BY i")) {
                for (int i = 0; i < 50; i++) {
                    check(ra.next() && rb.next(), "interleaved row " + i);
                    eq(ra.getInt(1), i, "cursor a");
                    eq(rb.getInt(1), i, "cursor b");
                }
                int rest = 0;
                while (ra.next())
                    rest++;
                eq(rest, 50, "rest of cursor a");
                check(!rb.next(), "cursor b done");
            }
        }
        c.commit();
        c.setAutoCommit(true);
    }

    /** CopyManager: COPY FROM STDIN from a Reader, COPY TO STDOUT into a Writer. */
    static void copy(Connection c) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE jdbc_copy (id INTEGER, name VARCHAR, v DOUBLE)");
        }
        CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
        long in = cm.copyIn("COPY jdbc_copy FROM STDIN (FORMAT csv)",
                new StringReader("1,\"a,b\",0.5\n2,,-1\n3,z,2e3\n"));
        eq(in, 3L, "rows copied in");
        StringWriter out = new StringWriter();
        long n = cm.copyOut("COPY (SELECT * FROM jdbc_copy ORDER BY id) TO STDOUT", out);
        eq(n, 3L, "rows copied out");
        eq(out.toString(), "1\ta,b\t0.5\n2\t\\N\t-1\n3\tz\t2000\n", "copied out text");
        try {
            cm.copyIn("COPY jdbc_copy FROM STDIN", new StringReader("4\tx\tnot a number\n"));
            check(false, "bad COPY data is refused");
        } catch (SQLException e) {
            eq(e.getSQLState(), "22P02", "SQLSTATE of bad COPY data");
        }
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM jdbc_copy")) {
            check(rs.next(), "count row");
            eq(rs.getLong(1), 3L, "nothing of the failed COPY landed");
        }
    }

    static void metadata(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        check(md.getDatabaseProductName().equals("PostgreSQL"), "product name");
        eq(md.getDatabaseMajorVersion(), 15, "server major version");
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE jdbc_meta (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                    + " amount DECIMAL(10,2))");
        }
        try (ResultSet rs = md.getTables(null, null, "jdbc_meta", new String[] {"TABLE"})) {
            check(rs.next(), "getTables finds jdbc_meta");
            eq(rs.getString("TABLE_NAME"), "jdbc_meta", "table name");
            eq(rs.getString("TABLE_TYPE"), "TABLE", "table type");
            check(!rs.next(), "one table");
        }
        try (ResultSet rs = md.getColumns(null, null, "jdbc_meta", null)) {
            String[] names = {"id", "name", "amount"};
            int[] types = {Types.INTEGER, Types.VARCHAR, Types.NUMERIC};
            for (int i = 0; i < names.length; i++) {
                check(rs.next(), "getColumns row " + i);
                eq(rs.getString("COLUMN_NAME"), names[i], "column name " + i);
                eq(rs.getInt("DATA_TYPE"), types[i], "JDBC type of " + names[i]);
            }
            check(!rs.next(), "three columns");
        }
        // Not covered: getPrimaryKeys/getIndexInfo use information_schema._pg_expandarray()
        // (a set-returning function with a composite result) and index relations in
        // pg_class, which DuckDB's catalog does not have for primary keys.
    }

    private static String unescape(String s) {
        if (s.equals("\\N"))
            return null;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch != '\\' || i + 1 == s.length()) {
                b.append(ch);
                continue;
            }
            char n = s.charAt(++i);
            b.append(n == 't' ? '\t' : n == 'n' ? '\n' : n == '0' ? '\0' : n);
        }
        return b.toString();
    }

    /** Every column of DuckDB's test_all_types(), all three rows, against the wire text in the
     *  file named by ALLTYPES_FILE (lines: name TAB oid TAB min TAB max, backslash escapes),
     *  which tests/e2e/test_all_types.py writes: getString of text results must equal it, and
     *  binary results (a named statement after prepareThreshold) must carry the same values. */
    static void allTypes(Connection c) throws Exception {
        java.util.List<String> lines = java.nio.file.Files.readAllLines(
                java.nio.file.Paths.get(System.getenv("ALLTYPES_FILE")),
                java.nio.charset.StandardCharsets.UTF_8);
        java.util.Map<String, String[]> want = new java.util.HashMap<>();
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            want.put(f[0], new String[] {f[1], unescape(f[2]), unescape(f[3])});
        }
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT * FROM test_all_types()")) {
            ResultSetMetaData md = rs.getMetaData();
            eq(md.getColumnCount(), want.size(), "test_all_types column count");
            for (int row = 0; row < 3; row++) {
                check(rs.next(), "test_all_types row " + row);
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    String[] w = want.get(md.getColumnName(i));
                    check(w != null, "expected value of " + md.getColumnName(i));
                    eq(((org.postgresql.jdbc.PgResultSetMetaData) md).getColumnType(i) != 0
                            ? md.getColumnTypeName(i) != null : false, true, "type name");
                    eq(rs.getString(i), row < 2 ? w[1 + row] : null,
                            "text " + md.getColumnName(i) + " row " + row);
                }
            }
        }
        // binary results: pgjdbc reads numbers, dates, times, timestamps and uuids in binary
        String[] typed = {"bignum", "hugeint", "uhugeint", "ubigint", "dec38_10", "timestamp_ns",
            "time_ns", "union", "geometry", "uuid", "bit", "time_tz", "interval", "map",
            "double", "bool"};
        // (not the dates and timestamps: the minimum ones are beyond the binary format)
        StringBuilder cols = new StringBuilder();
        for (String name : typed)
            cols.append(cols.length() > 0 ? ", \"" : "\"").append(name).append('"');
        try (PreparedStatement ps = c.prepareStatement("SELECT int_array, " + cols
                + " FROM test_all_types() WHERE \"bool\" IS NOT DISTINCT FROM ?")) {
            ((org.postgresql.PGStatement) ps).setPrepareThreshold(-1);
            for (int row = 0; row < 3; row++) {
                if (row == 2)
                    ps.setNull(1, Types.BOOLEAN);
                else
                    ps.setBoolean(1, row == 1);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "binary row " + row);
                    for (String name : typed) {
                        String[] w = want.get(name);
                        String got = rs.getString(name);
                        if (name.equals("double") && got != null)
                            got = Double.toString(rs.getDouble(name));
                        String exp = row < 2 ? w[1 + row] : null;
                        if (name.equals("double") && exp != null)
                            exp = Double.toString(Double.parseDouble(exp));
                        if (name.equals("bool") && exp != null)
                            exp = exp.equals("t") ? "t" : "f";
                        // pgjdbc shows a binary timetz at UTC: the same instants
                        if (name.equals("time_tz") && exp != null)
                            exp = row == 0 ? "08:00:01+00" : "15:59:59+00";
                        if (name.equals("bool") && got != null)
                            got = rs.getBoolean(name) ? "t" : "f";
                        eq(got, exp, "binary " + name + " row " + row);
                    }
                    if (row < 2) {
                        decimal(rs.getBigDecimal("bignum"), want.get("bignum")[1 + row],
                                "bignum as BigDecimal");
                        eq(rs.getObject("uuid"), UUID.fromString(want.get("uuid")[1 + row]),
                                "uuid object");
                        Array arr = rs.getArray("int_array");
                        eq(arr.getArray(), row == 0 ? new Integer[0]
                                : new Integer[] {42, 999, null, null, -42}, "int_array");
                    }
                    check(!rs.next(), "one binary row");
                }
            }
        }
    }

    /** Usage: ClientTest PORT [SECTION...]; the sections run in order on one connection
     *  (default: types parameters transactions fetchsize metadata). */
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/test";
        Properties props = new Properties();
        props.setProperty("user", "test");
        props.setProperty("password", System.getenv().getOrDefault("PGPASSWORD", ""));
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "60");
        String[] sections = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length)
                : new String[] {"types", "parameters", "transactions", "fetchsize", "copy",
                    "metadata"};
        try (Connection c = DriverManager.getConnection(url, props)) {
            for (String section : sections) {
                switch (section) {
                case "types": types(c); break;
                case "parameters": parameters(c); break;
                case "transactions": transactions(c); break;
                case "fetchsize": fetchSize(c); break;
                case "interleaved": interleaved(c); break;
                case "copy": copy(c); break;
                case "metadata": metadata(c); break;
                case "alltypes": allTypes(c); break;
                default: throw new IllegalArgumentException("unknown section " + section);
                }
            }
        } catch (Throwable e) {
            System.out.println("ClientTest FAILED after " + checks + " checks: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.out.println("ClientTest: " + checks + " checks passed");
    }
}
