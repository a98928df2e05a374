/**
 * BitNet: the engine facade. Loads a GGUF into WebAssembly memory (one allocation sized by the memory
 * plan, tensors streamed straight into place), evaluates tokens through native/src/model.c, samples,
 * and streams generated text. Isomorphic: the caller provides the kernels instance (see ../node.ts for
 * Node, the web app's worker for browsers).
 */
import { parseGguf, tensorStats, toByteSource, type ByteSource, type GgufFile } from '@bitnet-wasm/gguf';
import { Tokenizer, type StreamDecoder } from '@bitnet-wasm/tokenizer';
import { isThreadedFlavor, type Kernels } from '@bitnet-wasm/kernels';
import { runBenchmark, type BenchmarkOptions, type BenchmarkTest } from './benchmark';
import { BitNetError, abortError, throwIfAborted } from './errors';
import { readHParams, type HParams } from './hparams';
import { makePlan, notFitReason, planTensors, STREAM_CHUNK_BYTES, T, typeName, WASM32_LIMIT_BYTES, type FitAlternatives, type HeadType, type MemoryPlan, type PlanInputs, type PlannedTensor } from './plan';
import { GREEDY, Sampler, type SamplingOptions } from './sampler';
import { StopMatcher } from './stop';

export interface LoadOptions {
  /** The WebAssembly kernels to run on (from @bitnet-wasm/kernels). */
  kernels: Kernels;
  /** Context length in tokens. @default the model's training context, capped so the plan fits */
  contextLength?: number;
  /** Threads for the matmuls (threaded kernels only: 'mt', 'mt-rx'). @default the kernels' thread count */
  threads?: number;
  /** Output head: 'f16' keeps the stored head; 'q8_0' re-quantizes it at load (smaller, faster). @default 'f16' */
  headType?: HeadType;
  /** Tokens per forward call during prefill. @default 64 */
  batchSize?: number;
  /** Refuse plans above this many bytes of WebAssembly memory. @default 4 GiB (the wasm32 limit) */
  memoryLimitBytes?: number;
  /** Called as tensor bytes arrive. */
  onProgress?: (p: { loadedBytes: number; totalBytes: number }) => void;
  signal?: AbortSignal;
  /** Already-parsed header (skips a second parse). */
  gguf?: GgufFile;
  /** Also dispose the kernels (ending their threads) when the model is disposed. @default false */
  disposeKernels?: boolean;
}

export interface GenerateOptions {
  /** @default 256 */
  maxTokens?: number;
  /** @default greedy when omitted entirely */
  sampling?: SamplingOptions;
  /** Generation ends when the text contains one of these (not included in the output). */
  stop?: string[];
  /** Stop at the tokenizer's end-of-generation tokens. @default true */
  stopAtEog?: boolean;
  /** For string prompts: add BOS. @default the tokenizer's add_bos setting */
  addBos?: boolean;
  /** For string prompts: parse special-token text like `<|eot_id|>`. @default false */
  parseSpecial?: boolean;
  signal?: AbortSignal;
}

export interface TokenEvent {
  token: number;
  /** Text released by this token (may be empty while a UTF-8 sequence or a stop string is incomplete). */
  text: string;
}

