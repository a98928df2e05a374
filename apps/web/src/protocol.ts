/**
 * The typed message protocol between the page and the engine worker. The page sends requests with a
 * numeric id; the worker answers each with exactly one response (ok with a result, or an error with
 * a string `code`), and may send events with the same id before it (progress while loading, tokens
 * while generating). Everything here is structured-clone safe (plain data, `File`, `Blob`).
 */
import { defaultThreadCount } from '@bitnet-wasm/runtime';

/** Where a model comes from. */
export type ModelSource =
  /** Downloaded over HTTP(S) into the OPFS cache (resumable), or read from the cache when complete. */
  | { kind: 'url'; url: string }
  /** A local file (file picker, drag and drop): read directly, not cached. */
  | { kind: 'file'; file: File }
  /** A complete cache entry by its key (the URL it was downloaded from). */
  | { kind: 'cache'; key: string };

/** Sampling settings of the chat panel (the runtime's SamplingOptions plus limits). */
export interface SamplingSettings {
  /** 0 = greedy. @default 0.8 */
  temperature: number;
  /** 0 = off. @default 40 */
  topK: number;
  /** 1 = off. @default 0.95 */
  topP: number;
  /** 0 = off. @default 0.05 */
  minP: number;
  /** 1 = off. @default 1.1 */
  repeatPenalty: number;
  /** @default 256 */
  maxTokens: number;
  /** Tokens the repetition penalty looks at. @default 64 */
  repeatLastN?: number;
  /** PRNG seed; the page draws a random one when its seed box is empty. @default the runtime's fixed seed */
  seed?: number;
}

export const DEFAULT_SAMPLING: Readonly<SamplingSettings> = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.1,
  maxTokens: 256,
};

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * What to generate from: a conversation (formatted with the model's chat template; the runtime reuses
 * the KV cache of the common prefix), or a raw text prompt with no template (BOS added as the model
 * says), which is what the CLI's `generate --prompt` does.
 */
export type GenerateInput = { kind: 'chat'; messages: ChatTurn[] } | { kind: 'raw'; prompt: string };

/** Requests, by `type`. */
export type RequestBody =
  | { type: 'capabilities' }
  /** Header and memory plan only (HTTP Range for URLs): nothing is downloaded. */
  | { type: 'inspect-header'; source: ModelSource }
  /**
   * Inspects the header first (event 'header'), refuses a model that does not fit (code
   * 'does_not_fit') before any weight byte moves, then downloads into the cache and loads it.
   */
  | { type: 'load'; source: ModelSource }
  | { type: 'generate'; input: GenerateInput; sampling: SamplingSettings }
  /** Aborts the running request with id `target` (a load or a generate). */
  | { type: 'abort'; target: number }
  /** Forgets the conversation state (KV cache) of the loaded model. */
  | { type: 'reset' }
  /** Frees the loaded model and the kernels' memory. */
  | { type: 'dispose' }
  | { type: 'cache-list' }
  | { type: 'cache-delete'; key: string };

export type RequestType = RequestBody['type'];

/** What the worker found about the browser and the kernels it loaded. */
export interface Capabilities {
  /** WebAssembly SIMD128 validates. */
  simd: boolean;
  /** `self.crossOriginIsolated` in the worker. */
  crossOriginIsolated: boolean;
  /** `navigator.hardwareConcurrency` (1 when unknown). */
  hardwareConcurrency: number;
  /** SharedArrayBuffer usable: the threaded kernels can run. */
  threadsAvailable: boolean;
  /** Threads the engine will use: min(4, max(1, floor(hc / 2))) when available, else 1. */
  threads: number;
  /** Why threads are off (only when `threadsAvailable` is false). */
  threadsReason?: string;
  /** The kernels build chosen: 'mt' when threads are available, else 'st'. */
  flavor: 'st' | 'mt' | 'st-rx' | 'mt-rx';
  /** The loaded kernels: `bn_features()` bits and their names, or the load error. */
  kernels: { ok: true; features: number; featureNames: string[]; loadMs: number } | { ok: false; code: string; message: string };
  /** OPFS (navigator.storage.getDirectory) usable for the model cache. */
  opfs: boolean;
  /** Most WebAssembly memory a model may use (the wasm32 limit). */
  memoryLimitBytes: number;
  /** `navigator.deviceMemory` in GiB, when the browser tells (a coarse hint). */
  deviceMemoryGiB?: number;
}

/** The runtime's memory plan, as shown to the user. */
export interface PlanSummary {
  fits: boolean;
  /** Why it does not fit (only when `fits` is false). */
  reason?: string;
  totalBytes: number;
  weightBytes: number;
  kvBytes: number;
  limitBytes: number;
  /** Context length the plan was made for. */
  nCtx: number;
}

