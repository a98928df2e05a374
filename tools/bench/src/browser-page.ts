/**
 * The browser bench page (ES module): reads the settings from the query string, reads the model's
 * GGUF header (architecture, matrix type, vocabulary size) over HTTP Range, then for every thread
 * count measures one engine — ours in a fresh classic worker (./worker.js), or wllama through its
 * public API in this page — and exposes the result array as `window.__benchResult` (the driver
 * waits for it), a failure as `window.__benchError`, progress lines as `window.__benchLog`.
 *
 * wllama 3.x has no low-level decode API (v3 runs llama-server's server-context inside wasm) and its
 * raw completion takes only a text prompt, so it is measured through `createCompletion` with a text
 * that tokenizes to exactly n_prompt tokens (BOS included; counted with the model's own tokenizer
 * here and checked against llama-server's `prompt_n`), `cache_prompt: false`, greedy sampling and
 * `ignore_eos`; the times are llama-server's own `timings`: prefill = `prompt_ms` (includes sampling
 * one token); decode = `predicted_ms`, which covers `predicted_n - 1` decode steps (the first
 * predicted token is sampled from the prompt's logits), so `max_tokens` is n_gen + 1 and exactly
 * n_gen single-token decodes are timed, after a prompt of BOS alone.
 */
import { httpByteSource, parseGguf, type GgufFile } from '@bitnet-wasm/gguf';
import { Tokenizer } from '@bitnet-wasm/tokenizer';
import { Wllama, type RawCompletionParams, type RawCompletionResponse } from '@wllama/wllama';
import { BenchSettingsError, makeResult, parseBenchQuery, textOfTokens, type BrowserBenchResult, type BrowserBenchSettings } from './browser-common';
import type { WorkerMessage, WorkerRequest } from './browser-worker';

interface BenchWindow {
  __benchResult?: BrowserBenchResult[];
  __benchError?: string;
  __benchLog: string[];
}

const win = window as unknown as BenchWindow;
win.__benchLog = [];
const out = document.getElementById('log');

function log(text: string): void {
  const line = `[${(performance.now() / 1000).toFixed(1)}s] ${text}`;
  win.__benchLog.push(line);
  if (win.__benchLog.length > 500) win.__benchLog.splice(0, win.__benchLog.length - 500);
  if (out) out.textContent += line + '\n';
}

/** "Chromium 156.0.8078.108" (or whatever the user agent says). */
function browserName(): string {
  const ua = navigator.userAgent;
  const m = /(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/.exec(ua) ?? /Firefox\/([\d.]+)/.exec(ua);
  if (!m) return ua;
  return `${m[0].startsWith('Firefox') ? 'Firefox' : 'Chromium'} ${m[1]}`;
}

interface ModelHeader {
  filename: string;
  /** "bitnet-b1.58 TQ2_0": the architecture and the most common 2-D (matrix) weight type. */
  modelType: string;
  nVocab: number;
  gguf: GgufFile;
}

async function readHeader(url: string): Promise<ModelHeader> {
  // fetch as a closure: a browser's fetch called with a foreign `this` throws "Illegal invocation"
  const gguf: GgufFile = await parseGguf(httpByteSource(new URL(url, location.href).href, { fetch: (i, init) => fetch(i, init) }));
  const counts = new Map<string, number>();
  for (const t of gguf.tensors) {
    if (t.shape.length < 2 || t.name === 'token_embd.weight' || t.name === 'output.weight') continue;
    counts.set(t.typeName, (counts.get(t.typeName) ?? 0) + 1);
  }
  const weightType = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  const vocab = gguf.metadata['tokenizer.ggml.tokens'];
  const embd = gguf.tensors.find((t) => t.name === 'token_embd.weight');
  const nVocab = Array.isArray(vocab) ? vocab.length : Number(embd?.shape[1] ?? 0);
  if (!(nVocab > 0)) throw new Error(`${url}: no vocabulary size in the header`);
  const filename = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? url);
  return { filename, modelType: `${gguf.architecture ?? 'unknown'} ${weightType}`, nVocab, gguf };
}

async function fetchBlob(url: string): Promise<{ blob: Blob; ms: number }> {
  const t = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const blob = await res.blob();
  return { blob, ms: performance.now() - t };
}

function runOurs(s: BrowserBenchSettings, threads: number, h: ModelHeader): Promise<BrowserBenchResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', location.href).href);
    const finish = (f: () => void): void => {
      worker.terminate();
      f();
    };
    worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
      const m = ev.data;
      if (m.kind === 'log') log(`bitnet-wasm t=${threads}: ${m.text}`);
      else if (m.kind === 'done') finish(() => resolve(m.results));
      else finish(() => reject(new Error(m.message)));
    };
    worker.onerror = (ev) => finish(() => reject(new Error(`worker error: ${ev.message}`)));
    const req: WorkerRequest = { settings: s, threads, browser: browserName(), modelFilename: h.filename, modelType: h.modelType };
    worker.postMessage(req);
  });
}

/** llama-server request fields that wllama passes through but does not declare. */
type CompletionRequest = RawCompletionParams & { cache_prompt: boolean; stream?: false };