export interface Timings {
  prefillTokens: number;
  prefillMs: number;
  decodeTokens: number;
  decodeMs: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export interface Completion {
  text: string;
  tokens: number[];
  promptTokens: number[];
  stopReason: 'eog' | 'max_tokens' | 'stop_string' | 'context_full';
  timings: Timings;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ModelInfo {
  architecture: string;
  name: string | undefined;
  hparams: HParams;
  parameterCount: number;
  fileBytes: number | undefined;
  tensorTypes: Record<string, number>;
  plan: MemoryPlan;
  threads: number;
  flavor: string;
  /** Where load time went, in milliseconds (set by BitNet.load; absent from inspectModel). */
  loadTimings?: LoadTimings;
}

/** Phases of BitNet.load, in milliseconds. */
export interface LoadTimings {
  /** Reading and parsing the GGUF header (0 when `gguf` was passed in). */
  parseMs: number;
  /** Hyperparameters, memory plan, thread start-up. */
  planMs: number;
  /** Building the tokenizer from the vocabulary. */
  tokenizerMs: number;
  /** Allocating the arena, reading the tensors and packing them into the kernels' layouts. */
  weightsMs: number;
  /** The part of weightsMs spent waiting for the source's bytes (the rest is packing and bookkeeping): tells a slow
   * storage or network from slow packing. */
  readWaitMs: number;
  /** The part of weightsMs spent in the kernels' packing calls (repacking into the kernels' layouts). */
  packMs: number;
  /** The part of weightsMs spent, while reads were pending, touching the pages of tensors still to come (first-write
   * page faults that packing would otherwise pay later). */
  prefaultMs: number;
  /** The part of weightsMs spent allocating the arena (the one memory growth). */
  allocMs: number;
  totalMs: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Lets timers, messages and AbortSignal listeners run between tokens. */
function yieldToHost(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => setTimeout(r, 0));
}

/**
 * Default thread count for a logical-core count: every core up to 2, else half of them (logical cores are
 * usually SMT pairs), at most 4 (decode is memory-bound: more threads stop paying). On a 2-core machine 2
 * threads decode 1.7-1.8x and prefill 1.5x faster than 1 (bitnet bench, 2B-4T shape).
 */
export function defaultThreadCount(hardwareConcurrency: number | undefined): number {
  const hc = hardwareConcurrency && hardwareConcurrency > 0 ? Math.floor(hardwareConcurrency) : 1;
  return Math.max(1, Math.min(4, hc <= 2 ? hc : Math.floor(hc / 2)));
}

/** Header-only look at a model: hyperparameters and the memory plan, before any weight byte moves. */
export async function inspectModel(
  input: Uint8Array | ArrayBuffer | Blob | ByteSource,
  opts: Omit<LoadOptions, 'onProgress'>,
): Promise<{ gguf: GgufFile; info: Omit<ModelInfo, 'threads' | 'flavor'> }> {
  const gguf = opts.gguf ?? (await parseGguf(input, { signal: opts.signal }));
  const { hp, plan, model } = planFor(gguf, opts);
  opts.kernels.fn.bn_model_free!(model);
  return { gguf, info: describe(gguf, hp, plan) };
}

function describe(gguf: GgufFile, hp: HParams, plan: MemoryPlan): Omit<ModelInfo, 'threads' | 'flavor'> {
  const { tensorTypes, parameterCount } = tensorStats(gguf);
  const name = gguf.metadata['general.name'];
  return {
    architecture: hp.architecture,
    name: typeof name === 'string' ? name : undefined,
    hparams: hp,
    parameterCount,
    fileBytes: gguf.fileSize,
    tensorTypes,
    plan,
  };
}

/** Largest context in [16, nCtx) whose plan fits, by bisection (0 if even 16 does not). */
function maxFittingCtx(inputs: PlanInputs, tensors: PlannedTensor[], nCtx: number): number {
  const fits = (n: number) => makePlan({ ...inputs, nCtx: n }, tensors).fits;
  if (!fits(16)) return 0;
  let lo = 16;
  let hi = nCtx;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Real plans for the remedies a not-fit message may suggest. */
function fitAlternatives(
  inputs: PlanInputs,
  tensors: PlannedTensor[],
  nCtx: number,
  gguf: GgufFile,
  hp: HParams,
  packedBytes: PlanInputs['packedBytes'],
  headType: HeadType,
): FitAlternatives {
  const alt: FitAlternatives = { maxCtx: maxFittingCtx(inputs, tensors, nCtx) };
  if (headType === 'f16') {
    try {
      const q8 = planTensors(gguf, hp, 'q8_0', packedBytes);
      const q8Inputs = { ...inputs, headType: 'q8_0' as const };
      if (q8.reduce((a, t) => a + t.bytes, 0) < tensors.reduce((a, t) => a + t.bytes, 0)) {
        alt.q8 = { fits: makePlan({ ...q8Inputs, nCtx }, q8).fits, maxCtx: maxFittingCtx(q8Inputs, q8, nCtx) };
      }
    } catch {
      // a q8_0 head is not possible for this file: no such suggestion
    }
  }
  return alt;
}

/**
 * The bn_weight slot a planned tensor fills, or 0 for tensors that are not matrices: a layer matrix its
 * role's slot; the head slot for an untied output, a tied F32 head aliasing the embedding, or the
 * packed Q8_0/F16 copy of a tied embedding (which then serves lookups and the head).
 */
function weightSlot(k: Kernels, model: number, t: PlannedTensor): number {
  const head = t.slot.kind === 'output' || t.load === 'alias' || (t.slot.kind === 'embedding' && t.load === 'rows');
  if (t.slot.kind !== 'matrix' && !head) return 0;
  return k.fn.bn_model_weight!(model, Math.max(0, t.slot.layer), roleId(k, head ? 'output' : t.slot.role)) >>> 0;
}

function planFor(gguf: GgufFile, opts: Omit<LoadOptions, 'onProgress'>): { hp: HParams; plan: MemoryPlan; model: number } {
  const k = opts.kernels;
  const hp = readHParams(gguf);
  const headType = opts.headType ?? 'f16';
  if (headType !== 'f16' && headType !== 'q8_0') throw new BitNetError('bad_option', `headType must be 'f16' or 'q8_0'`);
  const maxBatch = opts.batchSize ?? 64;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 4096) throw new BitNetError('bad_option', 'batchSize must be an integer in [1, 4096]');
  const nThreads = opts.threads ?? 1;
  const limit = opts.memoryLimitBytes ?? WASM32_LIMIT_BYTES;
  const packedBytes = (type: number, rows: number, cols: number) => (k.fn.bn_weight_packed_bytes!(type, rows, cols) >>> 0);
  const tensors = planTensors(gguf, hp, headType, packedBytes);
  // A scratch model description (no weights) to size the state block with the real packed types.
  const model = k.fn.bn_model_create!(hp.arch, hp.ropeType, hp.nVocab, hp.nEmbd, hp.nLayer, hp.nHead, hp.nHeadKv, hp.headDim, hp.nFf, hp.nRot, hp.eps, hp.ropeBase) >>> 0;
  if (!model) throw new BitNetError('bad_metadata', 'the kernels rejected the hyperparameters');
  try {
    for (const t of tensors) {
      const w = weightSlot(k, model, t);
      const [cols = 1, rows = 1] = t.slot.shape;
      if (w) k.fn.bn_weight_init!(w, t.packedType, rows, cols, 0);
    }
    const stateBytes = (n: number) => k.fn.bn_model_state_bytes!(model, n, maxBatch, nThreads);
    const kvBytes = (n: number) => k.fn.bn_model_kv_bytes!(model, n);
    // in use = below the program break minus what malloc holds free (memory never shrinks after a dispose)
    const used = k.fn.bn_heap_used_bytes?.() ?? -1;
    const base = used >= 0 ? used : k.memoryBytes();
    const inputs = { file: gguf, hp, nCtx: 0, maxBatch, nThreads, headType, packedBytes, stateBytes, kvBytes, baseBytes: base, limitBytes: limit };
    let nCtx: number;
    if (opts.contextLength !== undefined) {
      if (!Number.isInteger(opts.contextLength) || opts.contextLength < 1) throw new BitNetError('bad_option', 'contextLength must be a positive integer');
      nCtx = opts.contextLength;
    } else {
      // default: the training context, halved until the plan fits (down to 256 tokens)
      nCtx = hp.nCtxTrain;
      while (nCtx > 256 && !makePlan({ ...inputs, nCtx }, tensors).fits) nCtx = Math.max(256, Math.floor(nCtx / 2));
    }
    const plan = makePlan({ ...inputs, nCtx }, tensors);
    if (!plan.fits) plan.reason = notFitReason(plan, fitAlternatives(inputs, tensors, nCtx, gguf, hp, packedBytes, headType));
    return { hp, plan, model };
  } catch (e) {
    k.fn.bn_model_free!(model);
    throw e;
  }
}

/** The NUL-terminated string at `ptr` in the kernels' memory. */
function cString(k: Kernels, ptr: number): string {
  const heap = k.heapU8();
  const p = ptr >>> 0;
  let end = p;
  while (end < heap.length && heap[end] !== 0) end++;
  return new TextDecoder().decode(heap.slice(p, end));
}

const roleCache = new WeakMap<Kernels, Map<string, number>>();
function roleId(k: Kernels, name: string): number {
  let m = roleCache.get(k);
  if (!m) {
    m = new Map();
    const n = k.fn.bn_model_role_count!();
    for (let i = 0; i < n; i++) m.set(cString(k, k.fn.bn_model_role_name!(i)), i);
    roleCache.set(k, m);
  }
  const id = m.get(name);
  if (id === undefined) throw new BitNetError('kernels', `the kernels do not know tensor role ${name}`);
  return id;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export class BitNet {
  readonly tokenizer: Tokenizer;
  readonly info: ModelInfo;
  private disposed = false;
  private busy = false;
  private ownsKernels = false;
  /** Tokens whose K/V are in the cache, in order (positions 0..n-1). */
  private cached: number[] = [];
  private logitsPtr = 0;
  private tokensPtr = 0;

  private constructor(
    private readonly k: Kernels,
    private readonly model: number,
    private readonly arena: number,
    readonly hparams: HParams,
    readonly plan: MemoryPlan,
    tokenizer: Tokenizer,
    info: ModelInfo,
  ) {
    this.tokenizer = tokenizer;
    this.info = info;
  }

  /**
   * Loads a model. `source` is bytes, a Blob/File, or a ByteSource (HTTP Range, Node file…).
   * @example
   * const model = await BitNet.load(file, { kernels });
   * for await (const ev of model.generate('Once upon a time', { maxTokens: 32 })) out.textContent += ev.text;
   */
  static async load(input: Uint8Array | ArrayBuffer | Blob | ByteSource, opts: LoadOptions): Promise<BitNet> {
    if (!opts.kernels) throw new BitNetError('bad_option', 'options.kernels is required (use @bitnet-wasm/runtime/node in Node)');
    const source = toByteSource(input);  // a ByteSource passes through
    try {
      return await BitNet.loadFrom(source, opts);
    } finally {
      // a source made here is released here (a Blob's stream and its read ahead); a caller's stays open
      if (source !== input) await source.close?.();
    }
  }

  private static async loadFrom(source: ByteSource, opts: LoadOptions): Promise<BitNet> {
    const k = opts.kernels;
    throwIfAborted(opts.signal, 'load');
    const t0 = now();
    const gguf = opts.gguf ?? (await parseGguf(source, { signal: opts.signal }));
    const tParsed = now();
    const threads = opts.threads ?? (isThreadedFlavor(k.flavor) ? Math.max(1, k.fn.bn_threads_count?.() ?? 1) : 1);
    if (!Number.isInteger(threads) || threads < 1 || threads > 16) throw new BitNetError('bad_option', 'threads must be an integer in [1, 16]');
    if (threads > 1 && !isThreadedFlavor(k.flavor)) throw new BitNetError('bad_option', `threads = ${threads} needs threaded kernels ('mt' or 'mt-rx')`);
    // Thread start-up allocates stacks: do it before the arena so memory grows only once.
    k.check(k.fn.bn_threads_init!(threads), 'bn_threads_init');

    const { hp, plan, model } = planFor(gguf, { ...opts, threads });
    if (!plan.fits) {
      k.fn.bn_model_free!(model);
      throw new BitNetError('does_not_fit', `model does not fit: ${plan.reason}`);
    }
    // after the plan: a model that will not fit is refused before the (128k-token) vocabulary is built
    const tPlanned = now();
    let tokenizer: Tokenizer;
    try {
      tokenizer = Tokenizer.fromGguf(gguf);
    } catch (e) {
      k.fn.bn_model_free!(model);
      throw e;
    }
    const tTokenizer = now();
    let arena = 0;
    let ok = false;
    try {
      // one allocation: [weights | logits | token ids | state (KV + scratch; staging while loading)]
      arena = k.malloc(plan.totalBytes);
      const allocMs = now() - tTokenizer;
      const base = Math.ceil(arena / 64) * 64;
      const weightsBase = base;
      const logitsPtr = base + Math.ceil(plan.weightBytes / 64) * 64;
      const tokensPtr = logitsPtr + Math.ceil((4 * hp.nVocab * plan.logitRows) / 64) * 64;
      const stateBase = logitsPtr + plan.ioBytes;
      const { readWaitMs, packMs, prefaultMs } = await loadTensors(k, source, plan, model, weightsBase, stateBase, opts);
      const tWeights = now();
      k.check(k.fn.bn_model_set_state!(model, stateBase, plan.totalBytes - (stateBase - arena), plan.nCtx, plan.maxBatch, threads), 'bn_model_set_state');
      k.check(k.fn.bn_model_check!(model), 'bn_model_check');
      const loadTimings: LoadTimings = {
        parseMs: tParsed - t0,
        planMs: tPlanned - tParsed,
        tokenizerMs: tTokenizer - tPlanned,
        weightsMs: tWeights - tTokenizer,  // includes the one memory growth for the arena
        readWaitMs,
        packMs,
        prefaultMs,
        allocMs,
        totalMs: now() - t0,
      };
      const info: ModelInfo = { ...describe(gguf, hp, plan), threads, flavor: k.flavor, loadTimings };
      const m = new BitNet(k, model, arena, hp, plan, tokenizer, info);
      m.ownsKernels = opts.disposeKernels ?? false;
      m.tokensPtr = tokensPtr;
      m.logitsPtr = logitsPtr;
      ok = true;
      return m;
    } catch (e) {
      if (e instanceof BitNetError) throw e;
      if ((e as { code?: string })?.code === 'aborted' || (e as Error)?.name === 'AbortError') throw abortError('load');
      const code = (e as { name?: string })?.name === 'KernelsError' ? 'kernels' : 'load_failed';
      throw new BitNetError(code, `load failed: ${(e as Error)?.message ?? e}`, { cause: e });
    } finally {
      if (!ok) {
        k.fn.bn_model_free!(model);
        if (arena) k.free(arena);
      }
    }
  }

  private assertUsable(): void {
    if (this.disposed) throw new BitNetError('disposed', 'the model was disposed');
  }

  /** Text → token ids (the model's tokenizer). */
  tokenize(text: string, opts?: { addBos?: boolean; parseSpecial?: boolean }): number[] {
    this.assertUsable();
    return this.tokenizer.encode(text, opts);
  }

  /** Token ids → text. */
  detokenize(ids: ArrayLike<number>, opts?: { skipSpecial?: boolean }): string {
    this.assertUsable();
    return this.tokenizer.decode(ids, opts);
  }

  /**
   * Diagnostics: `true` clears and starts the forward-pass profiler, `false` stops it. While it runs,
   * every forward call adds the wall time of each step to a bucket (see {@link BitNet.profileReport}).
   */
  setProfiling(on: boolean): void {
    this.assertUsable();
    this.k.check(this.k.fn.bn_model_profile!(this.model, on ? 1 : 0), 'bn_model_profile');
  }

  /**
   * Milliseconds spent per forward-pass step since {@link BitNet.setProfiling}(true): embed, norm,
   * quantize, matmul (the layer matrices), rope_kv, attention, eltwise, head.
   */
  profileReport(): Record<string, number> {
    this.assertUsable();
    const out: Record<string, number> = {};
    const n = this.k.fn.bn_model_profile_count!();
    for (let i = 0; i < n; i++) out[cString(this.k, this.k.fn.bn_model_profile_name!(i))] = this.k.fn.bn_model_profile_ms!(this.model, i);
    return out;
  }

  /** Forget the KV cache (the next call starts from position 0). */
  reset(): void {
    this.assertUsable();
    this.cached = [];
  }

  /**
   * Keep the first `n` cached tokens and forget the rest: the next {@link BitNet.eval} continues at position `n`
   * (e.g. to regenerate from an earlier point, or to measure decoding at a fixed depth). `n` must be an integer in
   * [0, contextUsed].
   */
  truncate(n: number): void {
    this.assertUsable();
    if (this.busy) throw new BitNetError('busy', 'a generation is running on this model');
    if (!Number.isInteger(n) || n < 0 || n > this.cached.length) throw new BitNetError('bad_option', `truncate: n must be an integer in [0, ${this.cached.length}], got ${n}`);
    this.cached.length = n;
  }

  /**
   * llama-bench's measurements on this model (what `bitnet bench` and the browser benchmark run): prefill tests of
   * `prompts` tokens and decode tests of `gens` single-token steps, at each cache depth of `depths`, `reps` times,
   * timed around eval; fixed pseudo-random token ids, a short warm-up first. Leaves the cache in an unspecified state
   * (reset it before generating). The context must hold every test (a typed `bad_option` error otherwise).
   */
  benchmark(opts: BenchmarkOptions): BenchmarkTest[] {
    this.assertUsable();
    if (this.busy) throw new BitNetError('busy', 'a generation is running on this model');
    return runBenchmark(this, opts);
  }

  /** Number of tokens currently in the KV cache. */
  get contextUsed(): number {
    return this.cached.length;
  }

  private checkTokens(tokens: ArrayLike<number>): void {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!Number.isInteger(t) || t < 0 || t >= this.hparams.nVocab) throw new BitNetError('bad_input', `token id ${t} is outside the vocabulary [0, ${this.hparams.nVocab})`);
    }
  }

  /**
   * Runs `tokens` after what is already cached and returns the logits of the last one (or of every
   * one with `allLogits`, as rows of nVocab). `oneByOne` evaluates a token per forward call.
   */
  eval(tokens: ArrayLike<number>, opts: { allLogits?: boolean; oneByOne?: boolean } = {}): Float32Array {
    this.assertUsable();
    if (this.busy) throw new BitNetError('busy', 'a generation is running on this model');
    return this.evalInternal(Array.from(tokens), opts.allLogits ?? false, opts.oneByOne ?? false);
  }

  private evalInternal(tokens: number[], allLogits: boolean, oneByOne: boolean): Float32Array {
    if (tokens.length === 0) throw new BitNetError('bad_input', 'no tokens to evaluate');
    this.checkTokens(tokens);
    const { nVocab } = this.hparams;
    if (this.cached.length + tokens.length > this.plan.nCtx) {
      throw new BitNetError('context_full', `context full: ${this.cached.length} cached + ${tokens.length} new tokens > context length ${this.plan.nCtx}`);
    }
    // kernels shared by models loaded with different thread counts: run with this model's pool
    if (this.k.fn.bn_threads_count!() !== this.info.threads) this.k.check(this.k.fn.bn_threads_init!(this.info.threads), 'bn_threads_init');
    const out = new Float32Array(allLogits ? tokens.length * nVocab : nVocab);
    const step = oneByOne ? 1 : allLogits ? this.plan.logitRows : this.plan.maxBatch;
    for (let i = 0; i < tokens.length; i += step) {
      const chunk = tokens.slice(i, i + step);
      const last = i + step >= tokens.length;
      const wantAll = allLogits;
      this.k.heapI32().set(chunk, this.tokensPtr >>> 2);
      const st = this.k.fn.bn_model_forward!(this.model, this.tokensPtr, chunk.length, this.cached.length, this.logitsPtr, wantAll ? 1 : 0);
      if (st !== 0) {
        throw new BitNetError('kernels', `forward pass failed with status ${st}`);
      }
      this.cached.push(...chunk);
      const heap = this.k.heapF32();
      const src = this.logitsPtr >>> 2;
      if (wantAll) out.set(heap.subarray(src, src + chunk.length * nVocab), i * nVocab);
      else if (last) out.set(heap.subarray(src, src + nVocab));
    }
    // A NaN or Inf here would mean a kernel bug or a broken file; never hand it to a sampler.
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) throw new BitNetError('kernels', `non-finite logit at index ${i % nVocab} (position ${this.cached.length - 1})`);
    }
    return out;
  }

  /** Evaluate `prompt` reusing the longest cached prefix; returns the last token's logits. */
  private prefill(prompt: number[]): Float32Array {
    let common = 0;
    while (common < prompt.length && common < this.cached.length && prompt[common] === this.cached[common]) common++;
    // at least the last prompt token is re-evaluated so there are logits to sample from
    if (common === prompt.length) common = prompt.length - 1;
    this.cached.length = common;
    return this.evalInternal(prompt.slice(common), false, false);
  }

  /**
   * Streams generated tokens. Starts from `prompt` (text or ids), reusing the cached prefix it shares
   * with the previous call. Aborting ends the stream with a BitNetError('aborted'); the model stays usable.
   */
  async *generate(prompt: string | ArrayLike<number>, opts: GenerateOptions = {}): AsyncGenerator<TokenEvent, Completion, void> {
    this.assertUsable();
    if (this.busy) throw new BitNetError('busy', 'a generation is already running on this model');
    const maxTokens = opts.maxTokens ?? 256;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new BitNetError('bad_option', 'maxTokens must be a non-negative integer');
    const sampler = new Sampler(opts.sampling ?? GREEDY);
    const promptTokens =
      typeof prompt === 'string'
        ? this.tokenizer.encode(prompt, { addBos: opts.addBos, parseSpecial: opts.parseSpecial ?? false })
        : Array.from(prompt);
    if (promptTokens.length === 0) throw new BitNetError('bad_input', 'empty prompt');
    this.checkTokens(promptTokens);
    if (promptTokens.length > this.plan.nCtx) throw new BitNetError('context_full', `prompt of ${promptTokens.length} tokens exceeds the context length ${this.plan.nCtx}`);
    const stopAtEog = opts.stopAtEog ?? true;
    const decoder: StreamDecoder = this.tokenizer.createStreamDecoder();
    const stops = new StopMatcher(opts.stop ?? []);
    const signal = opts.signal;
    this.busy = true;
    const out: number[] = [];
    let text = '';
    let stopReason: Completion['stopReason'] = 'max_tokens';
    const t0 = now();
    let tPrefill = 0;
    try {
      throwIfAborted(signal, 'generate');
      let logits = this.prefill(promptTokens);
      tPrefill = now() - t0;
      const history = [...promptTokens];
      for (let i = 0; i < maxTokens; i++) {
        await yieldToHost();
        throwIfAborted(signal, 'generate');
        const tok = sampler.sample(logits, history);
        if (stopAtEog && this.tokenizer.isEog(tok)) {
          stopReason = 'eog';
          break;
        }
        out.push(tok);
        history.push(tok);
        const piece = stops.push(decoder.push(tok));
        text += piece.emit;
        if (piece.stopped) {
          stopReason = 'stop_string';
          if (piece.emit) yield { token: tok, text: piece.emit };
          break;
        }
        yield { token: tok, text: piece.emit };
        if (i + 1 === maxTokens) break;
        if (this.cached.length >= this.plan.nCtx) {
          stopReason = 'context_full';
          break;
        }
        logits = this.evalInternal([tok], false, false);
      }
      if (stopReason !== 'stop_string') {
        const rest = stops.push(decoder.flush());
        const tail = rest.emit + (rest.stopped ? '' : stops.flush());
        if (tail) {
          text += tail;
          yield { token: -1, text: tail };
        }
      }
    } finally {
      this.busy = false;
    }
    const total = now() - t0;
    const decodeMs = total - tPrefill;
    return {
      text,
      tokens: out,
      promptTokens,
      stopReason,
      timings: {
        prefillTokens: promptTokens.length,
        prefillMs: tPrefill,
        decodeTokens: out.length,
        decodeMs,
        prefillTokensPerSecond: tPrefill > 0 ? (promptTokens.length / tPrefill) * 1000 : 0,
        decodeTokensPerSecond: decodeMs > 0 ? (Math.max(0, out.length - 1) / decodeMs) * 1000 : 0,
      },
    };
  }

  /** Runs generate() to the end and returns the whole result with timings. */
  async complete(prompt: string | ArrayLike<number>, opts: GenerateOptions = {}): Promise<Completion> {
    const it = this.generate(prompt, opts);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }

  /** Applies the chat format (the GGUF's template or BitNet's) and generates the assistant's reply. */
  chat(messages: ChatMessage[], opts: GenerateOptions = {}): AsyncGenerator<TokenEvent, Completion, void> {
    this.assertUsable();
    const ids = this.tokenizer.encodeChat(messages, { addGenerationPrompt: true });
    return this.generate(ids, opts);
  }

  /** Frees the WebAssembly memory regions of this model; any later call throws BitNetError('disposed'). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.k.fn.bn_model_free!(this.model);
    this.k.free(this.arena);
    if (this.ownsKernels) this.k.dispose?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming tensors into the arena

// Every 2 ms, not 20: in Chromium the reads of a Blob (slices and streams) progress only while the worker's
// event loop runs (20 ms turns left the reads waiting: 1.19 GB read wait 2.6-3.5 s against 2.0-2.2 s, measured
// with slice windows).
const YIELD_EVERY_MS = 2;
const YIELD_EVERY_TENSORS = 4;

/** Resolves after one macrotask turn (MessageChannel: no setTimeout clamping), so pending messages run. */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}

