/**
 * GGUF header-parse benchmark (not a test): a 128,256-token LLaMA-3 vocabulary GGUF (tokens, token types, 280k
 * merges, written with @bitnet-wasm/gguf from the fixture vocab/merges files), parsed by @bitnet-wasm/gguf and by
 * @huggingface/gguf in the same process and run, from memory and from a file. Prints one JSON object with the ratio.
 *   node tools/bench/bin/gguf-parse.mjs [--reps 7] [--fixtures <dir>]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gguf } from '@huggingface/gguf';
import { GgufValueType as T, openFileSource, parseGguf, writeGguf } from '@bitnet-wasm/gguf/node';

export interface Timing {
  name: string;
  /** First call (cold JIT). */
  cold_ms: number;
  /** Median of the following calls. */
  median_ms: number;
  samples_ms: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function time(name: string, reps: number, fn: () => Promise<unknown>): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  const [cold, ...rest] = samples;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { name, cold_ms: r(cold!), median_ms: r(median(rest)), samples_ms: rest.map(r) };
}

/** A fetch serving HTTP Range requests from bytes in memory (the in-memory path of @huggingface/gguf). */
function memoryFetch(bytes: Uint8Array): typeof fetch {
  return (async (_url: unknown, init?: RequestInit) => {
    const range = new Headers(init?.headers).get('range');
    const m = range ? /bytes=(\d+)-(\d*)/.exec(range) : null;
    if (!m) return new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } });
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : bytes.length - 1, bytes.length - 1);
    return new Response(bytes.slice(start, end + 1), { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${bytes.length}` } });
  }) as typeof fetch;
}

/** The vocab-only GGUF of BitNet-b1.58-2B-4T's tokenizer (LLaMA-3), from the fixture text files. */
export function buildLlama3VocabGguf(fixtures: string): Uint8Array {
  const dir = join(fixtures, 'third-party', 'llama3-tokenizer');
  const tokens = readFileSync(join(dir, 'llama3-vocab.txt'), 'utf8').split('\n');
  if (tokens.at(-1) === '') tokens.pop();
  const merges = readFileSync(join(dir, 'llama3-merges.txt'), 'utf8').split('\n');
  if (merges.at(-1) === '') merges.pop();
  const types = tokens.map((_, i) => (i >= 128000 ? 3 : 1));
  return writeGguf({
    metadata: [
      { key: 'general.architecture', type: T.STRING, value: 'bitnet-b1.58' },
      { key: 'general.name', type: T.STRING, value: 'llama3-vocab-bench' },
      { key: 'tokenizer.ggml.model', type: T.STRING, value: 'gpt2' },
      { key: 'tokenizer.ggml.pre', type: T.STRING, value: 'llama-bpe' },
      { key: 'tokenizer.ggml.tokens', type: T.ARRAY, arrayType: T.STRING, value: tokens },
      { key: 'tokenizer.ggml.token_type', type: T.ARRAY, arrayType: T.INT32, value: types },
      { key: 'tokenizer.ggml.merges', type: T.ARRAY, arrayType: T.STRING, value: merges },
      { key: 'tokenizer.ggml.bos_token_id', type: T.UINT32, value: 128000 },
      { key: 'tokenizer.ggml.eos_token_id', type: T.UINT32, value: 128001 },
    ],
    tensors: [],
  });
}

/** Runs the benchmark and prints JSON; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { reps: { type: 'string' }, fixtures: { type: 'string' } } });
  const reps = Number(values.reps ?? 7);
  const fixtures = values.fixtures ?? process.env.BITNET_FIXTURES ?? join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures');
  const bytes = buildLlama3VocabGguf(fixtures);
  const dir = mkdtempSync(join(os.tmpdir(), 'gguf-bench-'));
  const file = join(dir, 'llama3-vocab.gguf');
  writeFileSync(file, bytes);
  try {
    // Sanity: both parsers see the same vocabulary.
    const ours = await parseGguf(bytes);
    const theirs = await gguf('https://bench.invalid/v.gguf', { fetch: memoryFetch(bytes) });
    const ourTokens = ours.metadata['tokenizer.ggml.tokens'] as string[];
    const theirTokens = (theirs.metadata as unknown as Record<string, string[]>)['tokenizer.ggml.tokens']!;
    const sameVocab = ourTokens.length === theirTokens.length && ourTokens.every((t, i) => t === theirTokens[i]);

    const memOurs = await time('@bitnet-wasm/gguf (Uint8Array)', reps, () => parseGguf(bytes));
    const memHf = await time('@huggingface/gguf (in-memory fetch)', reps, () => gguf('https://bench.invalid/v.gguf', { fetch: memoryFetch(bytes) }));
    const fileOurs = await time('@bitnet-wasm/gguf (openFileSource)', reps, async () => {
      const src = await openFileSource(file);
      try {
        await parseGguf(src);
      } finally {
        await src.close?.();
      }
    });
    const fileHf = await time('@huggingface/gguf (allowLocalFile)', reps, () => gguf(file, { allowLocalFile: true }));
    const ratio = (a: Timing, b: Timing) => Math.round((a.median_ms / b.median_ms) * 100) / 100;
    const out = {
      bench: 'gguf-parse',
      file_bytes: bytes.length,
      header_bytes: ours.headerBytes,
      tokens: ourTokens.length,
      merges: (ours.metadata['tokenizer.ggml.merges'] as string[]).length,
      same_vocab: sameVocab,
      reps,
      node: process.version,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      memory: { ours: memOurs, huggingface: memHf, hf_over_ours: ratio(memHf, memOurs) },
      file: { ours: fileOurs, huggingface: fileHf, hf_over_ours: ratio(fileHf, fileOurs) },
      note: 'hf_over_ours > 1 means @bitnet-wasm/gguf is faster; figures from a busy machine are not final',
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return sameVocab ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
