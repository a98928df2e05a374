/**
 * The model cache on the Origin Private File System (OPFS), used by the engine worker. It owns the
 * on-disk layout (one `<id>.bin` with the bytes and one `<id>.json` metadata record per model, id =
 * a hash of the key, which is the URL), resumable downloads with HTTP Range (append to the partial
 * file, resume from its size, validate the server's Content-Range and validators), the sha-256
 * recorded after a full download, and the rule that a partial or size-mismatched entry is never
 * treated as complete. It only touches the small directory API below, so tests run it on an
 * in-memory fake in Node.
 */
import { Sha256 } from './sha256';
import type { CacheEntryInfo } from './protocol';

/** The subset of FileSystemDirectoryHandle used here. */
export interface DirHandleLike {
  getDirectoryHandle(name: string, opts?: { create?: boolean }): Promise<DirHandleLike>;
  getFileHandle(name: string, opts?: { create?: boolean }): Promise<FileHandleLike>;
  removeEntry(name: string): Promise<void>;
  keys(): AsyncIterable<string>;
}

/** The subset of FileSystemFileHandle used here (one of the two write APIs must exist). */
export interface FileHandleLike {
  getFile(): Promise<Blob>;
  createWritable?(opts?: { keepExistingData?: boolean }): Promise<WritableLike>;
  createSyncAccessHandle?(): Promise<SyncAccessHandleLike>;
}

/** FileSystemWritableFileStream: writes land on close(). */
export interface WritableLike {
  seek(position: number): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

/** FileSystemSyncAccessHandle (dedicated workers): writes land in place, durable after flush(). */
export interface SyncAccessHandleLike {
  getSize(): number;
  write(data: Uint8Array, opts: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}

export type CacheErrorCode = 'http_error' | 'bad_response' | 'aborted' | 'incomplete' | 'storage' | 'network' | 'unavailable';

/** Everything the cache throws. */
export class CacheError extends Error {
  readonly code: CacheErrorCode;
  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheError';
    this.code = code;
  }
}

/** The metadata record stored beside each model. */
export interface CacheMeta {
  v: 1;
  key: string;
  /** Full size in bytes, once a response told it. */
  size: number | null;
  etag?: string;
  lastModified?: string;
  /** Set once, after the first complete download. */
  sha256?: string;
  complete: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface DownloadProgress {
  phase: 'download' | 'hash';
  loaded: number;
  total: number | null;
  /** Bytes that were already on disk when this download started. */
  resumedFrom: number;
}

export interface DownloadOptions {
  /** Cache key. @default the URL */
  key?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

export interface CachedModel {
  info: CacheEntryInfo;
  blob: Blob;
}

export interface DownloadResult extends CachedModel {
  /** True when nothing was downloaded. */
  fromCache: boolean;
  /** Bytes reused from a partial file (0 for a fresh download). */
  resumedFrom: number;
  /** HTTP requests made. */
  requests: number;
}

export interface ModelCacheOptions {
  /** @default globalThis.fetch */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Folder inside the OPFS root. @default 'bitnet-models' */
  dirName?: string;
  /** Requests per download before giving up (each continues where the last stopped). @default 6 */
  maxRequests?: number;
  /** Flush a sync access handle after this many bytes. @default 16 MiB */
  flushBytes?: number;
  /** Bytes per read when hashing. @default 8 MiB */
  hashChunkBytes?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Parses `Content-Range: bytes a-b/n` (n may be `*`) or `bytes * /n`. */
export function parseContentRange(h: string | null): { start: number; end: number; size: number | null } | { unsatisfied: number } | undefined {
  if (!h) return undefined;
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(h);
  if (m) {
    const start = Number(m[1]);
    const end = Number(m[2]);
    const size = m[3] === '*' ? null : Number(m[3]);
    if (end < start || (size !== null && end >= size)) return undefined;
    return { start, end, size };
  }
  const u = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(h);
  if (u) return { unsatisfied: Number(u[1]) };
  return undefined;
}

/** File id of a key: the first 32 hex digits of its sha-256. */
export function entryId(key: string): string {
  return new Sha256().update(new TextEncoder().encode(key)).digestHex().slice(0, 32);
}

const isNotFound = (e: unknown): boolean => (e as { name?: string })?.name === 'NotFoundError';

/** A positioned writer over either OPFS write API. */
interface Writer {
  size: number;
  write(chunk: Uint8Array, at: number): Promise<void>;
  truncate(n: number): Promise<void>;
  close(): Promise<void>;
}

async function openWriter(fh: FileHandleLike, flushBytes: number): Promise<Writer> {
  if (typeof fh.createSyncAccessHandle === 'function') {
    const h = await fh.createSyncAccessHandle();
    let unflushed = 0;
    return {
      size: h.getSize(),
      async write(chunk, at) {
        let off = 0;
        while (off < chunk.length) off += h.write(chunk.subarray(off), { at: at + off });
        unflushed += chunk.length;
        if (unflushed >= flushBytes) {
          h.flush();
          unflushed = 0;
        }
      },
      async truncate(n) {
        h.truncate(n);
      },
      async close() {
        h.flush();
        h.close();
      },
    };
  }
  if (typeof fh.createWritable === 'function') {
    const size = (await fh.getFile()).size;
    const w = await fh.createWritable({ keepExistingData: true });
    let pos = -1;
    return {
      size,
      async write(chunk, at) {
        if (pos !== at) await w.seek(at);
        await w.write(chunk);
        pos = at + chunk.length;
      },
      async truncate(n) {
        await w.truncate(n);
        pos = -1;
      },
      close: () => w.close(),
    };
  }
  throw new CacheError('unavailable', 'this file system handle can not be written');
}

export class ModelCache {
  private readonly fetchFn: (url: string, init: RequestInit) => Promise<Response>;
  private readonly dirName: string;
  private readonly maxRequests: number;
  private readonly flushBytes: number;
  private readonly hashChunkBytes: number;
  private readonly now: () => number;
  private dirPromise?: Promise<DirHandleLike>;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly root: DirHandleLike,
    opts: ModelCacheOptions = {},
  ) {
    this.fetchFn = opts.fetch ?? ((u, i) => fetch(u, i));
    this.dirName = opts.dirName ?? 'bitnet-models';
    this.maxRequests = opts.maxRequests ?? 6;
    this.flushBytes = opts.flushBytes ?? 16 << 20;
    this.hashChunkBytes = opts.hashChunkBytes ?? 8 << 20;
    this.now = opts.now ?? Date.now;
  }

