// duckd end-to-end test with node-postgres (pg: extended protocol, text format) and postgres.js
// (extended protocol, statements described before they run, its own type fetching).
// Usage: node client_test.mjs PORT [SECTION...]; run with TZ=UTC (both libraries turn dates
// and timestamps into JavaScript Dates in the local time zone). Prints "N checks passed" and
// exits 0, or prints the first failure and exits 1.
import assert from 'node:assert/strict';
import pg from 'pg';
import postgres from 'postgres';

const port = Number(process.argv[2]);
const sections = process.argv.length > 3 ? process.argv.slice(3)
    : ['pg-types', 'pg-params', 'pg-tx', 'js-types', 'js-params', 'js-tx'];
let checks = 0;

function eq(got, want, what) {
    assert.deepStrictEqual(got, want, what);
    checks++;
}

const CREATE = (t) => `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT,
    i4 INTEGER, i8 BIGINT, hi HUGEINT, d18 DECIMAL(18,3), d38 DECIMAL(38,10), f4 REAL,
    f8 DOUBLE, s VARCHAR, bl BLOB, dt DATE, tm TIME, ts TIMESTAMP, tstz TIMESTAMPTZ,
    iv INTERVAL, u UUID, j JSON, li INTEGER[], ls VARCHAR[], st STRUCT(a INTEGER, b VARCHAR),
    mp MAP(VARCHAR, INTEGER))`;
const INSERT = (t) => `INSERT INTO ${t} VALUES (1, true, -12345, 2147483647,
    9223372036854775807, 170141183460469231731687303715884105727, 1.250,
    12345678901234567890.0123456789, 1.5, 2.25, 'héllo, "world"', '\\x00\\x01\\xff'::BLOB,
    DATE '2024-02-29', TIME '13:45:06.5', TIMESTAMP '2024-02-29 13:45:06.123456',
    TIMESTAMPTZ '2024-02-29 13:45:06.5+00', INTERVAL '1 year 2 months 3 days 04:05:06.5',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2, null]}', [1, 2, NULL],
    ['a', 'b c', NULL], {'a': 1, 'b': 'x'}, MAP {'k': 1}); INSERT INTO ${t} (id) VALUES (2)`;
const COLUMNS = ['id', 'b', 'i2', 'i4', 'i8', 'hi', 'd18', 'd38', 'f4', 'f8', 's', 'bl', 'dt',
    'tm', 'ts', 'tstz', 'iv', 'u', 'j', 'li', 'ls', 'st', 'mp'];

// What both libraries return for row 1 in text format: 64-bit and arbitrary-precision
// numbers stay strings (exact), json is parsed, bytea is a Buffer, time stays text.
const COMMON = {
    id: 1, b: true, i2: -12345, i4: 2147483647, i8: '9223372036854775807',
    hi: '170141183460469231731687303715884105727', d18: '1.250',
    d38: '12345678901234567890.0123456789', f4: 1.5, f8: 2.25, s: 'héllo, "world"',
    bl: Buffer.from([0, 1, 255]), dt: new Date('2024-02-29T00:00:00Z'), tm: '13:45:06.5',
    // JavaScript Dates keep milliseconds only
    ts: new Date('2024-02-29T13:45:06.123Z'), tstz: new Date('2024-02-29T13:45:06.500Z'),
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', j: {k: [1, 2, null]}, li: [1, 2, null],
    ls: ['a', 'b c', null], st: {a: 1, b: 'x'}, mp: {k: 1},
};

function checkRow(row, want, lib) {
    eq(Object.keys(row), COLUMNS, `${lib}: column names`);
    for (const c of COLUMNS)
        eq(row[c], want[c], `${lib}: column ${c}`);
}

function checkNulls(row, lib) {
    eq(row.id, 2, `${lib}: id of the NULL row`);
    for (const c of COLUMNS.slice(1))
        eq(row[c], null, `${lib}: NULL ${c}`);
}

// ---------------------------------------------------------------- node-postgres (pg)

async function pgClient() {
    const c = new pg.Client({host: '127.0.0.1', port, user: 'test', database: 'test',
        connectionTimeoutMillis: 10000, statement_timeout: 0});
    await c.connect();
    return c;
}

