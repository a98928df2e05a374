/** Every fixture GGUF parses and agrees with @huggingface/gguf key by key and tensor by tensor; oracle tensor table from its README. */
import { gguf } from '@huggingface/gguf';
import { parseGguf, readTensorData, tensorStats, toByteSource, getString, getNumber, type GgufFile } from '../src/index';
import { openFileSource } from '../src/node';
import { join } from 'node:path';
import { bytesFetch, FIXTURE_GGUFS, FIXTURES, ORACLE, readFixture } from './helpers';

// Big fixtures on a shared 2-core machine: allow slow cases (this bounds hangs, it is not a speed assertion).
jest.setTimeout(120_000);

/**
 * Normalise a value for comparison: typed arrays → plain arrays. Known divergence: @huggingface/gguf decodes with a
 * default TextDecoder, which strips a leading U+FEFF, so the SentencePiece token whose bytes are EF BB BF comes out
 * as "" there; we keep it (checked against the raw bytes in a separate test). Strip it here for the comparison.
 */
function norm(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === 'string' && v.startsWith('\uFEFF')) return v.slice(1);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>).map(norm);
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return v;
}

describe.each(FIXTURE_GGUFS)('%s', (rel) => {
  let ours: GgufFile;
  let ref: Awaited<ReturnType<typeof gguf>>;
  let bytes: Uint8Array<ArrayBuffer>;
  beforeAll(async () => {
    bytes = readFixture(rel);
    ours = await parseGguf(bytes);
    ref = await gguf('https://fixture.invalid/model.gguf', { fetch: bytesFetch(bytes) });
  });

  it('header fields match the reference', () => {
    const m = ref.metadata as unknown as Record<string, unknown>;
    expect(ours.version).toBe(m.version);
    expect(BigInt(ours.tensors.length)).toBe(BigInt(m.tensor_count as bigint));
    expect(BigInt(Object.keys(ours.metadata).length)).toBe(BigInt(m.kv_count as bigint));
    if (ours.tensors.length > 0) expect(ours.tensorDataOffset).toBe(Number(ref.tensorDataOffset));
    expect(ours.fileSize).toBe(bytes.length);
    expect(ours.headerBytes).toBeLessThanOrEqual(ours.tensorDataOffset);
  });

  it('metadata matches the reference key by key', () => {
    const m = ref.metadata as unknown as Record<string, unknown>;
    const refKeys = Object.keys(m).filter((k) => !['version', 'tensor_count', 'kv_count'].includes(k));
    expect(Object.keys(ours.metadata).sort()).toEqual(refKeys.sort());
    for (const k of refKeys) expect([k, norm(ours.metadata[k])]).toEqual([k, norm(m[k])]);
  });

  it('tensors match the reference one by one', () => {
    expect(ours.tensors.length).toBe(ref.tensorInfos.length);
    ref.tensorInfos.forEach((r, i) => {
      const t = ours.tensors[i]!;
      expect(t.name).toBe(r.name);
      expect(t.shape).toEqual(r.shape.map(Number));
      expect(t.type).toBe(r.dtype);
      expect(t.offset).toBe(Number(r.offset));
      expect(t.absoluteOffset).toBe(ours.tensorDataOffset + Number(r.offset));
    });
  });

  it('tensorStats counts tensors per type id and elements as the reference parse gives them', () => {
    const { tensorTypes, parameterCount } = tensorStats(ours);
    const byId = new Map<number, number>();
    for (const r of ref.tensorInfos) byId.set(r.dtype, (byId.get(r.dtype) ?? 0) + 1);
    const ourById = new Map<number, number>();
    for (const [typeName, n] of Object.entries(tensorTypes)) ourById.set(ours.tensors.find((t) => t.typeName === typeName)!.type, n);
    expect([...ourById.entries()].sort()).toEqual([...byId.entries()].sort());
    expect(parameterCount).toBe(ref.tensorInfos.reduce((s, r) => s + r.shape.reduce((a, d) => a * Number(d), 1), 0));
  });

  it('tensor byte spans are consistent: each tensor fits before the next one and inside the file', () => {
    const sorted = [...ours.tensors].sort((a, b) => a.offset - b.offset);
    sorted.forEach((t, i) => {
      const next = sorted[i + 1];
      const end = next ? next.absoluteOffset : bytes.length;
      expect(t.byteLength).toBeGreaterThan(0);
      expect(t.absoluteOffset + t.byteLength).toBeLessThanOrEqual(end);
      expect(end - (t.absoluteOffset + t.byteLength)).toBeLessThan(ours.alignment);
    });
  });

  it('parses identically from a Blob and from a Node file handle', async () => {
    const viaBlob = await parseGguf(new Blob([bytes]));
    expect(viaBlob).toEqual(ours);
    const src = await openFileSource(join(FIXTURES, rel));
    try {
      expect(await parseGguf(src)).toEqual(ours);
    } finally {
      await src.close?.();
    }
  });
});

