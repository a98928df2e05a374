/**
 * The browser benchmark's shared, environment-free part: the query-string settings of the bench page,
 * mean ± sd, the result record (llama-bench's field names plus ours, the same fields as `bitnet bench
 * --json`), and the ours-over-wllama ratio table the driver prints. Imported by the page, the engine worker
 * and the Node driver alike (no DOM, no Node APIs).
 */

/** Engines the page can measure. */
export type BenchEngine = 'bitnet-wasm' | 'wllama';

/** Settings of one bench page run, read from its query string. */
export interface BrowserBenchSettings {
  /** Model URL (same origin), e.g. `/m0/2b4t-i2s.gguf`. */
  model: string;
  engine: BenchEngine;
  /** Prompt length of the prefill test (0 skips it). @default 128 */
  nPrompt: number;
  /** Single-token decode steps of the generation test (0 skips it). @default 64 */
  nGen: number;
  /** Thread counts; the model is loaded once per count. @default [1] */
  threads: number[];
  /** Ours only (query `d`, llama-bench's n_depth): cache depths every test also runs at (filled once, untimed; each
   * repetition truncates back to it). wllama runs depth 0 only. @default [0] */
  depths: number[];
  /** Repetitions of each test. @default 3 */
  reps: number;
  /** Output head of our engine ('f16' keeps the stored head). Ignored by wllama. @default 'f16' */
  head: 'f16' | 'q8_0';
  /** Tokens per forward call in prefill (ours: batchSize; wllama: n_batch and n_ubatch). @default 64 */
  batch: number;
  /** Context length given to both engines. @default max(256, max depth + nPrompt + nGen + 8) */
  ctx: number;
  /** Our kernels build: 'st' or 'mt'; 'auto' = 'st' for one thread, 'mt' otherwise. @default 'auto' */
  flavor: 'auto' | 'st' | 'mt';
  /** Ours only: report each test's forward-pass milliseconds per token and step (last repetition). @default false */
  profile: boolean;
  /** Ours only: milliseconds to wait between the download and the load, so that the browser has stored the Blob
   * (a model already cached) and nothing else runs during the load. @default 0 */
  settleMs: number;
}

/** Thrown for a bad query string (the page reports it as `__benchError`). */
export class BenchSettingsError extends Error {
  readonly code = 'bad_option';
  constructor(message: string) {
    super(message);
    this.name = 'BenchSettingsError';
  }
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d{1,7}$/.test(raw)) throw new BenchSettingsError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new BenchSettingsError(`${name} must be in [${min}, ${max}], got ${n}`);
  return n;
}

