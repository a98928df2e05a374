/**
 * HTTP(S) ByteSource over Range requests: only the requested bytes are transferred, so a model's header parses
 * after a few MB. Size comes from the first Content-Range (or a HEAD when asked before any read).
 */
import { GgufError, throwIfAborted } from './errors';
import { checkRange, type ByteSource } from './source';

/** Options of {@link httpByteSource}. */
export interface HttpByteSourceOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Aborts every request of this source. */
  signal?: AbortSignal;
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  const c = new AbortController();
  const fire = (s: AbortSignal) => () => c.abort(s.reason);
  if (a.aborted) c.abort(a.reason);
  else if (b.aborted) c.abort(b.reason);
  else {
    a.addEventListener('abort', fire(a), { once: true });
    b.addEventListener('abort', fire(b), { once: true });
  }
  return c.signal;
}

/** Parses `bytes a-b/total` (total may be `*`). */
function parseContentRange(v: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const m = v ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(v.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

class HttpSource implements ByteSource {
  private knownSize: number | undefined;
  private readonly doFetch: typeof fetch;
  /** Bytes received from the network (for diagnostics and tests). */
  bytesFetched = 0;
  constructor(readonly name: string, private readonly opts: HttpByteSourceOptions) {
    const f = opts.fetch ?? (globalThis.fetch as typeof fetch | undefined);
    if (!f) throw new GgufError('io', 'gguf: no fetch implementation available');
    // Called as a plain function: browsers throw "Illegal invocation" when fetch's `this` is not the global.
    this.doFetch = (input, init) => f.call(globalThis, input, init);
  }
  get size(): number | undefined {
    return this.knownSize;
  }

  private wrapIo(e: unknown, signal: AbortSignal | undefined): GgufError {
    if (e instanceof GgufError) return e;
    if (signal?.aborted) return new GgufError('aborted', 'gguf: operation aborted', { cause: e });
    return new GgufError('io', `gguf: fetching ${this.name} failed: ${(e as Error)?.message ?? e}`, { cause: e });
  }

  /** Learns the size with a HEAD request (used only when a caller needs it before any read). */
  async head(signal?: AbortSignal): Promise<number | undefined> {
    const sig = anySignal(signal, this.opts.signal);
    try {
      const res = await this.doFetch(this.name, { method: 'HEAD', headers: this.opts.headers, signal: sig });
      const len = res.headers.get('content-length');
      if (res.ok && len !== null && /^\d+$/.test(len)) this.knownSize = Number(len);
    } catch (e) {
      throw this.wrapIo(e, sig);
    }
    return this.knownSize;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const sig = anySignal(signal, this.opts.signal);
    throwIfAborted(sig);
    checkRange(offset, length, this.knownSize, this.name);
    if (length === 0) return new Uint8Array(0);
    const out = new Uint8Array(length);
    let got = 0;
    try {
      const res = await this.doFetch(this.name, {
        headers: { ...this.opts.headers, Range: `bytes=${offset}-${offset + length - 1}` },
        signal: sig,
      });
      if (res.status === 416) {
        const cr = parseContentRange(res.headers.get('content-range')?.replace(/^bytes\s+\*/, 'bytes 0-0') ?? null);
        if (cr?.total !== undefined) this.knownSize = cr.total;
        await res.body?.cancel().catch(() => undefined);
        throw new GgufError('truncated', `gguf: range ${offset}+${length} is past the end of ${this.name}`);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new GgufError('io', `gguf: GET ${this.name} returned HTTP ${res.status}`);
      }
      let skip = 0;
      if (res.status === 206) {
        const cr = parseContentRange(res.headers.get('content-range'));
        if (!cr || cr.start !== offset) throw new GgufError('io', `gguf: server answered a different range (${res.headers.get('content-range')})`);
        if (cr.total !== undefined) this.knownSize = cr.total;
      } else {
        // 200: the server ignored Range. Stream up to the bytes we need and then stop.
        const len = res.headers.get('content-length');
        if (len !== null && /^\d+$/.test(len)) this.knownSize = Number(len);
        skip = offset;
      }
      const reader = res.body?.getReader();
      if (!reader) throw new GgufError('io', `gguf: empty response body from ${this.name}`);
      while (got < length) {
        const { done, value } = await reader.read();
        if (done) break;
        this.bytesFetched += value.length;
        let chunk = value;
        if (skip > 0) {
          const s = Math.min(skip, chunk.length);
          skip -= s;
          chunk = chunk.subarray(s);
        }
        const take = Math.min(chunk.length, length - got);
        out.set(chunk.subarray(0, take), got);
        got += take;
      }
      await reader.cancel().catch(() => undefined);
    } catch (e) {
      throw this.wrapIo(e, sig);
    }
    if (got < length) throw new GgufError('truncated', `gguf: ${this.name} ended after ${offset + got} bytes, wanted ${offset + length}`);
    return out;
  }

  async readInto(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number> {
    target.set(await this.read(offset, target.length, signal));
    return target.length;
  }
}

/**
 * A ByteSource for a URL, read with HTTP Range requests. `size` is undefined until the first response
 * (it is taken from Content-Range); a server that ignores Range still works, but the body is cut off as soon as
 * the requested bytes have arrived.
 */
export function httpByteSource(url: string, opts: HttpByteSourceOptions = {}): ByteSource {
  return new HttpSource(url, opts);
}
