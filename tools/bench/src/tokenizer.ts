/**
 * Tokenizer benchmark (not a test): LLaMA-3 encode throughput of @bitnet-wasm/tokenizer on War and Peace, side by
 * side with the independent llama3-tokenizer-js in the same process and run, plus whether the ids are identical.
 * The vocabulary comes from a GGUF given with --model, or is built in memory from the fixture vocab/merges files
 * (as a vocab-only GGUF, written and parsed back by @bitnet-wasm/gguf). Prints one JSON object.
 *   node tools/bench/bin/tokenizer.mjs [--model <gguf>] [--file <text>] [--reps 5]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { GgufValueType, openFileSource, parseGguf, writeGguf, type GgufFile } from '@bitnet-wasm/gguf/node';
import { Tokenizer } from '@bitnet-wasm/tokenizer';

interface Reference {
  encode(text: string, opts?: { bos?: boolean; eos?: boolean }): number[];
}

export interface EncodeStats {
  name: string;
  tokens: number;
  /** First call (empty caches, cold JIT). */
  cold_ms: number;
  /** Median of the following calls. */
  median_ms: number;
  samples_ms: number[];
  /** UTF-8 megabytes (10^6 bytes) of text per second at the median. */
  mb_per_s: number;
}

export interface TokenizerBenchResult {
  bench: 'tokenizer-encode';
  corpus: { path: string; bytes: number; chars: number };
  vocab: { source: string; size: number; pre: string; build_ms: number };
  ours: EncodeStats & { decode_median_ms: number; decode_roundtrip: boolean };
  reference: EncodeStats;
  /** ours.mb_per_s / reference.mb_per_s */
  speedup: number;
  ids_identical: boolean;
  first_mismatch: number | null;
  env: { node: string; platform: string; cpus: number; loadavg: number[] };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

/** Cold call of each, then `reps` warm calls alternating between them so that a busy machine penalises both alike. */
function measurePair(bytes: number, reps: number, a: [string, () => number[]], b: [string, () => number[]]): [EncodeStats, number[], EncodeStats, number[]] {
  const [idsA, coldA] = time(a[1]);
  const [idsB, coldB] = time(b[1]);
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < reps; i++) {
    sa.push(time(a[1])[1]);
    sb.push(time(b[1])[1]);
  }
  const stats = (name: string, tokens: number, cold: number, samples: number[]): EncodeStats => {
    const med = median(samples);
    return { name, tokens, cold_ms: cold, median_ms: med, samples_ms: samples, mb_per_s: bytes / 1e6 / (med / 1000) };
  };
  return [stats(a[0], idsA.length, coldA, sa), idsA, stats(b[0], idsB.length, coldB, sb), idsB];
}

/** The LLaMA-3 vocab as a vocab-only GGUF: ids ≥ 128000 CONTROL; pre llama-bpe; bos 128000, eos 128001, eot 128009. */
async function llama3FromFixtures(dir: string): Promise<GgufFile> {
  const lines = (f: string) => {
    const l = readFileSync(join(dir, f), 'utf8').split('\n');
    if (l[l.length - 1] === '') l.pop();
    return l;
  };
  const tokens = lines('llama3-vocab.txt');
  const merges = lines('llama3-merges.txt');
  const S = GgufValueType.STRING;
  return parseGguf(
    writeGguf({
      metadata: [
        { key: 'general.architecture', type: S, value: 'llama' },
        { key: 'tokenizer.ggml.model', type: S, value: 'gpt2' },
        { key: 'tokenizer.ggml.pre', type: S, value: 'llama-bpe' },
        { key: 'tokenizer.ggml.tokens', type: GgufValueType.ARRAY, arrayType: S, value: tokens },
        { key: 'tokenizer.ggml.token_type', type: GgufValueType.ARRAY, arrayType: GgufValueType.INT32, value: tokens.map((_, i) => (i >= 128000 ? 3 : 1)) },
        { key: 'tokenizer.ggml.merges', type: GgufValueType.ARRAY, arrayType: S, value: merges },
        { key: 'tokenizer.ggml.bos_token_id', type: GgufValueType.UINT32, value: 128000 },
        { key: 'tokenizer.ggml.eos_token_id', type: GgufValueType.UINT32, value: 128001 },
        { key: 'tokenizer.ggml.eot_token_id', type: GgufValueType.UINT32, value: 128009 },
      ],
      tensors: [],
    }),
  );
}

export async function runTokenizerBench(opts: { model?: string; file?: string; reps?: number; fixtures?: string }): Promise<TokenizerBenchResult> {
  const fixtures = opts.fixtures ?? process.env.BITNET_FIXTURES ?? join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures');
  const corpusPath = opts.file ?? join(fixtures, 'third-party', 'ollama', 'war-and-peace.txt');
  const text = readFileSync(corpusPath, 'utf8');
  const bytes = Buffer.byteLength(text, 'utf8');
  const reps = opts.reps ?? 5;

  const t0 = performance.now();
  let file: GgufFile;
  if (opts.model) {
    const src = await openFileSource(opts.model);
    try {
      file = await parseGguf(src);
    } finally {
      await src.close?.();
    }
  } else {
    file = await llama3FromFixtures(join(fixtures, 'third-party', 'llama3-tokenizer'));
  }
  const tok = Tokenizer.fromGguf(file, { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  const buildMs = performance.now() - t0;

  // Loaded from node_modules at run time (3 MB of baked data); its CommonJS bundle exports `llama3Tokenizer`.
  const req = createRequire(__filename);
  const ref = (req('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs') as { llama3Tokenizer: Reference }).llama3Tokenizer;

  const [ours, ourIds, reference, refIds] = measurePair(
    bytes,
    reps,
    ['@bitnet-wasm/tokenizer', () => tok.encode(text, { addBos: false })],
    ['llama3-tokenizer-js@1.2.0', () => ref.encode(text, { bos: false, eos: false })],
  );

  let firstMismatch: number | null = null;
  const n = Math.max(ourIds.length, refIds.length);
  for (let i = 0; i < n; i++) {
    if (ourIds[i] !== refIds[i]) {
      firstMismatch = i;
      break;
    }
  }

  const decodeSamples: number[] = [];
  let roundtrip = true;
  for (let i = 0; i < Math.max(1, Math.min(reps, 3)); i++) {
    const [back, ms] = time(() => tok.decode(ourIds));
    decodeSamples.push(ms);
    roundtrip &&= back === text;
  }

  return {
    bench: 'tokenizer-encode',
    corpus: { path: corpusPath, bytes, chars: text.length },
    vocab: { source: opts.model ?? 'fixtures llama3-vocab.txt + llama3-merges.txt (in-memory vocab-only GGUF)', size: tok.vocabSize, pre: tok.pre, build_ms: buildMs },
    ours: { ...ours, decode_median_ms: median(decodeSamples), decode_roundtrip: roundtrip },
    reference,
    speedup: ours.mb_per_s / reference.mb_per_s,
    ids_identical: firstMismatch === null,
    first_mismatch: firstMismatch,
    env: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length, loadavg: os.loadavg() },
  };
}

/** CLI entry: parses argv, prints the JSON result, returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const reps = get('--reps');
  try {
    const r = await runTokenizerBench({ model: get('--model'), file: get('--file'), reps: reps === undefined ? undefined : Math.max(1, Number(reps) | 0) });
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return r.ids_identical ? 0 : 1;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}
