// Synthetic BitNet model description and in-memory writer: hyper-parameters → GGUF metadata + tensor list
// (spec §3.2–3.3, §4.1), and deterministic tensor data generated chunk by chunk from a seed (one independent
// PRNG stream per tensor, so omitting or retyping one tensor never changes another). The same ternary matrix and
// per-tensor scale β is produced whatever the weight type, so I2_S, TQ2_0 and TQ1_0 copies hold identical weights.

import { GGML_TYPE, GgufValueType, writeGguf, type GgufWriteKV } from '@bitnet-wasm/gguf';
import { SynthError } from './errors';
import { Rng } from './internal/prng';
import {
  encodeF16Into,
  encodeF32Into,
  encodeI2SCodesInto,
  encodeI2STailInto,
  encodeQ8_0Into,
  encodeTQ1_0Into,
  encodeTQ2_0Into,
  I2_S_TAIL_BYTES,
  Q8_0_BLOCK_BYTES,
  QK8_0,
  QK_I2_S,
  QK_K,
  roundToF16,
  TQ1_0_BLOCK_BYTES,
  TQ2_0_BLOCK_BYTES,
} from './quant';
import { buildBytesVocab, buildLlama3Vocab, type Vocabulary } from './vocab';

/** Architectures the writer knows (spec §3.1). */
export type SynthArch = 'bitnet-b1.58' | 'bitnet-25' | 'bitnet' | 'llama';
/** Type of the seven projection matrices per layer. */
export type SynthWeightType = 'i2_s' | 'tq2_0' | 'tq1_0' | 'f16' | 'f32';
/** Type of `token_embd.weight` (and `output.weight` for `llama`). */
export type SynthEmbdType = 'f16' | 'q8_0' | 'f32';

/** One GGUF key/value record as `writeGguf` takes it. */
export type SynthMetadataEntry = GgufWriteKV;

/** Options of {@link synthModelSpec} / {@link writeSynthModel}. Every field has a default (a tiny model). */
export interface SynthOptions {
  /** `general.architecture`. @default 'bitnet-b1.58' */
  arch?: SynthArch;
  /** n_embd. @default 256 */
  nEmbd?: number;
  /** Number of layers. @default 2 */
  nLayer?: number;
  /** Query heads (head_dim = nEmbd / nHead). @default 4 */
  nHead?: number;
  /** KV heads (must divide nHead). @default 2 */
  nHeadKv?: number;
  /** FFN width. @default 512 */
  nFf?: number;
  /** `{arch}.context_length`. @default 512 */
  nCtx?: number;
  /** `{arch}.rope.freq_base`. @default 500000 */
  ropeBase?: number;
  /** `{arch}.attention.layer_norm_rms_epsilon`. @default 1e-5 */
  eps?: number;
  /** Type of the projection matrices. @default 'i2_s' */
  weightType?: SynthWeightType;
  /** Type of the embedding (and untied output) matrix. @default 'f16' */
  embdType?: SynthEmbdType;
  /** PRNG seed (non-negative safe integer); same seed → byte-identical file. @default 1 */
  seed?: number;
  /** Vocabulary: the tiny byte-level BPE, the real LLaMA-3 one, or a prebuilt {@link Vocabulary}. @default 'bytes' */
  vocab?: 'bytes' | 'llama3' | Vocabulary;
  /** Tensor names (e.g. `blk.0.attn_q.weight`) to leave out. @default [] */
  omitTensors?: string[];
  /** Replacement shapes (ne0 first) by tensor name; data is generated for the new shape. @default {} */
  overrideShapes?: Record<string, number[]>;
  /** Replacement ggml type ids by tensor name. @default {} */
  overrideTypes?: Record<string, number>;
  /** Extra metadata records; a key that already exists is replaced in place. @default [] */
  extraMetadata?: SynthMetadataEntry[];
  /** Metadata keys to remove (after extraMetadata is applied). @default [] */
  dropMetadata?: string[];
  /** Per-tensor ternary scale β is drawn uniformly from [lo, hi] and rounded to f16. @default [0.02, 0.05] */
  scaleRange?: [number, number];
}

/** What a tensor's values are, which decides how they are generated. */
export type SynthTensorKind = 'ternary' | 'norm' | 'embedding';

/** One tensor of a synthetic model. */
export interface SynthTensorSpec {
  /** GGUF tensor name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** ne0 first. */
  shape: number[];
  /** ggml type id. */
  type: number;
  /** How its values are generated: ternary β·T, norm gains, or embedding rows. */
  kind: SynthTensorKind;
  /** Bytes of data in the file (before alignment padding). */
  byteLength: number;
}

