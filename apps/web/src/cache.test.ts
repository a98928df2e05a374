// Tests of the OPFS model cache on an in-memory fake of the directory API and a fake HTTP server
// (Range, If-Range, ETag), both write APIs (sync access handle and writable stream), resume after a
// cut connection and after an abort, validation of Content-Range, and that partial or
// size-mismatched entries never count as complete. sha-256 values are checked against node:crypto.
import { createHash } from 'node:crypto';
import { CacheError, ModelCache, entryId, parseContentRange, type DirHandleLike, type FileHandleLike } from './cache';
import { Sha256 } from './sha256';

class NotFound extends Error {
  override name = 'NotFoundError';
}

class FakeFile implements FileHandleLike {
  data = new Uint8Array(0);
  locked = false;
  constructor(private readonly sync: boolean) {
    if (!sync) delete (this as Partial<FakeFile>).createSyncAccessHandle;
  }
  async getFile(): Promise<Blob> {
    return new Blob([this.data.slice()]);
  }
  async createWritable(opts?: { keepExistingData?: boolean }) {
    // writes go to a swap copy and land on close(), like the real FileSystemWritableFileStream
    let swap = opts?.keepExistingData ? this.data.slice() : new Uint8Array(0);
    let pos = 0;
    return {
      seek: async (p: number) => {
        pos = p;
      },
      write: async (d: Uint8Array) => {
        if (pos + d.length > swap.length) {
          const n = new Uint8Array(pos + d.length);
          n.set(swap);
          swap = n;
        }
        swap.set(d, pos);
        pos += d.length;
      },
      truncate: async (n: number) => {
        const t = new Uint8Array(n);
        t.set(swap.subarray(0, n));
        swap = t;
      },
      close: async () => {
        this.data = swap;
      },
    };
  }
  async createSyncAccessHandle() {
    if (this.locked) throw new Error('NoModificationAllowedError');
    this.locked = true;
    return {
      getSize: () => this.data.length,
      write: (d: Uint8Array, o: { at: number }) => {
        if (o.at + d.length > this.data.length) {
          const n = new Uint8Array(o.at + d.length);
          n.set(this.data);
          this.data = n;
        }
        this.data.set(d, o.at);
        return d.length;
      },
      truncate: (n: number) => {
        const t = new Uint8Array(n);
        t.set(this.data.subarray(0, n));
        this.data = t;
      },
      flush: () => {},
      close: () => {
        this.locked = false;
      },
    };
  }
}

class FakeDir implements DirHandleLike {
  readonly entries = new Map<string, FakeDir | FakeFile>();
  constructor(private readonly sync: boolean) {}
  async getDirectoryHandle(name: string, opts?: { create?: boolean }): Promise<FakeDir> {
    let e = this.entries.get(name);
    if (!e && opts?.create) this.entries.set(name, (e = new FakeDir(this.sync)));
    if (!(e instanceof FakeDir)) throw new NotFound(name);
    return e;
  }
  async getFileHandle(name: string, opts?: { create?: boolean }): Promise<FakeFile> {
    let e = this.entries.get(name);
    if (!e && opts?.create) this.entries.set(name, (e = new FakeFile(this.sync)));
    if (!(e instanceof FakeFile)) throw new NotFound(name);
    return e;
  }
  async removeEntry(name: string): Promise<void> {
    if (!this.entries.delete(name)) throw new NotFound(name);
  }
  async *keys(): AsyncIterable<string> {
    yield* [...this.entries.keys()];
  }
}

/** A fake origin for one file with Range / If-Range, plus knobs for misbehaviour. */
class FakeServer {
  requests: Record<string, string>[] = [];
  /** Cut the body of the next N responses after this many bytes (the stream errors). */
  cutAfter: number | undefined;
  cutTimes = 0;
  ignoreRange = false;
  /** Shift the Content-Range start of 206 responses by this many bytes. */
  skewStart = 0;
  sendLength = true;
  status: number | undefined;
  etag = '"v1"';
  chunk = 1000;
  constructor(public data: Uint8Array) {}

