/**
 * The engine worker (a classic worker script, bundled as an IIFE, because the emscripten glue it
 * loads with importScripts is not an ES module). It owns the capability report, loading the kernels
 * flavour that fits (st, or mt when SharedArrayBuffer is usable), the request handler of the
 * protocol and the one loaded model: header inspection over HTTP Range before any download (the
 * memory plan's verdict refuses a model that can not fit), the resumable OPFS cache, BitNet.load of
 * @bitnet-wasm/runtime, chat and raw-completion generation with token streaming, abort, reset.
 */
import { baseFlavor, createKernels, detectWasmFeatures, factoryName, isThreadedFlavor, relaxedFlavor, wasmFileNames, type EmscriptenFactory, type Kernels, type KernelsFlavor } from '@bitnet-wasm/kernels';
import { GgufError, httpByteSource, parseGguf, type ByteSource, type GgufFile } from '@bitnet-wasm/gguf';
import { BitNet, BitNetError, WASM32_LIMIT_BYTES, inspectModel, type Completion, type SamplingOptions } from '@bitnet-wasm/runtime';
import { CacheError, ModelCache } from './cache';
import { summarizeHeader, withEngineRefusal, withPlan } from './inspect';
import {
  chooseThreads,
  featureNames,
  isRequestMessage,
  type Capabilities,
  type GenerateInput,
  type GenerateResult,
  type HeaderSummary,
  type LoadResult,
  type ModelSource,
  type RequestBody,
  type RequestMessage,
  type ResponseMessage,
  type ResultMap,
  type SamplingSettings,
  type WorkerEvent,
} from './protocol';

interface WorkerScope {
  location: { href: string };
  importScripts(...urls: string[]): void;
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  crossOriginIsolated?: boolean;
  navigator: { hardwareConcurrency?: number; deviceMemory?: number; storage?: { getDirectory?: unknown } };
  createBitnetSt?: EmscriptenFactory;
  createBitnetMt?: EmscriptenFactory;
}

const scope = self as unknown as WorkerScope;
const WASM_BASE = new URL('/wasm/', scope.location.href).href;

class RequestFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let kernelsPromise: Promise<{ kernels: Kernels; loadMs: number }> | undefined;
let capabilitiesPromise: Promise<Capabilities> | undefined;
let cachePromise: Promise<ModelCache> | undefined;
let model: BitNet | undefined;
let loaded: LoadResult | undefined;
/** One load at a time: a new load waits for the previous one to settle (it was aborted by the page). */
let loadChain: Promise<unknown> = Promise.resolve();
const running = new Map<number, AbortController>();

function loadKernels(flavor: KernelsFlavor, threads: number): Promise<{ kernels: Kernels; loadMs: number }> {
  kernelsPromise ??= (async () => {
    const t0 = performance.now();
    const names = wasmFileNames(flavor);
    scope.importScripts(WASM_BASE + names.glue);
    const factory = scope[factoryName(flavor)];
    if (typeof factory !== 'function') throw new RequestFailure('kernels_failed', `${names.glue} did not define its factory`);
    const kernels = await createKernels(factory, {
      flavor,
      // createKernels keeps at least one pthread pool worker for 'mt' (emscripten 3.1.6's glue hangs
      // with none); the engine itself runs `threads` threads.
      threads,
      locateFile: (f: string) => WASM_BASE + f,
      ...(isThreadedFlavor(flavor) ? { mainScriptUrlOrBlob: WASM_BASE + names.glue } : {}),
    });
    return { kernels, loadMs: performance.now() - t0 };
  })();
  return kernelsPromise;
}