/** Full description of a synthetic model: resolved options, metadata, tensors. */
export interface SynthModelSpec {
  /** Options with every default filled in (the vocabulary is resolved into `vocab`). */
  options: Required<Omit<SynthOptions, 'vocab'>>;
  /** The resolved vocabulary written into the tokenizer keys. */
  vocab: Vocabulary;
  /** nEmbd / nHead (also `{arch}.rope.dimension_count`). */
  headDim: number;
  /** Data alignment (`general.alignment`). */
  alignment: number;
  /** Metadata records in file order (after extraMetadata / dropMetadata). */
  metadata: SynthMetadataEntry[];
  /** Tensors in file order (after omitTensors / overrides). */
  tensors: SynthTensorSpec[];
  /** Σ byteLength over tensors (no padding). */
  tensorBytes: number;
}

/** `general.alignment` written into every synthetic file. */
export const SYNTH_ALIGNMENT = 32;

/** Defaults of {@link SynthOptions} (a tiny bytes-vocab model). */
export const SYNTH_DEFAULTS: Readonly<Required<SynthOptions>> = Object.freeze<Required<SynthOptions>>({
  arch: 'bitnet-b1.58',
  nEmbd: 256,
  nLayer: 2,
  nHead: 4,
  nHeadKv: 2,
  nFf: 512,
  nCtx: 512,
  ropeBase: 500000,
  eps: 1e-5,
  weightType: 'i2_s',
  embdType: 'f16',
  seed: 1,
  vocab: 'bytes',
  omitTensors: [],
  overrideShapes: {},
  overrideTypes: {},
  extraMetadata: [],
  dropMetadata: [],
  scaleRange: [0.02, 0.05],
});

const WEIGHT_TYPES: Record<SynthWeightType, { type: number; fileType: number }> = {
  i2_s: { type: GGML_TYPE.I2_S, fileType: 40 }, // bitnet.cpp LLAMA_FTYPE_MOSTLY_I2_S
  tq1_0: { type: GGML_TYPE.TQ1_0, fileType: 36 },
  tq2_0: { type: GGML_TYPE.TQ2_0, fileType: 37 },
  f16: { type: GGML_TYPE.F16, fileType: 1 },
  f32: { type: GGML_TYPE.F32, fileType: 0 },
};

const EMBD_TYPES: Record<SynthEmbdType, number> = {
  f16: GGML_TYPE.F16,
  q8_0: GGML_TYPE.Q8_0,
  f32: GGML_TYPE.F32,
};

/** Types each kind of tensor can be generated in. */
const KIND_TYPES: Record<SynthTensorKind, readonly number[]> = {
  ternary: [GGML_TYPE.I2_S, GGML_TYPE.TQ1_0, GGML_TYPE.TQ2_0, GGML_TYPE.F16, GGML_TYPE.F32, GGML_TYPE.Q8_0],
  norm: [GGML_TYPE.F32, GGML_TYPE.F16, GGML_TYPE.Q8_0],
  embedding: [GGML_TYPE.F16, GGML_TYPE.F32, GGML_TYPE.Q8_0],
};

/** Embedding values are N(0, 1)·EMBD_STD: keeps tied-head logits moderate (std ≈ EMBD_STD·√n_embd). */
const EMBD_STD = 0.5;
/** Norm gains are 1 + NORM_STD·N(0, 1), like the oracle models. */
const NORM_STD = 0.1;

function posInt(what: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new SynthError('bad_option', `${what}: must be a positive integer, got ${v}`);
  return v;
}

/** Data byte length of a tensor of `shape` in ggml type `type`; SynthError if the shape cannot be encoded. */
export function synthTensorByteLength(name: string, shape: readonly number[], type: number): number {
  if (shape.length < 1 || shape.length > 4) throw new SynthError('bad_shape', `${name}: ${shape.length} dimensions`);
  for (const d of shape) posInt(`${name}: dimension`, d);
  const ne0 = shape[0]!;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n)) throw new SynthError('bad_shape', `${name}: element count overflows`);
  const need = (k: number, tname: string): void => {
    if (ne0 % k !== 0) throw new SynthError('bad_shape', `${name}: ne0 = ${ne0} is not a multiple of ${k} (${tname})`);
  };
  switch (type) {
    case GGML_TYPE.F32:
      return n * 4;
    case GGML_TYPE.F16:
      return n * 2;
    case GGML_TYPE.Q8_0:
      need(QK8_0, 'Q8_0');
      return (n / QK8_0) * Q8_0_BLOCK_BYTES;
    case GGML_TYPE.TQ2_0:
      need(QK_K, 'TQ2_0');
      return (n / QK_K) * TQ2_0_BLOCK_BYTES;
    case GGML_TYPE.TQ1_0:
      need(QK_K, 'TQ1_0');
      return (n / QK_K) * TQ1_0_BLOCK_BYTES;
    case GGML_TYPE.I2_S:
      need(QK_I2_S, 'I2_S');
      return n / 4 + I2_S_TAIL_BYTES;
    default:
      throw new SynthError('unsupported_type', `${name}: cannot generate ggml type ${type}`);
  }
}

