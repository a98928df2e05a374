/** `bitnet inspect` end to end: spawns the real bin on the oracle fixture, a vocab-only GGUF and corrupt files. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufValueType as T, writeGguf } from '@bitnet-wasm/gguf';

const BIN = join(__dirname, '..', '..', 'bin', 'bitnet.cjs');
const FIXTURES = process.env.BITNET_FIXTURES!;
const ORACLE = join(FIXTURES, 'oracle', 'tiny-bitnet-b158-i2_s.gguf');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'inspect', ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'bitnet-inspect-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bitnet inspect', () => {
  it('prints the header, abbreviated arrays, the tensor table and totals for the oracle model', () => {
    const r = run(ORACLE);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/GGUF v3, alignment 32, architecture bitnet-b1\.58, type family bitnet/);
    expect(r.out).toMatch(/tokenizer\.ggml\.tokens\s+STRING\[1024\]\s+\[.*… \(1016 more\)\]/);
    expect(r.out).toMatch(/tensors \(46\):/);
    expect(r.out).toMatch(/blk\.0\.attn_q\.weight\s+I2_S\s+\[256, 256\]\s+\d+\s+16416/);
    expect(r.out).toMatch(/layer_norm_rms_epsilon\s+FLOAT32\s+0\.00001\n/);
    // totals: 28 I2_S tensors (7 per block x 4), 17 F32, 1 F16
    expect(r.out).toMatch(/\n\s+I2_S\s+28\s/);
    expect(r.out).toMatch(/\n\s+F32\s+17\s/);
    expect(r.out).toMatch(/\n\s+total\s+46\s/);
  });

  it('--json is complete and machine-readable', () => {
    const r = run(ORACLE, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.version).toBe(3);
    expect(doc.typeFamily).toBe('bitnet');
    expect(doc.tensors).toHaveLength(46);
    expect(doc.metadata['tokenizer.ggml.tokens']).toMatchObject({ type: 'ARRAY', arrayType: 'STRING' });
    expect(doc.metadata['tokenizer.ggml.tokens'].value).toHaveLength(1024);
    expect(doc.metadata['general.file_type']).toEqual({ type: 'UINT32', value: 40 });
    expect(doc.totalsByType.I2_S.tensors).toBe(28);
    const sum = doc.tensors.reduce((a: number, t: { byteLength: number }) => a + t.byteLength, 0);
    expect(Object.values(doc.totalsByType as Record<string, { bytes: number }>).reduce((a, t) => a + t.bytes, 0)).toBe(sum);
  });

  it('prints 64-bit values as decimal strings in --json, complete arrays, and a vocab-only file', () => {
    const file = join(tmp, 'big-ints.gguf');
    writeFileSync(
      file,
      writeGguf({
        metadata: [
          { key: 'x.u64', type: T.UINT64, value: (1n << 64n) - 1n },
          { key: 'x.i64s', type: T.ARRAY, arrayType: T.INT64, value: [-(1n << 63n), 7n] },
          { key: 'x.f32', type: T.ARRAY, arrayType: T.FLOAT32, value: Array.from({ length: 100 }, (_, i) => i / 2) },
        ],
        tensors: [],
      }),
    );
    let r = run(file, '--json');
    expect(r.code).toBe(0);
    let doc = JSON.parse(r.out);
    expect(doc.metadata['x.u64']).toEqual({ type: 'UINT64', value: '18446744073709551615' });
    expect(doc.metadata['x.i64s'].value).toEqual(['-9223372036854775808', '7']);
    expect(doc.metadata['x.f32'].value).toHaveLength(100);
    r = run(file);
    expect(r.out).toMatch(/x\.u64\s+UINT64\s+18446744073709551615/);
    expect(r.out).toMatch(/x\.f32\s+FLOAT32\[100\]\s+\[0, 0\.5, 1, 1\.5, 2, 2\.5, 3, 3\.5, … \(92 more\)\]/);

    r = run(join(FIXTURES, 'third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-spm.gguf'), '--json');
    expect(r.code).toBe(0);
    doc = JSON.parse(r.out);
    expect(doc.tensors).toEqual([]);
    expect(doc.metadata['tokenizer.ggml.tokens'].value).toHaveLength(32000);
  });

  it('fails with the error code on a corrupt file, a truncated file and a missing file', () => {
    const junk = join(tmp, 'junk.gguf');
    writeFileSync(junk, 'this is not a gguf file at all');
    let r = run(junk);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error \[bad_magic\]: /);

    const cut = join(tmp, 'cut.gguf');
    writeFileSync(cut, readFileSync(ORACLE).subarray(0, 5000));
    r = run(cut);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error \[truncated\]: /);

    r = run(join(tmp, 'nope.gguf'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error \[io\]: /);
  });

  it('usage errors exit 2', () => {
    expect(run().code).toBe(2);
    expect(run(ORACLE, '--bogus').code).toBe(2);
  });
});
