// Public API of @bitnet-wasm/tools-models: tensor encoders/decoders, vocabularies, the synthetic model description
// and in-memory writer, presets. Isomorphic; the streaming file writer is in ./node (src/node.ts).

export { SynthError } from './errors';
export type { SynthErrorCode } from './errors';
export {
  QK_I2_S,
  I2_S_TAIL_BYTES,
  QK_K,
  TQ1_0_BLOCK_BYTES,
  TQ2_0_BLOCK_BYTES,
  QK8_0,
  Q8_0_BLOCK_BYTES,
  f32ToF16,
  f16ToF32,
  roundToF16,
  encodeF16,
  encodeF16Into,
  decodeF16,
  encodeF32,
  encodeF32Into,
  decodeF32,
  encodeQ8_0,
  encodeQ8_0Into,
  decodeQ8_0,
  i2sByteLength,
  encodeI2S,
  encodeI2SCodesInto,
  encodeI2STailInto,
  decodeI2S,
  tq2ByteLength,
  encodeTQ2_0,
  encodeTQ2_0Into,
  decodeTQ2_0,
  tq1ByteLength,
  encodeTQ1_0,
  encodeTQ1_0Into,
  decodeTQ1_0,
} from './quant';
export type { DecodedTernary } from './quant';
export {
  TOKEN_TYPE,
  BYTES_VOCAB_CORPUS,
  byteTokenOrder,
  byteToUnicodeTable,
  buildBytesVocab,
  buildLlama3Vocab,
  loadLlama3TokenizerData,
} from './vocab';
export type { Vocabulary, BytesVocabOptions, Llama3TokenizerData } from './vocab';
export {
  SYNTH_ALIGNMENT,
  SYNTH_DEFAULTS,
  synthModelSpec,
  synthTensorByteLength,
  synthTensorChunks,
  synthTensorData,
  writeSynthModel,
} from './synth';
export type {
  SynthArch,
  SynthWeightType,
  SynthEmbdType,
  SynthMetadataEntry,
  SynthOptions,
  SynthTensorKind,
  SynthTensorSpec,
  SynthModelSpec,
} from './synth';
export { PRESETS } from './presets';
export type { SynthPresetName } from './presets';
