/**
 * @bitnet-wasm/kernels — typed loader for the WebAssembly kernels built from `native/`.
 *
 * Isomorphic: this entry takes an emscripten factory (however the host obtained it) plus the wasm
 * bytes or a URL resolver. `@bitnet-wasm/kernels/node` wires it to the files in `dist/wasm` for Node;
 * a browser Worker loads the glue with `importScripts` and passes `self.createBitnetSt|Mt`.
 */
export { KernelsError, type KernelsErrorCode, statusName, checkStatus } from './internal/errors';
export {
  createKernels,
  wasmFileNames,
  isThreadedFlavor,
  relaxedFlavor,
  baseFlavor,
  factoryName,
  BN_FEATURE_SIMD128,
  BN_FEATURE_THREADS,
  BN_FEATURE_RELAXED_SIMD,
  EXPECTED_ABI_VERSION,
  type Kernels,
  type KernelsFlavor,
  type EmscriptenFactory,
  type EmscriptenModule,
  type CreateKernelsOptions,
} from './internal/loader';
export { detectWasmFeatures, hasRelaxedSimd, type WasmFeatures } from './internal/features';
export { BnType, BN_MAX_COLS, allocWeight, writeWeight, readWeight, type BnWeightFields } from './internal/weights';
