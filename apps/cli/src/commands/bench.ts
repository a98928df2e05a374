/**
 * `bitnet bench`: llama-bench-style throughput measurements.
 *   bitnet bench --model <gguf> [-p 128,512] [-n 64,128] [-d 0,1024] [-t 1,2] [--head f16|q8_0] [--reps 3] [--json] [--profile]
 * For every (threads, head) the model is loaded once (load_ms); then for every -p a prefill of that many
 * tokens from an empty cache, and for every -n that many single-token decode steps after one BOS token,
 * each repeated --reps times. With -d (llama-bench's depth, `n_depth`), each test runs again after the cache
 * holds that many tokens (filled once per depth, untimed; each repetition truncates back to it): "tg64 @
 * d1024". Tokens are fixed pseudo-random ids (the speed does not depend on them).
 * `--json` prints an array with llama-bench's field names plus load_ms, peak_rss_bytes, head_type.
 * Each (threads, head) configuration runs in its own child process, so peak_rss_bytes is that
 * configuration's own peak (the process's max RSS), not the sum of everything loaded before it.
 * `--profile` adds `profile_ms_per_token`: the forward pass's wall time per step (embed, norm,
 * quantize, matmul, rope_kv, attention, eltwise, head) per token, from the last repetition.
 */
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { loadModel } from '@bitnet-wasm/runtime/node';
import { headOpt, intList, intOpt, parse, reportError, UsageError } from '../cli-util';

export interface BenchResult {
  model_filename: string;
  model_type: string;
  model_n_params: number;
  n_threads: number;
  n_prompt: number;
  n_gen: number;
  /** Tokens already in the cache when the test starts (-d). */
  n_depth: number;
  test: string;
  head_type: string;
  kernels: string;
  avg_ns: number;
  stddev_ns: number;
  avg_ts: number;
  stddev_ts: number;
  samples_ts: number[];
  load_ms: number;
  /** BitNet.load's phases (parse, plan, tokenizer, weights), milliseconds. */
  load_phases_ms: Record<string, number>;
  peak_rss_bytes: number;
  /** With --profile: milliseconds per token of each forward-pass step (last repetition). */
  profile_ms_per_token?: Record<string, number>;
}

const meanSd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd };
};

const peakRss = () => process.resourceUsage().maxRSS * 1024;

export async function runBench(opts: {
  model: string;
  prompts: number[];
  gens: number[];
  depths?: number[];
  threads: number[];
  heads: ('f16' | 'q8_0')[];
  reps: number;
  profile?: boolean;
}): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const depths = opts.depths ?? [0];
  for (const headType of opts.heads) {
    for (const threads of opts.threads) {
      const maxCtx = Math.max(...depths) + Math.max(...opts.prompts, ...opts.gens.map((g) => g + 1), 1);
      const t0 = performance.now();
      const model = await loadModel(opts.model, { threads, headType, contextLength: maxCtx });
      const loadMs = performance.now() - t0;
      const base = {
        model_filename: basename(opts.model),
        model_type: model.info.architecture,
        model_n_params: model.info.parameterCount,
        n_threads: threads,
        head_type: headType,
        kernels: model.info.flavor,
        load_ms: Math.round(loadMs),
        load_phases_ms: Object.fromEntries(Object.entries(model.info.loadTimings ?? {}).map(([k, v]) => [k.replace(/Ms$/, ''), Math.round(v)])),
      };
      try {
        // the tests themselves are the runtime's (BitNet.benchmark), as in the browser benchmark
        for (const t of model.benchmark({ prompts: opts.prompts, gens: opts.gens, depths, reps: opts.reps, profile: opts.profile })) {
          const n = t.nPrompt + t.nGen;
          const ts = t.seconds.map((sec) => n / sec);
          const { m, sd } = meanSd(ts);
          const ns = meanSd(t.seconds.map((sec) => sec * 1e9));
          out.push({
            ...base,
            n_prompt: t.nPrompt,
            n_gen: t.nGen,
            n_depth: t.nDepth,
            test: (t.nPrompt ? `pp${t.nPrompt}` : `tg${t.nGen}`) + (t.nDepth ? ` @ d${t.nDepth}` : ''),
            avg_ns: Math.round(ns.m),
            stddev_ns: Math.round(ns.sd),
            avg_ts: m,
            stddev_ts: sd,
            samples_ts: ts,
            peak_rss_bytes: peakRss(),
            ...(t.profileMsPerToken ? { profile_ms_per_token: t.profileMsPerToken } : {}),
          });
        }
      } finally {
        model.dispose();
      }
    }
  }
  return out;
}

