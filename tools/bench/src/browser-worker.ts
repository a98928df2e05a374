/**
 * The bench page's worker for our engine (a classic worker, bundled as an IIFE, because the emscripten
 * glue is loaded with importScripts, as in apps/web's worker). One worker measures one thread count:
 * fetch the model into a Blob (fetch_ms), wait settle_ms when asked, load the st or mt kernels and
 * BitNet.load from the Blob (load_ms), then BitNet.benchmark: warm-up, prefill (n_prompt fixed tokens) and
 * decode (n_gen single-token evals), at each cache depth of the settings (0: an empty cache, then one BOS
 * token before decoding), each `reps` times, timed with performance.now around eval.
 * The page terminates the worker afterwards, which frees its WebAssembly memory.
 */
// The bench creates the kernels itself, exactly as apps/web's worker does (tools may otherwise not
// depend on the kernels library).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createKernels, detectWasmFeatures, factoryName, isThreadedFlavor, relaxedFlavor, wasmFileNames, type EmscriptenFactory, type KernelsFlavor } from '@bitnet-wasm/kernels';
import { BitNet } from '@bitnet-wasm/runtime';
import { makeResult, type BrowserBenchResult, type BrowserBenchSettings } from './browser-common';

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
  const out: BrowserBenchResult[] = [];
  try {
    // the tests themselves are the runtime's (BitNet.benchmark), as in `bitnet bench`: the same warm-up, token ids,
    // depths and (profile=1) per-token profile of the last repetition
    const tests = model.benchmark({
      prompts: [s.nPrompt],
      gens: [s.nGen],
      depths: s.depths,
      reps: s.reps,
      profile: s.profile,
      onRepetition: (t, rep, sec) => log(`${t.nPrompt ? `pp${t.nPrompt}` : `tg${t.nGen}`}${t.nDepth ? ` @ d${t.nDepth}` : ''} rep ${rep + 1}: ${((t.nPrompt + t.nGen) / sec).toFixed(2)} t/s`),
    });
    for (const t of tests) out.push({ ...makeResult(base, t.nPrompt, t.nGen, t.seconds, t.nDepth), ...(t.profileMsPerToken ? { profile_ms_per_token: t.profileMsPerToken } : {}) });
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
