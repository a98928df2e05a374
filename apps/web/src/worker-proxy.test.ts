// Tests of the page side of the worker protocol over an in-memory port: ids, results, typed
// errors, event routing, token streams, and AbortSignal → abort request.
import { WorkerProxy, WorkerRequestError, type PortLike } from './worker-proxy';
import { chooseThreads, featureNames, isRequestMessage, DEFAULT_SAMPLING, type RequestMessage, type ResponseMessage } from './protocol';

class FakePort implements PortLike {
  sent: RequestMessage[] = [];
  private listeners: ((ev: { data: unknown }) => void)[] = [];
  terminated = false;
  postMessage(m: unknown): void {
    expect(isRequestMessage(m)).toBe(true);
    this.sent.push(m as RequestMessage);
  }
  addEventListener(_t: 'message', l: (ev: { data: unknown }) => void): void {
    this.listeners.push(l);
  }
  removeEventListener(_t: 'message', l: (ev: { data: unknown }) => void): void {
    this.listeners = this.listeners.filter((x) => x !== l);
  }
  terminate(): void {
    this.terminated = true;
  }
  reply(m: ResponseMessage | unknown): void {
    for (const l of this.listeners) l({ data: m });
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('WorkerProxy', () => {
  it('gives each request its own id and resolves it with its own response', async () => {
    const port = new FakePort();
    const proxy = new WorkerProxy(port);
    const a = proxy.cacheList();
    const b = proxy.cacheDelete('k');
    expect(port.sent.map((m) => m.body.type)).toEqual(['cache-list', 'cache-delete']);
    const [ida, idb] = port.sent.map((m) => m.id);
    expect(ida).not.toBe(idb);
    port.reply({ kind: 'response', id: idb, ok: true, result: { deleted: true } });
    port.reply({ kind: 'response', id: ida, ok: true, result: [] });
    await expect(b).resolves.toEqual({ deleted: true });
    await expect(a).resolves.toEqual([]);
  });

  it('rejects with a WorkerRequestError carrying the code; ignores junk and unknown ids', async () => {
    const port = new FakePort();
    const proxy = new WorkerProxy(port);
    const p = proxy.load({ kind: 'url', url: '/m.gguf' });
    port.reply('junk');
    port.reply({ kind: 'response', id: 999, ok: true, result: 1 });
    port.reply({ kind: 'response', id: port.sent[0]!.id, ok: false, error: { code: 'http_error', message: 'HTTP 404' } });
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WorkerRequestError);
    expect(e).toMatchObject({ code: 'http_error', message: 'HTTP 404' });
  });

  it('routes events to their request and an AbortSignal sends an abort for it', async () => {
    const port = new FakePort();
    const proxy = new WorkerProxy(port);
    const events: unknown[] = [];
    const ac = new AbortController();
    const p = proxy.load({ kind: 'url', url: '/m' }, { signal: ac.signal, onEvent: (e) => events.push(e) });
    const id = port.sent[0]!.id;
    port.reply({ kind: 'event', id, event: { type: 'progress', phase: 'download', loaded: 5, total: 10 } });
    port.reply({ kind: 'event', id: id + 100, event: { type: 'progress', phase: 'download', loaded: 1, total: 1 } });
    ac.abort();
    expect(port.sent[1]!.body).toEqual({ type: 'abort', target: id });
    port.reply({ kind: 'response', id, ok: false, error: { code: 'aborted', message: 'x' } });
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
    expect(events).toEqual([{ type: 'progress', phase: 'download', loaded: 5, total: 10 }]);
  });

  it('streams tokens of a generation and then its result', async () => {
    const port = new FakePort();
    const proxy = new WorkerProxy(port);
    const g = proxy.generate({ kind: 'chat', messages: [{ role: 'user', content: 'hi' }] }, { ...DEFAULT_SAMPLING });
    expect(port.sent[0]!.id).toBe(g.id);
    expect(port.sent[0]!.body).toMatchObject({ type: 'generate', input: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] } });
    const got: string[] = [];
    const consumed = (async () => {
      for await (const t of g) got.push(t.text);
    })();
    port.reply({ kind: 'event', id: g.id, event: { type: 'token', text: 'a', tokenId: 1 } });
    await tick();
    port.reply({ kind: 'event', id: g.id, event: { type: 'token', text: 'b', tokenId: 2 } });
    const result = { text: 'ab', tokens: [1, 2], promptTokens: [7], stopReason: 'eog', prefillTokensPerSecond: 1, decodeTokensPerSecond: 2, contextUsed: 3 };
    port.reply({ kind: 'response', id: g.id, ok: true, result });
    await consumed;
    expect(got).toEqual(['a', 'b']);
    await expect(g.result).resolves.toEqual(result);
  });

  it('stop during a generation sends an abort for it and the result carries the partial reply', async () => {
    const port = new FakePort();
    const proxy = new WorkerProxy(port);
    const g = proxy.generate({ kind: 'raw', prompt: 'x' }, { ...DEFAULT_SAMPLING });
    port.reply({ kind: 'event', id: g.id, event: { type: 'token', text: 'a', tokenId: 1 } });
    g.abort();
    const abort = port.sent[1]!;
    expect(abort.body).toEqual({ type: 'abort', target: g.id });
    const partial = { text: 'a', tokens: [1], promptTokens: [], stopReason: 'aborted', prefillTokensPerSecond: 0, decodeTokensPerSecond: 0, contextUsed: 2 };
    port.reply({ kind: 'response', id: g.id, ok: true, result: partial });
    const got: string[] = [];
    for await (const t of g) got.push(t.text);
    expect(got).toEqual(['a']);
    await expect(g.result).resolves.toEqual(partial);
  });

  it('terminate() rejects what is pending and stops the worker', async () => {
    const port = new FakePort();
    const proxy = new WorkerProxy(port);
    const p = proxy.capabilities();
    proxy.terminate();
    await expect(p).rejects.toMatchObject({ code: 'terminated' });
    expect(port.terminated).toBe(true);
  });
});

describe('protocol helpers', () => {
  it('chooseThreads: every core up to 2, then half the cores, at most 4, when available; else 1', () => {
    expect([1, 2, 3, 4, 8, 16, 64].map((hc) => chooseThreads(hc, true))).toEqual([1, 2, 1, 2, 4, 4, 4]);
    expect(chooseThreads(16, false)).toBe(1);
    expect(chooseThreads(undefined, true)).toBe(1);
  });
  it('featureNames', () => {
    expect(featureNames(0)).toEqual([]);
    expect(featureNames(3)).toEqual(['simd128', 'threads']);
    expect(featureNames(5)).toEqual(['simd128', 'relaxed-simd']);
  });
});
