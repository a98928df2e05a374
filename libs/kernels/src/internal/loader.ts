/**
 * Loads one flavour of the emscripten-built kernels and wraps it in a small typed object that owns
 * the heap views. The flat C ABI (native/include/*.h) is reached through `k.fn.<name>` — every
 * exported C function keeps its C name without the leading underscore.
 */
import { KernelsError, checkStatus } from './errors';

/**
 * Which build: 'st' single thread + SIMD128, 'mt' pthreads + SIMD128, and their relaxed-SIMD
 * variants 'st-rx' / 'mt-rx' (ternary decode with i16x8.relaxed_dot_i8x16_i7x16_s; present only
 * when the kernels were built with clang-19 installed; they validate only where the engine has
 * relaxed SIMD, e.g. Chromium, or Node 20 with --experimental-wasm-relaxed-simd).
 */
export type KernelsFlavor = 'st' | 'mt' | 'st-rx' | 'mt-rx';

/** Whether a flavour is a threaded build ('mt', 'mt-rx'). */
export function isThreadedFlavor(flavor: KernelsFlavor): boolean {
  return flavor === 'mt' || flavor === 'mt-rx';
}

/** The relaxed-SIMD variant of a flavour ('st' -> 'st-rx'; rx flavours map to themselves). */
export function relaxedFlavor(flavor: KernelsFlavor): 'st-rx' | 'mt-rx' {
  return isThreadedFlavor(flavor) ? 'mt-rx' : 'st-rx';
}

/** The SIMD128 flavour a relaxed one falls back to ('st-rx' -> 'st'; others map to themselves). */
export function baseFlavor(flavor: KernelsFlavor): 'st' | 'mt' {
  return isThreadedFlavor(flavor) ? 'mt' : 'st';
}

export const BN_FEATURE_SIMD128 = 1;
export const BN_FEATURE_THREADS = 2;
export const BN_FEATURE_RELAXED_SIMD = 4;
/** The ABI version of native/include/bitnet-common.h this wrapper was written for. */
export const EXPECTED_ABI_VERSION = 1;

/** The parts of an emscripten module instance we use. */
export interface EmscriptenModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  [cFunction: `_${string}`]: ((...args: number[]) => number | void) | undefined;
}

export type EmscriptenFactory = (moduleArg: Record<string, unknown>) => Promise<EmscriptenModule>;

export interface CreateKernelsOptions {
  /** Which build this factory belongs to. */
  flavor: KernelsFlavor;
  /** The `.wasm` bytes; or leave undefined and give `locateFile`. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Resolves `bitnet-<flavor>.wasm` / `.worker.js` to a URL or path. */
  locateFile?: (file: string) => string;
  /** For the threaded flavour: URL/path of the glue script the pthread workers must load. */
  mainScriptUrlOrBlob?: string | Blob;
  /**
   * Threaded flavour: total thread count the engine will use (the calling thread included). That
   * many minus one workers are started before the module resolves, so later thread starts never
   * wait on the host's event loop.
   * @default 1
   */
  threads?: number;
}

export interface Kernels {
  readonly flavor: KernelsFlavor;
  readonly module: EmscriptenModule;
  /** Bit set of BN_FEATURE_* compiled into this build. */
  readonly features: number;
  /** Exported C functions by C name (without the underscore). */
  readonly fn: Readonly<Record<string, (...args: number[]) => number>>;
  /** Current heap views (re-read after memory growth). */
  heapU8(): Uint8Array;
  heapF32(): Float32Array;
  heapI32(): Int32Array;
  /** malloc that throws a KernelsError('out_of_memory') instead of returning 0. */
  malloc(bytes: number): number;
  free(ptr: number): void;
  /** Throws on a non-zero bn_status. */
  check(status: number, what: string): void;
  /** The current WebAssembly memory size in bytes. */
  memoryBytes(): number;
  /**
   * Stops the kernel thread pool and terminates the emscripten pthread workers (they keep a Node
   * process alive). The instance must not be used afterwards.
   */
  dispose(): void;
}

/** The global a flavour's glue defines when loaded as a classic script (same for '-rx'). */
export function factoryName(flavor: KernelsFlavor): 'createBitnetSt' | 'createBitnetMt' {
  return isThreadedFlavor(flavor) ? 'createBitnetMt' : 'createBitnetSt';
}

/** File names of a flavour's build in dist/wasm (the glue's factory is createBitnetSt or createBitnetMt). */
export function wasmFileNames(flavor: KernelsFlavor): { glue: string; wasm: string; worker?: string } {
  const base = `bitnet-${flavor}`;
  return isThreadedFlavor(flavor)
    ? { glue: `${base}.js`, wasm: `${base}.wasm`, worker: `${base}.worker.js` }
    : { glue: `${base}.js`, wasm: `${base}.wasm` };
}

export async function createKernels(factory: EmscriptenFactory, opts: CreateKernelsOptions): Promise<Kernels> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const moduleArg: Record<string, unknown> = {
    // Emscripten prints through these; keep stdout clean for CLIs that print JSON.
    print: () => {},
    printErr: (s: string) => {
      if (typeof console !== 'undefined') console.warn(`[bitnet-wasm] ${s}`);
    },
  };
  if (opts.wasmBinary) moduleArg.wasmBinary = opts.wasmBinary;
  if (opts.locateFile) moduleArg.locateFile = opts.locateFile;
  if (opts.mainScriptUrlOrBlob) moduleArg.mainScriptUrlOrBlob = opts.mainScriptUrlOrBlob;
  // emscripten 3.1.6's glue never finishes loading with an empty pthread pool, so keep at least one worker.
  if (isThreadedFlavor(opts.flavor)) moduleArg.bnPoolSize = Math.max(1, threads - 1);

  let mod: EmscriptenModule;
  try {
    mod = await factory(moduleArg);
  } catch (e) {
    throw new KernelsError('load_failed', `could not instantiate the ${opts.flavor} kernels: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  const fn: Record<string, (...args: number[]) => number> = {};
  for (const key of Object.keys(mod)) {
    const v = (mod as unknown as Record<string, unknown>)[key];
    if (key.startsWith('_bn_') && typeof v === 'function') fn[key.slice(1)] = v as (...args: number[]) => number;
  }
  const abi = fn.bn_abi_version?.();
  if (abi !== EXPECTED_ABI_VERSION) {
    throw new KernelsError('abi_mismatch', `kernels ABI ${abi} but this wrapper expects ${EXPECTED_ABI_VERSION}: rebuild with nx run kernels:build-wasm`);
  }
  const features = fn.bn_features?.() ?? 0;
  return {
    flavor: opts.flavor,
    module: mod,
    features,
    fn,
    heapU8: () => mod.HEAPU8,
    heapF32: () => mod.HEAPF32,
    heapI32: () => mod.HEAP32,
    malloc(bytes: number): number {
      const p = bytes > 0 ? mod._malloc(bytes) : 0;
      if (!p) throw new KernelsError('out_of_memory', `could not allocate ${bytes} bytes in WebAssembly memory`);
      return p >>> 0;
    },
    free: (ptr: number) => mod._free(ptr),
    check: checkStatus,
    memoryBytes: () => mod.HEAPU8.buffer.byteLength,
    dispose(): void {
      fn.bn_threads_init?.(1);
      (mod as unknown as { PThread?: { terminateAllThreads?: () => void } }).PThread?.terminateAllThreads?.();
    },
  };
}