async function readChunk(source: ByteSource, offset: number, target: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (source.readInto) {
    const n = await source.readInto(offset, target, signal);
    if (n !== target.length) throw new BitNetError('load_failed', `short read at ${offset}: ${n} of ${target.length} bytes`);
  } else {
    target.set(await source.read(offset, target.length, signal));
  }
}

async function loadTensors(
  k: Kernels,
  source: ByteSource,
  plan: MemoryPlan,
  model: number,
  weightsBase: number,
  staging: number,
  opts: LoadOptions,
): Promise<{ readWaitMs: number; packMs: number; prefaultMs: number }> {
  const total = plan.tensors.reduce((s, t) => s + (t.load === 'alias' ? 0 : t.info.byteLength), 0);
  let loaded = 0;
  const progress = (n: number) => {
    loaded += n;
    opts.onProgress?.({ loadedBytes: loaded, totalBytes: total });
  };
  opts.onProgress?.({ loadedBytes: 0, totalBytes: total });
  let embedPtr = 0;
  // in file order, so that a source reading front to back (a Blob's byte stream) streams once; an alias reads
  // nothing and needs the tensor it aliases (the embedding) loaded first: last
  const order = plan.tensors
    .map((t, i) => ({ t, i }))
    .sort((a, b) => Number(a.t.load === 'alias') - Number(b.t.load === 'alias') || a.t.info.absoluteOffset - b.t.info.absoluteOffset || a.i - b.i)
    .map((x) => x.t);
  const ahead = new Prefaulter(
    k,
    order.map((t) => ({ start: weightsBase + t.offset, end: weightsBase + t.offset + t.bytes })),
  );
  // every read of the source goes through `waited`, which adds the time spent waiting for it to readWait; while
  // the read is pending, the worker faults in pages of the tensors still to come (`ahead`, time in prefault)
  let readWait = 0;
  let prefault = 0;
  const waited = async <R>(read: Promise<R>): Promise<R> => {
    const t = now();
    let settled = false;
    const done = read.then(
      () => void (settled = true),
      () => void (settled = true),
    );
    let work = 0;
    while (!settled) {
      const tw = now();
      const more = ahead.step(PREFAULT_STEP_BYTES);
      work += now() - tw;
      if (!more) break;
      await Promise.race([done, yieldToEventLoop()]);
    }
    try {
      return await read;
    } finally {
      readWait += now() - t - work;
      prefault += work;
    }
  };
  // and every packing call through `packed`, which adds its time to pack
  let pack = 0;
  const packed = (call: () => number): number => {
    const t = now();
    try {
      return call();
    } finally {
      pack += now() - t;
    }
  };
  // Reads served from memory (an in-memory source, a Blob window already fetched) resolve as microtasks: give
  // the event loop a turn every few tensors and every YIELD_EVERY_MS, so that an abort that arrives as a message
  // (a worker's cancel) is seen during the load, not after it, and so that a Blob's reads keep progressing
  // while the worker packs (see YIELD_EVERY_MS).
  let lastYield = now();
  let sinceYield = 0;
  const maybeYield = async (force: boolean) => {
    if (force || now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = now();
      sinceYield = 0;
    }
  };
  for (const [i, t] of order.entries()) {
    // from here on tensor i is written: the prefaulter keeps off every earlier one, and off this one too when
    // its reads write into place (direct, vector); a packed tensor's region is free until packing reaches it
    ahead.startTensor(i, t.load === 'i2s' || t.load === 'rows' ? weightsBase + t.offset : undefined);
    await maybeYield(++sinceYield > YIELD_EVERY_TENSORS);
    throwIfAborted(opts.signal, 'load');
    const dst = weightsBase + t.offset;
    const [cols = 1, rows = 1] = t.slot.shape;
    const src = t.info.absoluteOffset;
    switch (t.load) {
      case 'direct': {
        // stored as is (the embedding table): straight into its final place, chunk by chunk
        for (let off = 0; off < t.info.byteLength; off += STREAM_CHUNK_BYTES) {
          const n = Math.min(STREAM_CHUNK_BYTES, t.info.byteLength - off);
          await waited(readChunk(source, src + off, k.heapU8().subarray(dst + off, dst + off + n), opts.signal));
          progress(n);
        }
        embedPtr = dst;
        k.check(k.fn.bn_model_set_embedding!(model, dst, t.info.type), 'bn_model_set_embedding');
        break;
      }
      case 'alias': {
        k.check(k.fn.bn_weight_init!(weightSlot(k, model, t), t.packedType, rows, cols, embedPtr), 'bn_weight_init');
        break;
      }
      case 'i2s': {
        await waited(readChunk(source, src, k.heapU8().subarray(staging, staging + t.info.byteLength), opts.signal));
        progress(t.info.byteLength);
        const st = packed(() => k.fn.bn_weight_pack_i2s!(weightSlot(k, model, t), dst, staging, rows, cols));
        if (st !== 0) throw new BitNetError(st === 8 ? 'load_failed' : 'kernels', `tensor ${t.slot.name}: I2_S data rejected by the kernels (status ${st})`);
        break;
      }
      case 'rows': {
        const isEmbed = t.slot.kind === 'embedding';
        const w = weightSlot(k, model, t);
        k.check(k.fn.bn_weight_init!(w, t.packedType, rows, cols, dst), 'bn_weight_init');
        const rowBytes = t.info.byteLength / rows;
        const perChunk = Math.max(1, Math.floor(STREAM_CHUNK_BYTES / rowBytes));
        for (let r = 0; r < rows; r += perChunk) {
          if (r) await maybeYield(false);
          const nr = Math.min(perChunk, rows - r);
          const n = nr * rowBytes;
          await waited(readChunk(source, src + r * rowBytes, k.heapU8().subarray(staging, staging + n), opts.signal));
          progress(n);
          const st = packed(() => k.fn.bn_weight_pack_rows!(w, r, staging, t.info.type, nr));
          // what rows [0, r + nr) may have written (a size_t: unsigned; older kernels without the call: all of it)
          const prefix = k.fn.bn_weight_packed_prefix_bytes;
          ahead.written(i, dst + (prefix ? prefix(t.packedType, rows, cols, r + nr) >>> 0 : t.bytes));
          // status 8 (BN_ERR_DATA): inf/NaN in an F16 matrix, which the f16 kernels do not propagate
          if (st !== 0) throw new BitNetError(st === 8 ? 'load_failed' : 'kernels', `tensor ${t.slot.name}: packing ${typeName(t.info.type)} → ${typeName(t.packedType)} failed (status ${st}${st === 8 ? ': non-finite values' : ''})`);
        }
        if (isEmbed) k.check(k.fn.bn_model_set_embedding!(model, dst, t.packedType), 'bn_model_set_embedding');
        break;
      }
      case 'vector': {
        const n = t.info.byteLength;
        const bytes = await waited(source.read(src, n, opts.signal));
        progress(n);
        const f32 = k.heapF32().subarray(dst >>> 2, (dst >>> 2) + cols);
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < cols; i++) {
          f32[i] =
            t.info.type === T.F32 ? dv.getFloat32(4 * i, true) : t.info.type === T.F16 ? f16ToF32(dv.getUint16(2 * i, true)) : new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0]!;
        }
        for (let i = 0; i < cols; i++) if (!Number.isFinite(f32[i]!)) throw new BitNetError('load_failed', `tensor ${t.slot.name} holds a non-finite value at ${i}`);
        const role = roleId(k, t.slot.role);
        k.check(k.fn.bn_model_set_vector!(model, Math.max(0, t.slot.layer), role, dst, cols), `set ${t.slot.name}`);
        break;
      }
      case 'scale': {
        const bytes = await waited(source.read(src, 4, opts.signal));
        progress(4);
        const s = new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
        if (!Number.isFinite(s)) throw new BitNetError('load_failed', `tensor ${t.slot.name} is not finite`);
        k.check(k.fn.bn_model_set_matrix_scale!(model, t.slot.layer, roleId(k, t.slot.role), s), `set ${t.slot.name}`);
        break;
      }
    }
  }
  return { readWaitMs: readWait, packMs: pack, prefaultMs: prefault };
}