async function runWllama(s: BrowserBenchSettings, threads: number, h: ModelHeader): Promise<BrowserBenchResult[]> {
  const { blob, ms: fetchMs } = await fetchBlob(s.model);
  log(`wllama t=${threads}: fetched ${blob.size} bytes in ${Math.round(fetchMs)} ms`);
  const push = (level: string) => (...args: unknown[]) => log(`wllama ${level}: ${args.map(String).join(' ')}`.slice(0, 400));
  const w = new Wllama(
    { default: new URL('/wllama/wllama.wasm', location.href).href },
    { logger: { debug: () => {}, log: () => {}, warn: push('warn'), error: push('error') } },
  );
  const t0 = performance.now();
  await w.loadModel([blob], {
    n_threads: threads,
    n_ctx: s.ctx,
    n_batch: s.batch,
    n_ubatch: s.batch,
    n_gpu_layers: 0, // CPU (wasm) only, like our engine
    n_parallel: 1,
    seed: 1,
  });
  const loadMs = performance.now() - t0;
  const info = w.getLoadedContextInfo();
  // wllama 3.13 resolves loadModel even when llama.cpp refused the file (then n_ctx is 0)
  if (!(info?.n_ctx > 0) || !(info.n_vocab > 0)) {
    await w.exit().catch(() => {});
    throw new Error(`wllama could not load ${h.filename} (its log above says why)`);
  }
  log(`wllama t=${threads}: loaded in ${Math.round(loadMs)} ms (multithread ${w.isMultithread()}, threads ${w.getNumThreads()}, n_ctx ${info.n_ctx})`);
  if (w.getNumThreads() !== threads) log(`wllama t=${threads}: WARNING wllama runs ${w.getNumThreads()} thread(s)`);
  const complete = (prompt: string, maxTokens: number): Promise<RawCompletionResponse> => {
    const req: CompletionRequest = { prompt, max_tokens: maxTokens, temperature: 0, ignore_eos: true, cache_prompt: false, stream: false };
    return w.createCompletion(req as unknown as RawCompletionParams & { stream?: false });
  };
  const base = {
    engine: 'wllama' as const,
    browser: browserName(),
    model_filename: h.filename,
    model_type: h.modelType,
    n_threads: w.getNumThreads(),
    head_type: 'file', // llama.cpp runs the head as stored in the file
    kernels: w.isMultithread() ? 'wllama-mt' : 'wllama-st',
    n_batch: info.n_batch,
    n_ctx: info.n_ctx,
    load_ms: Math.round(loadMs),
    fetch_ms: Math.round(fetchMs),
    timing: 'server' as const,
  };
  const tok = Tokenizer.fromGguf(h.gguf);
  const promptText = textOfTokens(tok, s.nPrompt);
  const bosText = textOfTokens(tok, 1);
  const out: BrowserBenchResult[] = [];
  try {
    await complete(textOfTokens(tok, Math.min(8, s.ctx)), 2); // warm-up
    if (s.nPrompt > 0) {
      const secs: number[] = [];
      const wall: number[] = [];
      for (let rep = 0; rep < s.reps; rep++) {
        const t = performance.now();
        const r = await complete(promptText, 1);
        wall.push(Math.round(performance.now() - t));
        const tm = r.timings;
        if (!tm || tm.prompt_n !== s.nPrompt) throw new Error(`wllama prefill: expected prompt_n ${s.nPrompt}, got ${JSON.stringify(tm)}`);
        secs.push(tm.prompt_ms / 1000);
        log(`wllama t=${threads}: pp${s.nPrompt} rep ${rep + 1}: ${(s.nPrompt / (tm.prompt_ms / 1000)).toFixed(2)} t/s (wall ${wall[rep]} ms)`);
      }
      out.push({ ...makeResult(base, s.nPrompt, 0, secs), samples_wall_ms: wall });
    }
    if (s.nGen > 0) {
      const secs: number[] = [];
      const wall: number[] = [];
      for (let rep = 0; rep < s.reps; rep++) {
        const t = performance.now();
        const r = await complete(bosText, s.nGen + 1);
        wall.push(Math.round(performance.now() - t));
        const tm = r.timings;
        if (!tm || tm.predicted_n !== s.nGen + 1 || tm.prompt_n !== 1) throw new Error(`wllama decode: expected prompt_n 1 and predicted_n ${s.nGen + 1}, got ${JSON.stringify(tm)}`);
        secs.push(tm.predicted_ms / 1000);
        log(`wllama t=${threads}: tg${s.nGen} rep ${rep + 1}: ${(s.nGen / (tm.predicted_ms / 1000)).toFixed(2)} t/s (wall ${wall[rep]} ms)`);
      }
      out.push({ ...makeResult(base, 0, s.nGen, secs), samples_wall_ms: wall });
    }
  } finally {
    await w.exit();
  }
  return out;
}

async function main(): Promise<BrowserBenchResult[]> {
  const s = parseBenchQuery(location.search);
  log(`settings ${JSON.stringify(s)}; crossOriginIsolated ${globalThis.crossOriginIsolated}; cores ${navigator.hardwareConcurrency}`);
  if (s.threads.some((t) => t > 1) && !globalThis.crossOriginIsolated) throw new BenchSettingsError('threads > 1 need a cross-origin isolated page (COOP/COEP)');
  const h = await readHeader(s.model);
  log(`model ${h.filename}: ${h.modelType}, vocabulary ${h.nVocab}`);
  const results: BrowserBenchResult[] = [];
  for (const t of s.threads) {
    results.push(...(s.engine === 'wllama' ? await runWllama(s, t, h) : await runOurs(s, t, h)));
  }
  return results;
}

main().then(
  (r) => {
    log('done');
    win.__benchResult = r;
  },
  (e: unknown) => {
    const msg = `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`;
    log(`FAILED ${msg}`);
    win.__benchError = msg;
  },
);
