// Named synthetic-model presets: `2b4t` (exactly BitNet-b1.58-2B-4T's shapes and types, ~1.19 GB),
// `demo` (the web demo's embedded model, ~38 MB, real LLaMA-3 vocabulary) and `tiny` (fast tests).

import { SYNTH_DEFAULTS, type SynthOptions } from './synth';

/** Preset names accepted by the CLI. */
export type SynthPresetName = '2b4t' | 'demo' | 'tiny';

/** Option sets of the presets (CLI flags override `weightType`, `embdType` and `seed`). */
export const PRESETS: Readonly<Record<SynthPresetName, Readonly<SynthOptions>>> = Object.freeze({
  /** BitNet-b1.58-2B-4T shape (spec §3.8): I2_S matrices with per-tensor scales, F16 tied embedding, F32 norms. */
  '2b4t': {
    arch: 'bitnet-b1.58',
    nEmbd: 2560,
    nLayer: 30,
    nHead: 20,
    nHeadKv: 5,
    nFf: 6912,
    nCtx: 4096,
    ropeBase: 500000,
    eps: 1e-5,
    weightType: 'i2_s',
    embdType: 'f16',
    vocab: 'llama3',
    seed: 1,
  },
  /** The embedded web demo: LLaMA-3 vocabulary, head_dim 32, GQA 2:1, fixed seed. */
  demo: {
    arch: 'bitnet-b1.58',
    nEmbd: 128,
    nLayer: 4,
    nHead: 4,
    nHeadKv: 2,
    nFf: 384,
    nCtx: 2048,
    ropeBase: 500000,
    eps: 1e-5,
    weightType: 'i2_s',
    embdType: 'f16',
    vocab: 'llama3',
    seed: 20250417,
  },
  /** Small bytes-vocabulary model for fast tests (n_ff a multiple of 256 so the TQ types work too): the synth defaults. */
  tiny: SYNTH_DEFAULTS,
});
