// Tests of the dev server over real sockets on 127.0.0.1 (port 0): isolation headers, content
// types, HTTP Range edge cases, HEAD, and that no request path can leave the served folders.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { createDevServer, parseRange, throttleOf, type DevServer } from './server';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose path is sent exactly as given (node:http does not normalise it). */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes a raw request line (for bytes node:http refuses to send) and returns the status code. */
function rawStatus(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(Buffer.concat([Buffer.from('GET '), Buffer.from(target, 'latin1'), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
    });
    let data = '';
    sock.on('data', (c) => (data += c.toString('latin1')));
    sock.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) resolve(Number(m[1]));
      else reject(new Error('no status line: ' + JSON.stringify(data.slice(0, 80))));
    });
    sock.on('error', reject);
  });
}

/** Bytes 0..n-1 with a pattern that makes every offset recognisable. */
const pattern = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 255;
  return b;
};

let base: string;
let outside: string;
let server: DevServer;
let port: number;
let plain: DevServer;
let plainPort: number;
const DATA = pattern(1000);

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'bn-devserver-'));
  const web = join(base, 'web');
  const wasm = join(base, 'wasm');
  const models = join(base, 'models');
  outside = join(base, 'outside');
  for (const d of [web, wasm, models, outside, join(web, 'sub')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(web, 'app.js'), 'export const x = 1;');
  writeFileSync(join(web, 'styles.css'), 'body{}');
  writeFileSync(join(web, '.secret'), 'top secret content');
  writeFileSync(join(web, 'sub', 'index.html'), 'sub index');
  writeFileSync(join(wasm, 'bitnet-st.wasm'), Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]));
  writeFileSync(join(wasm, 'bitnet-st.js'), 'var createBitnetSt;');
  writeFileSync(join(models, 'm.gguf'), DATA);
  writeFileSync(join(models, 'empty.bin'), Buffer.alloc(0));
  writeFileSync(join(outside, 'passwd'), 'not for you');
  symlinkSync(join(outside, 'passwd'), join(web, 'link-out'));
  symlinkSync(outside, join(models, 'dir-out'));
  symlinkSync(join(models, 'm.gguf'), join(models, 'link-in.gguf'));
  const mounts = [
    { prefix: '/', dir: web },
    { prefix: '/wasm/', dir: wasm },
    { prefix: '/models/', dir: models },
  ];
  server = createDevServer({ mounts });
  port = (await server.listen(0)).port;
  plain = createDevServer({ mounts, isolation: false });
  plainPort = (await plain.listen(0)).port;
});

afterAll(async () => {
  await server.close();
  await plain.close();
  rmSync(base, { recursive: true, force: true });
});

describe('listen', () => {
  it('reports a localhost URL with the bound port', async () => {
    const s = createDevServer({ mounts: [{ prefix: '/', dir: base }] });
    const r = await s.listen(0);
    expect(r.port).toBeGreaterThan(0);
    expect(r.url).toBe(`http://localhost:${r.port}/`);
    await s.close();
  });
});