async function pgTypes() {
    const c = await pgClient();
    try {
        await c.query(CREATE('pg_all'));
        await c.query(INSERT('pg_all'));
        const r = await c.query(`SELECT ${COLUMNS.join(', ')} FROM pg_all ORDER BY id`);
        eq(r.rowCount, 2, 'pg: row count');
        eq(r.fields.map((f) => f.dataTypeID),
            [23, 16, 21, 23, 20, 1700, 1700, 1700, 700, 701, 25, 17, 1082, 1083, 1114, 1184,
                1186, 2950, 3802, 1007, 1009, 114, 114], 'pg: column type OIDs');
        const row = {...r.rows[0]};
        // pg parses an interval into its own PostgresInterval object
        const iv = row.iv;
        row.iv = undefined;
        checkRow(row, {...COMMON, iv: undefined}, 'pg');
        eq({...iv}, {years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6,
            milliseconds: 500}, 'pg: interval');
        checkNulls(r.rows[1], 'pg');
        // the same through a named prepared statement, several times
        for (let i = 0; i < 3; i++) {
            const p = await c.query({name: 'pg_row', text: `SELECT id, d18, s, ts FROM pg_all
                WHERE id = $1`, values: [1]});
            eq(p.rows, [{id: 1, d18: '1.250', s: COMMON.s, ts: COMMON.ts}], 'pg: named statement');
        }
    } finally {
        await c.end();
    }
}

async function pgParams() {
    const c = await pgClient();
    try {
        await c.query(`CREATE TABLE pg_p (id INTEGER PRIMARY KEY, d DECIMAL(18,3), s VARCHAR,
            bl BLOB, ts TIMESTAMPTZ, dt DATE, ok BOOLEAN, f DOUBLE, j JSON, n BIGINT)`);
        const ts = new Date('2021-03-04T05:06:07.089Z');
        const ins = await c.query('INSERT INTO pg_p VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
            [1, '-7.125', "it's \"q\"", Buffer.from([0, 254, 39, 92]), ts, '1999-12-31', true,
                0.1, {a: [1, 'x']}, '-9000000000']);
        eq(ins.rowCount, 1, 'pg: insert count');
        eq(ins.command, 'INSERT', 'pg: command');
        await c.query('INSERT INTO pg_p (id, s) VALUES ($1, $2)', [2, null]);
        const r = await c.query('SELECT * FROM pg_p WHERE id >= $1 AND (s = $2 OR s IS NULL) ORDER BY id',
            [1, "it's \"q\""]);
        eq(r.rows[0], {id: 1, d: '-7.125', s: "it's \"q\"", bl: Buffer.from([0, 254, 39, 92]),
            ts, dt: new Date('1999-12-31T00:00:00Z'), ok: true, f: 0.1, j: {a: [1, 'x']},
            n: '-9000000000'}, 'pg: parameters round trip');
        eq(r.rows[1].s, null, 'pg: NULL parameter');
        const e = await c.query('SELECT $1::INTEGER + 1 AS a, $2 || \'x\' AS b', [41, 'y']);
        eq(e.rows, [{a: 42, b: 'yx'}], 'pg: expression parameters');
        await assert.rejects(c.query('SELECT * FROM no_such_table'),
            (err) => err.code === '42P01', 'pg: SQLSTATE of a missing table');
        checks++;
    } finally {
        await c.end();
    }
}

async function pgTx() {
    const c = await pgClient();
    try {
        await c.query('CREATE TABLE pg_tx (x INTEGER)');
        await c.query('BEGIN');
        await c.query('INSERT INTO pg_tx VALUES ($1)', [1]);
        eq((await c.query('SELECT count(*)::INTEGER AS n FROM pg_tx')).rows[0].n, 1, 'pg: in tx');
        await c.query('ROLLBACK');
        eq((await c.query('SELECT count(*)::INTEGER AS n FROM pg_tx')).rows[0].n, 0, 'pg: rolled back');
        await c.query('BEGIN');
        await c.query('INSERT INTO pg_tx VALUES ($1)', [2]);
        await assert.rejects(c.query('SELECT 1/0::VARCHAR'), undefined, 'pg: error in tx');
        await assert.rejects(c.query('SELECT 1'), (err) => err.code === '25P02', 'pg: failed tx');
        await c.query('ROLLBACK');
        await c.query('BEGIN');
        await c.query('INSERT INTO pg_tx VALUES ($1)', [3]);
        await c.query('COMMIT');
        eq((await c.query('SELECT x FROM pg_tx')).rows, [{x: 3}], 'pg: committed');
    } finally {
        await c.end();
    }
}

async function pgArrays() {
    const c = await pgClient();
    try {
        // pg sends arrays as text in PostgreSQL's array syntax: '{"1","2",NULL}'
        const r = await c.query('SELECT $1::INTEGER[] AS a, $2::VARCHAR[] AS b', [[1, 2, null], ['x', 'y z']]);
        eq(r.rows, [{a: [1, 2, null], b: ['x', 'y z']}], 'pg: array parameters');
    } finally {
        await c.end();
    }
}

