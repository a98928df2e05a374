/** Writer round trips: read(write(x)) == x for every value type, alignment handling, tensor layout; checked also with @huggingface/gguf. */
import { gguf } from '@huggingface/gguf';
import {
  buildGgufHeader,
  GGML_TYPE,
  GgufError,
  GgufValueType as T,
  parseGguf,
  readTensorData,
  readTensorInto,
  tensorByteLength,
  toByteSource,
  writeGguf,
  type GgufWriteKV,
} from '../src/index';
import { bytesFetch, prng } from './helpers';

const f32 = (x: number) => Math.fround(x);

const KVS: GgufWriteKV[] = [
  { key: 'general.architecture', type: T.STRING, value: 'llama' },
  { key: 't.u8', type: T.UINT8, value: 255 },
  { key: 't.i8', type: T.INT8, value: -128 },
  { key: 't.u16', type: T.UINT16, value: 65535 },
  { key: 't.i16', type: T.INT16, value: -32768 },
  { key: 't.u32', type: T.UINT32, value: 0xffffffff },
  { key: 't.i32', type: T.INT32, value: -0x80000000 },
  { key: 't.f32', type: T.FLOAT32, value: f32(1e-5) },
  { key: 't.bool.t', type: T.BOOL, value: true },
  { key: 't.bool.f', type: T.BOOL, value: false },
  { key: 't.str', type: T.STRING, value: 'héllo ▁wörld 🙂' },
  { key: 't.str.empty', type: T.STRING, value: '' },
  { key: 't.u64', type: T.UINT64, value: 0xffffffffffffffffn },
  { key: 't.i64', type: T.INT64, value: -0x8000000000000000n },
  { key: 't.f64', type: T.FLOAT64, value: Math.PI },
  { key: 'a.u8', type: T.ARRAY, arrayType: T.UINT8, value: [0, 1, 255] },
  { key: 'a.i8', type: T.ARRAY, arrayType: T.INT8, value: [-1, 127] },
  { key: 'a.u16', type: T.ARRAY, arrayType: T.UINT16, value: [7, 65535] },
  { key: 'a.i16', type: T.ARRAY, arrayType: T.INT16, value: [-7] },
  { key: 'a.u32', type: T.ARRAY, arrayType: T.UINT32, value: [1, 2, 3] },
  { key: 'a.i32', type: T.ARRAY, arrayType: T.INT32, value: [-1, 0, 1] },
  { key: 'a.f32', type: T.ARRAY, arrayType: T.FLOAT32, value: [f32(0.1), -0, Infinity] },
  { key: 'a.bool', type: T.ARRAY, arrayType: T.BOOL, value: [true, false, true] },
  { key: 'a.str', type: T.ARRAY, arrayType: T.STRING, value: ['a', '', 'Ġthe', '<|end_of_text|>'] },
  { key: 'a.u64', type: T.ARRAY, arrayType: T.UINT64, value: [0n, 1n << 63n] },
  { key: 'a.i64', type: T.ARRAY, arrayType: T.INT64, value: [-1n, 5n] },
  { key: 'a.f64', type: T.ARRAY, arrayType: T.FLOAT64, value: [1.5, -2.25] },
  { key: 'a.empty', type: T.ARRAY, arrayType: T.STRING, value: [] },
];

