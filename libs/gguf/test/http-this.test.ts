/** Browsers' fetch throws "Illegal invocation" unless called with the global object as `this`. */
import { httpByteSource } from '../src/index';

it('calls fetch with the global object as this', async () => {
  const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const strictFetch = function (this: unknown, _url: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    if (this !== globalThis) return Promise.reject(new TypeError('Illegal invocation'));
    const m = /bytes=(\d+)-(\d+)/.exec(String((init?.headers as Record<string, string> | undefined)?.Range ?? new Headers(init?.headers).get('Range')));
    const a = m ? Number(m[1]) : 0;
    const b = m ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
    return Promise.resolve(
      new Response(data.slice(a, b + 1), { status: 206, headers: { 'Content-Range': `bytes ${a}-${b}/${data.length}`, 'Content-Length': String(b - a + 1) } }),
    );
  } as typeof fetch;
  const src = httpByteSource('http://example.invalid/x.gguf', { fetch: strictFetch });
  expect(Array.from(await src.read(2, 3))).toEqual([3, 4, 5]);
});