it('a token that is exactly U+FEFF (bytes EF BB BF in the file) is kept, not stripped as a BOM', async () => {
  const bytes = readFixture('third-party/llama.cpp-vocab/ggml-vocab-llama-spm.gguf');
  const needle = [3, 0, 0, 0, 0, 0, 0, 0, 0xef, 0xbb, 0xbf];
  let found = -1;
  for (let i = 0; i + needle.length <= bytes.length && found < 0; i++) if (needle.every((b, j) => bytes[i + j] === b)) found = i;
  expect(found).toBeGreaterThan(0);
  const tokens = (await parseGguf(bytes)).metadata['tokenizer.ggml.tokens'] as string[];
  expect(tokens.filter((t) => t === '\uFEFF')).toHaveLength(1);
});

describe('oracle model (tiny-bitnet-b158-i2_s.gguf) against its README', () => {
  let f: GgufFile;
  beforeAll(async () => {
    f = await parseGguf(readFixture('oracle/tiny-bitnet-b158-i2_s.gguf'));
  });

  it('is the bitnet family with arch bitnet-b1.58', () => {
    expect(f.typeFamily).toBe('bitnet');
    expect(f.architecture).toBe('bitnet-b1.58');
    expect(getString(f, 'general.architecture')).toBe('bitnet-b1.58');
    expect(getNumber(f, 'bitnet-b1.58.block_count')).toBe(4);
    expect(getNumber(f, 'bitnet-b1.58.embedding_length')).toBe(256);
  });

  it('has the 46 tensors of the README with types, shapes and byte sizes', () => {
    // From the README: token_embd F16 [256 x 1024], output_norm F32 [256], and per block (4 blocks) the list below.
    const expected: [string, string, number[]][] = [
      ['token_embd.weight', 'F16', [256, 1024]],
      ['output_norm.weight', 'F32', [256]],
    ];
    for (let b = 0; b < 4; b++) {
      expected.push(
        [`blk.${b}.attn_norm.weight`, 'F32', [256]],
        [`blk.${b}.attn_q.weight`, 'I2_S', [256, 256]],
        [`blk.${b}.attn_k.weight`, 'I2_S', [256, 64]],
        [`blk.${b}.attn_v.weight`, 'I2_S', [256, 64]],
        [`blk.${b}.attn_sub_norm.weight`, 'F32', [256]],
        [`blk.${b}.attn_output.weight`, 'I2_S', [256, 256]],
        [`blk.${b}.ffn_norm.weight`, 'F32', [256]],
        [`blk.${b}.ffn_gate.weight`, 'I2_S', [256, 640]],
        [`blk.${b}.ffn_up.weight`, 'I2_S', [256, 640]],
        [`blk.${b}.ffn_sub_norm.weight`, 'F32', [640]],
        [`blk.${b}.ffn_down.weight`, 'I2_S', [640, 256]],
      );
    }
    expect(f.tensors.length).toBe(46);
    const byName = new Map(f.tensors.map((t) => [t.name, t]));
    for (const [name, typeName, shape] of expected) {
      const t = byName.get(name);
      expect(t).toBeDefined();
      expect([name, t!.typeName, t!.shape]).toEqual([name, typeName, shape]);
      const n = shape.reduce((a, b) => a * b, 1);
      // README: I2_S data = n/4 bytes + 32; F16 2 bytes/elem, F32 4.
      const bytes = typeName === 'I2_S' ? n / 4 + 32 : typeName === 'F16' ? 2 * n : 4 * n;
      expect([name, t!.byteLength]).toEqual([name, bytes]);
      if (typeName === 'I2_S') expect(t!.type).toBe(36);
    }
  });

  it('reads I2_S tensor data whose scale sits at byte n/4 and whose codes are 0..2', async () => {
    const src = toByteSource(readFixture('oracle/tiny-bitnet-b158-i2_s.gguf'));
    const data = await readTensorData(src, f, 'blk.0.attn_q.weight');
    expect(data.length).toBe((256 * 256) / 4 + 32);
    const scale = new DataView(data.buffer, data.byteOffset + (256 * 256) / 4, 4).getFloat32(0, true);
    expect(scale).toBeGreaterThan(0);
    expect(Number.isFinite(scale)).toBe(true);
    let code3 = 0;
    for (let i = 0; i < (256 * 256) / 4; i++) for (let s = 0; s < 8; s += 2) if (((data[i]! >> s) & 3) === 3) code3++;
    expect(code3).toBe(0);
  });
});

it('ORACLE path helper points at the fixture', () => {
  expect(ORACLE.endsWith('tiny-bitnet-b158-i2_s.gguf')).toBe(true);
});