// ---------------------------------------------------------------- postgres.js

function jsClient() {
    return postgres({host: '127.0.0.1', port, user: 'test', database: 'test', max: 1,
        connect_timeout: 10, idle_timeout: 1, onnotice: () => {}});
}

async function jsTypes() {
    const sql = jsClient();
    try {
        await sql.unsafe(CREATE('js_all'));
        await sql.unsafe(INSERT('js_all'));
        const rows = await sql`SELECT ${sql.unsafe(COLUMNS.join(', '))} FROM js_all ORDER BY id`;
        eq(rows.count, 2, 'postgres.js: row count');
        eq(rows.columns.map((col) => col.type),
            [23, 16, 21, 23, 20, 1700, 1700, 1700, 700, 701, 25, 17, 1082, 1083, 1114, 1184,
                1186, 2950, 3802, 1007, 1009, 114, 114], 'postgres.js: column type OIDs');
        // postgres.js has no interval parser: the text as PostgreSQL prints it. Its array
        // parser does not know NULL elements: it hands the unquoted word NULL to the element
        // parser (Number('NULL') is NaN; text keeps 'NULL'), as it does with PostgreSQL.
        checkRow({...rows[0]}, {...COMMON, iv: '1 year 2 mons 3 days 04:05:06.5',
            li: [1, 2, NaN], ls: ['a', 'b c', 'NULL']}, 'postgres.js');
        checkNulls(rows[1], 'postgres.js');
        for (let i = 0; i < 3; i++) { // the same statement again: reused prepared statement
            const r = await sql`SELECT id, d18, s FROM js_all WHERE id = ${1}`;
            eq([...r], [{id: 1, d18: '1.250', s: COMMON.s}], 'postgres.js: prepared statement');
        }
    } finally {
        await sql.end({timeout: 5});
    }
}

async function jsParams() {
    const sql = jsClient();
    try {
        await sql`CREATE TABLE js_p (id INTEGER PRIMARY KEY, d DECIMAL(18,3), s VARCHAR,
            bl BLOB, ts TIMESTAMPTZ, ok BOOLEAN, f DOUBLE, j JSON, n BIGINT)`;
        const ts = new Date('2021-03-04T05:06:07.089Z');
        const ins = await sql`INSERT INTO js_p VALUES (${1}, ${'-7.125'}, ${"it's \"q\""},
            ${Buffer.from([0, 254, 39, 92])}, ${ts}, ${true}, ${0.1}, ${sql.json({a: [1, 'x']})},
            ${'-9000000000'})`;
        eq(ins.count, 1, 'postgres.js: insert count');
        eq(ins.command, 'INSERT', 'postgres.js: command');
        await sql`INSERT INTO js_p (id, s) VALUES (${2}, ${null})`;
        const rows = await sql`SELECT * FROM js_p WHERE id >= ${1} ORDER BY id`;
        eq({...rows[0]}, {id: 1, d: '-7.125', s: "it's \"q\"", bl: Buffer.from([0, 254, 39, 92]),
            ts, ok: true, f: 0.1, j: {a: [1, 'x']}, n: '-9000000000'},
        'postgres.js: parameters round trip');
        eq(rows[1].s, null, 'postgres.js: NULL parameter');
        const e = await sql`SELECT ${41}::INTEGER + 1 AS a, ${'y'}::VARCHAR || 'x' AS b`;
        eq([...e], [{a: 42, b: 'yx'}], 'postgres.js: expression parameters');
        await assert.rejects(sql`SELECT * FROM no_such_table`,
            (err) => err.code === '42P01', 'postgres.js: SQLSTATE of a missing table');
        checks++;
    } finally {
        await sql.end({timeout: 5});
    }
}

async function jsTx() {
    const sql = jsClient();
    try {
        await sql`CREATE TABLE js_tx (x INTEGER)`;
        await assert.rejects(sql.begin(async (tx) => {
            await tx`INSERT INTO js_tx VALUES (${1})`;
            eq((await tx`SELECT count(*)::INTEGER AS n FROM js_tx`)[0].n, 1, 'postgres.js: in tx');
            throw new Error('roll back');
        }), /roll back/);
        checks++;
        eq((await sql`SELECT count(*)::INTEGER AS n FROM js_tx`)[0].n, 0, 'postgres.js: rolled back');
        const got = await sql.begin(async (tx) => {
            await tx`INSERT INTO js_tx VALUES (${2})`;
            return tx`SELECT x FROM js_tx`;
        });
        eq([...got], [{x: 2}], 'postgres.js: committed');
        // a cursor: the portal is executed a few rows at a time
        let n = 0;
        await sql.begin(async (tx) => {
            for await (const batch of tx`SELECT i FROM range(0, 100) t(i) ORDER BY i`.cursor(16))
                for (const r of batch)
                    eq(Number(r.i), n++, 'postgres.js: cursor row');
        });
        eq(n, 100, 'postgres.js: cursor rows');
    } finally {
        await sql.end({timeout: 5});
    }
}

