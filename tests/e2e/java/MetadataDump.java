// duckd end-to-end test with the PostgreSQL JDBC driver (pgjdbc): prints what DatabaseMetaData
// reports for the schema tests/e2e/test_metadata.py creates (getTables, getColumns,
// getPrimaryKeys, getIndexInfo, getImportedKeys, getExportedKeys, getSchemas, getTypeInfo),
// one line per row with the columns that describe the schema, so that the test can compare
// duckd's answers with a real PostgreSQL's. Arguments: port database user.
// Exits 1 with the exception on the first failing call.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Properties;

public final class MetadataDump {
    private static void dump(String call, ResultSet rs, String... cols) throws Exception {
        try (ResultSet r = rs) {
            while (r.next()) {
                StringBuilder b = new StringBuilder(call);
                for (String col : cols)
                    b.append('|').append(col).append('=').append(r.getString(col));
                System.out.println(b);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/" + args[1];
        Properties props = new Properties();
        props.setProperty("user", args[2]);
        props.setProperty("password", System.getenv().getOrDefault("PGPASSWORD", ""));
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "60");
        try (Connection c = DriverManager.getConnection(url, props)) {
            DatabaseMetaData md = c.getMetaData();
            dump("getSchemas", md.getSchemas(), "TABLE_SCHEM");
            dump("getTables", md.getTables(null, null, "%",
                new String[] {"TABLE", "VIEW", "SEQUENCE"}), "TABLE_SCHEM", "TABLE_NAME",
                "TABLE_TYPE", "REMARKS");
            for (String t : new String[] {"authors", "books", "line", "book_titles"}) {
                dump("getColumns " + t, md.getColumns(null, null, t, null), "TABLE_SCHEM",
                    "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS",
                    "NULLABLE", "COLUMN_DEF", "ORDINAL_POSITION", "IS_NULLABLE",
                    "IS_AUTOINCREMENT");
                dump("getPrimaryKeys " + t, md.getPrimaryKeys(null, null, t), "TABLE_NAME",
                    "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
                dump("getIndexInfo " + t, md.getIndexInfo(null, null, t, false, false),
                    "NON_UNIQUE", "INDEX_NAME", "TYPE", "ORDINAL_POSITION", "COLUMN_NAME",
                    "ASC_OR_DESC");
                dump("getIndexInfo unique " + t, md.getIndexInfo(null, null, t, true, false),
                    "INDEX_NAME", "COLUMN_NAME");
                dump("getImportedKeys " + t, md.getImportedKeys(null, null, t), "PKTABLE_NAME",
                    "PKCOLUMN_NAME", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ", "UPDATE_RULE",
                    "DELETE_RULE", "FK_NAME", "PK_NAME", "DEFERRABILITY");
                dump("getExportedKeys " + t, md.getExportedKeys(null, null, t), "PKTABLE_NAME",
                    "PKCOLUMN_NAME", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ", "FK_NAME",
                    "PK_NAME");
            }
            dump("getPrimaryKeys other.things", md.getPrimaryKeys(null, "other", "things"),
                "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            dump("getTypeInfo", md.getTypeInfo(), "TYPE_NAME", "DATA_TYPE");
        } catch (Throwable e) {
            System.out.println("MetadataDump FAILED: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