export async function benchCommand(argv: string[]): Promise<number> {
  try {
    const { values: v } = parse(argv, {
      model: { type: 'string', short: 'm' },
      p: { type: 'string', short: 'p' },
      n: { type: 'string', short: 'n' },
      d: { type: 'string', short: 'd' },
      t: { type: 'string', short: 't' },
      head: { type: 'string' },
      reps: { type: 'string', short: 'r' },
      json: { type: 'boolean' },
      profile: { type: 'boolean' },
      one: { type: 'boolean' },
    });
    if (!v.model) throw new UsageError('usage: bitnet bench --model <gguf> [-p 128,512] [-n 64,128] [-d 0,1024] [-t 1,2] [--head f16|q8_0[,…]] [--reps 3] [--json] [--profile]');
    const heads = (v.head ?? 'f16').split(',').map((h) => headOpt(h.trim())!);
    const reps = intOpt(v.reps, 'reps', 3)!;
    if (reps < 1) throw new UsageError('--reps must be at least 1');
    const prompts = intList(v.p, 'p', [128]);
    const gens = intList(v.n, 'n', [64]);
    const depths = intList(v.d, 'd', [0]);
    const threads = intList(v.t, 't', [1]);
    if (v.one) {
      // child mode: exactly one configuration, JSON lines on stdout
      const results = await runBench({ model: v.model, prompts, gens, depths, threads, heads, reps, profile: !!v.profile });
      process.stdout.write(JSON.stringify(results) + '\n');
      return 0;
    }
    if (!v.json) process.stdout.write(`| model | params | head | threads | test | t/s | load ms | peak RSS MB |\n|---|---|---|---|---|---|---|---|\n`);
    const all: BenchResult[] = [];
    for (const head of heads) {
      for (const t of threads) {
        const args = [process.argv[1]!, 'bench', '--one', '--model', v.model, '-p', prompts.join(','), '-n', gens.join(','), '-d', depths.join(','), '-t', String(t), '--head', head, '--reps', String(reps)];
        if (v.profile) args.push('--profile');
        const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        if (r.status !== 0) throw new Error(`bench child (threads ${t}, head ${head}) failed with status ${r.status}`);
        const rows = JSON.parse(r.stdout.trim().split('\n').pop()!) as BenchResult[];
        for (const row of rows) {
          all.push(row);
          if (!v.json) {
            process.stdout.write(
              `| ${row.model_filename} | ${(row.model_n_params / 1e9).toFixed(2)} B | ${row.head_type} | ${row.n_threads} | ${row.test} | ${row.avg_ts.toFixed(2)} ± ${row.stddev_ts.toFixed(2)} | ${row.load_ms} | ${(row.peak_rss_bytes / 1e6).toFixed(0)} |\n`,
            );
            if (row.profile_ms_per_token) {
              const parts = Object.entries(row.profile_ms_per_token).map(([k, ms]) => `${k} ${ms.toFixed(2)}`);
              process.stdout.write(`|  | ms/token: ${parts.join(', ')} | | | | | | |\n`);
            }
          }
        }
      }
    }
    if (v.json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    return 0;
  } catch (e) {
    return reportError(e);
  }
}