describe('headers', () => {
  it('sends COOP/COEP/CORP on every response by default', async () => {
    for (const path of ['/', '/app.js', '/wasm/bitnet-st.wasm', '/models/m.gguf', '/nope']) {
      const r = await get(port, path);
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
      expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
  });

  it('omits COOP/COEP with isolation off, keeps CORP', async () => {
    const r = await get(plainPort, '/');
    expect(r.status).toBe(200);
    expect(r.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(r.headers['cross-origin-embedder-policy']).toBeUndefined();
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it.each([
    ['/', 'text/html; charset=utf-8'],
    ['/index.html', 'text/html; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/styles.css', 'text/css; charset=utf-8'],
    ['/wasm/bitnet-st.wasm', 'application/wasm'],
    ['/wasm/bitnet-st.js', 'text/javascript; charset=utf-8'],
    ['/models/m.gguf', 'application/octet-stream'],
  ])('%s is served as %s', async (path, type) => {
    const r = await get(port, path);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(type);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the whole file with Accept-Ranges, length and validators', async () => {
    const r = await get(port, '/models/m.gguf');
    expect(r.status).toBe(200);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-length']).toBe('1000');
    expect(r.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(r.headers['last-modified']).toBeDefined();
    expect(r.body.equals(DATA)).toBe(true);
  });

  it('serves index.html for a folder and the query string is ignored', async () => {
    expect((await get(port, '/sub/')).body.toString()).toBe('sub index');
    expect((await get(port, '/?model=/models/m.gguf')).status).toBe(200);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const r = await get(port, '/', {}, 'POST');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
  });

  it('answers 404 for missing files and folders without index', async () => {
    expect((await get(port, '/missing.js')).status).toBe(404);
    expect((await get(port, '/models/')).status).toBe(404);
  });
});

describe('Range', () => {
  const range = (h: string, method = 'GET') => get(port, '/models/m.gguf', { Range: h }, method);

  it('bytes=N-M → 206 with exactly those bytes', async () => {
    const r = await range('bytes=10-19');
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe('bytes 10-19/1000');
    expect(r.headers['content-length']).toBe('10');
    expect(r.body.equals(DATA.subarray(10, 20))).toBe(true);
  });

  it('open range bytes=N- → to the end', async () => {
    const r = await range('bytes=990-');
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe('bytes 990-999/1000');
    expect(r.body.equals(DATA.subarray(990))).toBe(true);
  });

  it('suffix range bytes=-N → the last N bytes; larger than the file → all of it', async () => {
    const r = await range('bytes=-5');
    expect(r.headers['content-range']).toBe('bytes 995-999/1000');
    expect(r.body.equals(DATA.subarray(995))).toBe(true);
    const all = await range('bytes=-5000');
    expect(all.status).toBe(206);
    expect(all.headers['content-range']).toBe('bytes 0-999/1000');
    expect(all.body.equals(DATA)).toBe(true);
  });

  it('an end beyond EOF is clamped', async () => {
    const r = await range('bytes=995-5000');
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe('bytes 995-999/1000');
    expect(r.body.length).toBe(5);
  });

  it('a start at or beyond EOF → 416 with Content-Range: bytes */size', async () => {
    for (const h of ['bytes=1000-', 'bytes=1000-1005', 'bytes=5000-6000', 'bytes=-0']) {
      const r = await range(h);
      expect(r.status).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */1000');
    }
  });

  it('any range of an empty file is unsatisfiable', async () => {
    const r = await get(port, '/models/empty.bin', { Range: 'bytes=0-' });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe('bytes */0');
    const whole = await get(port, '/models/empty.bin');
    expect(whole.status).toBe(200);
    expect(whole.body.length).toBe(0);
  });

  it.each(['bytes=5-1', 'bytes=abc', 'bytes=-', 'items=0-5', 'bytes=1-2-3', 'bytes=0x10-20', 'bytes=' + '0-1,'.repeat(20) + '0-1'])(
    'an invalid or ignorable header %s → 200 with the whole file',
    async (h) => {
      const r = await range(h);
      expect(r.status).toBe(200);
      expect(r.body.equals(DATA)).toBe(true);
    },
  );

  it('several ranges → multipart/byteranges with each part', async () => {
    const r = await range('bytes=0-3, 100-103, 2000-3000, -2');
    expect(r.status).toBe(206);
    const ct = String(r.headers['content-type']);
    const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(ct);
    expect(m).not.toBeNull();
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    const text = r.body.toString('latin1');
    const parts = text.split(`--${m![1]}`).slice(1, -1);
    expect(parts).toHaveLength(3); // the unsatisfiable 2000-3000 is dropped
    const ranges = parts.map((p) => /Content-Range: bytes (\d+)-(\d+)\/1000/.exec(p)!.slice(1).map(Number));
    expect(ranges).toEqual([
      [0, 3],
      [100, 103],
      [998, 999],
    ]);
    const bodyOf = (p: string) => Buffer.from(p.slice(p.indexOf('\r\n\r\n') + 4, -2), 'latin1');
    expect(bodyOf(parts[0]!).equals(DATA.subarray(0, 4))).toBe(true);
    expect(bodyOf(parts[1]!).equals(DATA.subarray(100, 104))).toBe(true);
    expect(bodyOf(parts[2]!).equals(DATA.subarray(998))).toBe(true);
  });

  it('HEAD sends the headers of GET (200 and 206) without a body', async () => {
    const h = await get(port, '/models/m.gguf', {}, 'HEAD');
    expect(h.status).toBe(200);
    expect(h.headers['content-length']).toBe('1000');
    expect(h.body.length).toBe(0);
    const hr = await range('bytes=-10', 'HEAD');
    expect(hr.status).toBe(206);
    expect(hr.headers['content-range']).toBe('bytes 990-999/1000');
    expect(hr.headers['content-length']).toBe('10');
    expect(hr.body.length).toBe(0);
    const h416 = await range('bytes=2000-', 'HEAD');
    expect(h416.status).toBe(416);
    expect(h416.body.length).toBe(0);
  });

  it('If-Range with the current ETag keeps the range; a stale one gets the whole file', async () => {
    const etag = String((await get(port, '/models/m.gguf', {}, 'HEAD')).headers.etag);
    expect((await get(port, '/models/m.gguf', { Range: 'bytes=0-0', 'If-Range': etag })).status).toBe(206);
    const stale = await get(port, '/models/m.gguf', { Range: 'bytes=0-0', 'If-Range': '"old"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(1000);
  });
});

describe('throttle', () => {
  it('throttleOf reads ?throttle=N (N >= 1024) and ignores anything else', () => {
    expect(throttleOf('/m.gguf?throttle=4096')).toBe(4096);
    expect(throttleOf('/m.gguf?a=1&throttle=2048#x')).toBe(2048);
    expect(throttleOf('/m.gguf')).toBeUndefined();
    expect(throttleOf('/m.gguf?throttle=10')).toBeUndefined();
    expect(throttleOf('/m.gguf?throttle=-5000')).toBeUndefined();
    expect(throttleOf('/m.gguf?throttle=1e9')).toBeUndefined();
  });

  it('with allowThrottle the body and ranges are unchanged but arrive no faster than the rate', async () => {
    const big = pattern(6000);
    writeFileSync(join(base, 'models', 'big.bin'), big);
    const s = createDevServer({ mounts: [{ prefix: '/', dir: join(base, 'models') }], allowThrottle: true });
    const p = (await s.listen(0)).port;
    try {
      const t0 = Date.now();
      const r = await get(p, '/big.bin?throttle=20000');
      const ms = Date.now() - t0;
      expect(r.status).toBe(200);
      expect(r.body.equals(big)).toBe(true);
      // a lower bound only (6000 bytes at 20000 B/s is 300 ms; the pause after the last chunk aside)
      expect(ms).toBeGreaterThanOrEqual(150);
      const part = await get(p, '/big.bin?throttle=20000', { Range: 'bytes=1000-2999' });
      expect(part.status).toBe(206);
      expect(part.body.equals(big.subarray(1000, 3000))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('without allowThrottle the query is ignored', async () => {
    const r = await get(port, '/models/m.gguf?throttle=1024');
    expect(r.status).toBe(200);
    expect(r.body.equals(DATA)).toBe(true);
  });
});

describe('parseRange', () => {
  it('handles the forms of RFC 9110', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('bytes=0-0', 10)).toEqual([{ start: 0, end: 0 }]);
    expect(parseRange('bytes = 2-', 10)).toEqual([{ start: 2, end: 9 }]);
    expect(parseRange('BYTES=-3', 10)).toEqual([{ start: 7, end: 9 }]);
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=9999999999999999-', 10)).toBeUndefined();
  });
});

describe('path traversal', () => {
  it.each([
    '/../outside/passwd',
    '/models/../../outside/passwd',
    '/%2e%2e/outside/passwd',
    '/%2E%2E/%2e%2e/outside/passwd',
    '/models/%2e%2e/%2e%2e/outside/passwd',
    '/..%2foutside%2fpasswd',
    '/models%2f..%2f..%2foutside%2fpasswd',
    '/%252e%252e/outside/passwd',
    '/%25%32%65%25%32%65/outside/passwd',
    '/..%5coutside%5cpasswd',
    '/models/.%2e/.%2e/outside/passwd',
    '/app.js%00.html',
    '/link-out',
    '/models/dir-out/passwd',
    '/.secret',
    '/wasm/../index.html',
    '/%',
  ])('%s is refused', async (path) => {
    const r = await get(port, path);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.body.toString()).not.toContain('not for you');
    expect(r.body.toString()).not.toContain('top secret');
  });

  it.each(['/..\\outside\\passwd', '/models\\..\\..\\outside\\passwd', '/app.js\u0000', 'http://x/../outside/passwd', '*'])(
    'raw %j is refused',
    async (target) => {
      const status = await rawStatus(port, target);
      expect([400, 403, 404]).toContain(status);
    },
  );

  it('a symlink that stays inside the folder is served', async () => {
    const r = await get(port, '/models/link-in.gguf');
    expect(r.status).toBe(200);
    expect(r.body.equals(DATA)).toBe(true);
  });

  it('the traversal guard also holds when isolation is off', async () => {
    expect([403, 404]).toContain((await get(plainPort, '/link-out')).status);
    expect([403, 404]).toContain((await get(plainPort, '/%2e%2e/outside/passwd')).status);
  });
});