function capabilities(): Promise<Capabilities> {
  capabilitiesPromise ??= (async () => {
    const f = detectWasmFeatures();
    const hc = scope.navigator.hardwareConcurrency && scope.navigator.hardwareConcurrency > 0 ? scope.navigator.hardwareConcurrency : 1;
    // relaxed-SIMD kernels (about 2x faster ternary matmuls) where the browser validates them
    let flavor: KernelsFlavor = f.threads ? 'mt' : 'st';
    if (f.relaxedSimd) flavor = relaxedFlavor(flavor);
    const threads = chooseThreads(hc, f.threads);
    const caps: Capabilities = {
      simd: f.simd,
      crossOriginIsolated: scope.crossOriginIsolated === true,
      hardwareConcurrency: hc,
      threadsAvailable: f.threads,
      threads,
      flavor,
      opfs: typeof scope.navigator.storage?.getDirectory === 'function',
      kernels: { ok: false, code: 'kernels_failed', message: 'not loaded' },
      memoryLimitBytes: WASM32_LIMIT_BYTES,
    };
    if (typeof scope.navigator.deviceMemory === 'number') caps.deviceMemoryGiB = scope.navigator.deviceMemory;
    if (!f.threads) {
      caps.threadsReason =
        scope.crossOriginIsolated !== true
          ? 'the page is not cross-origin isolated (the server must send COOP: same-origin and COEP: require-corp), so SharedArrayBuffer is unavailable'
          : (f.threadsReason ?? 'SharedArrayBuffer is not available');
    }
    if (!f.simd) {
      caps.kernels = { ok: false, code: 'kernels_failed', message: 'this browser has no WebAssembly SIMD128, which the kernels need' };
      return caps;
    }
    try {
      let loadedKernels: { kernels: Kernels; loadMs: number };
      try {
        loadedKernels = await loadKernels(flavor, threads);
      } catch (e) {
        if (flavor === baseFlavor(flavor)) throw e;
        // the -rx build is optional (built only where clang-19 exists): fall back to SIMD128
        kernelsPromise = undefined;
        caps.flavor = flavor = baseFlavor(flavor);
        loadedKernels = await loadKernels(flavor, threads);
      }
      const { kernels, loadMs } = loadedKernels;
      caps.kernels = { ok: true, features: kernels.features, featureNames: featureNames(kernels.features), loadMs: Math.round(loadMs) };
    } catch (e) {
      caps.kernels = { ok: false, code: (e as { code?: string }).code ?? 'kernels_failed', message: (e as Error)?.message ?? String(e) };
    }
    return caps;
  })();
  return capabilitiesPromise;
}

/** The kernels and thread count, or a typed failure when they could not load. */
async function engine(): Promise<{ kernels: Kernels; caps: Capabilities }> {
  const caps = await capabilities();
  if (!caps.kernels.ok) throw new RequestFailure('kernels_failed', `the WebAssembly kernels are not available: ${caps.kernels.message}`);
  return { kernels: (await loadKernels(caps.flavor, caps.threads)).kernels, caps };
}

function cache(): Promise<ModelCache> {
  cachePromise ??= ModelCache.open().catch((e: unknown) => {
    cachePromise = undefined;
    throw e;
  });
  return cachePromise;
}

/** The cache, or undefined where OPFS is not available (URLs are then read over HTTP directly). */
async function maybeCache(): Promise<ModelCache | undefined> {
  try {
    return await cache();
  } catch {
    return undefined;
  }
}

const absolute = (url: string): string => new URL(url, scope.location.href).href;

/**
 * Reads a model's header and makes the memory plan (no weight byte is read): the summary carries the
 * verdict; `runnable` is false when the engine can not run the file at all.
 */
async function inspect(source: ByteSource | Blob, fileBytes: number | undefined, signal: AbortSignal): Promise<{ header: HeaderSummary; runnable: boolean }> {
  const { kernels, caps } = await engine();
  const gguf: GgufFile = await parseGguf(source, { signal });
  const base = summarizeHeader(gguf, fileBytes);
  try {
    const { info } = await inspectModel(source, { kernels, threads: caps.threads, gguf, signal });
    return { header: withPlan(base, info.plan), runnable: true };
  } catch (e) {
    if (isAbort(e)) throw e;
    if (e instanceof BitNetError) return { header: withEngineRefusal(base, e), runnable: false };
    throw e;
  }
}

function isAbort(e: unknown): boolean {
  const x = e as { code?: unknown; name?: unknown };
  return x?.code === 'aborted' || x?.name === 'AbortError';
}

/** Where the bytes of a source are, once inspected (and downloaded when it is a URL). */
interface Resolved {
  blob?: Blob;
  /** Used when there is no OPFS: the runtime streams the weights with Range requests. */
  http?: ByteSource;
  result: Pick<LoadResult, 'source' | 'name' | 'bytes' | 'fromCache' | 'sha256'>;
  header: HeaderSummary;
}

