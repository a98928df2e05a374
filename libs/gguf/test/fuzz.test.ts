/**
 * Fuzzing: seeded mutations of real and synthetic headers, and truncation at every header byte of the fixtures.
 * Every case must either parse or throw a GgufError (never RangeError/TypeError, never hang); outcomes are counted.
 */
import { GgufError, GgufValueType as T, parseGguf, writeGguf, GGML_TYPE, type ByteSource } from '../src/index';
import { FIXTURE_GGUFS, prng, readFixture } from './helpers';

// Big fixtures on a shared 2-core machine: allow slow cases (this bounds hangs, it is not a speed assertion).
jest.setTimeout(120_000);

/** Per-case bound: a case that has not settled by then counts as a hang (fails the test). Generous for a busy 2-core box. */
const CASE_TIMEOUT_MS = 10_000;
const MUTATIONS = 3000;

async function outcome(bytes: Uint8Array | ByteSource, opts?: { maxHeaderBytes?: number }): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case did not finish within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  try {
    await Promise.race([parseGguf(bytes, opts), hang]);
    return 'ok';
  } catch (e) {
    if (e instanceof GgufError && e.name === 'GgufError') return e.code;
    throw e; // anything else fails the test, with the mutation's seed in the stack via the caller
  } finally {
    clearTimeout(timer);
  }
}

function synthetic(): Uint8Array {
  return writeGguf({
    metadata: [
      { key: 'general.architecture', type: T.STRING, value: 'bitnet-b1.58' },
      { key: 'general.alignment', type: T.UINT32, value: 32 },
      { key: 'a.u8', type: T.UINT8, value: 1 },
      { key: 'a.i16', type: T.INT16, value: -2 },
      { key: 'a.f32', type: T.FLOAT32, value: 0.5 },
      { key: 'a.b', type: T.BOOL, value: true },
      { key: 'a.u64', type: T.UINT64, value: 5n },
      { key: 'a.f64', type: T.FLOAT64, value: 2.5 },
      { key: 'a.toks', type: T.ARRAY, arrayType: T.STRING, value: ['a', 'bb', 'ccc', 'Ġx'] },
      { key: 'a.scores', type: T.ARRAY, arrayType: T.FLOAT32, value: [0, 1, 2] },
      { key: 'a.i64s', type: T.ARRAY, arrayType: T.INT64, value: [1n, -1n] },
    ],
    tensors: [
      { name: 'e', shape: [256, 2], type: GGML_TYPE.F16, data: new Uint8Array(1024) },
      { name: 'q', shape: [256, 2], type: GGML_TYPE.I2_S, data: new Uint8Array(160) },
      { name: 't', shape: [256, 1], type: GGML_TYPE.TQ2_0, data: new Uint8Array(66) },
      { name: 'n', shape: [8], type: GGML_TYPE.F32, data: new Uint8Array(32) },
    ],
  });
}

const INTERESTING_U64 = [0n, 1n, 2n, 63n, 64n, 255n, 0x7fffffffn, 0xffffffffn, 1n << 32n, 1n << 40n, (1n << 53n) - 1n, 1n << 53n, 1n << 62n, 1n << 63n, (1n << 64n) - 1n];
const INTERESTING_U32 = [0, 1, 4, 5, 7, 8, 9, 10, 12, 13, 35, 36, 37, 38, 39, 40, 77, 0x80000000, 0xffffffff];

function mutate(base: Uint8Array, headerBytes: number, rnd: () => number): Uint8Array {
  const at = () => Math.floor(rnd() * headerBytes);
  const kind = Math.floor(rnd() * 6);
  if (kind === 4) {
    // delete a short range inside the header (shifts everything after it)
    const p = at();
    const n = 1 + Math.floor(rnd() * 16);
    const out = new Uint8Array(base.length - Math.min(n, base.length - p));
    out.set(base.subarray(0, p));
    out.set(base.subarray(p + n), p);
    return out;
  }
  if (kind === 5) {
    // duplicate a short range inside the header
    const p = at();
    const n = 1 + Math.floor(rnd() * 16);
    const chunk = base.subarray(p, p + n);
    const out = new Uint8Array(base.length + chunk.length);
    out.set(base.subarray(0, p + chunk.length));
    out.set(chunk, p + chunk.length);
    out.set(base.subarray(p + chunk.length), p + 2 * chunk.length);
    return out;
  }
  const out = base.slice();
  const dv = new DataView(out.buffer);
  if (kind === 0) {
    for (let i = 0, n = 1 + Math.floor(rnd() * 4); i < n; i++) out[at()] = Math.floor(rnd() * 256);
  } else if (kind === 1) {
    const p = Math.min(at(), headerBytes - 8);
    dv.setBigUint64(p, INTERESTING_U64[Math.floor(rnd() * INTERESTING_U64.length)]!, true);
  } else if (kind === 2) {
    const p = Math.min(at(), headerBytes - 4);
    dv.setUint32(p, INTERESTING_U32[Math.floor(rnd() * INTERESTING_U32.length)]!, true);
  } else {
    const p = at();
    out[p] = out[p]! ^ (1 << Math.floor(rnd() * 8));
  }
  return out;
}

/**
 * A virtual file: the mutated head `m` (a mutation of base[0, k)) followed by the untouched base[k, end), so that a
 * case does not copy the whole 1.2 MB file.
 */