/** Resolve options, validate them and describe the model's metadata and tensors (no data generated). */
export function synthModelSpec(opts: SynthOptions = {}): SynthModelSpec {
  const o: Required<SynthOptions> = { ...SYNTH_DEFAULTS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) Object.assign(o, { [k]: v }); // undefined = default
  const { arch, nEmbd, nLayer, nHead, nHeadKv, nFf, nCtx, ropeBase, eps, seed, scaleRange } = o;
  if (!['bitnet-b1.58', 'bitnet-25', 'bitnet', 'llama'].includes(arch)) {
    throw new SynthError('bad_option', `arch: unknown architecture "${arch}"`);
  }
  for (const [k, v] of Object.entries({ nEmbd, nLayer, nHead, nHeadKv, nFf, nCtx })) posInt(k, v);
  if (nEmbd % nHead !== 0) throw new SynthError('bad_option', `nHead: ${nHead} does not divide nEmbd ${nEmbd}`);
  if (nHead % nHeadKv !== 0) throw new SynthError('bad_option', `nHeadKv: ${nHeadKv} does not divide nHead ${nHead}`);
  const headDim = nEmbd / nHead;
  if (headDim % 2 !== 0) throw new SynthError('bad_option', `nHead: head_dim ${headDim} must be even for RoPE`);
  if (!(ropeBase > 0) || !Number.isFinite(ropeBase)) throw new SynthError('bad_option', `ropeBase: ${ropeBase}`);
  if (!(eps > 0) || !Number.isFinite(eps)) throw new SynthError('bad_option', `eps: ${eps}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new SynthError('bad_option', `seed: must be a non-negative integer, got ${seed}`);
  const [lo, hi] = scaleRange;
  if (!(lo! > 0 && hi! >= lo! && Number.isFinite(hi))) {
    throw new SynthError('bad_option', `scaleRange: need 0 < lo <= hi, got [${lo}, ${hi}]`);
  }
  const wt = WEIGHT_TYPES[o.weightType];
  if (wt === undefined) throw new SynthError('bad_option', `weightType: unknown "${o.weightType}"`);
  const embdType = EMBD_TYPES[o.embdType];
  if (embdType === undefined) throw new SynthError('bad_option', `embdType: unknown "${o.embdType}"`);
  const vocab = o.vocab === 'bytes' ? buildBytesVocab() : o.vocab === 'llama3' ? buildLlama3Vocab() : o.vocab;
  if (typeof vocab !== 'object' || !Array.isArray(vocab.tokens)) throw new SynthError('bad_option', 'vocab: unknown');
  const nVocab = vocab.tokens.length;

  // --- tensors (spec §3.3), in the order bitnet.cpp's converter writes them
  const base: Array<Omit<SynthTensorSpec, 'byteLength'>> = [];
  const add = (name: string, shape: number[], type: number, kind: SynthTensorKind): void => {
    base.push({ name, shape, type, kind });
  };
  const F32 = GGML_TYPE.F32;
  const nEmbdGqa = headDim * nHeadKv;
  const subNorms = arch !== 'llama';
  add('token_embd.weight', [nEmbd, nVocab], embdType, 'embedding');
  add('output_norm.weight', [nEmbd], F32, 'norm');
  if (arch === 'llama') add('output.weight', [nEmbd, nVocab], embdType, 'embedding');
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}.`;
    add(`${p}attn_norm.weight`, [nEmbd], F32, 'norm');
    add(`${p}attn_q.weight`, [nEmbd, headDim * nHead], wt.type, 'ternary');
    add(`${p}attn_k.weight`, [nEmbd, nEmbdGqa], wt.type, 'ternary');
    add(`${p}attn_v.weight`, [nEmbd, nEmbdGqa], wt.type, 'ternary');
    if (subNorms) add(`${p}attn_sub_norm.weight`, [nEmbd], F32, 'norm');
    add(`${p}attn_output.weight`, [headDim * nHead, nEmbd], wt.type, 'ternary');
    add(`${p}ffn_norm.weight`, [nEmbd], F32, 'norm');
    add(`${p}ffn_gate.weight`, [nEmbd, nFf], wt.type, 'ternary');
    add(`${p}ffn_up.weight`, [nEmbd, nFf], wt.type, 'ternary');
    if (subNorms) add(`${p}ffn_sub_norm.weight`, [nFf], F32, 'norm');
    add(`${p}ffn_down.weight`, [nFf, nEmbd], wt.type, 'ternary');
  }
  const known = new Set(base.map((t) => t.name));
  const checkNames = (what: string, names: Iterable<string>): void => {
    for (const n of names) if (!known.has(n)) throw new SynthError('bad_option', `${what}: no tensor named "${n}"`);
  };
  checkNames('omitTensors', o.omitTensors);
  checkNames('overrideShapes', Object.keys(o.overrideShapes));
  checkNames('overrideTypes', Object.keys(o.overrideTypes));
  const omit = new Set(o.omitTensors);
  const tensors: SynthTensorSpec[] = [];
  for (const t of base) {
    if (omit.has(t.name)) continue;
    const shape = o.overrideShapes[t.name]?.slice() ?? t.shape;
    const type = o.overrideTypes[t.name] ?? t.type;
    if (!KIND_TYPES[t.kind].includes(type)) {
      throw new SynthError('unsupported_type', `${t.name}: cannot generate ${t.kind} data as ggml type ${type}`);
    }
    tensors.push({ ...t, shape, type, byteLength: synthTensorByteLength(t.name, shape, type) });
  }

  // --- metadata (spec §1.8, §3.2, §4.1)
  const U32 = GgufValueType.UINT32;
  const F32V = GgufValueType.FLOAT32;
  const STR = GgufValueType.STRING;
  const A = arch;
  const md: SynthMetadataEntry[] = [
    { key: 'general.architecture', type: STR, value: arch },
    { key: 'general.name', type: STR, value: `synthetic random-weight ${arch} model (not trained, seed ${seed})` },
    { key: 'general.file_type', type: U32, value: wt.fileType },
    { key: 'general.quantization_version', type: U32, value: 2 },
    { key: 'general.alignment', type: U32, value: SYNTH_ALIGNMENT },
    { key: `${A}.vocab_size`, type: U32, value: nVocab },
    { key: `${A}.context_length`, type: U32, value: nCtx },
    { key: `${A}.embedding_length`, type: U32, value: nEmbd },
    { key: `${A}.block_count`, type: U32, value: nLayer },
    { key: `${A}.feed_forward_length`, type: U32, value: nFf },
    { key: `${A}.attention.head_count`, type: U32, value: nHead },
    { key: `${A}.attention.head_count_kv`, type: U32, value: nHeadKv },
    { key: `${A}.attention.layer_norm_rms_epsilon`, type: F32V, value: eps },
    { key: `${A}.rope.freq_base`, type: F32V, value: ropeBase },
    { key: `${A}.rope.dimension_count`, type: U32, value: headDim },
    { key: 'tokenizer.ggml.model', type: STR, value: vocab.model },
    { key: 'tokenizer.ggml.pre', type: STR, value: vocab.pre },
    { key: 'tokenizer.ggml.tokens', type: GgufValueType.ARRAY, arrayType: STR, value: vocab.tokens },
    {
      key: 'tokenizer.ggml.token_type',
      type: GgufValueType.ARRAY,
      arrayType: GgufValueType.INT32,
      value: Array.from(vocab.tokenTypes),
    },
    { key: 'tokenizer.ggml.merges', type: GgufValueType.ARRAY, arrayType: STR, value: vocab.merges },
    { key: 'tokenizer.ggml.bos_token_id', type: U32, value: vocab.bosId },
    { key: 'tokenizer.ggml.eos_token_id', type: U32, value: vocab.eosId },
    { key: 'tokenizer.ggml.eot_token_id', type: U32, value: vocab.eotId },
    { key: 'tokenizer.ggml.add_bos_token', type: GgufValueType.BOOL, value: vocab.addBos },
    { key: 'tokenizer.ggml.add_eos_token', type: GgufValueType.BOOL, value: false },
  ];
  for (const e of o.extraMetadata) {
    const at = md.findIndex((m) => m.key === e.key);
    if (at >= 0) md[at] = e;
    else md.push(e);
  }
  for (const k of o.dropMetadata) {
    const at = md.findIndex((m) => m.key === k);
    if (at < 0) throw new SynthError('bad_option', `dropMetadata: no metadata key "${k}"`);
    md.splice(at, 1);
  }
  const { vocab: _v, ...rest } = o;
  return {
    options: rest,
    vocab,
    headDim,
    alignment: SYNTH_ALIGNMENT,
    metadata: md,
    tensors,
    tensorBytes: tensors.reduce((a, t) => a + t.byteLength, 0),
  };
}

