/** Feature detection for choosing a kernel flavour, without compiling a real module. */
export interface WasmFeatures {
  /** WebAssembly SIMD128 validates. */
  simd: boolean;
  /**
   * WebAssembly relaxed SIMD validates (i16x8.relaxed_dot_i8x16_i7x16_s, the op the '-rx'
   * flavours use): Chromium yes; Node 20 only with --experimental-wasm-relaxed-simd.
   */
  relaxedSimd: boolean;
  /** SharedArrayBuffer + Atomics usable (in browsers: the page is cross-origin isolated). */
  threads: boolean;
  /** Why threads are off, when they are. */
  threadsReason?: string;
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

// (module (func (result v128) (i16x8.relaxed_dot_i8x16_i7x16_s (v128.const 0) (v128.const 0))))
const Z16 = new Array<number>(16).fill(0);
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 43, 1, 41, 0,
  253, 12, ...Z16, 253, 12, ...Z16, 253, 146, 2, 11,
]);

/** Whether this engine validates relaxed SIMD (the '-rx' kernel flavours). */
export function hasRelaxedSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_SIMD_PROBE);
}

export function detectWasmFeatures(): WasmFeatures {
  const simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  const relaxedSimd = simd && hasRelaxedSimd();
  let threads = typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
  let threadsReason: string | undefined;
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; WorkerGlobalScope?: unknown };
  const inBrowser = typeof g.document !== 'undefined' || typeof g.WorkerGlobalScope !== 'undefined';
  if (!threads) threadsReason = 'SharedArrayBuffer is not available';
  else if (inBrowser && g.crossOriginIsolated !== true) {
    threads = false;
    threadsReason = 'the page is not cross-origin isolated (needs COOP: same-origin and COEP: require-corp headers)';
  }
  return threadsReason ? { simd, relaxedSimd, threads, threadsReason } : { simd, relaxedSimd, threads };
}
