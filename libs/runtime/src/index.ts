/**
 * @bitnet-wasm/runtime — BitNet b1.58 inference on WebAssembly: load a GGUF (memory plan first, then
 * tensors streamed into place), evaluate, sample, and stream text. Isomorphic; Node users import
 * `@bitnet-wasm/runtime/node`, which also loads the kernels and opens files by path.
 */
export {
  BitNet,
  inspectModel,
  defaultThreadCount,
  type LoadOptions,
  type GenerateOptions,
  type TokenEvent,
  type Completion,
  type Timings,
  type ChatMessage,
  type ModelInfo,
  type LoadTimings,
} from './internal/model';
export { BitNetError, type BitNetErrorCode } from './internal/errors';
export { benchmarkTokens, type BenchmarkOptions, type BenchmarkTest } from './internal/benchmark';
export { Sampler, argmax, DEFAULT_SAMPLING, GREEDY, type SamplingOptions } from './internal/sampler';
export { StopMatcher } from './internal/stop';
export { readHParams, SUPPORTED_ARCHITECTURES, type HParams } from './internal/hparams';
export { WASM32_LIMIT_BYTES, type MemoryPlan, type HeadType } from './internal/plan';