/** Elements generated per chunk (≈ 4 M: a few MB of scratch whatever the tensor size). */
const CHUNK_ELEMENTS = 1 << 22;

/**
 * Generate one tensor's data bytes, in file order, chunk by chunk (concatenated they are `byteLength` bytes).
 * The yielded array is reused for the next chunk: consume (copy or write) it before resuming the generator.
 * Ternary tensors: β is the stream's first draw, then the matrix row-major; norms: 1 + 0.1·N(0,1);
 * embeddings: 0.5·N(0,1).
 */
export function* synthTensorChunks(spec: SynthModelSpec, tensor: SynthTensorSpec): Generator<Uint8Array> {
  const ne0 = tensor.shape[0]!;
  const n = tensor.shape.reduce((a, b) => a * b, 1);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / ne0));
  const chunkN = Math.min(n, rowsPerChunk * ne0);
  const rng = new Rng(spec.options.seed, tensor.name);
  const type = tensor.type;
  const bytesFor = (m: number): number => (type === GGML_TYPE.I2_S ? m / 4 : synthTensorByteLength(tensor.name, [m], type));
  const out = new Uint8Array(bytesFor(chunkN));
  if (tensor.kind === 'ternary') {
    const [lo, hi] = spec.options.scaleRange;
    const beta = roundToF16(lo + (hi - lo) * rng.nextFloat());
    const trits = new Int8Array(chunkN);
    const floats = type === GGML_TYPE.F32 || type === GGML_TYPE.F16 || type === GGML_TYPE.Q8_0 ? new Float32Array(chunkN) : null;
    for (let done = 0; done < n; done += chunkN) {
      const m = Math.min(chunkN, n - done);
      const t = trits.subarray(0, m);
      rng.fillTrits(t);
      const o = out.subarray(0, bytesFor(m));
      if (type === GGML_TYPE.I2_S) encodeI2SCodesInto(t, o);
      else if (type === GGML_TYPE.TQ2_0) encodeTQ2_0Into(t, beta, o);
      else if (type === GGML_TYPE.TQ1_0) encodeTQ1_0Into(t, beta, o);
      else {
        const f = floats!.subarray(0, m);
        for (let i = 0; i < m; i++) f[i] = t[i]! * beta;
        encodeFloats(type, f, o);
      }
      yield o;
    }
    if (type === GGML_TYPE.I2_S) {
      const tail = new Uint8Array(I2_S_TAIL_BYTES);
      encodeI2STailInto(beta, tail);
      yield tail;
    }
    return;
  }
  const mean = tensor.kind === 'norm' ? 1 : 0;
  const std = tensor.kind === 'norm' ? NORM_STD : EMBD_STD;
  const floats = new Float32Array(chunkN);
  for (let done = 0; done < n; done += chunkN) {
    const m = Math.min(chunkN, n - done);
    const f = floats.subarray(0, m);
    rng.fillNormal(f, mean, std);
    const o = out.subarray(0, bytesFor(m));
    encodeFloats(type, f, o);
    yield o;
  }
}

function encodeFloats(type: number, f: Float32Array, o: Uint8Array): void {
  if (type === GGML_TYPE.F32) encodeF32Into(f, o);
  else if (type === GGML_TYPE.F16) encodeF16Into(f, o);
  else encodeQ8_0Into(f, o);
}

/** One tensor's complete data (small models; for large ones stream {@link synthTensorChunks}). */
export function synthTensorData(spec: SynthModelSpec, tensor: SynthTensorSpec): Uint8Array {
  const data = new Uint8Array(tensor.byteLength);
  let at = 0;
  for (const chunk of synthTensorChunks(spec, tensor)) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return data;
}

/** Build a whole synthetic GGUF file in memory (small models: tests, the demo). Deterministic for a seed. */
export function writeSynthModel(opts: SynthOptions = {}): Uint8Array {
  const spec = synthModelSpec(opts);
  return writeGguf({
    metadata: spec.metadata,
    tensors: spec.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, data: synthTensorData(spec, t) })),
    alignment: spec.alignment,
  });
}