/** Parses the bench page's query string (`?model=…&engine=…&p=128&n=64&t=1,2&reps=3&head=f16`). */
export function parseBenchQuery(search: string): BrowserBenchSettings {
  const q = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const model = q.get('model');
  if (!model) throw new BenchSettingsError('model is required (a URL of a GGUF file on this server)');
  const engine = q.get('engine') ?? 'bitnet-wasm';
  if (engine !== 'bitnet-wasm' && engine !== 'wllama') throw new BenchSettingsError(`engine must be bitnet-wasm or wllama, got ${JSON.stringify(engine)}`);
  const nPrompt = intParam(q, 'p', 128, 0, 4096);
  const nGen = intParam(q, 'n', 64, 0, 4096);
  if (nPrompt === 0 && nGen === 0) throw new BenchSettingsError('p and n are both 0: nothing to measure');
  const tRaw = q.get('t') ?? '1';
  const threads = tRaw.split(',').map((s) => {
    if (!/^\d{1,2}$/.test(s.trim())) throw new BenchSettingsError(`t must be a comma-separated list of thread counts, got ${JSON.stringify(tRaw)}`);
    const n = Number(s.trim());
    if (n < 1 || n > 16) throw new BenchSettingsError(`thread counts must be in [1, 16], got ${n}`);
    return n;
  });
  const reps = intParam(q, 'reps', 3, 1, 100);
  const head = q.get('head') ?? 'f16';
  if (head !== 'f16' && head !== 'q8_0') throw new BenchSettingsError(`head must be f16 or q8_0, got ${JSON.stringify(head)}`);
  const batch = intParam(q, 'batch', 64, 1, 4096);
  const dRaw = q.get('d') ?? '0';
  const depths = dRaw.split(',').map((x) => {
    if (!/^\d{1,6}$/.test(x.trim())) throw new BenchSettingsError(`d must be a comma-separated list of cache depths, got ${JSON.stringify(dRaw)}`);
    const n = Number(x.trim());
    if (n > 131072) throw new BenchSettingsError(`cache depths must be in [0, 131072], got ${n}`);
    return n;
  });
  const need = Math.max(...depths) + Math.max(nPrompt, nGen + 1);
  const ctx = intParam(q, 'ctx', Math.max(256, Math.max(...depths) + nPrompt + nGen + 8), 1, 262144);
  if (ctx < need) throw new BenchSettingsError(`ctx ${ctx} is too small for p=${nPrompt}, n=${nGen}, d=${depths.join(',')} (needs ${need})`);
  const flavor = q.get('flavor') ?? 'auto';
  if (flavor !== 'auto' && flavor !== 'st' && flavor !== 'mt') throw new BenchSettingsError(`flavor must be auto, st or mt, got ${JSON.stringify(flavor)}`);
  const profileRaw = q.get('profile') ?? '0';
  if (profileRaw !== '0' && profileRaw !== '1') throw new BenchSettingsError(`profile must be 0 or 1, got ${JSON.stringify(profileRaw)}`);
  const settleMs = intParam(q, 'settle', 0, 0, 600_000);
  return { model, engine, nPrompt, nGen, threads, depths, reps, head, batch, ctx, flavor, profile: profileRaw === '1', settleMs };
}

/**
 * A text of exactly `n` tokens for a tokenizer (BOS included when it adds one by default): a short
 * piece that adds one token each time it is repeated (" the" in a LLaMA-3 vocabulary, "a" in a
 * bytes vocabulary). wllama's completion API takes text only, so its prompts are built this way.
 */
export function textOfTokens(tok: { encode(text: string): number[] }, n: number): string {
  const bos = tok.encode('').length;
  if (n <= bos) return '';
  for (const unit of [' the', ' a', ' x', 'a', 'x', ' ']) {
    const text = unit.repeat(n - bos);
    if (tok.encode(text).length === n) return text;
  }
  throw new BenchSettingsError(`no text of exactly ${n} tokens found for this vocabulary`);
}

