/** Hand-made hostile and malformed headers: each named limit and invariant fails with the right GgufError code. */
import { GgufError, GgufValueType as T, parseGguf, readTensorData, toByteSource, writeGguf, type ByteSource, type GgufErrorCode } from '../src/index';
import { preamble, Raw } from './helpers';

async function codeOf(bytes: Uint8Array | ByteSource, opts?: Parameters<typeof parseGguf>[1]): Promise<GgufErrorCode | 'ok'> {
  try {
    await parseGguf(bytes, opts);
    return 'ok';
  } catch (e) {
    if (!(e instanceof GgufError)) throw e;
    expect(e.name).toBe('GgufError');
    return e.code;
  }
}

/** One tensor info record. */
function tensorInfo(r: Raw, name: string, shape: (number | bigint)[], type: number, offset: number | bigint): Raw {
  r.str(name).u32(shape.length);
  for (const d of shape) r.u64(d);
  return r.u32(type).u64(offset);
}

describe('preamble', () => {
  it('bad magic', async () => {
    expect(await codeOf(new TextEncoder().encode('GGML\x03\0\0\0' + '\0'.repeat(16)))).toBe('bad_magic');
    expect(await codeOf(new Uint8Array(0))).toBe('truncated');
  });
  it('versions other than 2 and 3 are rejected; v1 says obsolete', async () => {
    for (const v of [0, 1, 4, 0x7fffffff]) expect([v, await codeOf(preamble(0, 0, v).build())]).toEqual([v, 'unsupported_version']);
    await expect(parseGguf(preamble(0, 0, 1).build())).rejects.toThrow(/version 1/);
    expect(await codeOf(preamble(0, 0, 2).build())).toBe('ok');
  });
  it('a byte-swapped (big-endian) file is rejected with a message saying so', async () => {
    const be = new Raw().u32(0x46554747).u32(0x03000000).bytes(16).build();
    expect(await codeOf(be)).toBe('byte_order');
    await expect(parseGguf(be)).rejects.toThrow(/big-endian/);
  });
  it('counts are checked against the bytes that remain before anything is allocated', async () => {
    expect(await codeOf(preamble(0, 100_000).build())).toBe('truncated');
    expect(await codeOf(preamble(50_000, 0).build())).toBe('truncated');
    expect(await codeOf(preamble(1n << 62n, 0).build())).toBe('limit_exceeded');
    expect(await codeOf(preamble(0, 0xffffffffffffffffn).build())).toBe('limit_exceeded');
  });
});