// A parameter whose type only the context decides ($1 || 'x'): postgres.js describes the
// statement before binding it and decodes the rows with that description.
async function jsUntyped() {
    const sql = jsClient();
    try {
        const e = await sql`SELECT ${41}::INTEGER + 1 AS a, ${'y'} || 'x' AS b`;
        eq([...e], [{a: 42, b: 'yx'}], 'postgres.js: untyped parameter');
    } finally {
        await sql.end({timeout: 5});
    }
}

// postgres.js serializes sql.array() through the array-type map it fills from its connect-time
// pg_type query, but it builds the first query of a new connection before that map is filled
// (porsager/postgres#789): there sql.array([1, 2]) goes out as the text '1,2' declared as text,
// which PostgreSQL 15 rejects too ("malformed array literal"). An explicit array type OID needs
// no map (the serializer is looked up at Bind, after the Describe round trip); after the first
// query the inferred types work.
async function jsArrays() {
    const sql = jsClient();
    try {
        const first = await sql`SELECT ${sql.array([1, 2], 1007)}::INTEGER[] AS a`;
        eq([...first], [{a: [1, 2]}], 'postgres.js: int4[] parameter with its OID, first query');
        const r = await sql`SELECT ${sql.array([1, 2])}::INTEGER[] AS a, ${sql.array(['x', 'y z'])}::VARCHAR[] AS b`;
        eq([...r], [{a: [1, 2], b: ['x', 'y z']}], 'postgres.js: array parameters');
        // text[]: quotes, backslashes, commas, braces and the word NULL survive (quoted by the
        // library); a JavaScript null is a NULL element, which its parser reads back as 'NULL'.
        const t = await sql`SELECT ${sql.array(['a "q"', 'b\\c', 'd,e', '{f}', 'NULL', null])}::TEXT[] AS t,
            array_length(${sql.array(['a', null])}::TEXT[], 1)::INTEGER AS n,
            (${sql.array(['a', null])}::TEXT[])[2] IS NULL AS isnull`;
        eq([...t], [{t: ['a "q"', 'b\\c', 'd,e', '{f}', 'NULL', 'NULL'], n: 2, isnull: true}],
            'postgres.js: text[] parameter');
        eq(t.columns.map((col) => col.type), [1009, 23, 16], 'postgres.js: text[] column type');
        // int8[]: BigInts are inferred as int8 (20), so the array goes out as int8[] (1016);
        // int8 elements come back as strings (exact), as int8 columns do.
        const i = await sql`SELECT ${sql.array([9223372036854775807n, -9223372036854775808n, 0n])}::BIGINT[] AS a,
            ${sql.array(['1', '-2'], 20)}::BIGINT[] AS b`;
        eq([...i], [{a: ['9223372036854775807', '-9223372036854775808', '0'], b: ['1', '-2']}],
            'postgres.js: int8[] parameters');
        eq(i.columns.map((col) => col.type), [1016, 1016], 'postgres.js: int8[] column types');
        // Round trip through a table: arrays stored from parameters read back equal.
        await sql`CREATE TEMP TABLE js_arr (id INTEGER, t TEXT[], i BIGINT[])`;
        await sql`INSERT INTO js_arr VALUES (1, ${sql.array(['x', 'y z', ''])}, ${sql.array([1n, 2n])})`;
        const rows = await sql`SELECT t, i, t = ${sql.array(['x', 'y z', ''])}::TEXT[] AS same FROM js_arr`;
        eq([...rows], [{t: ['x', 'y z', ''], i: ['1', '2'], same: true}], 'postgres.js: arrays in a table');
    } finally {
        await sql.end({timeout: 5});
    }
}

const SECTIONS = {'pg-types': pgTypes, 'pg-params': pgParams, 'pg-tx': pgTx, 'pg-arrays': pgArrays,
    'js-types': jsTypes, 'js-params': jsParams, 'js-tx': jsTx, 'js-untyped': jsUntyped,
    'js-arrays': jsArrays};

try {
    for (const s of sections) {
        if (!SECTIONS[s])
            throw new Error(`unknown section ${s}`);
        await SECTIONS[s]();
    }
    console.log(`client_test: ${checks} checks passed`);
} catch (err) {
    console.log(`client_test FAILED after ${checks} checks:`, err);
    process.exit(1);
}
