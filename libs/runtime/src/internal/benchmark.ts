/**
 * llama-bench's measurements on a loaded model (BitNet.benchmark): prefill of n_prompt tokens and n_gen single-token
 * decode steps, each after n_depth tokens already in the cache, repeated and timed around eval. One implementation
 * for `bitnet bench` (Node) and the browser benchmark's worker, so that both measure the same thing.
 */
import { BitNetError } from './errors';

/** One measured test: a prefill (nGen 0) or a decode run (nPrompt 0) at a depth, and the seconds of each repetition. */
export interface BenchmarkTest {
  nPrompt: number;
  nGen: number;
  /** Tokens in the cache before the timed part (llama-bench's n_depth). */
  nDepth: number;
  seconds: number[];
  /** With `profile`: the forward pass's milliseconds per token and step in the last repetition. */
  profileMsPerToken?: Record<string, number>;
}

export interface BenchmarkOptions {
  /** Prompt lengths of the prefill tests (0 entries are skipped). @default [] */
  prompts?: number[];
  /** Decode steps of the generation tests (0 entries are skipped). @default [] */
  gens?: number[];
  /** Cache depths every test runs at (filled once per depth, untimed; every repetition truncates back to it). @default [0] */
  depths?: number[];
  /** Repetitions of each test. @default 3 */
  reps?: number;
  /** Report the forward pass's milliseconds per token and step (last repetition). @default false */
  profile?: boolean;
  /** Called after each timed repetition (progress output). */
  onRepetition?: (test: { nPrompt: number; nGen: number; nDepth: number }, rep: number, seconds: number) => void;
}

/** The part of BitNet the benchmark drives. */
export interface BenchmarkTarget {
  readonly hparams: { nVocab: number };
  readonly plan: { nCtx: number };
  readonly tokenizer: { bosId?: number };
  reset(): void;
  truncate(n: number): void;
  eval(tokens: ArrayLike<number>): unknown;
  setProfiling(on: boolean): void;
  profileReport(): Record<string, number>;
}

/**
 * `n` fixed pseudo-random token ids in [0, nVocab) (an LCG seeded by `salt`): speed does not depend on which ids
 * they are, and fixed ids make runs comparable (the browser benchmark gives wllama the same generator).
 */
export function benchmarkTokens(nVocab: number, n: number, salt: number): number[] {
  let x = (0x9e3779b9 ^ salt) >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % nVocab;
  });
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function counts(list: number[] | undefined, name: string, dflt: number[]): number[] {
  const v = list ?? dflt;
  if (!Array.isArray(v) || v.some((n) => !Number.isInteger(n) || n < 0)) throw new BitNetError('bad_option', `benchmark: ${name} must be a list of non-negative integers, got ${JSON.stringify(list)}`);
  return v;
}

/** Runs the tests (depth by depth: prefills, then decode runs) after a short warm-up; see {@link BenchmarkOptions}. */
export function runBenchmark(model: BenchmarkTarget, opts: BenchmarkOptions): BenchmarkTest[] {
  const prompts = counts(opts.prompts, 'prompts', []).filter((n) => n > 0);
  const gens = counts(opts.gens, 'gens', []).filter((n) => n > 0);
  const depths = counts(opts.depths, 'depths', [0]);
  const reps = opts.reps ?? 3;
  if (!Number.isInteger(reps) || reps < 1 || reps > 1000) throw new BitNetError('bad_option', `benchmark: reps must be an integer in [1, 1000], got ${reps}`);
  const nCtx = model.plan.nCtx;
  // positions a test uses: a prefill from the depth, or (depth 0) BOS and then the decode steps
  const need = (d: number) => (d > 0 ? d + Math.max(0, ...prompts, ...gens) : Math.max(0, ...prompts, ...gens.map((g) => g + 1)));
  for (const d of depths) {
    if (need(d) > nCtx) throw new BitNetError('bad_option', `benchmark: depth ${d} with prompts ${JSON.stringify(prompts)} and gens ${JSON.stringify(gens)} needs a context of ${need(d)} tokens, the model has ${nCtx}`);
  }
  const nVocab = model.hparams.nVocab;
  const bos = model.tokenizer.bosId ?? 0;
  const out: BenchmarkTest[] = [];
  // warm-up: one short prefill
  model.reset();
  model.eval(benchmarkTokens(nVocab, Math.min(8, nCtx), 1));
  const time = (nPrompt: number, nGen: number, nDepth: number, start: () => void, body: (rep: number) => () => void): void => {
    const seconds: number[] = [];
    let profileMsPerToken: Record<string, number> | undefined;
    for (let rep = 0; rep < reps; rep++) {
      start();
      const run = body(rep);
      if (opts.profile) model.setProfiling(true);  // clears the profiler
      const t = now();
      run();
      seconds.push((now() - t) / 1000);
      if (opts.profile) {
        const r = model.profileReport();
        model.setProfiling(false);
        profileMsPerToken = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +(v / (nPrompt + nGen)).toFixed(3)]));
      }
      opts.onRepetition?.({ nPrompt, nGen, nDepth }, rep, seconds[rep]!);
    }
    out.push({ nPrompt, nGen, nDepth, seconds, ...(profileMsPerToken ? { profileMsPerToken } : {}) });
  };
  for (const d of depths) {
    // the depth's tokens: BOS, then fixed pseudo-random ids, evaluated once (untimed)
    if (d > 0) {
      model.reset();
      model.eval([bos, ...benchmarkTokens(nVocab, d - 1, 7)]);
    }
    const start = () => (d > 0 ? model.truncate(d) : model.reset());
    for (const p of prompts) {
      time(p, 0, d, start, (rep) => {
        const toks = benchmarkTokens(nVocab, p, rep + 2);
        return () => model.eval(toks);
      });
    }
    for (const g of gens) {
      time(0, g, d, start, (rep) => {
        if (d === 0) model.eval([bos]);
        const toks = benchmarkTokens(nVocab, g, rep + 100);
        return () => {
          for (const t of toks) model.eval([t]);
        };
      });
    }
  }
  return out;
}