async function resolveSource(source: ModelSource, id: number, signal: AbortSignal, download: boolean): Promise<Resolved> {
  const emit = (event: WorkerEvent): void => post({ kind: 'event', id, event });
  const refuseUnlessFits = (h: HeaderSummary, runnable: boolean): void => {
    emit({ type: 'header', header: h, fromCache: false });
    if (!download) return;
    if (!h.fit?.ok) throw new RequestFailure(runnable ? 'does_not_fit' : 'bad_model', h.fit?.reason ?? 'the model can not load');
  };
  if (source.kind === 'file') {
    const { header, runnable } = await inspect(source.file, source.file.size, signal);
    refuseUnlessFits(header, runnable);
    return { blob: source.file, header, result: { source: 'file', name: source.file.name, bytes: source.file.size, fromCache: false } };
  }
  const c = await maybeCache();
  if (source.kind === 'cache') {
    const hit = c ? await c.get(source.key) : undefined;
    if (!hit) throw new RequestFailure('cache_error', `no complete cache entry for ${source.key}`);
    const { header, runnable } = await inspect(hit.blob, hit.blob.size, signal);
    refuseUnlessFits(header, runnable);
    return { blob: hit.blob, header, result: { source: 'cache', name: source.key, bytes: hit.blob.size, fromCache: true, sha256: hit.info.sha256 } };
  }
  const url = absolute(source.url);
  const hit = c ? await c.get(url) : undefined;
  if (hit) {
    // complete in the cache: no network at all
    const { header, runnable } = await inspect(hit.blob, hit.blob.size, signal);
    emit({ type: 'header', header, fromCache: true });
    if (download && !header.fit?.ok) throw new RequestFailure(runnable ? 'does_not_fit' : 'bad_model', header.fit?.reason ?? 'the model can not load');
    return { blob: hit.blob, header, result: { source: 'url', name: url, bytes: hit.blob.size, fromCache: true, sha256: hit.info.sha256 } };
  }
  // Header only, with Range requests: the verdict comes before a single weight byte moves.
  // Pass fetch as a closure: the gguf HttpSource calls `this.doFetch(...)`, and a browser's fetch
  // called with a foreign `this` throws "Illegal invocation".
  const http = httpByteSource(url, { signal, fetch: (input, init) => fetch(input, init) });
  const { header, runnable } = await inspect(http, undefined, signal);
  refuseUnlessFits(header, runnable);
  if (!download) return { header, result: { source: 'url', name: url, bytes: header.fileBytes, fromCache: false } };
  if (!c) return { http, header, result: { source: 'url', name: url, bytes: header.fileBytes, fromCache: false } };
  const r = await c.download(url, {
    signal,
    onProgress: (p) => emit({ type: 'progress', phase: p.phase, loaded: p.loaded, total: p.total, resumedFrom: p.resumedFrom }),
  });
  return { blob: r.blob, header, result: { source: 'url', name: url, bytes: r.blob.size, fromCache: r.fromCache, sha256: r.info.sha256 } };
}

function disposeModel(): void {
  try {
    model?.dispose();
  } finally {
    model = undefined;
    loaded = undefined;
  }
}

async function load(id: number, source: ModelSource, signal: AbortSignal): Promise<LoadResult> {
  const emit = (event: WorkerEvent): void => post({ kind: 'event', id, event });
  const { kernels, caps } = await engine();
  const r = await resolveSource(source, id, signal, true);
  // free the previous model only now (a refused or failed download keeps it): its memory is reused
  if (model) {
    disposeModel();
    emit({ type: 'unloaded' });
  }
  const t0 = performance.now();
  const input = r.blob ?? r.http;
  if (!input) throw new RequestFailure('internal', 'nothing to load');
  const m = await BitNet.load(input, {
    kernels,
    threads: caps.threads,
    signal,
    onProgress: (p) => emit({ type: 'progress', phase: 'load', loaded: p.loadedBytes, total: p.totalBytes }),
  });
  model = m;
  loaded = {
    ...r.result,
    header: r.header,
    nCtx: m.plan.nCtx,
    threads: m.info.threads,
    flavor: m.info.flavor as LoadResult['flavor'],
    loadMs: Math.round(performance.now() - t0),
  };
  return loaded;
}

function samplingOf(s: SamplingSettings): SamplingOptions {
  const o: SamplingOptions = {
    temperature: s.temperature,
    topK: s.topK,
    topP: s.topP,
    minP: s.minP,
    repeatPenalty: s.repeatPenalty,
  };
  if (s.repeatLastN !== undefined) o.repeatLastN = s.repeatLastN;
  if (s.seed !== undefined) o.seed = s.seed;
  return o;
}

