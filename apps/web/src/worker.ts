/**
 * The engine worker (a classic worker script, bundled as an IIFE, because the emscripten glue it
 * loads with importScripts is not an ES module). It owns the capability report, loading the kernels
 * flavour that fits (st, or mt when SharedArrayBuffer is usable), the OPFS model cache and the
 * request handler of the protocol. Inference itself (generate/reset on a loaded model) is answered
 * with `not_implemented` until @bitnet-wasm/runtime is wired in.
 */
import { createKernels, detectWasmFeatures, wasmFileNames, type EmscriptenFactory, type Kernels, type KernelsFlavor } from '@bitnet-wasm/kernels';
import { CacheError, ModelCache } from './cache';
import { peekHeader, HeaderError } from './header-peek';
import {
  chooseThreads,
  featureNames,
  isRequestMessage,
  type Capabilities,
  type LoadResult,
  type ModelSource,
  type RequestBody,
  type RequestMessage,
  type ResponseMessage,
  type ResultMap,
  type WorkerEvent,
} from './protocol';

interface WorkerScope {
  location: { href: string };
  importScripts(...urls: string[]): void;
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  crossOriginIsolated?: boolean;
  navigator: { hardwareConcurrency?: number; storage?: { getDirectory?: unknown } };
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
let loaded: LoadResult | undefined;
const running = new Map<number, AbortController>();

function loadKernels(flavor: KernelsFlavor, threads: number): Promise<{ kernels: Kernels; loadMs: number }> {
  kernelsPromise ??= (async () => {
    const t0 = performance.now();
    const names = wasmFileNames(flavor);
    scope.importScripts(WASM_BASE + names.glue);
    const factory = flavor === 'mt' ? scope.createBitnetMt : scope.createBitnetSt;
    if (typeof factory !== 'function') throw new RequestFailure('kernels_failed', `${names.glue} did not define its factory`);
    const kernels = await createKernels(factory, {
      flavor,
      // emscripten 3.1.6's threaded glue never resolves with a pthread pool of 0 workers (its
      // 'wasm-instantiate' run dependency is only removed by a pool worker), so the mt flavour is
      // always created with at least one pool worker; the engine still runs `threads` threads.
      threads: flavor === 'mt' ? Math.max(2, threads) : threads,
      locateFile: (f: string) => WASM_BASE + f,
      ...(flavor === 'mt' ? { mainScriptUrlOrBlob: WASM_BASE + names.glue } : {}),
    });
    return { kernels, loadMs: performance.now() - t0 };
  })();
  return kernelsPromise;
}

function capabilities(): Promise<Capabilities> {
  capabilitiesPromise ??= (async () => {
    const f = detectWasmFeatures();
    const hc = scope.navigator.hardwareConcurrency && scope.navigator.hardwareConcurrency > 0 ? scope.navigator.hardwareConcurrency : 1;
    const flavor: KernelsFlavor = f.threads ? 'mt' : 'st';
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
    };
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
      const { kernels, loadMs } = await loadKernels(flavor, threads);
      caps.kernels = { ok: true, features: kernels.features, featureNames: featureNames(kernels.features), loadMs: Math.round(loadMs) };
    } catch (e) {
      caps.kernels = { ok: false, code: (e as { code?: string }).code ?? 'kernels_failed', message: (e as Error)?.message ?? String(e) };
    }
    return caps;
  })();
  return capabilitiesPromise;
}

function cache(): Promise<ModelCache> {
  cachePromise ??= ModelCache.open().catch((e: unknown) => {
    cachePromise = undefined;
    throw e;
  });
  return cachePromise;
}

async function blobFor(source: ModelSource, id: number, signal: AbortSignal): Promise<{ blob: Blob; result: Omit<LoadResult, 'header' | 'engineReady'> }> {
  const emit = (event: WorkerEvent): void => post({ kind: 'event', id, event });
  if (source.kind === 'file') {
    return { blob: source.file, result: { source: 'file', name: source.file.name, bytes: source.file.size, fromCache: false } };
  }
  const c = await cache();
  if (source.kind === 'cache') {
    const hit = await c.get(source.key);
    if (!hit) throw new RequestFailure('cache_error', `no complete cache entry for ${source.key}`);
    return { blob: hit.blob, result: { source: 'cache', name: source.key, bytes: hit.blob.size, fromCache: true, sha256: hit.info.sha256 } };
  }
  const url = new URL(source.url, scope.location.href).href;
  const r = await c.download(url, {
    signal,
    onProgress: (p) => emit({ type: 'progress', phase: p.phase, loaded: p.loaded, total: p.total, resumedFrom: p.resumedFrom }),
  });
  return { blob: r.blob, result: { source: 'url', name: url, bytes: r.blob.size, fromCache: r.fromCache, sha256: r.info.sha256 } };
}

async function handle(id: number, body: RequestBody): Promise<ResultMap[RequestBody['type']]> {
  switch (body.type) {
    case 'capabilities':
      return capabilities();
    case 'inspect-header': {
      const ac = new AbortController();
      running.set(id, ac);
      const { blob } = await blobFor(body.source, id, ac.signal);
      return peekHeader(blob);
    }
    case 'load': {
      const ac = new AbortController();
      running.set(id, ac);
      loaded = undefined;
      const { blob, result } = await blobFor(body.source, id, ac.signal);
      const header = await peekHeader(blob);
      loaded = { ...result, header, engineReady: false, engineNote: 'the inference engine is not wired into the page yet' };
      return loaded;
    }
    case 'generate':
      if (!loaded) throw new RequestFailure('not_loaded', 'load a model first');
      throw new RequestFailure('not_implemented', 'generation is not wired into the page yet');
    case 'abort': {
      const ac = running.get(body.target);
      ac?.abort();
      return { aborted: ac !== undefined };
    }
    case 'reset':
      return { ok: true };
    case 'dispose':
      loaded = undefined;
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
  if (e instanceof RequestFailure || e instanceof CacheError || e instanceof HeaderError) return { code: e.code, message: e.message };
  const code = (e as { code?: unknown })?.code;
  return { code: typeof code === 'string' ? code : 'internal', message: (e as Error)?.message ?? String(e) };
}

scope.addEventListener('message', (ev) => {
  const msg = ev.data;
  if (!isRequestMessage(msg)) return;
  const { id, body } = msg as RequestMessage;
  handle(id, body).then(
    (result) => post({ kind: 'response', id, ok: true, result }),
    (e: unknown) => post({ kind: 'response', id, ok: false, error: errorOf(e) }),
  ).finally(() => running.delete(id));
});