// Fresh WebAssembly memory costs a page fault at its first write: measured here about 1 ms per MB in Node
// and in Chromium, five times the packing itself (1.19 GB of 2B-4T weights: ~1.2 s of faults against ~0.25
// s of packing into memory already touched). A read of the source that is still pending leaves the worker
// idle: it then touches, one byte a page and PREFAULT_STEP_BYTES at a time, the pages of the tensors that
// are still to be written, in load order, so that their packing later finds them mapped.
const PREFAULT_STEP_BYTES = 1 << 20;
const PAGE_BYTES = 4096;

/**
 * Walks the weight regions of the tensors in load order, writing 0 into one byte of every page. Only bytes no write
 * has reached are touched (later tensors; the current one past what its packing may have written, from the
 * kernels' bn_weight_packed_prefix_bytes): the arena is allocated for this model, and such a byte is either still
 * zero or overwritten later by the tensor's load, so a 0 there changes nothing.
 */
class Prefaulter {
  private region = 0;
  private at: number;

  constructor(
    private readonly k: Kernels,
    private readonly regions: readonly { start: number; end: number }[],
  ) {
    this.at = regions[0]?.start ?? 0;
  }

  /** Tensor `i` starts loading: skip every earlier region; region i is free from `freeFrom` on (undefined: not at all). */
  startTensor(i: number, freeFrom: number | undefined): void {
    if (this.region > i) return;
    if (freeFrom === undefined) {
      this.region = i + 1;
      this.at = this.regions[i + 1]?.start ?? 0;
    } else {
      this.at = this.region < i ? freeFrom : Math.max(this.at, freeFrom);
      this.region = i;
    }
  }

  /** Tensor `i`'s writes reach up to `upTo` (exclusive): the prefaulter moves past it. */
  written(i: number, upTo: number): void {
    if (this.region === i) this.at = Math.max(this.at, upTo);
  }

  /** Touches up to `bytes` more; false when every region is done. */
  step(bytes: number): boolean {
    const u8 = this.k.heapU8();
    let left = bytes;
    while (left > 0 && this.region < this.regions.length) {
      const r = this.regions[this.region]!;
      const from = Math.max(this.at, r.start);
      const stop = Math.min(r.end, from + left);
      // pages that begin inside the region (a first partial page is shared with the region before)
      for (let p = Math.ceil(from / PAGE_BYTES) * PAGE_BYTES; p < stop; p += PAGE_BYTES) u8[p] = 0;
      left -= stop - from;
      this.at = stop;
      if (stop >= r.end) {
        this.region++;
        this.at = this.regions[this.region]?.start ?? 0;
      }
    }
    return this.region < this.regions.length;
  }
}
