/** BlobSource windows: every read returns exactly the blob's bytes (inside a window, across two, larger than one, random order), and a front-to-back reader slices the blob once per window. */
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
