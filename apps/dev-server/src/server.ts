/**
 * The dev server as a library: a static file server on Node built-ins only, for the demo page, the
 * WebAssembly kernels and local models. It owns the mount table, the safe mapping of a request
 * path to a file (no `..`, no encoded separators, no symlink leaving a mount), the cross-origin
 * isolation headers (COOP/COEP/CORP, needed for SharedArrayBuffer and so for the threaded kernels),
 * content types and HTTP Range (single and multiple ranges, 206/416, HEAD), and (opt-in, for tests
 * of progress, cancel and resume) bodies slowed down by a `?throttle=<bytes per second>` query.
 */
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes chunks through, waiting chunk.length / rate seconds after each. */
class Throttle extends Transform {
  constructor(private readonly rate: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.push(chunk);
    setTimeout(done, (chunk.length / this.rate) * 1000);
  }
}

/** One URL prefix served from one folder. */
export interface Mount {
  /** URL path prefix, starting and ending with `/` (e.g. `/`, `/wasm/`). */
  prefix: string;
  /** Folder on disk served under `prefix`. */
  dir: string;
}

export interface DevServerOptions {
  /** URL prefix → folder; the longest matching prefix wins. */
  mounts: Mount[];
  /**
   * Send `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`
   * so pages are cross-origin isolated (SharedArrayBuffer, threads). `false` exercises the
   * single-thread fallback.
   * @default true
   */
  isolation?: boolean;
  /**
   * Interface to bind.
   * @default '127.0.0.1'
   */
  host?: string;
  /** Called with one line per request (method, path, status); none when omitted. */
  log?: (line: string) => void;
  /**
   * Honour a `?throttle=N` query on file requests: the body is sent at about N bytes per second
   * (N ≥ 1024). Off by default; the e2e tests use it to cancel and resume downloads.
   * @default false
   */
  allowThrottle?: boolean;
}

/** Lowest accepted `?throttle=` rate (bytes per second). */
export const MIN_THROTTLE = 1024;

