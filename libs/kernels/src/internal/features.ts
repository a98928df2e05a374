/** Feature detection for choosing a kernel flavour, without compiling a real module. */
export interface WasmFeatures {
  /** WebAssembly SIMD128 validates. */
  simd: boolean;
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

export function detectWasmFeatures(): WasmFeatures {
  const simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  let threads = typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
  let threadsReason: string | undefined;
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; WorkerGlobalScope?: unknown };
  const inBrowser = typeof g.document !== 'undefined' || typeof g.WorkerGlobalScope !== 'undefined';
  if (!threads) threadsReason = 'SharedArrayBuffer is not available';
  else if (inBrowser && g.crossOriginIsolated !== true) {
    threads = false;
    threadsReason = 'the page is not cross-origin isolated (needs COOP: same-origin and COEP: require-corp headers)';
  }
  return threadsReason ? { simd, threads, threadsReason } : { simd, threads };
}
