// Files and references of the e2e tests. Fixture files are served from /e2e/ (a folder in the OS
// temp dir, mounted with --mount): a small GGUF with a known header that is not a runnable model, and
// a sparse GGUF whose header declares a model far too large for wasm32. Written at config load,
// idempotently. The reference token ids come from the Node CLI (`bitnet generate --json`), or from
// the Node runtime directly while the CLI has no `generate` command.
import { buildSync } from 'esbuild';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const FIXTURE_DIR = join(tmpdir(), 'bitnet-wasm-e2e-fixtures');
export const TINY_GGUF = 'tiny.gguf';
export const HUGE_GGUF = 'huge-sparse-v1.gguf';
export const FIXTURE_ARCH = 'bitnet-b1.58';
export const FIXTURE_NAME = 'e2e fixture';
/** The demo model (Nx target tools-models:demo), served by the dev server at /models/demo.gguf. */
export const DEMO_PATH = join(ROOT, 'models', 'demo.gguf');
export const DEMO_URL = '/models/demo.gguf';

/** Shapes of the too-large model: ~55 B ternary parameters (I2_S ≈ 14 GB), bytes vocabulary. */
export const HUGE_SHAPE = { arch: 'bitnet-b1.58', nEmbd: 8192, nLayer: 64, nHead: 64, nHeadKv: 8, nFf: 28672, nCtx: 4096, vocab: 'bytes', weightType: 'i2_s', embdType: 'f16' } as const;

/** A GGUF v3 header (2 metadata entries, 2 tensors: I2_S [256,4] and F32 [16]) followed by `payload` bytes. */
export function fixtureGguf(payload: number, seed: number): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    u64(b.length);
    parts.push(b);
  };
  parts.push(Buffer.from('GGUF', 'latin1'));
  u32(3);
  u64(2); // tensors
  u64(2); // metadata
  str('general.architecture');
  u32(8);
  str(FIXTURE_ARCH);
  str('general.name');
  u32(8);
  str(FIXTURE_NAME);
  str('blk.0.ffn_up.weight');
  u32(2);
  u64(256);
  u64(4);
  u32(36);
  u64(0);
  str('output_norm.weight');
  u32(1);
  u64(16);
  u32(0);
  u64(320);
  const head = Buffer.concat(parts);
  const pad = Buffer.alloc((32 - (head.length % 32)) % 32); // data section aligned to 32
  const body = Buffer.alloc(payload);
  let x = seed >>> 0;
  for (let i = 0; i < payload; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    body[i] = x >>> 24;
  }
  return Buffer.concat([head, pad, body]);
}

function writeOnce(name: string, data: Buffer): void {
  const file = join(FIXTURE_DIR, name);
  if (existsSync(file) && readFileSync(file).equals(data)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Bundles ./node/<name>.ts for Node (workspace packages from their sources) under node_modules/.cache and loads it. */
const bundles = new Map<string, unknown>();
function bundled<T>(name: string): T {
  if (bundles.has(name)) return bundles.get(name) as T;
  const dir = join(ROOT, 'node_modules', '.cache', 'bitnet-web-e2e');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}.cjs`);
  const tmp = join(dir, `${name}.${process.pid}.tmp.cjs`);
  buildSync({
    entryPoints: [join(__dirname, 'node', `${name}.ts`)],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    conditions: ['@bitnet-wasm/source'],
    external: ['llama3-tokenizer-js'],
    logLevel: 'warning',
  });
  renameSync(tmp, out); // atomic: a concurrent process never requires a half-written bundle
  const mod = require(out) as T;
  bundles.set(name, mod);
  return mod;
}

export function writeFixtures(): void {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  writeOnce(TINY_GGUF, fixtureGguf(4096, 1));
  const huge = join(FIXTURE_DIR, HUGE_GGUF);
  if (!existsSync(huge)) bundled<typeof import('./node/sparse')>('sparse').writeSparseModel(huge, { ...HUGE_SHAPE, seed: 1 });
}

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function fileSize(path: string): number {
  return statSync(path).size;
}

/** Sampling settings as the CLI takes them. */
export interface RefSampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repeatPenalty: number;
  seed: number;
}

/** Greedy: temperature 0 and no repetition penalty. */
export const GREEDY: RefSampling = { temperature: 0, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1, seed: 0 };

const references = new Map<string, Promise<{ ids: number[]; via: string }>>();

/** Token ids for `prompt` from the Node side: the CLI when it has `generate`, else the runtime. */
export async function referenceIds(model: string, prompt: string, n: number, sampling: RefSampling = GREEDY): Promise<{ ids: number[]; via: string }> {
  const key = JSON.stringify([model, prompt, n, sampling]);
  let r = references.get(key);
  if (!r) {
    r = computeReference(model, prompt, n, sampling);
    references.set(key, r);
  }
  return r;
}

async function computeReference(model: string, prompt: string, n: number, s: RefSampling): Promise<{ ids: number[]; via: string }> {
  const cli = join(ROOT, 'apps', 'cli', 'bin', 'bitnet.cjs');
  if (existsSync(cli)) {
    try {
      const { stdout: out } = await promisify(execFile)(
        process.execPath,
        [
          cli, 'generate', '--model', model, '--prompt', prompt, '-n', String(n), '--json', '--threads', '1',
          '--temp', String(s.temperature), '--top-k', String(s.topK), '--top-p', String(s.topP), '--min-p', String(s.minP),
          '--repeat-penalty', String(s.repeatPenalty), '--seed', String(s.seed),
        ],
        { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
      );
      const line = out.trim().split('\n').pop() ?? '';
      const r = JSON.parse(line) as { ids?: unknown };
      if (Array.isArray(r.ids)) return { ids: r.ids as number[], via: 'cli' };
    } catch {
      // no `generate` command yet (or it failed): fall back to the runtime in this process
    }
  }
  const r = await bundled<typeof import('./node/reference')>('reference').referenceGenerate(model, prompt, n, s);
  return { ids: r.ids, via: 'runtime' };
}