/** What the header of a GGUF says (filled from the file's first bytes). */
export interface HeaderSummary {
  /** GGUF version. */
  version: number;
  tensorCount: number;
  metadataCount: number;
  /** `general.architecture`, when found in the first metadata entries. */
  architecture?: string;
  /** `general.name`, when found. */
  name?: string;
  /** Total parameter count, when the tensor table was read. */
  parameterCount?: number;
  /** Tensor count per GGML type name, when the tensor table was read. */
  tensorTypes?: Record<string, number>;
  fileBytes: number;
  /** The memory plan, when the engine could make one (a runnable model). */
  plan?: PlanSummary;
  /** Whether the model can load here, and why not (plan verdict, or why the engine can not run it). */
  fit?: { ok: boolean; reason: string };
}

/** One OPFS cache entry as listed to the page. */
export interface CacheEntryInfo {
  key: string;
  /** Expected full size in bytes, when known. */
  size: number | null;
  /** Bytes on disk now. */
  storedBytes: number;
  complete: boolean;
  sha256?: string;
  etag?: string;
  lastModified?: string;
  updatedAt: number;
}

export interface LoadResult {
  source: 'url' | 'file' | 'cache';
  /** The cache key (URL) or the file name. */
  name: string;
  bytes: number;
  /** True when the bytes came from the OPFS cache without a download. */
  fromCache: boolean;
  sha256?: string;
  header: HeaderSummary;
  /** Context length, threads and kernels flavour the model runs with. */
  nCtx: number;
  threads: number;
  flavor: 'st' | 'mt' | 'st-rx' | 'mt-rx';
  /** Milliseconds spent in BitNet.load (weights into WebAssembly memory). */
  loadMs: number;
}

/** Why a generation ended: the runtime's reasons, or 'aborted' (stop button; the partial reply is kept). */
export type StopReason = 'eog' | 'max_tokens' | 'stop_string' | 'context_full' | 'aborted';

export interface GenerateResult {
  text: string;
  /** Generated token ids. */
  tokens: number[];
  /** Prompt token ids (the whole formatted conversation for chat). */
  promptTokens: number[];
  stopReason: StopReason;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** Tokens in the KV cache after this generation. */
  contextUsed: number;
}

/** The result type of each request type. */
export interface ResultMap {
  capabilities: Capabilities;
  'inspect-header': HeaderSummary;
  load: LoadResult;
  generate: GenerateResult;
  abort: { aborted: boolean };
  reset: { ok: true };
  dispose: { ok: true };
  'cache-list': CacheEntryInfo[];
  'cache-delete': { deleted: boolean };
}

/** Events sent before the response. */
export type WorkerEvent =
  /** The header was read and the plan made (before any weight byte moves). */
  | { type: 'header'; header: HeaderSummary; fromCache: boolean }
  /** The previously loaded model was freed to make room for the one being loaded. */
  | { type: 'unloaded' }
  /** download: bytes into the cache; hash: sha-256 of the cached file; load: weights into WebAssembly memory. */
  | { type: 'progress'; phase: 'download' | 'hash' | 'read' | 'load'; loaded: number; total: number | null; resumedFrom?: number }
  | { type: 'token'; text: string; tokenId: number }
  | { type: 'done'; result: GenerateResult }
  | { type: 'error'; code: string; message: string };

/** Error codes the worker uses (others may come from the engine's typed errors). */
export type WorkerErrorCode =
  | 'bad_request'
  | 'aborted'
  | 'kernels_failed'
  | 'not_loaded'
  | 'not_implemented'
  | 'http_error'
  | 'cache_error'
  | 'bad_model'
  | 'does_not_fit'
  | 'internal';

export interface WorkerError {
  code: WorkerErrorCode | string;
  message: string;
}

/** page → worker */
export interface RequestMessage<T extends RequestType = RequestType> {
  kind: 'request';
  id: number;
  body: Extract<RequestBody, { type: T }>;
}

/** worker → page */
export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: ResultMap[RequestType] }
  | { kind: 'response'; id: number; ok: false; error: WorkerError }
  | { kind: 'event'; id: number; event: WorkerEvent };

export function isRequestMessage(x: unknown): x is RequestMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { kind?: unknown; id?: unknown; body?: { type?: unknown } };
  return m.kind === 'request' && typeof m.id === 'number' && typeof m.body === 'object' && m.body !== null && typeof m.body.type === 'string';
}

export function isResponseMessage(x: unknown): x is ResponseMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { kind?: unknown; id?: unknown };
  return (m.kind === 'response' || m.kind === 'event') && typeof m.id === 'number';
}

/** Names of the BN_FEATURE_* bits (native/include/bitnet-common.h). */
export function featureNames(bits: number): string[] {
  const names: string[] = [];
  if (bits & 1) names.push('simd128');
  if (bits & 2) names.push('threads');
  if (bits & 4) names.push('relaxed-simd');
  return names;
}

/** Threads the engine uses: the runtime's defaultThreadCount when threads are available, else 1. */
export function chooseThreads(hardwareConcurrency: number | undefined, threadsAvailable: boolean): number {
  return threadsAvailable ? defaultThreadCount(hardwareConcurrency) : 1;
}
