/**
 * The bench page's worker for our engine (a classic worker, bundled as an IIFE, because the emscripten
 * glue is loaded with importScripts, as in apps/web's worker). One worker measures one thread count:
 * fetch the model into a Blob (fetch_ms), wait settle_ms when asked, load the st or mt kernels and
 * BitNet.load from the Blob (load_ms), warm up, then prefill (n_prompt fixed tokens from an empty cache)
 * and decode (n_gen single-token evals after one BOS token), each `reps` times, timed with performance.now
 * around eval.
 * The page terminates the worker afterwards, which frees its WebAssembly memory.
 */
// The bench creates the kernels itself, exactly as apps/web's worker does (tools may otherwise not
// depend on the kernels library).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createKernels, detectWasmFeatures, factoryName, isThreadedFlavor, relaxedFlavor, wasmFileNames, type EmscriptenFactory, type KernelsFlavor } from '@bitnet-wasm/kernels';
import { BitNet } from '@bitnet-wasm/runtime';
import { benchTokens, makeResult, type BrowserBenchResult, type BrowserBenchSettings } from './browser-common';

/** Page → worker: measure one thread count. */
export interface WorkerRequest {
  settings: BrowserBenchSettings;
  threads: number;
  browser: string;
  modelFilename: string;
  modelType: string;
}

/** Worker → page messages. */
export type WorkerMessage =
  | { kind: 'log'; text: string }
  | { kind: 'done'; results: BrowserBenchResult[] }
  | { kind: 'error'; message: string };

interface WorkerScope {
  location: { href: string };
  importScripts(...urls: string[]): void;
  postMessage(message: WorkerMessage): void;
  addEventListener(type: 'message', listener: (ev: { data: WorkerRequest }) => void): void;
  createBitnetSt?: EmscriptenFactory;
  createBitnetMt?: EmscriptenFactory;
}

const scope = self as unknown as WorkerScope;
const WASM_BASE = new URL('/wasm/', scope.location.href).href;
const log = (text: string): void => scope.postMessage({ kind: 'log', text });