function filled(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

describe('writeGguf → parseGguf', () => {
  it('round-trips every value type, with types recorded', async () => {
    const bytes = writeGguf({ metadata: KVS, tensors: [] });
    const f = await parseGguf(bytes);
    expect(f.version).toBe(3);
    for (const kv of KVS) {
      expect([kv.key, f.metadata[kv.key]]).toEqual([kv.key, kv.value]);
      expect(f.metadataTypes[kv.key]).toEqual(kv.arrayType === undefined ? { type: kv.type } : { type: kv.type, arrayType: kv.arrayType });
    }
    expect(Object.keys(f.metadata)).toEqual(KVS.map((k) => k.key));
  });

  it('the independent reference parser reads the same values from our file', async () => {
    const bytes = writeGguf({ metadata: KVS, tensors: [{ name: 'w', shape: [32, 2], type: GGML_TYPE.Q8_0, data: filled(68, 1) }] });
    const ref = await gguf('https://x.invalid/a.gguf', { fetch: bytesFetch(bytes) });
    const m = ref.metadata as unknown as Record<string, unknown>;
    for (const kv of KVS) expect([kv.key, m[kv.key]]).toEqual([kv.key, kv.value]);
    expect(ref.tensorInfos[0]).toMatchObject({ name: 'w', dtype: GGML_TYPE.Q8_0, shape: [32n, 2n], offset: 0n });
  });

  it('lays out tensors of several types with zero padding and reads their bytes back', async () => {
    const tensors = [
      { name: 'emb', shape: [256, 4], type: GGML_TYPE.F16 },
      { name: 'norm', shape: [3], type: GGML_TYPE.F32 },
      { name: 'q', shape: [256, 4], type: GGML_TYPE.I2_S },
      { name: 'tq1', shape: [256, 2], type: GGML_TYPE.TQ1_0 },
      { name: 'tq2', shape: [256, 2], type: GGML_TYPE.TQ2_0 },
      { name: 'q4', shape: [32, 3], type: GGML_TYPE.Q4_0 },
      { name: 'q4k', shape: [256], type: GGML_TYPE.Q4_K },
      { name: 'q6k', shape: [512], type: GGML_TYPE.Q6_K },
      { name: 'bf', shape: [5, 1, 1, 2], type: GGML_TYPE.BF16 },
    ].map((t, i) => ({ ...t, data: filled(tensorByteLength(t.type, t.shape), i + 10) }));
    const bytes = writeGguf({ metadata: [{ key: 'general.architecture', type: T.STRING, value: 'bitnet-b1.58' }], tensors });
    const f = await parseGguf(bytes);
    expect(f.typeFamily).toBe('bitnet');
    expect(f.tensors.map((t) => t.typeName)).toEqual(['F16', 'F32', 'I2_S', 'TQ1_0', 'TQ2_0', 'Q4_0', 'Q4_K', 'Q6_K', 'BF16']);
    expect(f.tensors.map((t) => t.byteLength)).toEqual([2048, 12, 256 + 32, 108, 132, 54, 144, 420, 20]);
    const src = toByteSource(bytes);
    for (const [i, t] of f.tensors.entries()) {
      expect(t.offset % 32).toBe(0);
      expect(await readTensorData(src, f, t)).toEqual(tensors[i]!.data);
      const heap = new Uint8Array(t.byteLength + 8); // e.g. a WASM heap view at some offset
      await readTensorInto(src, f, t.name, heap.subarray(8), undefined);
      expect(heap.subarray(8)).toEqual(tensors[i]!.data);
      const padEnd = f.tensors[i + 1]?.absoluteOffset ?? bytes.length;
      expect(Array.from(bytes.subarray(t.absoluteOffset + t.byteLength, padEnd)).every((b) => b === 0)).toBe(true);
    }
    expect(bytes.length % 32).toBe(0);
    await expect(readTensorInto(src, f, 'q', new Uint8Array(3))).rejects.toMatchObject({ code: 'bad_value' });
  });

  it('honours a non-default alignment by writing general.alignment', async () => {
    const bytes = writeGguf({ metadata: [], tensors: [{ name: 'a', shape: [3], type: 0, data: filled(12, 1) }, { name: 'b', shape: [1], type: 0, data: filled(4, 2) }], alignment: 64 });
    const f = await parseGguf(bytes);
    expect(f.alignment).toBe(64);
    expect(f.metadata['general.alignment']).toBe(64);
    expect(f.tensorDataOffset % 64).toBe(0);
    expect(f.tensors[1]!.offset).toBe(64);
  });

  it('writes version 2 when asked', async () => {
    expect((await parseGguf(writeGguf({ metadata: KVS, tensors: [], version: 2 }))).version).toBe(2);
  });

  it('buildGgufHeader agrees with writeGguf', () => {
    const tensors = [{ name: 'a', shape: [256, 2], type: GGML_TYPE.I2_S, data: filled(160, 3) }, { name: 'b', shape: [7], type: 0, data: filled(28, 4) }];
    const full = writeGguf({ metadata: KVS, tensors });
    const h = buildGgufHeader({ metadata: KVS, tensors: tensors.map(({ data, ...t }) => ({ ...t, byteLength: data.length })) });
    expect(h.totalBytes).toBe(full.length);
    expect(full.subarray(0, h.dataOffset)).toEqual(h.header);
    expect(h.offsets).toEqual([0, 160]);
  });

  it('rejects bad writer input with GgufError', () => {
    const bad = (spec: Parameters<typeof writeGguf>[0]) => {
      try {
        writeGguf(spec);
      } catch (e) {
        expect(e).toBeInstanceOf(GgufError);
        return (e as GgufError).code;
      }
      return 'no error';
    };
    expect(bad({ metadata: [{ key: 'x', type: T.UINT8, value: 256 }], tensors: [] })).toBe('bad_value');
    expect(bad({ metadata: [{ key: 'x', type: T.ARRAY, value: [1] }], tensors: [] })).toBe('bad_value');
    expect(bad({ metadata: [{ key: 'x', type: T.ARRAY, arrayType: T.ARRAY, value: [[1]] }], tensors: [] })).toBe('bad_type');
    expect(bad({ metadata: [{ key: 'x', type: T.BOOL, value: 1 }], tensors: [] })).toBe('bad_value');
    expect(bad({ metadata: [{ key: 'x', type: T.INT64, value: 1n << 63n }], tensors: [] })).toBe('bad_value');
    expect(bad({ metadata: [{ key: 'x', type: T.STRING, value: 'a' }, { key: 'x', type: T.STRING, value: 'b' }], tensors: [] })).toBe('duplicate');
    expect(bad({ metadata: [], tensors: [{ name: 'a', shape: [4], type: 0, data: new Uint8Array(15) }] })).toBe('bad_value');
    expect(bad({ metadata: [], tensors: [], alignment: 48 })).toBe('bad_alignment');
  });
});