  /** The cache on this origin's OPFS; throws CacheError('unavailable') where there is none. */
  static async open(opts: ModelCacheOptions = {}): Promise<ModelCache> {
    const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<unknown> } } }).navigator?.storage;
    if (!storage?.getDirectory) throw new CacheError('unavailable', 'the Origin Private File System is not available here');
    try {
      return new ModelCache((await storage.getDirectory()) as DirHandleLike, opts);
    } catch (e) {
      throw new CacheError('unavailable', `the Origin Private File System could not be opened: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }

  /** Every entry, complete or not, newest first. */
  async list(): Promise<CacheEntryInfo[]> {
    const dir = await this.dir();
    const out: CacheEntryInfo[] = [];
    for await (const name of dir.keys()) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      const meta = await this.readMeta(id);
      if (!meta) continue;
      out.push(await this.infoOf(id, meta));
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** A complete entry (metadata says complete and the bytes on disk have the recorded size), else undefined. */
  async get(key: string): Promise<CachedModel | undefined> {
    const id = entryId(key);
    const meta = await this.readMeta(id);
    if (!meta || meta.key !== key || !meta.complete || meta.size === null) return undefined;
    const blob = await this.blobOf(id);
    if (!blob || blob.size !== meta.size) return undefined;
    return { info: await this.infoOf(id, meta, blob.size), blob };
  }

  /** Removes an entry (bytes and metadata). Resolves false when there was nothing to remove. */
  async delete(key: string): Promise<boolean> {
    return this.withLock(key, async () => {
      const dir = await this.dir();
      const id = entryId(key);
      let removed = false;
      for (const name of [`${id}.json`, `${id}.bin`]) {
        try {
          await dir.removeEntry(name);
          removed = true;
        } catch (e) {
          if (!isNotFound(e)) throw new CacheError('storage', `could not delete ${name}: ${(e as Error)?.message ?? e}`, { cause: e });
        }
      }
      return removed;
    });
  }

  /**
   * Returns the complete cached copy of `url`, downloading what is missing first: a partial file is
   * continued with `Range: bytes=<size>-` (and `If-Range`), a server that answers 200 restarts it,
   * a Content-Range that does not continue the file or a changed ETag/size discards it.
   */
  async download(url: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
    const key = opts.key ?? url;
    return this.withLock(key, async () => {
      const cached = await this.get(key);
      if (cached) return { ...cached, fromCache: true, resumedFrom: cached.blob.size, requests: 0 };
      return this.fetchInto(url, key, opts);
    });
  }

  private async fetchInto(url: string, key: string, opts: DownloadOptions): Promise<DownloadResult> {
    const dir = await this.dir();
    const id = entryId(key);
    let meta = await this.readMeta(id);
    if (meta && meta.key !== key) meta = undefined; // an id collision: never mix two keys
    let fh: FileHandleLike;
    try {
      fh = await dir.getFileHandle(`${id}.bin`, { create: true });
    } catch (e) {
      throw new CacheError('storage', `could not create the cache file: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    const writer = await openWriter(fh, this.flushBytes);
    let have = writer.size;
    let requests = 0;
    let resumedFrom = 0;
    let total: number | null = null;
    const restart = async (): Promise<void> => {
      await writer.truncate(0);
      have = 0;
      resumedFrom = 0;
      total = null;
      meta = undefined;
    };
    try {
      if (!meta || meta.complete || (meta.size !== null && have > meta.size)) {
        // no record of what these bytes are, or a "complete" entry whose size is wrong: start over
        if (have > 0) await restart();
        meta = undefined;
      }
      total = meta?.size ?? null;
      resumedFrom = have;
      const progress = (): void => opts.onProgress?.({ phase: 'download', loaded: have, total, resumedFrom });
      progress();
      for (;;) {
        if (total !== null && have === total) break;
        if (requests >= this.maxRequests) {
          throw new CacheError('incomplete', `download of ${url} still incomplete after ${requests} requests (${have} of ${total ?? '?'} bytes)`);
        }
        requests++;
        const headers: Record<string, string> = {};
        if (have > 0 && meta) {
          headers.Range = `bytes=${have}-`;
          const validator = meta.etag && !meta.etag.startsWith('W/') ? meta.etag : meta.lastModified;
          if (validator) headers['If-Range'] = validator;
        }
        let res: Response;
        try {
          res = await this.fetchFn(url, { headers, signal: opts.signal, cache: 'no-store' });
        } catch (e) {
          if (opts.signal?.aborted) throw new CacheError('aborted', 'download aborted', { cause: e });
          throw new CacheError('network', `could not fetch ${url}: ${(e as Error)?.message ?? e}`, { cause: e });
        }
        const etag = res.headers.get('etag') ?? undefined;
        const lastModified = res.headers.get('last-modified') ?? undefined;
        if (res.status === 206) {
          const cr = parseContentRange(res.headers.get('content-range'));
          const changed =
            !cr ||
            'unsatisfied' in cr ||
            cr.start !== have ||
            !meta ||
            (total !== null && cr.size !== null && cr.size !== total) ||
            (meta.etag !== undefined && etag !== undefined && etag !== meta.etag);
          if (changed) {
            await res.body?.cancel().catch(() => {});
            await restart();
            continue; // the next request has no Range
          }
          if (cr.size !== null && total === null) {
            total = cr.size;
            meta = { ...meta!, size: total, updatedAt: this.now() };
            await this.writeMeta(id, meta);
          }
          await this.readBody(res, writer, () => have, (n) => (have += n), cr.end - cr.start + 1, opts.signal, progress);
        } else if (res.status === 200) {
          await restart();
          const len = res.headers.get('content-length');
          const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
          total = len !== null && /^\d+$/.test(len) && !encoded ? Number(len) : null;
          meta = { v: 1, key, size: total, etag, lastModified, complete: false, createdAt: this.now(), updatedAt: this.now() };
          await this.writeMeta(id, meta);
          progress();
          const ended = await this.readBody(res, writer, () => have, (n) => (have += n), total, opts.signal, progress);
          if (total === null && ended) {
            total = have; // the length was not announced: a body that ended normally is the whole file
            meta = { ...meta, size: total, updatedAt: this.now() };
            await this.writeMeta(id, meta);
          }
        } else if (res.status === 416) {
          await res.body?.cancel().catch(() => {});
          const cr = parseContentRange(res.headers.get('content-range'));
          if (cr && 'unsatisfied' in cr && cr.unsatisfied === have && meta && (meta.size === null || meta.size === have)) {
            total = have; // we already hold every byte
            break;
          }
          await restart();
        } else {
          await res.body?.cancel().catch(() => {});
          throw new CacheError('http_error', `HTTP ${res.status} ${res.statusText} for ${url}`);
        }
        if (total !== null && have > total) {
          await restart();
          throw new CacheError('bad_response', `the server sent more bytes than the ${total} it announced`);
        }
      }
    } catch (e) {
      await writer.close().catch(() => {});
      if (meta) await this.writeMeta(id, { ...meta, updatedAt: this.now() }).catch(() => {});
      if (e instanceof CacheError) throw e;
      if (opts.signal?.aborted) throw new CacheError('aborted', 'download aborted', { cause: e });
      throw new CacheError('storage', `could not write the cache: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    await writer.close();

    // Verify what is on disk, hash it, and only then mark it complete.
    const blob = await this.blobOf(id);
    if (!blob || total === null || blob.size !== total || !meta) {
      throw new CacheError('incomplete', `the cached file has ${blob?.size ?? 0} bytes, expected ${total}`);
    }
    const sha256 = await this.hash(blob, opts, resumedFrom);
    const done: CacheMeta = { ...(meta as CacheMeta), size: total, complete: true, sha256: (meta as CacheMeta).sha256 ?? sha256, updatedAt: this.now() };
    await this.writeMeta(id, done);
    return { info: await this.infoOf(id, done, blob.size), blob, fromCache: false, resumedFrom, requests };
  }

  /**
   * Copies a response body to the file. Returns true when the body ended normally; a network error
   * mid-body returns false (the caller continues with a Range request); an abort throws.
   */
  private async readBody(
    res: Response,
    writer: Writer,
    pos: () => number,
    advance: (n: number) => void,
    expected: number | null,
    signal: AbortSignal | undefined,
    progress: () => void,
  ): Promise<boolean> {
    if (!res.body) return true;
    const reader = res.body.getReader();
    let got = 0;
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (signal?.aborted) throw new CacheError('aborted', 'download aborted', { cause: e });
          return false;
        }
        if (r.done) break;
        let chunk = r.value;
        if (expected !== null && got + chunk.length > expected) chunk = chunk.subarray(0, expected - got);
        if (chunk.length > 0) {
          await writer.write(chunk, pos());
          advance(chunk.length);
          got += chunk.length;
          progress();
        }
        if (expected !== null && got >= expected) {
          await reader.cancel().catch(() => {});
          break;
        }
        if (signal?.aborted) throw new CacheError('aborted', 'download aborted');
      }
    } finally {
      reader.releaseLock();
    }
    return expected === null || got === expected;
  }

  private async hash(blob: Blob, opts: DownloadOptions, resumedFrom: number): Promise<string> {
    const h = new Sha256();
    for (let off = 0; off < blob.size; off += this.hashChunkBytes) {
      if (opts.signal?.aborted) throw new CacheError('aborted', 'aborted while hashing');
      const part = new Uint8Array(await blob.slice(off, Math.min(blob.size, off + this.hashChunkBytes)).arrayBuffer());
      h.update(part);
      opts.onProgress?.({ phase: 'hash', loaded: off + part.length, total: blob.size, resumedFrom });
    }
    return h.digestHex();
  }

  private async infoOf(id: string, meta: CacheMeta, storedBytes?: number): Promise<CacheEntryInfo> {
    let stored = storedBytes ?? 0;
    if (storedBytes === undefined) {
      try {
        stored = (await this.blobOf(id))?.size ?? 0;
      } catch {
        stored = 0; // being written right now (locked): not complete as far as anyone can tell
      }
    }
    const info: CacheEntryInfo = {
      key: meta.key,
      size: meta.size,
      storedBytes: stored,
      complete: meta.complete && meta.size !== null && stored === meta.size,
      updatedAt: meta.updatedAt,
    };
    if (meta.sha256) info.sha256 = meta.sha256;
    if (meta.etag) info.etag = meta.etag;
    if (meta.lastModified) info.lastModified = meta.lastModified;
    return info;
  }

  private async blobOf(id: string): Promise<Blob | undefined> {
    try {
      const fh = await (await this.dir()).getFileHandle(`${id}.bin`);
      return await fh.getFile();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw new CacheError('storage', `could not read the cache: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }

  private async readMeta(id: string): Promise<CacheMeta | undefined> {
    let text: string;
    try {
      const fh = await (await this.dir()).getFileHandle(`${id}.json`);
      text = await (await fh.getFile()).text();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw new CacheError('storage', `could not read cache metadata: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    try {
      const m = JSON.parse(text) as Partial<CacheMeta>;
      if (m.v !== 1 || typeof m.key !== 'string' || typeof m.complete !== 'boolean') return undefined;
      if (m.size !== null && (typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0)) return undefined;
      return m as CacheMeta;
    } catch {
      return undefined; // a torn or foreign record: treat the entry as unknown
    }
  }

  private async writeMeta(id: string, meta: CacheMeta): Promise<void> {
    const fh = await (await this.dir()).getFileHandle(`${id}.json`, { create: true });
    const bytes = new TextEncoder().encode(JSON.stringify(meta));
    const w = await openWriter(fh, Infinity);
    try {
      await w.truncate(0);
      await w.write(bytes, 0);
    } finally {
      await w.close();
    }
  }

  private dir(): Promise<DirHandleLike> {
    this.dirPromise ??= this.root.getDirectoryHandle(this.dirName, { create: true }).catch((e: unknown) => {
      this.dirPromise = undefined;
      throw new CacheError('unavailable', `could not open the cache folder: ${(e as Error)?.message ?? e}`, { cause: e });
    });
    return this.dirPromise;
  }

  private withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }
}