async function run(req: WorkerRequest): Promise<BrowserBenchResult[]> {
  const { settings: s, threads } = req;
  // 'auto': our fastest build this browser runs (relaxed SIMD where it validates)
  const requested: KernelsFlavor = s.flavor === 'auto' ? (threads > 1 ? 'mt' : 'st') : s.flavor;
  const flavor: KernelsFlavor = s.flavor === 'auto' && detectWasmFeatures().relaxedSimd ? relaxedFlavor(requested) : requested;
  if (threads > 1 && !isThreadedFlavor(flavor)) throw new Error(`${threads} threads need the mt kernels`);

  const tf = performance.now();
  const res = await fetch(s.model);
  if (!res.ok) throw new Error(`GET ${s.model}: HTTP ${res.status}`);
  const blob = await res.blob();
  const fetchMs = performance.now() - tf;
  log(`fetched ${blob.size} bytes in ${Math.round(fetchMs)} ms`);

  const names = wasmFileNames(flavor);
  scope.importScripts(WASM_BASE + names.glue);
  const factory = scope[factoryName(flavor)];
  if (typeof factory !== 'function') throw new Error(`${names.glue} did not define its factory`);
  // settle: let the browser finish storing the download first (measured: page faults up to 2x slower while it does)
  if (s.settleMs > 0) await new Promise((r) => setTimeout(r, s.settleMs));
  // engine start-up and BitNet.load from the Blob
  const t0 = performance.now();
  const kernels = await createKernels(factory, {
    flavor,
    threads,
    locateFile: (f: string) => WASM_BASE + f,
    ...(isThreadedFlavor(flavor) ? { mainScriptUrlOrBlob: WASM_BASE + names.glue } : {}),
  });
  const model = await BitNet.load(blob, { kernels, threads, headType: s.head, contextLength: s.ctx, batchSize: s.batch });
  const loadMs = performance.now() - t0;
  const lt = model.info.loadTimings;
  log(`loaded in ${Math.round(loadMs)} ms (${flavor}, ${threads} thread(s), nCtx ${model.plan.nCtx}; ${lt ? `parse ${Math.round(lt.parseMs)}, plan ${Math.round(lt.planMs)}, tokenizer ${Math.round(lt.tokenizerMs)}, weights ${Math.round(lt.weightsMs)} (read wait ${Math.round(lt.readWaitMs)}, packing ${Math.round(lt.packMs)}, prefault ${Math.round(lt.prefaultMs)}, alloc ${Math.round(lt.allocMs)}) ms` : 'no load timings'})`);
  const phases = lt ? Object.fromEntries(Object.entries(lt).map(([k, v]) => [k.replace(/Ms$/, ''), Math.round(v)])) : undefined;

  const nVocab = model.hparams.nVocab;
  const base = {
    engine: 'bitnet-wasm' as const,
    browser: req.browser,
    model_filename: req.modelFilename,
    model_type: req.modelType,
    n_threads: threads,
    head_type: s.head,
    kernels: flavor,
    n_batch: s.batch,
    n_ctx: model.plan.nCtx,
    load_ms: Math.round(loadMs),
    fetch_ms: Math.round(fetchMs),
    timing: 'js' as const,
    settle_ms: s.settleMs,
    ...(phases ? { load_phases_ms: phases } : {}),
  };
  // profile=1: the profiler runs during each timed repetition (setProfiling(true) clears it); the last
  // repetition's milliseconds per token are reported, as `bitnet bench --profile` does
  const startProfile = (): void => {
    if (s.profile) model.setProfiling(true);
  };
  const endProfile = (nTokens: number): { profile_ms_per_token?: Record<string, number> } => {
    if (!s.profile) return {};
    const r = model.profileReport();
    model.setProfiling(false);
    return { profile_ms_per_token: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +(v / nTokens).toFixed(3)])) };
  };
  const out: BrowserBenchResult[] = [];
  try {
    // warm-up: a short prefill (the same as `bitnet bench`)
    model.reset();
    model.eval(benchTokens(nVocab, Math.min(8, s.ctx), 1));
    if (s.nPrompt > 0) {
      const secs: number[] = [];
      for (let rep = 0; rep < s.reps; rep++) {
        model.reset();
        const toks = benchTokens(nVocab, s.nPrompt, rep + 2);
        startProfile();
        const t = performance.now();
        model.eval(toks);
        secs.push((performance.now() - t) / 1000);
        log(`pp${s.nPrompt} rep ${rep + 1}: ${(s.nPrompt / secs[rep]!).toFixed(2)} t/s`);
      }
      out.push({ ...makeResult(base, s.nPrompt, 0, secs), ...endProfile(s.nPrompt) });
    }
    if (s.nGen > 0) {
      const secs: number[] = [];
      const bos = model.tokenizer.bosId ?? 0;
      for (let rep = 0; rep < s.reps; rep++) {
        model.reset();
        model.eval([bos]);
        const toks = benchTokens(nVocab, s.nGen, rep + 100);
        startProfile();
        const t = performance.now();
        for (const tok of toks) model.eval([tok]);
        secs.push((performance.now() - t) / 1000);
        log(`tg${s.nGen} rep ${rep + 1}: ${(s.nGen / secs[rep]!).toFixed(2)} t/s`);
      }
      out.push({ ...makeResult(base, 0, s.nGen, secs), ...endProfile(s.nGen) });
    }
  } finally {
    model.dispose();
    kernels.dispose();
  }
  return out;
}

scope.addEventListener('message', (ev) => {
  run(ev.data).then(
    (results) => scope.postMessage({ kind: 'done', results }),
    (e: unknown) => scope.postMessage({ kind: 'error', message: `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}` }),
  );
});