function overlay(base: Uint8Array, m: Uint8Array, k: number): ByteSource {
  const delta = m.length - k;
  const size = base.length + delta;
  return {
    size,
    async read(o, l) {
      if (o < 0 || o + l > size) throw new GgufError('truncated', 'overlay: past the end');
      const out = new Uint8Array(l);
      const fromHead = Math.max(0, Math.min(o + l, m.length) - o);
      if (fromHead > 0) out.set(m.subarray(o, o + fromHead));
      if (fromHead < l) out.set(base.subarray(o + fromHead - delta, o + l - delta), fromHead);
      return out;
    },
  };
}

describe('fuzz: seeded mutations', () => {
  const bases: [string, Uint8Array][] = [
    ['oracle', readFixture('oracle/tiny-bitnet-b158-i2_s.gguf')],
    ['synthetic', synthetic()],
  ];
  // The synthetic file is cheap to parse, the oracle (1024-token vocab) is not: split the budget 1000 / 2000.
  const share = (name: string) => (name === 'oracle' ? MUTATIONS / 3 : (2 * MUTATIONS) / 3);
  it.each(bases)(`%s: its share of ${MUTATIONS} mutations each parse or throw GgufError`, async (name, base) => {
    const headerBytes = (await parseGguf(base)).headerBytes;
    const n = share(name);
    const rnd = prng(name === 'oracle' ? 1234 : 4321);
    const counts: Record<string, number> = {};
    let done = 0;
    for (let i = 0; i < n; i++) {
      const k = Math.min(base.length, headerBytes + 64);
      const m = mutate(base.subarray(0, k), headerBytes, rnd);
      const code = await outcome(overlay(base, m, k), { maxHeaderBytes: 64 * 1024 }).catch((e: unknown) => {
        throw new Error(`${name} mutation #${i}: non-GgufError ${String(e)}`);
      });
      counts[code] = (counts[code] ?? 0) + 1;
      done++;
    }
    expect(done).toBe(n);
    // The mutations must exercise both paths: some still parse, many fail, with several distinct codes.
    expect(counts.ok ?? 0).toBeGreaterThan(0);
    expect(Object.keys(counts).length).toBeGreaterThanOrEqual(5);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(n);
  });
});

/** Start of the tensor-info table: the header length of the same file with its tensors removed from the count is not
 * available, so find it as the end of the last metadata record by re-parsing with tensor_count forced to 0. */
async function tensorInfoStart(bytes: Uint8Array): Promise<number> {
  const copy = bytes.slice();
  new DataView(copy.buffer).setBigUint64(8, 0n, true);
  return (await parseGguf(copy)).headerBytes;
}

async function checkTruncations(name: string, bytes: Uint8Array, points: Set<number>): Promise<Record<string, number>> {
  const f = await parseGguf(bytes);
  const after = f.tensors.length > 0 ? 'out_of_bounds' : 'ok';
  for (const p of [f.headerBytes, f.tensorDataOffset, bytes.length - 1]) if (p < bytes.length) points.add(p);
  const counts: Record<string, number> = {};
  for (const p of points) {
    const code = await outcome(bytes.subarray(0, p));
    const want = p < f.headerBytes ? 'truncated' : after;
    if (code !== want) throw new Error(`${name} cut at ${p}: got ${code}, want ${want}`);
    counts[code] = (counts[code] ?? 0) + 1;
  }
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(points.size);
  return counts;
}

describe('fuzz: truncation', () => {
  it('synthetic file with every value type: every truncation point', async () => {
    const bytes = synthetic();
    const f = await parseGguf(bytes);
    const points = new Set(Array.from({ length: f.headerBytes }, (_, p) => p));
    const counts = await checkTruncations('synthetic', bytes, points);
    expect(counts.truncated).toBe(f.headerBytes);
  });

  it.each(FIXTURE_GGUFS)('%s: cut inside the header → truncated; after it → out_of_bounds (or ok without tensors)', async (rel) => {
    const bytes = readFixture(rel);
    const f = await parseGguf(bytes);
    const tiStart = await tensorInfoStart(bytes);
    const points = new Set<number>();
    // Every byte of the preamble and first records; then either every byte of the tensor-info table (small headers)
    // or an even sample of it; an even sample of the metadata in between (each cut costs a parse of its prefix, so
    // every point of a 1.7 MB vocab header would take minutes).
    for (let p = 0; p < Math.min(f.headerBytes, 4096); p++) points.add(p);
    // The oracle gets every byte of its first tensor-info records and every 5th byte of the rest (each cut there costs
    // a near-full parse); its TQ2 twin has the same layout and gets a sample.
    const everyTensorByte = rel.startsWith('oracle/');
    const stride = f.headerBytes <= 64 * 1024 ? 31 : Math.ceil(f.headerBytes / 24);
    for (let p = 0; p < tiStart; p += stride) points.add(p);
    if (everyTensorByte) for (let p = tiStart; p < f.headerBytes; p += p < tiStart + 320 ? 1 : 5) points.add(p);
    else for (let k = 0; k < 24; k++) points.add(tiStart + Math.floor((k * (f.headerBytes - tiStart)) / 24));
    for (let p = Math.max(0, f.headerBytes - 16); p < f.headerBytes; p++) points.add(p);
    await checkTruncations(rel, bytes, points);
  });
});