/** Mean and sample standard deviation (0 for one sample). */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  if (xs.length === 0) return { mean: NaN, sd: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** One measured test (llama-bench's field names, plus ours). */
export interface BrowserBenchResult {
  engine: BenchEngine;
  browser: string;
  model_filename: string;
  /** GGUF general.architecture and the matrix weight type, e.g. "bitnet-b1.58 TQ2_0". */
  model_type: string;
  n_threads: number;
  n_prompt: number;
  n_gen: number;
  /** Tokens already in the cache when the test starts (llama-bench's n_depth; wllama: always 0). */
  n_depth: number;
  /** 'pp128' or 'tg64', with ' @ d1024' at a depth (as `bitnet bench`). */
  test: string;
  head_type: string;
  /** Ours: 'st' | 'mt'; wllama: 'wllama-st' | 'wllama-mt' (its single build with or without pthreads). */
  kernels: string;
  n_batch: number;
  n_ctx: number;
  avg_ns: number;
  stddev_ns: number;
  avg_ts: number;
  stddev_ts: number;
  samples_ts: number[];
  /** Engine start-up (wasm compile + instantiate) plus model load from the Blob just downloaded. */
  load_ms: number;
  /** Ours: milliseconds waited between the download and the load (the settings' settleMs). */
  settle_ms?: number;
  /** Time to fetch the model file into a Blob (not part of load_ms). */
  fetch_ms: number;
  /** How the time was taken: 'js' (performance.now around eval) or 'server' (llama-server's own timings). */
  timing: 'js' | 'server';
  /** Set by the driver: the machine's 1-minute load average before and after this page ran. */
  loadavg_1m_before?: number;
  loadavg_1m_after?: number;
  /** wllama only: wall time of each whole createCompletion call, ms (includes messaging and sampling). */
  samples_wall_ms?: number[];
  /** Ours: the load's phases in ms (parse, plan, tokenizer, weights, readWait, total), as `bitnet bench`. */
  load_phases_ms?: Record<string, number>;
  /** Ours with profile=1: milliseconds per token of each forward-pass step (last repetition), as `bitnet bench --profile`. */
  profile_ms_per_token?: Record<string, number>;
}

/** Builds the result of one test from its per-repetition durations in seconds. */
export function makeResult(
  base: Omit<BrowserBenchResult, 'n_prompt' | 'n_gen' | 'n_depth' | 'test' | 'avg_ns' | 'stddev_ns' | 'avg_ts' | 'stddev_ts' | 'samples_ts' | 'profile_ms_per_token'>,
  nPrompt: number,
  nGen: number,
  secs: readonly number[],
  nDepth = 0,
): BrowserBenchResult {
  const n = nPrompt + nGen;
  const ts = secs.map((s) => n / s);
  const t = meanSd(ts);
  const ns = meanSd(secs.map((s) => s * 1e9));
  return {
    ...base,
    n_prompt: nPrompt,
    n_gen: nGen,
    n_depth: nDepth,
    test: (nPrompt ? `pp${nPrompt}` : `tg${nGen}`) + (nDepth ? ` @ d${nDepth}` : ''),
    avg_ns: Math.round(ns.mean),
    stddev_ns: Math.round(ns.sd),
    avg_ts: t.mean,
    stddev_ts: t.sd,
    samples_ts: ts,
  };
}

/** Ratio cell: ours over wllama for one thread count (undefined when either side is missing). */
export interface RatioCell {
  n_threads: number;
  /** Our engine on the TQ2_0 copy over wllama on the TQ2_0 copy (same file, same weights). */
  tq2_0: number | null;
  /** Our engine on the I2_S file over wllama on the TQ2_0 copy (same weights, each engine's best format). */
  i2_s_vs_wllama_tq2_0: number | null;
}

/** The ratio table of the driver's JSON: avg_ts(ours) / avg_ts(wllama), per test kind and thread count (depth 0: wllama's). */
export function ratios(
  results: readonly BrowserBenchResult[],
  isI2s: (r: BrowserBenchResult) => boolean,
): { decode_ours_over_wllama: RatioCell[]; prefill_ours_over_wllama: RatioCell[] } {
  const threads = [...new Set(results.map((r) => r.n_threads))].sort((a, b) => a - b);
  const pick = (engine: BenchEngine, kind: 'pp' | 'tg', t: number, i2s: boolean) =>
    results.find((r) => r.engine === engine && r.n_threads === t && !r.n_depth && r.test.startsWith(kind) && isI2s(r) === i2s);
  const cells = (kind: 'pp' | 'tg'): RatioCell[] =>
    threads.map((t) => {
      const w = pick('wllama', kind, t, false);
      const oursTq = pick('bitnet-wasm', kind, t, false);
      const oursI2s = pick('bitnet-wasm', kind, t, true);
      const r = (o: BrowserBenchResult | undefined) => (o && w && w.avg_ts > 0 ? Number((o.avg_ts / w.avg_ts).toFixed(3)) : null);
      return { n_threads: t, tq2_0: r(oursTq), i2_s_vs_wllama_tq2_0: r(oursI2s) };
    });
  return { decode_ours_over_wllama: cells('tg'), prefill_ours_over_wllama: cells('pp') };
}
