/** Test helpers: fixture paths, an in-memory Range-serving fetch for @huggingface/gguf, a seeded PRNG. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = process.env.BITNET_FIXTURES ?? join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures');

export const FIXTURE_GGUFS = [
  'oracle/tiny-bitnet-b158-i2_s.gguf',
  'oracle-tq2/tinyt-bitnet-b158-tq2_0.gguf',
  'third-party/llama.cpp-vocab/ggml-vocab-gpt-2.gguf',
  'third-party/llama.cpp-vocab/ggml-vocab-llama-spm.gguf',
  'third-party/ollama/llama-2-tiny-random.gguf',
];

export const ORACLE = join(FIXTURES, 'oracle', 'tiny-bitnet-b158-i2_s.gguf');

export function readFixture(rel: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(join(FIXTURES, rel)));
}

/** A fetch that answers Range GETs (and HEAD) from bytes in memory, so the reference parser never touches disk or net. */
export function bytesFetch(bytes: Uint8Array): typeof fetch {
  return (async (_url: unknown, init?: RequestInit) => {
    const h = new Headers(init?.headers);
    const range = h.get('range');
    if (init?.method === 'HEAD' || !range) {
      return new Response(init?.method === 'HEAD' ? null : bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } });
    }
    const m = /bytes=(\d+)-(\d*)/.exec(range)!;
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : bytes.length - 1, bytes.length - 1);
    return new Response(bytes.slice(start, end + 1), {
      status: 206,
      headers: { 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': String(end - start + 1) },
    });
  }) as typeof fetch;
}

/** mulberry32: a tiny seeded PRNG returning [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Little-endian byte assembler for hand-made (possibly hostile) GGUF files. */
export class Raw {
  private parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  u64(v: number | bigint): this {
    let b = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 8; i++) {
      this.parts.push(Number(b & 0xffn));
      b >>= 8n;
    }
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  bytes(n: number, fill = 0): this {
    for (let i = 0; i < n; i++) this.parts.push(fill);
    return this;
  }
  /** Zero bytes up to a multiple of `a`. */
  pad(a: number): this {
    while (this.parts.length % a !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A GGUF v3 preamble: magic, version, tensor count, kv count. */
export function preamble(tensors: number | bigint, kvs: number | bigint, version = 3): Raw {
  return new Raw().u32(0x46554747).u32(version).u64(tensors).u64(kvs);
}
