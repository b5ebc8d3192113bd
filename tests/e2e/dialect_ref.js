// Reference runner for tests/e2e/test_duckdb_dialect.py: runs statements in-process on DuckDB
// itself (the native Node addon of the same libduckdb.so duckd links) and prints what each
// returned, as text, so the test can compare it with what duckd answered.
//
// stdin: {"statements": ["sql", ...]} -- run in order on one connection of one in-memory
// database (TimeZone UTC, as duckd's connections).
// stdout: [{"ok": true, "types": [type ids], "rows": [[text|null, ...], ...]} |
//          {"ok": true, "types": [], "rows": [], "changed": n} | {"ok": false, "error": msg}]
//
// A statement that returns rows is run once, wrapped as SELECT <render(#i)> FROM (stmt) so
// DuckDB renders every value as text: LIST/ARRAY/STRUCT/MAP as JSON (to_json), BLOB as
// PostgreSQL's \x hex, everything else as its VARCHAR cast. A statement that cannot be
// wrapped (DML with RETURNING, PRAGMA, a PIVOT DuckDB expands into several statements) runs
// natively and its VARCHAR, integer (HUGEINT too), boolean and floating-point columns are
// decoded here.
"use strict";
const path = require("path");
const ADDON = process.env.DUCKDB_NODE_ADDON ||
    path.join(__dirname, "..", "..", "deps", "node_modules", "@duckdb",
              "node-bindings-linux-x64", "duckdb.node");
const d = require(ADDON);
const T = d.Type;
const NESTED = new Set([T.LIST, T.ARRAY, T.STRUCT, T.MAP]);

function render(i, type) {
    const c = "#" + (i + 1);
    if (NESTED.has(type))
        return "to_json(" + c + ")::VARCHAR";
    if (type === T.BLOB)
        return "'\\x' || lower(hex(" + c + "))";
    return c + "::VARCHAR";
}

function readString(data, row) {
    const off = row * 16;
    const len = data.readUInt32LE(off);
    if (len <= 12)
        return data.subarray(off + 4, off + 4 + len).toString("utf8");
    return Buffer.from(d.get_data_from_pointer(data.buffer, data.byteOffset + off + 8, len))
        .toString("utf8");
}

const FIXED = {
    [T.BOOLEAN]: [1, (b, o) => (b.readUInt8(o) ? "true" : "false")],
    [T.TINYINT]: [1, (b, o) => String(b.readInt8(o))],
    [T.SMALLINT]: [2, (b, o) => String(b.readInt16LE(o))],
    [T.INTEGER]: [4, (b, o) => String(b.readInt32LE(o))],
    [T.BIGINT]: [8, (b, o) => String(b.readBigInt64LE(o))],
    [T.UTINYINT]: [1, (b, o) => String(b.readUInt8(o))],
    [T.USMALLINT]: [2, (b, o) => String(b.readUInt16LE(o))],
    [T.UINTEGER]: [4, (b, o) => String(b.readUInt32LE(o))],
    [T.UBIGINT]: [8, (b, o) => String(b.readBigUInt64LE(o))],
    [T.FLOAT]: [4, (b, o) => String(b.readFloatLE(o))],
    [T.DOUBLE]: [8, (b, o) => String(b.readDoubleLE(o))],
    [T.HUGEINT]: [16, (b, o) => String((b.readBigInt64LE(o + 8) << 64n) + b.readBigUInt64LE(o))],
    [T.UHUGEINT]: [16, (b, o) => String((b.readBigUInt64LE(o + 8) << 64n) + b.readBigUInt64LE(o))],
};

// Decodes a natively run result's rows (types above and VARCHAR; others are an error).
async function decode(res) {
    const n = d.column_count(res);
    const types = [];
    for (let i = 0; i < n; i++)
        types.push(d.column_type(res, i));
    const rows = [];
    for (;;) {
        const chunk = await d.fetch_chunk(res);
        if (!chunk)
            break;
        const size = d.data_chunk_get_size(chunk);
        if (size === 0)
            break;
        const cols = [];
        for (let i = 0; i < n; i++) {
            const v = d.data_chunk_get_vector(chunk, i);
            const t = types[i];
            const width = t === T.VARCHAR ? 16 : (FIXED[t] || [0])[0];
            if (!width)
                throw new Error("dialect_ref: cannot decode type " + T[t] + " natively");
            const data = d.vector_get_data(v, width * size);
            const validity = d.vector_get_validity(v, size);
            const out = [];
            for (let r = 0; r < size; r++) {
                if (validity && !d.validity_row_is_valid(validity, r))
                    out.push(null);
                else if (t === T.VARCHAR)
                    out.push(readString(data, r));
                else
                    out.push(FIXED[t][1](data, r * width));
            }
            cols.push(out);
        }
        for (let r = 0; r < size; r++)
            rows.push(cols.map((c) => c[r]));
    }
    return {ok: true, types, rows, changed: Number(d.rows_changed(res))};
}

async function wrappedTypes(con, sql) {
    let prep;
    try {
        prep = await d.prepare(con, "SELECT * FROM (" + sql + "\n) AS dialect_ref_q");
    } catch (e) {
        return null;
    }
    const types = [];
    const n = d.prepared_statement_column_count(prep);
    for (let i = 0; i < n; i++)
        types.push(d.prepared_statement_column_type(prep, i));
    d.destroy_prepare_sync(prep);
    return types;
}

async function runOne(con, sql) {
    const types = await wrappedTypes(con, sql);
    if (types) {
        const sel = types.map((t, i) => render(i, t)).join(", ");
        const res = await d.query(con, "SELECT " + sel + " FROM (" + sql + "\n) AS dialect_ref_q");
        const out = await decode(res);
        out.types = types;
        delete out.changed;
        return out;
    }
    return decode(await d.query(con, sql));
}

async function main() {
    const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const db = await d.open(":memory:");
    const con = await d.connect(db);
    await d.query(con, "SET TimeZone = 'UTC'");
    const results = [];
    for (const sql of input.statements) {
        try {
            results.push(await runOne(con, sql));
        } catch (e) {
            results.push({ok: false, error: String(e.message || e)});
        }
    }
    process.stdout.write(JSON.stringify(results));
}

main().catch((e) => {
    process.stderr.write(String(e.stack || e) + "\n");
    process.exit(1);
});