  fetch = async (_url: string, init: RequestInit): Promise<Response> => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    this.requests.push(headers);
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    if (this.status) return new Response('nope', { status: this.status });
    const size = this.data.length;
    const base: Record<string, string> = { etag: this.etag, 'accept-ranges': 'bytes' };
    let start = 0;
    let status = 200;
    const range = headers.Range;
    const ifRange = headers['If-Range'];
    if (range && !this.ignoreRange && (ifRange === undefined || ifRange === this.etag)) {
      start = Number(/^bytes=(\d+)-$/.exec(range)![1]);
      if (start >= size) return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${size}` } });
      status = 206;
      base['content-range'] = `bytes ${start + this.skewStart}-${size - 1}/${size}`;
    }
    const body = this.data.subarray(start);
    if (this.sendLength) base['content-length'] = String(body.length);
    const cut = this.cutTimes > 0 ? this.cutAfter : undefined;
    if (cut !== undefined) this.cutTimes--;
    const chunk = this.chunk;
    const signal = init.signal;
    let off = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (signal?.aborted) {
          c.error(new DOMException('aborted', 'AbortError'));
          return;
        }
        if (cut !== undefined && off >= cut) {
          c.error(new TypeError('network error'));
          return;
        }
        if (off >= body.length) {
          c.close();
          return;
        }
        const end = Math.min(body.length, off + chunk, cut ?? Infinity);
        c.enqueue(body.slice(off, end));
        off = end;
      },
    });
    return new Response(stream, { status, headers: base });
  };
}

const bytes = (n: number, seed = 1): Uint8Array => {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const URL1 = 'http://localhost/models/m.gguf';

async function readAll(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

describe.each([
  ['sync access handle', true],
  ['writable stream', false],
])('ModelCache (%s)', (_name, sync) => {
  let root: FakeDir;
  let server: FakeServer;
  let cache: ModelCache;
  const DATA = bytes(10_000);
  const files = () => root.entries.get('bitnet-models') as FakeDir;
  const binOf = (key: string) => files().entries.get(`${entryId(key)}.bin`) as FakeFile;
  const metaOf = (key: string) => JSON.parse(new TextDecoder().decode((files().entries.get(`${entryId(key)}.json`) as FakeFile).data));

  beforeEach(() => {
    root = new FakeDir(sync);
    server = new FakeServer(DATA);
    cache = new ModelCache(root, { fetch: server.fetch, hashChunkBytes: 4096 });
  });

  it('downloads, records size/ETag/sha-256, then serves from the cache without a request', async () => {
    const progress: number[] = [];
    const r = await cache.download(URL1, { onProgress: (p) => p.phase === 'download' && progress.push(p.loaded) });
    expect(r.fromCache).toBe(false);
    expect(r.requests).toBe(1);
    expect(await readAll(r.blob)).toEqual(DATA);
    expect(r.info).toMatchObject({ key: URL1, size: 10_000, storedBytes: 10_000, complete: true, etag: '"v1"', sha256: sha(DATA) });
    expect(progress[progress.length - 1]).toBe(10_000);
    expect(server.requests[0]!.Range).toBeUndefined();

    const again = await cache.download(URL1);
    expect(again.fromCache).toBe(true);
    expect(again.requests).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(await readAll(again.blob)).toEqual(DATA);
    expect((await cache.get(URL1))?.info.sha256).toBe(sha(DATA));
  });

  it('resumes with Range + If-Range after the connection is cut mid-body', async () => {
    server.cutAfter = 3500;
    server.cutTimes = 1;
    const r = await cache.download(URL1);
    expect(r.requests).toBe(2);
    expect(server.requests[1]).toEqual({ Range: 'bytes=3500-', 'If-Range': '"v1"' });
    expect(await readAll(r.blob)).toEqual(DATA);
    expect(r.info.sha256).toBe(sha(DATA));
  });

  it('gives up with code incomplete after maxRequests cut responses, keeping the partial file', async () => {
    cache = new ModelCache(root, { fetch: server.fetch, maxRequests: 2 });
    server.cutAfter = 1000;
    server.cutTimes = 5;
    await expect(cache.download(URL1)).rejects.toMatchObject({ code: 'incomplete' });
    expect(binOf(URL1).data.length).toBe(2000);
    expect(await cache.get(URL1)).toBeUndefined();
    const [entry] = await cache.list();
    expect(entry).toMatchObject({ key: URL1, size: 10_000, storedBytes: 2000, complete: false });
  });

  it('an aborted download keeps its bytes and the next download resumes from them', async () => {
    const ac = new AbortController();
    server.chunk = 500;
    const p = cache.download(URL1, {
      signal: ac.signal,
      onProgress: (e) => {
        if (e.loaded >= 4000) ac.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(CacheError);
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
    const partial = binOf(URL1).data.length;
    expect(partial).toBeGreaterThanOrEqual(4000);
    expect(partial).toBeLessThan(10_000);
    expect(await cache.get(URL1)).toBeUndefined();

    const r = await cache.download(URL1);
    expect(r.resumedFrom).toBe(partial);
    expect(server.requests[server.requests.length - 1]!.Range).toBe(`bytes=${partial}-`);
    expect(await readAll(r.blob)).toEqual(DATA);
    expect(r.info.sha256).toBe(sha(DATA));
  });

  it('a server that ignores Range (200) restarts the file from zero', async () => {
    server.cutAfter = 4000;
    server.cutTimes = 1;
    server.ignoreRange = true;
    const r = await cache.download(URL1);
    expect(r.requests).toBe(2);
    expect(await readAll(r.blob)).toEqual(DATA);
  });

  it('a Content-Range that does not continue the file discards it and starts over', async () => {
    server.cutAfter = 4000;
    server.cutTimes = 1;
    server.skewStart = 10;
    const r = await cache.download(URL1);
    expect(server.requests.map((h) => h.Range)).toEqual([undefined, 'bytes=4000-', undefined]);
    expect(await readAll(r.blob)).toEqual(DATA);
    expect(r.resumedFrom).toBe(0);
  });

  it('a changed file (new ETag) is not appended to the old partial one', async () => {
    server.cutAfter = 4000;
    server.cutTimes = 1;
    await expect(new ModelCache(root, { fetch: server.fetch, maxRequests: 1 }).download(URL1)).rejects.toMatchObject({ code: 'incomplete' });
    const NEW = bytes(12_000, 7);
    server.data = NEW;
    server.etag = '"v2"';
    const r = await cache.download(URL1);
    expect(await readAll(r.blob)).toEqual(NEW);
    expect(r.info).toMatchObject({ size: 12_000, etag: '"v2"', sha256: sha(NEW) });
  });

  it('416 for a partial that already holds every byte completes without a body', async () => {
    server.cutAfter = 10_000; // the body is complete but the stream then errors
    server.cutTimes = 1;
    server.sendLength = false;
    // without a length, a body that errors is not known to be whole: the next request is a Range
    const r = await cache.download(URL1);
    expect(server.requests.map((h) => h.Range)).toEqual([undefined, 'bytes=10000-']);
    expect(await readAll(r.blob)).toEqual(DATA);
    expect(r.info.complete).toBe(true);
  });

  it('without Content-Length a body that ends normally is the whole file', async () => {
    server.sendLength = false;
    const r = await cache.download(URL1);
    expect(r.info).toMatchObject({ size: 10_000, complete: true });
  });

  it('a size-mismatched "complete" entry is not served and is downloaded again', async () => {
    await cache.download(URL1);
    const f = binOf(URL1);
    f.data = f.data.slice(0, 9000); // truncated behind our back
    expect(await cache.get(URL1)).toBeUndefined();
    expect((await cache.list())[0]).toMatchObject({ complete: false, storedBytes: 9000 });
    const r = await cache.download(URL1);
    expect(r.fromCache).toBe(false);
    expect(await readAll(r.blob)).toEqual(DATA);
    f.data = new Uint8Array([...DATA, 1, 2, 3]); // grown
    expect(await cache.get(URL1)).toBeUndefined();
  });

  it('a torn metadata record makes the bytes unknown: downloaded again from zero', async () => {
    server.cutAfter = 4000;
    server.cutTimes = 1;
    await expect(new ModelCache(root, { fetch: server.fetch, maxRequests: 1 }).download(URL1)).rejects.toMatchObject({ code: 'incomplete' });
    (files().entries.get(`${entryId(URL1)}.json`) as FakeFile).data = new TextEncoder().encode('{"v":1,"key":');
    const r = await cache.download(URL1);
    expect(r.resumedFrom).toBe(0);
    expect(server.requests[server.requests.length - 1]!.Range).toBeUndefined();
    expect(await readAll(r.blob)).toEqual(DATA);
  });

  it('HTTP errors are CacheError http_error; network failures are network', async () => {
    server.status = 404;
    await expect(cache.download(URL1)).rejects.toMatchObject({ code: 'http_error' });
    const failing = new ModelCache(root, { fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(failing.download(URL1)).rejects.toMatchObject({ code: 'network' });
  });

  it('list() and delete()', async () => {
    await cache.download(URL1);
    server.data = bytes(300, 3);
    await cache.download('http://localhost/models/other.gguf');
    const list = await cache.list();
    expect(list.map((e) => e.key).sort()).toEqual(['http://localhost/models/m.gguf', 'http://localhost/models/other.gguf']);
    expect(list.every((e) => e.complete)).toBe(true);
    expect(await cache.delete(URL1)).toBe(true);
    expect(await cache.delete(URL1)).toBe(false);
    expect((await cache.list()).map((e) => e.key)).toEqual(['http://localhost/models/other.gguf']);
    expect(files().entries.has(`${entryId(URL1)}.bin`)).toBe(false);
  });

  it('concurrent downloads of one key make one request', async () => {
    const [a, b] = await Promise.all([cache.download(URL1), cache.download(URL1)]);
    expect(server.requests).toHaveLength(1);
    expect(a.fromCache).toBe(false);
    expect(b.fromCache).toBe(true);
  });

  it('metadata records what the server said', async () => {
    await cache.download(URL1);
    expect(metaOf(URL1)).toMatchObject({ v: 1, key: URL1, size: 10_000, etag: '"v1"', complete: true, sha256: sha(DATA) });
  });
});

describe('parseContentRange', () => {
  it('parses ranges and unsatisfied forms, rejects nonsense', () => {
    expect(parseContentRange('bytes 0-9/10')).toEqual({ start: 0, end: 9, size: 10 });
    expect(parseContentRange('bytes 5-9/*')).toEqual({ start: 5, end: 9, size: null });
    expect(parseContentRange('bytes */10')).toEqual({ unsatisfied: 10 });
    expect(parseContentRange('bytes 9-5/10')).toBeUndefined();
    expect(parseContentRange('bytes 0-10/10')).toBeUndefined();
    expect(parseContentRange('items 0-1/2')).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
  });
});

describe('Sha256', () => {
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001])('matches node:crypto for %i bytes, fed in uneven pieces', (n) => {
    const data = bytes(n, n + 1);
    const h = new Sha256();
    for (let off = 0, step = 1; off < n; off += step, step = (step * 3 + 1) % 97) h.update(data.subarray(off, off + step));
    expect(h.digestHex()).toBe(sha(data));
    expect(new Sha256().update(data).digestHex()).toBe(sha(data));
  });
});