async function generate(id: number, input: GenerateInput, sampling: SamplingSettings, signal: AbortSignal): Promise<GenerateResult> {
  const m = model;
  if (!m) throw new RequestFailure('not_loaded', 'load a model first');
  const opts = { maxTokens: sampling.maxTokens, sampling: samplingOf(sampling), signal };
  const it = input.kind === 'chat' ? m.chat(input.messages, opts) : m.generate(input.prompt, opts);
  const tokens: number[] = [];
  let text = '';
  let tFirst = 0;
  let done: Completion;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        done = r.value;
        break;
      }
      if (tFirst === 0) tFirst = performance.now();
      if (r.value.token >= 0) tokens.push(r.value.token);
      text += r.value.text;
      post({ kind: 'event', id, event: { type: 'token', text: r.value.text, tokenId: r.value.token } });
    }
  } catch (e) {
    if (!isAbort(e)) throw e;
    // Stopped: keep what was generated; the model stays usable (its KV cache holds the prefix).
    const t = performance.now();
    return {
      text,
      tokens,
      promptTokens: [],
      stopReason: 'aborted',
      prefillTokensPerSecond: 0,
      decodeTokensPerSecond: tFirst > 0 && tokens.length > 1 ? ((tokens.length - 1) / (t - tFirst)) * 1000 : 0,
      contextUsed: m.contextUsed,
    };
  }
  return {
    text: done.text,
    tokens: done.tokens,
    promptTokens: done.promptTokens,
    stopReason: done.stopReason,
    prefillTokensPerSecond: done.timings.prefillTokensPerSecond,
    decodeTokensPerSecond: done.timings.decodeTokensPerSecond,
    contextUsed: m.contextUsed,
  };
}

async function handle(id: number, body: RequestBody): Promise<ResultMap[RequestBody['type']]> {
  switch (body.type) {
    case 'capabilities':
      return capabilities();
    case 'inspect-header': {
      const ac = new AbortController();
      running.set(id, ac);
      return (await resolveSource(body.source, id, ac.signal, false)).header;
    }
    case 'load': {
      const ac = new AbortController();
      running.set(id, ac);
      const run = loadChain.then(() => load(id, body.source, ac.signal));
      loadChain = run.catch(() => {});
      return run;
    }
    case 'generate': {
      const ac = new AbortController();
      running.set(id, ac);
      return generate(id, body.input, body.sampling, ac.signal);
    }
    case 'abort': {
      const ac = running.get(body.target);
      ac?.abort();
      return { aborted: ac !== undefined };
    }
    case 'reset':
      model?.reset();
      return { ok: true };
    case 'dispose':
      disposeModel();
      return { ok: true };
    case 'cache-list':
      return (await cache()).list();
    case 'cache-delete':
      return { deleted: await (await cache()).delete(body.key) };
    default:
      throw new RequestFailure('bad_request', `unknown request type ${(body as { type?: unknown }).type}`);
  }
}

function post(message: ResponseMessage): void {
  scope.postMessage(message);
}

function errorOf(e: unknown): { code: string; message: string } {
  if (isAbort(e)) return { code: 'aborted', message: (e as Error)?.message ?? 'aborted' };
  if (e instanceof GgufError && e.code === 'io' && /HTTP \d{3}/.test(e.message)) return { code: 'http_error', message: e.message };
  if (e instanceof GgufError && e.code === 'io') return { code: 'network', message: e.message };
  if (e instanceof GgufError) return { code: 'bad_model', message: e.message };
  if (e instanceof RequestFailure || e instanceof CacheError || e instanceof BitNetError) return { code: e.code, message: e.message };
  const code = (e as { code?: unknown })?.code;
  return { code: typeof code === 'string' ? code : 'internal', message: (e as Error)?.message ?? String(e) };
}

scope.addEventListener('message', (ev) => {
  const msg = ev.data;
  if (!isRequestMessage(msg)) return;
  const { id, body } = msg as RequestMessage;
  handle(id, body)
    .then(
      (result) => post({ kind: 'response', id, ok: true, result }),
      (e: unknown) => post({ kind: 'response', id, ok: false, error: errorOf(e) }),
    )
    .finally(() => running.delete(id));
});
