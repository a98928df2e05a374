/**
 * Tests of bin/kernels.mjs (the kernel benchmark) as a child process against the built wasm, in its
 * --smoke mode (milliseconds per measurement): the JSON carries the threaded read ceiling on the
 * 2-thread rows, the TQ2_0 decode rows and the prefill row's compute ceiling (bn_bench_dot_peak), every
 * figure a positive finite number. The benchmark
 * itself checks the checksum of bn_bench_read_threads against the sum of its buffer. Nothing here
 * looks at speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const script = join(__dirname, '../bin/kernels.mjs');
const wasmDir = process.env.BITNET_WASM_DIR ?? join(__dirname, '../../../libs/kernels/dist/wasm');
const missing = ['bitnet-st.js', 'bitnet-mt.js'].map((f) => join(wasmDir, f)).filter((f) => !existsSync(f));

type Row = Record<string, unknown>;
interface FlavorResult {
  flavor: string;
  threads: number;
  i2s_decode: Row[];
  tq2_0_decode?: Row[];
  tq2_0_decode_stream?: Row;
  i2s_prefill?: Row | null;
  attention_decode?: Row[];
}
interface BenchJson {
  ceiling_note: string;
  dot_peak_note?: string;
  results: FlavorResult[];
}

const positive = (row: Row, keys: string[]) => {
  for (const k of keys) {
    const v = row[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${k} = ${String(v)} in ${JSON.stringify(row)}`);
  }
};
// the benchmark's JSON for some sections in --smoke mode, st on 1 thread and mt on 2, relaxed flavours skipped
const runSmoke = (only: string): BenchJson =>
  JSON.parse(
    execFileSync(process.execPath, [script, '--smoke', '--only', only, '--threads', '1,2', '--no-rx'], {
      env: { ...process.env, BITNET_WASM_DIR: wasmDir },
      encoding: 'utf8',
      maxBuffer: 16 << 20,
      timeout: 170_000,
    }),
  ) as BenchJson;
// the ceiling fields of a row run with `threads` threads
const ceilingKeys = (threads: number) => (threads > 1 ? ['read_ceiling_gb_s', 'read_ceiling_1t_gb_s'] : ['read_ceiling_gb_s']);

if (missing.length) {
  describe('kernels.mjs --smoke', () => {
    it.skip(`skipped: the wasm is not built (${missing.join(', ')} missing; run npx nx run kernels:build-wasm)`, () => undefined);
  });
} else {
  describe('kernels.mjs --smoke --only tq,decode --threads 1,2 --no-rx', () => {
    let out: BenchJson;
    beforeAll(() => {
      out = runSmoke('tq,decode');
    }, 180_000);

    it('measures the st flavour on 1 thread and the mt flavour on 2', () => {
      expect(out.results.map((r) => [r.flavor, r.threads])).toEqual([
        ['st', 1],
        ['mt', 2],
      ]);
      expect(out.ceiling_note).toMatch(/bn_bench_read_threads/);
    });

    it('gives every I2_S decode row the ceiling of its own thread count', () => {
      for (const r of out.results) {
        expect(r.i2s_decode.map((d) => d.shape)).toEqual(['attn_q/o', 'ffn_gate/up', 'ffn_down']);
        for (const d of r.i2s_decode) {
          expect(d.read_ceiling_threads).toBe(r.threads);
          positive(d, ['gb_s', 'gops', 'fraction_of_ceiling', ...ceilingKeys(r.threads)]);
          if (r.threads === 1) expect(d).not.toHaveProperty('read_ceiling_1t_gb_s');
        }
      }
    });

    it('has TQ2_0 decode rows at the three shapes, next to the I2_S row of the same shape', () => {
      for (const r of out.results) {
        const tq = r.tq2_0_decode ?? [];
        expect(tq.map((d) => [d.shape, d.rows, d.cols])).toEqual([
          ['attn_q/o', 2560, 2560],
          ['ffn_gate/up', 6912, 2560],
          ['ffn_down', 2560, 6912],
        ]);
        for (const d of tq) {
          positive(d, ['weight_bytes', 'ms', 'gb_s', 'gops', 'fraction_of_ceiling', 'i2s_gb_s', 'i2s_gops', 'tq_over_i2s', ...ceilingKeys(r.threads)]);
          expect(d.read_ceiling_threads).toBe(r.threads);
          // at least the 2-bit codes are streamed
          expect(d.weight_bytes as number).toBeGreaterThanOrEqual(((d.rows as number) * (d.cols as number)) / 4);
          const i2s = r.i2s_decode.find((x) => x.shape === d.shape);
          expect(d.i2s_gb_s).toBe(i2s?.gb_s);
          // the ratio of the unrounded rates: within rounding (to 0.01 GB/s) of the ratio of the printed ones
          const printed = (d.gb_s as number) / (d.i2s_gb_s as number);
          expect(Math.abs((d.tq_over_i2s as number) - printed)).toBeLessThan(0.02 * printed + 0.01 / (d.i2s_gb_s as number) + 0.001);
        }
      }
    });

    it('has a TQ2_0 stream row, its ceiling measured in rounds paired with it', () => {
      for (const r of out.results) {
        const s = r.tq2_0_decode_stream;
        expect(s).toBeDefined();
        positive(s ?? {}, ['layers', 'weight_bytes', 'ms_per_pass', 'gb_s', 'fraction_of_ceiling', 'ms_per_token_2b4t_layers', 'paired_rounds', ...ceilingKeys(r.threads)]);
        expect(s?.read_ceiling_threads).toBe(r.threads);
        // the fraction is the median of paired rounds: inside their range
        const [lo, hi] = s?.fraction_of_ceiling_range as number[];
        expect(lo).toBeLessThanOrEqual(s?.fraction_of_ceiling as number);
        expect(hi).toBeGreaterThanOrEqual(s?.fraction_of_ceiling as number);
        // and the same read loop over the matrices' own bytes, in the same rounds
        positive(s ?? {}, ['read_ceiling_same_bytes_gb_s', 'fraction_of_same_bytes_ceiling']);
        const [slo, shi] = s?.fraction_of_same_bytes_ceiling_range as number[];
        expect(slo).toBeLessThanOrEqual(s?.fraction_of_same_bytes_ceiling as number);
        expect(shi).toBeGreaterThanOrEqual(s?.fraction_of_same_bytes_ceiling as number);
        // kernel GB/s over the same-bytes ceiling, up to the rounding of the printed figures and the median of ratios
        expect(Math.abs((s?.gb_s as number) / (s?.read_ceiling_same_bytes_gb_s as number) - (s?.fraction_of_same_bytes_ceiling as number))).toBeLessThan(0.5);
      }
    });
  });

  describe('kernels.mjs --smoke --only attention --threads 1,2 --no-rx', () => {
    it('times decode attention over head-major and position-major caches in the same run, next to the read ceiling', () => {
      const out = runSmoke('attention');
      for (const r of out.results) {
        const rows = r.attention_decode ?? [];
        expect(rows.map((a) => [a.n_kv, a.n_head, a.n_head_kv, a.head_dim])).toEqual([[64, 20, 5, 128]]);
        for (const a of rows) {
          positive(a, ['kv_bytes', 'head_major_ms_per_token', 'position_major_ms_per_token', 'head_major_kv_gb_s', 'position_major_kv_gb_s', 'head_major_speedup', 'head_major_fraction_of_ceiling', ...ceilingKeys(r.threads)]);
          expect(a.kv_bytes).toBe(2 * 64 * 5 * 128 * 2 * (a.layers as number));
          expect(a.read_ceiling_threads).toBe(r.threads);
        }
      }
    }, 180_000);
  });

  describe('kernels.mjs --smoke --only prefill --threads 1,2 --no-rx', () => {
    let out: BenchJson;
    beforeAll(() => {
      out = runSmoke('prefill');
    }, 180_000);

    it('puts the prefill next to the compute ceiling of its tile, per thread count', () => {
      expect(out.dot_peak_note).toMatch(/bn_bench_dot_peak/);
      expect(out.results.map((r) => [r.flavor, r.threads])).toEqual([
        ['st', 1],
        ['mt', 2],
      ]);
      for (const r of out.results) {
        const p = r.i2s_prefill ?? {};
        positive(p, ['gops', 'dot_peak_gops', 'fraction_of_dot_peak']);
        // fraction = gops / (one-thread peak x threads), within the rounding of the printed figures
        const want = (p.gops as number) / ((p.dot_peak_gops as number) * r.threads);
        expect(Math.abs((p.fraction_of_dot_peak as number) - want)).toBeLessThan(0.01 * want + 0.002);
      }
    });
  });
}