describe('metadata records', () => {
  const kv = (build: (r: Raw) => Raw) => build(preamble(0, 1)).build();
  it('string lengths: over the 1 GiB limit, and past the end of the file', async () => {
    expect(await codeOf(kv((r) => r.u64(1n << 40n).bytes(16)))).toBe('limit_exceeded');
    expect(await codeOf(kv((r) => r.str('k').u32(T.STRING).u64((1 << 30) - 1).bytes(10)))).toBe('truncated');
    expect(await codeOf(kv((r) => r.str('k').u32(T.STRING).u64(0xffffffffffffffffn)))).toBe('limit_exceeded');
  });
  it('array counts: over the limit, and more elements than bytes left', async () => {
    expect(await codeOf(kv((r) => r.str('k').u32(T.ARRAY).u32(T.UINT8).u64((1n << 30n) + 1n)))).toBe('limit_exceeded');
    expect(await codeOf(kv((r) => r.str('k').u32(T.ARRAY).u32(T.STRING).u64(1 << 29).bytes(64)))).toBe('truncated');
    expect(await codeOf(kv((r) => r.str('k').u32(T.ARRAY).u32(T.FLOAT64).u64(1000).bytes(64)))).toBe('truncated');
  });
  it('nested arrays and unknown value types', async () => {
    expect(await codeOf(kv((r) => r.str('k').u32(T.ARRAY).u32(T.ARRAY).u64(1)))).toBe('bad_type');
    expect(await codeOf(kv((r) => r.str('k').u32(13).u32(0)))).toBe('bad_type');
    expect(await codeOf(kv((r) => r.str('k').u32(T.ARRAY).u32(99).u64(0)))).toBe('bad_type');
  });
  it('empty and duplicate keys; key length limit', async () => {
    expect(await codeOf(kv((r) => r.str('').u32(T.UINT8).u8(1).bytes(8)))).toBe('bad_value');
    expect(await codeOf(preamble(0, 2).str('a').u32(T.UINT8).u8(1).str('a').u32(T.UINT8).u8(2).build())).toBe('duplicate');
    expect(await codeOf(kv((r) => r.str('k'.repeat(65536)).u32(T.UINT8).u8(1)))).toBe('limit_exceeded');
  });
  it('bool bytes other than 0 and 1', async () => {
    expect(await codeOf(kv((r) => r.str('k').u32(T.BOOL).u8(2)))).toBe('bad_value');
  });
  it('keys named like Object.prototype members are plain data', async () => {
    const f = await parseGguf(preamble(0, 3).str('__proto__').u32(T.UINT8).u8(1).str('toString').u32(T.UINT8).u8(2).str('constructor').u32(T.UINT8).u8(3).build());
    expect(Object.keys(f.metadata)).toEqual(['__proto__', 'toString', 'constructor']);
    expect(Object.getPrototypeOf(f.metadata)).toBe(Object.prototype);
    expect(f.metadata['toString']).toBe(2);
  });
  it('general.alignment must be a UINT32 power of two', async () => {
    expect(await codeOf(kv((r) => r.str('general.alignment').u32(T.UINT64).u64(32)))).toBe('bad_alignment');
    expect(await codeOf(kv((r) => r.str('general.alignment').u32(T.UINT32).u32(24)))).toBe('bad_alignment');
    expect(await codeOf(kv((r) => r.str('general.alignment').u32(T.UINT32).u32(0)))).toBe('bad_alignment');
    expect((await parseGguf(kv((r) => r.str('general.alignment').u32(T.UINT32).u32(64)))).alignment).toBe(64);
  });
});

describe('tensor infos', () => {
  /** A file with the given tensor records and `dataBytes` of data after the aligned header. */
  const file = (records: (r: Raw) => Raw, count: number, dataBytes = 4096) => records(preamble(count, 0)).pad(32).bytes(dataBytes).build();
  it('a valid one-tensor file parses', async () => {
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [4, 2], 0, 0), 1))).toBe('ok');
  });
  it('more than 4 dimensions', async () => {
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [1, 1, 1, 1, 1], 0, 0), 1))).toBe('limit_exceeded');
    expect(await codeOf(file((r) => r.str('w').u32(0xffffffff), 1))).toBe('limit_exceeded');
  });
  it('element-count overflow and dimensions beyond 2^53', async () => {
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [1n << 31n, 1n << 31n, 1n << 31n], 0, 0), 1))).toBe('limit_exceeded');
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [1n << 60n], 0, 0), 1))).toBe('limit_exceeded');
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [4], 0, 1n << 62n), 1))).toBe('limit_exceeded');
  });
  it('tensor name limit (63 bytes) and duplicates', async () => {
    expect(await codeOf(file((r) => tensorInfo(r, 'n'.repeat(63), [4], 0, 0), 1))).toBe('ok');
    expect(await codeOf(file((r) => tensorInfo(r, 'n'.repeat(64), [4], 0, 0), 1))).toBe('limit_exceeded');
    expect(await codeOf(file((r) => tensorInfo(tensorInfo(r, 'a', [4], 0, 0), 'a', [4], 0, 32), 2))).toBe('duplicate');
  });
  it('misaligned, out-of-file and overlapping tensors', async () => {
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [4], 0, 16), 1))).toBe('bad_alignment');
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [1024], 0, 32), 1))).toBe('out_of_bounds');
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [4], 0, 4096), 1))).toBe('out_of_bounds');
    expect(await codeOf(file((r) => tensorInfo(tensorInfo(r, 'a', [16], 0, 0), 'b', [4], 0, 32), 2))).toBe('overlap');
    expect(await codeOf(file((r) => tensorInfo(tensorInfo(r, 'a', [8], 0, 0), 'b', [4], 0, 32), 2))).toBe('ok');
  });
  it('a shape that its block type cannot hold', async () => {
    expect(await codeOf(file((r) => tensorInfo(r, 'w', [33], 2 /* Q4_0 */, 0), 1))).toBe('bad_value');
  });
  it('unknown type ids parse and are rejected only when their data is requested', async () => {
    const bytes = file((r) => tensorInfo(tensorInfo(r, 'x', [8], 77, 0), 'f', [4], 0, 64), 2);
    const f = await parseGguf(bytes);
    const x = f.tensors[0]!;
    expect([x.type, x.typeName, x.typeKnown]).toEqual([77, 'UNKNOWN(77)', false]);
    expect(x.byteLength).toBe(64); // span up to the next tensor
    const src = toByteSource(bytes);
    await expect(readTensorData(src, f, 'x')).rejects.toMatchObject({ code: 'unsupported_tensor_type' });
    expect((await readTensorData(src, f, 'f')).length).toBe(16);
    await expect(readTensorData(src, f, 'nope')).rejects.toMatchObject({ code: 'bad_value' });
  });
});

