// Files the e2e tests serve from /e2e/ (a folder in the OS temp dir, mounted with --mount): a small
// GGUF with a known header and a deterministic payload. Written at config load, idempotently.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURE_DIR = join(tmpdir(), 'bitnet-wasm-e2e-fixtures');
export const TINY_GGUF = 'tiny.gguf';
export const BLOB_GGUF = 'blob.gguf';
export const FIXTURE_ARCH = 'bitnet-b1.58';
export const FIXTURE_NAME = 'e2e fixture';

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
  const body = Buffer.alloc(payload);
  let x = seed >>> 0;
  for (let i = 0; i < payload; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    body[i] = x >>> 24;
  }
  parts.push(body);
  return Buffer.concat(parts);
}

function writeOnce(name: string, data: Buffer): void {
  const file = join(FIXTURE_DIR, name);
  if (existsSync(file) && readFileSync(file).equals(data)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export function writeFixtures(): void {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  writeOnce(TINY_GGUF, fixtureGguf(4096, 1));
  writeOnce(BLOB_GGUF, fixtureGguf(3 * 1024 * 1024 + 123, 2));
}

export function sha256Of(name: string): string {
  return createHash('sha256').update(readFileSync(join(FIXTURE_DIR, name))).digest('hex');
}
