/** BlobSource: windows (every read returns exactly the blob's bytes: inside a window, across two, larger than one, random order; a front-to-back reader slices the blob once per window) and byte streams (large reads and the reads that continue them; gaps, new streams, fallback, errors, abort). */
import { GgufValueType as T, parseGguf, writeGguf } from '../src/index';
import { BlobSource } from '../src/internal/source';

function makeBlob(n: number): { bytes: Uint8Array; blob: Blob; slices: () => number } {
  const bytes = new Uint8Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  const blob = new Blob([bytes]);
  let count = 0;
  const counting = new Proxy(blob, {
    get(target, prop) {
      if (prop === 'slice') return (a?: number, b?: number) => (count++, target.slice(a, b));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { bytes, blob: counting, slices: () => count };
}

describe('BlobSource', () => {
  it('serves sequential reads of mixed sizes (within, across and beyond windows) byte-exactly, one slice per window', async () => {
    const { bytes, blob, slices } = makeBlob(100_000);
    const src = new BlobSource(blob, 4096);
    let off = 0;
    let i = 0;
    while (off < bytes.length) {
      const len = Math.min(bytes.length - off, [1, 7, 300, 4096, 2500, 4095][i++ % 6]!);
      const got = await src.read(off, len);
      expect(Buffer.compare(Buffer.from(got), Buffer.from(bytes.subarray(off, off + len)))).toBe(0);
      off += len;
    }
    // 100000 / 4096 -> 25 windows (the last prefetch is skipped at the end of the blob)
    expect(slices()).toBeLessThanOrEqual(26);
  });

  it('serves random reads and readInto byte-exactly, including reads larger than a window', async () => {
    const { bytes, blob } = makeBlob(50_000);
    const src = new BlobSource(blob, 1000);
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let k = 0; k < 300; k++) {
      const len = rnd(k % 10 === 0 ? 5000 : 1200);
      const off = rnd(bytes.length - len + 1);
      const got = k % 2 ? await src.read(off, len) : await (async () => { const t = new Uint8Array(len); await src.readInto(off, t); return t; })();
      expect([off, len, Buffer.compare(Buffer.from(got), Buffer.from(bytes.subarray(off, off + len)))]).toEqual([off, len, 0]);
    }
  });

  it('rejects reads past the end with a typed error', async () => {
    const { blob } = makeBlob(3000);
    const src = new BlobSource(blob, 1000);
    await expect(src.read(2500, 501)).rejects.toMatchObject({ code: 'truncated' });
    await expect(src.read(-1, 5)).rejects.toMatchObject({ code: 'out_of_bounds' });
  });
});

/** A blob whose slices count the byte streams opened on them, or (byob false) have no byte stream at all. */
function streamBlob(n: number, opts: { byob?: boolean; failAt?: number } = {}): { bytes: Uint8Array; blob: Blob; streams: () => number } {
  const { bytes, blob } = makeBlob(n);
  let count = 0;
  const wrapSlice = (b: Blob, start: number): Blob =>
    new Proxy(b, {
      get(target, prop) {
        if (prop === 'slice') return (a?: number, e?: number) => wrapSlice(target.slice(a, e), start + (a ?? 0));
        if (prop === 'stream')
          return () => {
            count++;
            if (opts.byob === false) return new ReadableStream({ pull: (c) => c.close() });  // a plain (non-byte) stream: getReader({ mode: 'byob' }) throws
            if (opts.failAt !== undefined) {
              const fail = opts.failAt - start;
              let pos = 0;
              const inner = target.stream().getReader();
              return new ReadableStream({
                type: 'bytes',
                async pull(c) {
                  if (pos >= fail) return c.error(new Error('disk gone'));
                  const { value, done } = await inner.read();
                  if (done) return c.close();
                  const v = value.subarray(0, Math.max(1, Math.min(value.length, fail - pos)));
                  pos += v.length;
                  c.enqueue(v.slice());
                },
              });
            }
            return target.stream();
          };
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
  return { bytes, blob: wrapSlice(blob, 0), streams: () => count };
}
const same = (got: Uint8Array, want: Uint8Array) => Buffer.compare(Buffer.from(got), Buffer.from(want)) === 0;
const into = async (src: BlobSource, off: number, len: number, signal?: AbortSignal) => {
  const t = new Uint8Array(len);
  expect(await src.readInto(off, t, signal)).toBe(len);
  return t;
};

describe('BlobSource byte streams', () => {
  // windows of 4096 bytes, stream buffers of 1000, streams for reads of 3000 bytes or more
  const make = (blob: Blob) => new BlobSource(blob, 4096, 1000, 3000);

  it('reads a run of large and small pieces front to back through one stream, byte-exactly', async () => {
    const { bytes, blob, streams } = streamBlob(200_000);
    const src = make(blob);
    let off = 100;  // a header before the tensors: served by the windows
    expect(same(await src.read(0, off), bytes.subarray(0, off))).toBe(true);
    expect(streams()).toBe(0);
    let i = 0;
    while (off < bytes.length) {
      const len = Math.min(bytes.length - off, [5000, 4, 12_345, 999, 3000, 1, 64][i++ % 7]!);
      const got = i % 2 ? await into(src, off, len) : await src.read(off, len);
      expect([off, len, same(got, bytes.subarray(off, off + len))]).toEqual([off, len, true]);
      off += len;
    }
    expect(streams()).toBe(1);
  });

  it('skips short forward gaps, serves reads behind it from windows, and opens a new stream only far ahead', async () => {
    const { bytes, blob, streams } = streamBlob(3_000_000);
    const src = new BlobSource(blob, 4096, 1000, 3000, 100_000);  // skips of up to 100 kB
    expect(same(await into(src, 10, 5000), bytes.subarray(10, 5010))).toBe(true);
    expect(same(await src.read(5010 + 700, 16), bytes.subarray(5710, 5726))).toBe(true);  // gap of 700: skipped
    expect(same(await into(src, 55_726, 4000), bytes.subarray(55_726, 59_726))).toBe(true);  // gap of 50 kB: skipped
    expect(streams()).toBe(1);
    expect(same(await into(src, 50, 3000), bytes.subarray(50, 3050))).toBe(true);  // wholly behind: windows
    expect(same(await into(src, 59_226, 5000), bytes.subarray(59_226, 64_226))).toBe(true);  // 500 behind, the rest ahead: slice + stream
    expect(same(await src.read(64_226, 3), bytes.subarray(64_226, 64_229))).toBe(true);  // and the stream went on from there
    expect(streams()).toBe(1);
    expect(same(await into(src, 2_900_000, 3000), bytes.subarray(2_900_000, 2_903_000))).toBe(true);  // far ahead: a new stream
    expect(same(await src.read(20, 10), bytes.subarray(20, 30))).toBe(true);
    expect(streams()).toBe(2);
  });

  it('falls back to windows where the blob has no byte stream', async () => {
    const { bytes, blob, streams } = streamBlob(60_000, { byob: false });
    const src = make(blob);
    for (let off = 0; off < bytes.length; off += 7000) {
      const len = Math.min(7000, bytes.length - off);
      expect(same(await into(src, off, len), bytes.subarray(off, off + len))).toBe(true);
    }
    expect(streams()).toBe(1);  // tried once
  });

  it('turns a failing stream into a typed io error and recovers with a new stream', async () => {
    const { bytes, blob } = streamBlob(50_000, { failAt: 20_000 });
    const src = make(blob);
    await expect(into(src, 0, 30_000)).rejects.toMatchObject({ code: 'io' });
    // failAt is relative to the file: a stream opened past it fails at once, one before it reads up to it
    expect(same(await into(src, 5000, 10_000), bytes.subarray(5000, 15_000))).toBe(true);
  });

  it('stops at an abort and stays usable', async () => {
    const { bytes, blob } = streamBlob(100_000);
    const src = make(blob);
    const ac = new AbortController();
    ac.abort();
    await expect(into(src, 0, 50_000, ac.signal)).rejects.toMatchObject({ code: 'aborted' });
    const ac2 = new AbortController();
    const p = into(src, 0, 90_000, ac2.signal);
    ac2.abort();
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
    expect(same(await into(src, 1234, 60_000), bytes.subarray(1234, 61_234))).toBe(true);
  });

  it('rejects a read past the end with a typed error before streaming', async () => {
    const { blob, streams } = streamBlob(10_000);
    const src = make(blob);
    await expect(into(src, 5000, 5001)).rejects.toMatchObject({ code: 'truncated' });
    expect(streams()).toBe(0);
  });
});

describe('sources made from a Blob are released', () => {
  it('parseGguf cancels the byte stream its header reads opened', async () => {
    // a 3 MB header: the parser's doubling reads pass 1 MiB, so a stream serves them
    const tokens = Array.from({ length: 60_000 }, (_, i) => `token-${i}-${'x'.repeat(40)}`);
    const bytes = writeGguf({
      metadata: [
        { key: 'general.architecture', type: T.STRING, value: 'llama' },
        { key: 'tokenizer.ggml.tokens', type: T.ARRAY, arrayType: T.STRING, value: tokens },
      ],
      tensors: [],
    });
    expect(bytes.length).toBeGreaterThan(2 << 20);
    let opened = 0;
    let cancelled = 0;
    const watch = (b: Blob): Blob =>
      new Proxy(b, {
        get(target, prop) {
          if (prop === 'slice') return (a?: number, e?: number) => watch(target.slice(a, e));
          if (prop === 'stream')
            return () => {
              opened++;
              const inner = target.stream();
              return new Proxy(inner, {
                get(st, p2) {
                  if (p2 === 'getReader')
                    return (o?: ReadableStreamGetReaderOptions) => {
                      const r = st.getReader(o as { mode: 'byob' });
                      const cancel = r.cancel.bind(r);
                      r.cancel = (reason?: unknown) => (cancelled++, cancel(reason));
                      return r;
                    };
                  const v = Reflect.get(st, p2, st) as unknown;
                  return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(st) : v;
                },
              });
            };
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
        },
      });
    const g = await parseGguf(watch(new Blob([new Uint8Array(bytes)])));
    expect((g.metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(tokens.length);
    expect(opened).toBeGreaterThan(0);
    expect(cancelled).toBe(opened);
  });
});

// Last in this file: a stall turns byte streams off for every BlobSource of the realm (this module instance).
describe('a byte stream that never delivers', () => {
  it('is given up after the stall time: the read is served by the windows, and later sources skip streams', async () => {
    const { bytes, blob } = makeBlob(20_000);
    let opened = 0;
    const stuck = (b: Blob): Blob =>
      new Proxy(b, {
        get(target, prop) {
          if (prop === 'slice') return (a?: number, e?: number) => stuck(target.slice(a, e));
          if (prop === 'stream') return () => (opened++, new ReadableStream({ type: 'bytes', pull: () => new Promise<void>(() => undefined) }));
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
        },
      });
    const t0 = Date.now();
    const got = await into(new BlobSource(stuck(blob), 4096, 1000, 3000), 100, 9000);
    expect(same(got, bytes.subarray(100, 9100))).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(opened).toBe(1);
    const again = await into(new BlobSource(stuck(blob), 4096, 1000, 3000), 0, 12_000);
    expect(same(again, bytes.subarray(0, 12_000))).toBe(true);
    expect(opened).toBe(1);
  });
});
