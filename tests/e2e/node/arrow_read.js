// Reads an Arrow IPC stream (a file named on the command line, or stdin) with the apache-arrow
// package and prints one JSON document: the schema as apache-arrow understood it, the length of
// every record batch, and the rows. Values are printed in a canonical, lossless spelling so a
// test can compare them with what DuckDB says: integers, decimals (unscaled), dates (days),
// times and timestamps (in their unit) and durations as decimal strings; intervals as
// "months:days:nanoseconds"; binary as lowercase hex; floats as JSON numbers (or "NaN",
// "Infinity", "-Infinity"); lists as arrays, structs as objects, maps as [{key, value}], unions
// as their member's value, dictionary-encoded values as the value.
// Used by tests/e2e/test_arrow.py.
import fs from 'node:fs';
import { RecordBatchReader, Type, makeVector } from 'apache-arrow';

const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');

// A two's complement integer from `words` little-endian uint32 words starting at values[at].
function bigFromWords(values, at, words) {
  let v = 0n;
  for (let k = words - 1; k >= 0; k--) v = (v << 32n) | BigInt(values[at + k] >>> 0);
  const bits = BigInt(32 * words);
  if (v >> (bits - 1n)) v -= 1n << bits;
  return v;
}

function float(v) {
  return Number.isFinite(v) ? v : String(v);
}

// The canonical value of row i of an apache-arrow Data (offsets are 0 after an IPC read).
function canon(data, i) {
  if (data.offset !== 0) throw new Error('unexpected data offset');
  const t = data.type;
  if (t.typeId === Type.Null) return null;
  if (!data.getValid(i)) return null;
  const v = data.values;
  switch (t.typeId) {
    case Type.Int:
      return String(v[i]);
    case Type.Float:
      return float(makeVector(data).get(i));
    case Type.Bool:
      return String(makeVector(data).get(i));
    case Type.Utf8:
    case Type.LargeUtf8:
      return makeVector(data).get(i);
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return hex(makeVector(data).get(i));
    case Type.Decimal: {
      const words = t.bitWidth / 32;
      return String(bigFromWords(v, i * words, words));
    }
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration:
      return String(v[i]);
    case Type.Interval:
      if (t.unit === 2) { // MONTH_DAY_NANO: int32 months, int32 days, int64 nanoseconds
        const nanos = bigFromWords(v, 4 * i + 2, 2);
        return `${v[4 * i]}:${v[4 * i + 1]}:${nanos}`;
      }
      if (t.unit === 1) return `0:${v[2 * i]}:${BigInt(v[2 * i + 1]) * 1000000n}`; // DAY_TIME
      return `${v[i]}:0:0`; // YEAR_MONTH
    case Type.List:
    case Type.LargeList: {
      const o = data.valueOffsets, out = [];
      for (let j = Number(o[i]); j < Number(o[i + 1]); j++) out.push(canon(data.children[0], j));
      return out;
    }
    case Type.Map: {
      const o = data.valueOffsets, entries = data.children[0], out = [];
      for (let j = o[i]; j < o[i + 1]; j++)
        out.push({ key: canon(entries.children[0], j), value: canon(entries.children[1], j) });
      return out;
    }
    case Type.FixedSizeList: {
      const n = t.listSize, out = [];
      for (let j = i * n; j < (i + 1) * n; j++) out.push(canon(data.children[0], j));
      return out;
    }
    case Type.Struct: {
      const out = {};
      t.children.forEach((f, k) => { out[f.name] = canon(data.children[k], i); });
      return out;
    }
    case Type.Union: {
      const child = t.typeIdToChildIndex[data.typeIds[i]];
      const at = t.mode === 1 ? data.valueOffsets[i] : i; // dense : sparse
      return canon(data.children[child], at);
    }
    case Type.Dictionary:
      return canon(data.dictionary.data[0], Number(v[i]));
    default:
      throw new Error(`no canonical form for ${t}`);
  }
}

function describe(field) {
  const md = Object.fromEntries(field.metadata || new Map());
  return {
    name: field.name,
    type: String(field.type),
    typeId: field.typeId,
    nullable: field.nullable,
    metadata: md,
    children: (field.type.children || []).map(describe),
  };
}

const bytes = fs.readFileSync(process.argv[2] || 0);
const reader = RecordBatchReader.from(bytes);
reader.open();
const schema = reader.schema; // the reader forgets it once it has read everything
const batches = [], rows = [];
for (const batch of reader) {
  batches.push(batch.numRows);
  const cols = batch.schema.fields.map((_, k) => batch.getChildAt(k).data[0]);
  for (let i = 0; i < batch.numRows; i++) rows.push(cols.map((d) => canon(d, i)));
}
console.log(JSON.stringify({ schema: schema ? schema.fields.map(describe) : null, batches, rows }));