/** The `throttle` query of a request target: bytes per second, or undefined (absent or invalid). */
export function throttleOf(rawUrl: string): number | undefined {
  const q = rawUrl.indexOf('?');
  if (q < 0) return undefined;
  const v = new URLSearchParams(rawUrl.slice(q + 1).split('#')[0]).get('throttle');
  if (v === null || !/^\d{1,12}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= MIN_THROTTLE ? n : undefined;
}

export interface DevServer {
  /** Starts listening; port 0 picks a free port. Resolves with the bound port and `http://localhost:PORT/`. */
  listen(port: number): Promise<{ port: number; url: string }>;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
  /** The underlying Node server (for tests and advanced use). */
  readonly server: Server;
}

/** Content types by file extension; anything else is application/octet-stream. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.gguf': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** Ranges asked for in one request beyond which the Range header is ignored (full 200 response). */
const MAX_RANGES = 16;

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header against a file size (RFC 9110 §14).
 * - `undefined`: no usable Range (absent, another unit, bad syntax, too many ranges) → serve 200.
 * - `'unsatisfiable'`: well-formed but no range overlaps the file → 416.
 * - otherwise the satisfiable ranges, clamped to the file.
 */
export function parseRange(header: string | undefined, size: number): ByteRange[] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m || m[1] === undefined) return undefined;
  const specs = m[1].split(',').map((s) => s.trim());
  if (specs.length > MAX_RANGES) return undefined;
  const out: ByteRange[] = [];
  for (const spec of specs) {
    const r = /^(\d*)-(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return undefined;
    const a = r[1] ?? '';
    const b = r[2] ?? '';
    if (a.length > 15 || b.length > 15) return undefined; // beyond Number.MAX_SAFE_INTEGER territory
    if (a === '') {
      // suffix range: the last N bytes
      const n = Number(b);
      if (n === 0 || size === 0) continue;
      out.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const start = Number(a);
    const end = b === '' ? size - 1 : Number(b);
    if (b !== '' && end < start) return undefined; // invalid spec: ignore the whole header
    if (start >= size) continue; // unsatisfiable spec
    out.push({ start, end: Math.min(end, size - 1) });
  }
  return out.length === 0 ? 'unsatisfiable' : out;
}

/** Why a request path was refused. */
type Refusal = { status: 400 | 403 | 404; reason: string };

/**
 * Maps a raw request target to a mount and the path segments below it, refusing anything that could
 * name a file outside the mount: `.`/`..` segments (also percent-encoded), encoded `/` or `\`,
 * backslashes, NUL and other control characters, and hidden (dot) files.
 */
export function resolveRequestPath(rawUrl: string, mounts: readonly Mount[]): { mount: Mount; segments: string[] } | Refusal {
  const q = rawUrl.search(/[?#]/);
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (!rawPath.startsWith('/')) return { status: 400, reason: 'not an origin-form path' };
  if (rawPath.includes('\\')) return { status: 403, reason: 'backslash in path' };
  if (/%(2f|5c|00)/i.test(rawPath)) return { status: 403, reason: 'encoded separator or NUL in path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, reason: 'bad percent-encoding' };
  }
  if (/[\u0000-\u001f\u007f\\]/.test(decoded)) return { status: 403, reason: 'control character or backslash in path' };
  const parts = decoded.split('/');
  for (const p of parts) {
    if (p === '.' || p === '..') return { status: 403, reason: 'dot segment in path' };
  }
  let best: Mount | undefined;
  for (const m of mounts) {
    if ((decoded === m.prefix.slice(0, -1) || decoded.startsWith(m.prefix)) && (!best || m.prefix.length > best.prefix.length)) best = m;
  }
  if (!best) return { status: 404, reason: 'no mount' };
  const rest = decoded.length >= best.prefix.length ? decoded.slice(best.prefix.length) : '';
  const segments = rest.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return { status: 404, reason: 'hidden file' };
  return { mount: best, segments };
}

function isRefusal<T extends object>(x: T | Refusal): x is Refusal {
  return typeof (x as Refusal).status === 'number';
}

/** Resolves symlinks and checks the real file is still inside the mount's real folder. */
async function realFileInside(mountDir: string, segments: string[]): Promise<{ file: string; stat: Stats } | Refusal> {
  let rootReal: string;
  try {
    rootReal = await fsp.realpath(mountDir);
  } catch {
    return { status: 404, reason: 'mount folder missing' };
  }
  let real: string;
  try {
    real = await fsp.realpath(join(rootReal, ...segments));
  } catch {
    return { status: 404, reason: 'not found' };
  }
  if (real !== rootReal && !real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) {
    return { status: 403, reason: 'outside the served folder' };
  }
  let stat = await fsp.stat(real);
  if (stat.isDirectory()) {
    const index = join(real, 'index.html');
    try {
      const indexReal = await fsp.realpath(index);
      if (!indexReal.startsWith(rootReal + sep)) return { status: 403, reason: 'outside the served folder' };
      stat = await fsp.stat(indexReal);
      real = indexReal;
    } catch {
      return { status: 404, reason: 'directory without index.html' };
    }
  }
  if (!stat.isFile()) return { status: 404, reason: 'not a regular file' };
  return { file: real, stat };
}

/** A strong validator from size and modification time. */
function etagOf(stat: Stats): string {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
}

export function createDevServer(opts: DevServerOptions): DevServer {
  const isolation = opts.isolation ?? true;
  const host = opts.host ?? '127.0.0.1';
  const mounts: Mount[] = opts.mounts.map((m) => {
    let prefix = m.prefix.startsWith('/') ? m.prefix : '/' + m.prefix;
    if (!prefix.endsWith('/')) prefix += '/';
    return { prefix, dir: resolve(m.dir) };
  });

  const baseHeaders = (): Record<string, string> => {
    const h: Record<string, string> = {
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    };
    if (isolation) {
      h['Cross-Origin-Opener-Policy'] = 'same-origin';
      h['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    return h;
  };

  const sendText = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}, head = false): void => {
    const body = Buffer.from(text + '\n', 'utf8');
    res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...extra });
    res.end(head ? undefined : body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    if (method !== 'GET' && method !== 'HEAD') {
      sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return 405;
    }
    const target = resolveRequestPath(req.url ?? '/', mounts);
    if (isRefusal(target)) {
      sendText(res, target.status, `${target.status}: ${target.reason}`, {}, head);
      return target.status;
    }
    const found = await realFileInside(target.mount.dir, target.segments);
    if (isRefusal(found)) {
      sendText(res, found.status, `${found.status}: ${found.reason}`, {}, head);
      return found.status;
    }
    const { file, stat } = found;
    const size = stat.size;
    const etag = etagOf(stat);
    const lastModified = stat.mtime.toUTCString();
    const headers: Record<string, string> = {
      ...baseHeaders(),
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': lastModified,
    };
    const type = contentTypeFor(file);

    let rangeHeader = req.headers.range;
    const ifRange = req.headers['if-range'];
    if (rangeHeader !== undefined && typeof ifRange === 'string' && ifRange !== etag && ifRange !== lastModified) {
      rangeHeader = undefined; // the client's copy is stale: send the whole new file
    }
    const ranges = method === 'GET' || head ? parseRange(rangeHeader, size) : undefined;
    const rate = opts.allowThrottle ? throttleOf(req.url ?? '/') : undefined;

    if (ranges === 'unsatisfiable') {
      sendText(res, 416, 'range not satisfiable', { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' }, head);
      return 416;
    }
    if (ranges === undefined) {
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(size) });
      if (head) res.end();
      else await pipeFile(file, 0, size - 1, res, true, rate);
      return 200;
    }
    if (ranges.length === 1) {
      const r = ranges[0]!;
      res.writeHead(206, {
        ...headers,
        'Content-Type': type,
        'Content-Length': String(r.end - r.start + 1),
        'Content-Range': `bytes ${r.start}-${r.end}/${size}`,
      });
      if (head) res.end();
      else await pipeFile(file, r.start, r.end, res, true, rate);
      return 206;
    }
    // Several ranges: multipart/byteranges.
    const boundary = 'bitnet-' + randomBytes(12).toString('hex');
    const parts = ranges.map((r) => ({
      r,
      head: Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`, 'latin1'),
    }));
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
    const length = parts.reduce((n, p) => n + p.head.length + (p.r.end - p.r.start + 1), tail.length);
    res.writeHead(206, { ...headers, 'Content-Type': `multipart/byteranges; boundary=${boundary}`, 'Content-Length': String(length) });
    if (head) {
      res.end();
      return 206;
    }
    for (const p of parts) {
      res.write(p.head);
      await pipeFile(file, p.r.start, p.r.end, res, false, rate);
    }
    res.end(tail);
    return 206;
  };

  const server = createServer((req, res) => {
    handle(req, res).then(
      (status) => opts.log?.(`${req.method} ${req.url} ${status}`),
      (e: unknown) => {
        opts.log?.(`${req.method} ${req.url} 500 ${(e as Error)?.message ?? e}`);
        if (!res.headersSent) sendText(res, 500, 'internal error');
        else res.destroy();
      },
    );
  });

  return {
    server,
    listen(port: number) {
      return new Promise((resolvePromise, reject) => {
        const onError = (e: Error) => reject(e);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const bound = (server.address() as AddressInfo).port;
          resolvePromise({ port: bound, url: `http://localhost:${bound}/` });
        });
      });
    },
    close() {
      return new Promise((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Streams bytes [start, end] of a file into the response; resolves when done (or the client left).
 * With `rate` (bytes per second) the file is read in tenth-of-a-second chunks, each followed by a pause.
 */
function pipeFile(file: string, start: number, end: number, res: ServerResponse, endResponse: boolean, rate?: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    if (end < start) {
      if (endResponse) res.end();
      resolvePromise();
      return;
    }
    const source = createReadStream(file, rate ? { start, end, highWaterMark: Math.max(256, Math.floor(rate / 10)) } : { start, end });
    const stream = rate ? source.pipe(new Throttle(rate)) : source;
    const onClose = (): void => {
      stream.destroy();
      source.destroy();
      resolvePromise();
    };
    res.on('close', onClose);
    const onError = (e: Error): void => {
      res.off('close', onClose);
      reject(e);
    };
    source.on('error', onError);
    if (stream !== source) stream.on('error', onError);
    stream.on('end', () => {
      res.off('close', onClose);
      resolvePromise();
    });
    stream.pipe(res, { end: endResponse });
  });
}
