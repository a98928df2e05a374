/**
 * Tests of the browser benchmark's environment-free parts (query parsing, statistics,
 * the ratio table, token-exact prompt texts) and of the architecture retagging on a tiny synthetic
 * model. The benchmark itself runs in Chromium (bin/browser-bench.mjs) and is not a test.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGguf } from '@bitnet-wasm/gguf';
import { Tokenizer } from '@bitnet-wasm/tokenizer';
import { PRESETS, writeSynthModel } from '@bitnet-wasm/tools-models';
import { BenchSettingsError, makeResult, meanSd, parseBenchQuery, ratios, textOfTokens, type BrowserBenchResult } from './browser-common';
import { retagArchitecture } from './browser-retag';

describe('parseBenchQuery', () => {
  it('reads every setting, with defaults', () => {
    const s = parseBenchQuery('?model=/m/x.gguf&engine=wllama&p=32&n=16&t=1,2&reps=5&head=q8_0&batch=32');
    expect(s).toEqual({ model: '/m/x.gguf', engine: 'wllama', nPrompt: 32, nGen: 16, threads: [1, 2], depths: [0], reps: 5, head: 'q8_0', batch: 32, ctx: 256, flavor: 'auto', profile: false, settleMs: 0 });
    const d = parseBenchQuery('model=/a.gguf');
    expect(d).toMatchObject({ engine: 'bitnet-wasm', nPrompt: 128, nGen: 64, threads: [1], reps: 3, head: 'f16', batch: 64, ctx: 256 });
    expect(parseBenchQuery('model=/a.gguf&p=512&n=64').ctx).toBe(512 + 64 + 8);
    expect(parseBenchQuery('model=/a.gguf&profile=1&settle=5000')).toMatchObject({ profile: true, settleMs: 5000 });
    // cache depths (ours only): the default context holds the deepest one plus the tests
    expect(parseBenchQuery('model=/a.gguf&p=64&n=32&d=0,1024')).toMatchObject({ depths: [0, 1024], ctx: 1024 + 64 + 32 + 8 });
    expect(parseBenchQuery('model=/a.gguf&p=64&n=32&d=1024&ctx=1088').ctx).toBe(1088);
  });

  it.each([
    ['', /model is required/],
    ['model=/a&engine=llama', /engine/],
    ['model=/a&p=-1', /p must be/],
    ['model=/a&p=0&n=0', /nothing to measure/],
    ['model=/a&t=1,x', /thread counts/],
    ['model=/a&t=0', /\[1, 16\]/],
    ['model=/a&reps=0', /reps must be in/],
    ['model=/a&head=q4', /head/],
    ['model=/a&p=128&ctx=64', /too small/],
    ['model=/a&flavor=gpu', /flavor/],
    ['model=/a&profile=yes', /profile must be 0 or 1/],
    ['model=/a&settle=-5', /settle must be/],
    ['model=/a&d=0,x', /d must be a comma-separated list/],
    ['model=/a&d=200000', /\[0, 131072\]/],
    ['model=/a&p=64&n=32&d=1024&ctx=1087', /too small .* d=1024 \(needs 1088\)/],
  ])('rejects %j', (q, msg) => {
    expect(() => parseBenchQuery(q)).toThrow(BenchSettingsError);
    expect(() => parseBenchQuery(q)).toThrow(msg);
  });
});

describe('meanSd and makeResult', () => {
  it('computes the mean and the sample standard deviation', () => {
    expect(meanSd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, sd: Math.sqrt(32 / 7) });
    expect(meanSd([3])).toEqual({ mean: 3, sd: 0 });
  });
  it('turns durations into llama-bench fields', () => {
    const base = baseResult('bitnet-wasm', 'x.gguf', 'bitnet-b1.58 I2_S', 1);
    const r = makeResult(base, 128, 0, [2, 4]);
    expect(r.test).toBe('pp128');
    expect(r.samples_ts).toEqual([64, 32]);
    expect(r.avg_ts).toBe(48);
    expect(r.stddev_ts).toBeCloseTo(Math.sqrt(512), 10);
    expect(r.avg_ns).toBe(3e9);
    expect(makeResult(base, 0, 64, [1]).test).toBe('tg64');
    expect(makeResult(base, 0, 64, [1])).toMatchObject({ n_depth: 0 });
    expect(makeResult(base, 0, 64, [1], 1024)).toMatchObject({ n_depth: 1024, test: 'tg64 @ d1024' });
  });
});

function baseResult(engine: BrowserBenchResult['engine'], file: string, type: string, t: number) {
  return {
    engine,
    browser: 'Chromium 1',
    model_filename: file,
    model_type: type,
    n_threads: t,
    head_type: 'f16',
    kernels: 'st',
    n_batch: 64,
    n_ctx: 256,
    load_ms: 1,
    fetch_ms: 1,
    timing: 'js' as const,
  };
}

describe('ratios', () => {
  it('divides ours by wllama per test kind and thread count, null where a side is missing', () => {
    const mk = (engine: BrowserBenchResult['engine'], file: string, type: string, t: number, nP: number, nG: number, s: number) =>
      makeResult(baseResult(engine, file, type, t), nP, nG, [s]);
    const results = [
      mk('wllama', 'm.bitnet-arch.gguf', 'bitnet TQ2_0', 1, 0, 10, 10), // 1 t/s
      mk('wllama', 'm.bitnet-arch.gguf', 'bitnet TQ2_0', 1, 10, 0, 5), // 2 t/s
      mk('bitnet-wasm', 'm.gguf', 'bitnet-b1.58 TQ2_0', 1, 0, 10, 2), // 5 t/s
      mk('bitnet-wasm', 'i.gguf', 'bitnet-b1.58 I2_S', 1, 0, 10, 1), // 10 t/s
      mk('bitnet-wasm', 'i.gguf', 'bitnet-b1.58 I2_S', 1, 10, 0, 1), // 10 t/s
      mk('bitnet-wasm', 'i.gguf', 'bitnet-b1.58 I2_S', 2, 0, 10, 1),
    ];
    const r = ratios(results, (x) => x.model_type.endsWith('I2_S'));
    expect(r.decode_ours_over_wllama).toEqual([
      { n_threads: 1, tq2_0: 5, i2_s_vs_wllama_tq2_0: 10 },
      { n_threads: 2, tq2_0: null, i2_s_vs_wllama_tq2_0: null },
    ]);
    expect(r.prefill_ours_over_wllama[0]).toEqual({ n_threads: 1, tq2_0: null, i2_s_vs_wllama_tq2_0: 5 });
    // our tests at a cache depth (wllama runs depth 0 only) stay out of the ratios, wherever they come in the list
    const deep = makeResult(baseResult('bitnet-wasm', 'i.gguf', 'bitnet-b1.58 I2_S', 1), 0, 10, [100], 1024);
    expect(ratios([deep, ...results], (x) => x.model_type.endsWith('I2_S'))).toEqual(r);
  });
});

describe('textOfTokens', () => {
  const tiny = writeSynthModel({ ...PRESETS.tiny });
  it('gives texts of exactly n tokens (BOS included) for a real tokenizer', async () => {
    const tok = Tokenizer.fromGguf(await parseGguf(tiny));
    const bos = tok.encode('').length;
    for (const n of [bos + 1, 8, 32, 128]) expect(tok.encode(textOfTokens(tok, n))).toHaveLength(n);
    expect(textOfTokens(tok, bos)).toBe('');
  });
  it('throws when no repeated piece adds exactly one token', () => {
    const twoPerChar = { encode: (t: string) => Array.from({ length: 2 * t.length + 1 }, () => 0) };
    expect(() => textOfTokens(twoPerChar, 8)).toThrow(BenchSettingsError);
  });
});

describe('retagArchitecture', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-retag-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renames the architecture and its keys and keeps every tensor byte', async () => {
    const src = join(dir, 'tiny.gguf');
    const dst = join(dir, 'tiny.bitnet.gguf');
    writeFileSync(src, writeSynthModel({ ...PRESETS.tiny, weightType: 'tq2_0' }));
    const summary = await retagArchitecture(src, dst, 'bitnet');
    const a = await parseGguf(new Uint8Array(readFileSync(src)));
    const bytes = new Uint8Array(readFileSync(dst));
    const b = await parseGguf(bytes);
    expect(summary).toMatchObject({ from: 'bitnet-b1.58', to: 'bitnet', bytes: bytes.length });
    expect(b.architecture).toBe('bitnet');
    const archKeys = Object.keys(a.metadata).filter((k) => k.startsWith('bitnet-b1.58.'));
    expect(archKeys.length).toBeGreaterThan(5);
    expect(summary.renamedKeys).toBe(archKeys.length);
    for (const k of archKeys) expect(b.metadata['bitnet' + k.slice('bitnet-b1.58'.length)]).toEqual(a.metadata[k]);
    expect(Object.keys(b.metadata).some((k) => k.startsWith('bitnet-b1.58.'))).toBe(false);
    expect(b.metadata['tokenizer.ggml.tokens']).toEqual(a.metadata['tokenizer.ggml.tokens']);
    const srcBytes = new Uint8Array(readFileSync(src));
    expect(b.tensors.map((t) => [t.name, t.type, t.shape])).toEqual(a.tensors.map((t) => [t.name, t.type, t.shape]));
    for (let i = 0; i < a.tensors.length; i++) {
      const ta = a.tensors[i]!;
      const tb = b.tensors[i]!;
      expect(Buffer.compare(bytes.subarray(tb.absoluteOffset, tb.absoluteOffset + tb.byteLength), srcBytes.subarray(ta.absoluteOffset, ta.absoluteOffset + ta.byteLength))).toBe(0);
    }
  });
});