describe('limits and cancellation', () => {
  const big = writeGguf({ metadata: [{ key: 'v', type: T.ARRAY, arrayType: T.STRING, value: Array.from({ length: 20000 }, (_, i) => `tok${i}`) }], tensors: [] });
  it('maxHeaderBytes bounds what is pulled from the source', async () => {
    expect(await codeOf(big, { maxHeaderBytes: 4096 })).toBe('limit_exceeded');
    expect(await codeOf(big, { maxHeaderBytes: big.length })).toBe('ok');
  });
  it('an already-aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(parseGguf(big, { signal: ac.signal })).rejects.toMatchObject({ name: 'GgufError', code: 'aborted' });
  });
  it('aborting between chunks of a slow source', async () => {
    const mem = toByteSource(big);
    const ac = new AbortController();
    let reads = 0;
    const slow: ByteSource = {
      size: big.length,
      read: async (o, l, s) => {
        reads++;
        ac.abort();
        return mem.read(o, Math.min(l, 64), s).then((b) => (l > 64 ? Uint8Array.from({ length: l }, (_, i) => big[o + i]!) : b));
      },
    };
    await expect(parseGguf(slow, { signal: ac.signal })).rejects.toMatchObject({ name: 'GgufError', code: 'aborted' });
    expect(reads).toBe(1);
  });
  it('a source that throws something else becomes an io error; a short read is truncation', async () => {
    const boom: ByteSource = { size: 100, read: async () => Promise.reject(new Error('disk on fire')) };
    await expect(parseGguf(boom)).rejects.toMatchObject({ code: 'io' });
    const short: ByteSource = { size: big.length, read: async () => new Uint8Array(3) };
    await expect(parseGguf(short)).rejects.toMatchObject({ code: 'truncated' });
  });
  it('a source of unknown size is read in chunks until the header ends', async () => {
    const mem = toByteSource(big);
    const sizes: number[] = [];
    const unknown: ByteSource = {
      size: undefined,
      read: async (o, l, s) => {
        sizes.push(l);
        return mem.read(o, l, s);
      },
    };
    const f = await parseGguf(unknown);
    expect((f.metadata['v'] as string[]).length).toBe(20000);
    expect(f.fileSize).toBe(big.length); // found by bisecting for the end
    expect(sizes.length).toBeLessThan(40); // one failed big read, then about log2(1 MiB) probes
  });
});
