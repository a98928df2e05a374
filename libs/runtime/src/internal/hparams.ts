/**
 * Hyperparameters and the tensor list a model needs, read from a parsed GGUF. Every number comes from
 * the file (spec §3.2); defaults are only the format's own (llama.cpp's) defaults for optional keys.
 */
import type { GgufFile, GgufTensorInfo } from '@bitnet-wasm/gguf';
import { BitNetError } from './errors';

/** Graph families; the numbers are native/src/model.c's enum bn_arch. */
export const ARCH = { bitnetB158: 0, bitnet: 1, llama: 2 } as const;
export const ROPE = { neox: 0, norm: 1 } as const;

const ARCHITECTURES: Record<string, { arch: number; rope: number; ffn: 'relu2' | 'silu'; subNorms: boolean; tied: 'always' | 'optional' }> = {
  'bitnet-b1.58': { arch: ARCH.bitnetB158, rope: ROPE.neox, ffn: 'relu2', subNorms: true, tied: 'always' },
  'bitnet-25': { arch: ARCH.bitnetB158, rope: ROPE.neox, ffn: 'relu2', subNorms: true, tied: 'always' },
  bitnet: { arch: ARCH.bitnet, rope: ROPE.neox, ffn: 'silu', subNorms: true, tied: 'always' },
  llama: { arch: ARCH.llama, rope: ROPE.norm, ffn: 'silu', subNorms: false, tied: 'optional' },
};
export const SUPPORTED_ARCHITECTURES = Object.keys(ARCHITECTURES);

/** llama.cpp's default when `{arch}.rope.freq_base` is absent (what bitnet.cpp would use too). */
const DEFAULT_ROPE_FREQ_BASE = 10000;

export interface HParams {
  architecture: string;
  arch: number;
  ropeType: number;
  ffnActivation: 'relu2' | 'silu';
  subNorms: boolean;
  nVocab: number;
  nCtxTrain: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  nRot: number;
  eps: number;
  ropeBase: number;
  /** True when the head is the token embedding (no separate output.weight used). */
  tiedOutput: boolean;
}

function num(f: GgufFile, key: string, required: boolean, dflt?: number): number | undefined {
  const v = f.metadata[key];
  if (v === undefined) {
    if (required && dflt === undefined) throw new BitNetError('bad_metadata', `missing metadata key ${key}`);
    return dflt;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n) throw new BitNetError('bad_metadata', `${key} = ${v} is out of range`);
    return Number(v);
  }
  if (Array.isArray(v)) {
    // per-layer arrays (e.g. feed_forward_length): accepted when uniform
    const vals = v.map((x) => (typeof x === 'bigint' ? Number(x) : x));
    if (vals.length > 0 && vals.every((x) => typeof x === 'number' && x === vals[0])) return vals[0] as number;
    throw new BitNetError('bad_metadata', `${key}: per-layer values that differ are not supported`);
  }
  throw new BitNetError('bad_metadata', `${key} must be a number, got ${typeof v}`);
}

function posInt(name: string, v: number | undefined, max = 1 << 30): number {
  if (v === undefined || !Number.isInteger(v) || v <= 0 || v > max) throw new BitNetError('bad_metadata', `${name} must be a positive integer, got ${v}`);
  return v;
}

export function findTensor(f: GgufFile, name: string): GgufTensorInfo | undefined {
  return f.tensors.find((t) => t.name === name);
}

export function readHParams(f: GgufFile): HParams {
  const architecture = typeof f.metadata['general.architecture'] === 'string' ? (f.metadata['general.architecture'] as string) : undefined;
  if (!architecture) throw new BitNetError('bad_metadata', 'missing metadata key general.architecture');
  const a = ARCHITECTURES[architecture];
  if (!a) {
    throw new BitNetError(
      'unsupported_architecture',
      `architecture "${architecture}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`,
    );
  }
  const k = (s: string) => `${architecture}.${s}`;
  const nEmbd = posInt(k('embedding_length'), num(f, k('embedding_length'), true));
  const nLayer = posInt(k('block_count'), num(f, k('block_count'), true), 4096);
  const nHead = posInt(k('attention.head_count'), num(f, k('attention.head_count'), true), 4096);
  const nHeadKv = posInt(k('attention.head_count_kv'), num(f, k('attention.head_count_kv'), false, nHead), 4096);
  if (nHead % nHeadKv !== 0) throw new BitNetError('bad_metadata', `head_count ${nHead} is not a multiple of head_count_kv ${nHeadKv}`);
  const keyLength = num(f, k('attention.key_length'), false);
  const valueLength = num(f, k('attention.value_length'), false);
  if (keyLength === undefined && nEmbd % nHead !== 0) throw new BitNetError('bad_metadata', `embedding_length ${nEmbd} is not a multiple of head_count ${nHead}`);
  const headDim = posInt(k('attention.key_length'), keyLength ?? nEmbd / nHead, 65536);
  if (valueLength !== undefined && valueLength !== headDim) throw new BitNetError('bad_metadata', `value_length ${valueLength} differs from key_length ${headDim}: not supported`);
  const nFf = posInt(k('feed_forward_length'), num(f, k('feed_forward_length'), true));
  const nRot = posInt(k('rope.dimension_count'), num(f, k('rope.dimension_count'), false, headDim), headDim);
  if (nRot % 2 !== 0) throw new BitNetError('bad_metadata', `rope.dimension_count ${nRot} must be even`);
  const eps = num(f, k('attention.layer_norm_rms_epsilon'), true)!;
  if (!(eps > 0 && eps < 1)) throw new BitNetError('bad_metadata', `layer_norm_rms_epsilon ${eps} out of range`);
  const ropeBase = num(f, k('rope.freq_base'), false, DEFAULT_ROPE_FREQ_BASE)!;
  if (!(ropeBase > 0 && Number.isFinite(ropeBase))) throw new BitNetError('bad_metadata', `rope.freq_base ${ropeBase} out of range`);
  const emb = findTensor(f, 'token_embd.weight');
  if (!emb) throw new BitNetError('missing_tensor', 'missing tensor token_embd.weight');
  const tokens = f.metadata['tokenizer.ggml.tokens'];
  const nVocab = posInt(
    k('vocab_size'),
    num(f, k('vocab_size'), false) ?? (Array.isArray(tokens) ? tokens.length : emb.shape[1]),
  );
  const nCtxTrain = posInt(k('context_length'), num(f, k('context_length'), true));
  const hasOutput = findTensor(f, 'output.weight') !== undefined;
  return {
    architecture,
    arch: a.arch,
    ropeType: a.rope,
    ffnActivation: a.ffn,
    subNorms: a.subNorms,
    nVocab,
    nCtxTrain,
    nEmbd,
    nLayer,
    nHead,
    nHeadKv,
    headDim,
    nFf,
    nRot,
    eps,
    ropeBase,
    tiedOutput: a.tied === 'always' || !hasOutput,
  };
}

/** One tensor the graph reads: GGUF name, expected shape (ne0 first), and its slot in model.c. */
export interface TensorSlot {
  name: string;
  shape: number[];
  kind: 'matrix' | 'vector' | 'embedding' | 'output' | 'scale';
  /** model.c role name (bn_model_role_name) */
  role: string;
  layer: number;
  optional?: boolean;
}

export const MATRIX_ROLES = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const;

/** Every tensor the graph uses, with the shape the hyperparameters imply. */
export function tensorSlots(hp: HParams): TensorSlot[] {
  const qDim = hp.nHead * hp.headDim;
  const kvDim = hp.nHeadKv * hp.headDim;
  const out: TensorSlot[] = [
    { name: 'token_embd.weight', shape: [hp.nEmbd, hp.nVocab], kind: 'embedding', role: 'token_embd', layer: -1 },
    { name: 'output_norm.weight', shape: [hp.nEmbd], kind: 'vector', role: 'output_norm', layer: -1 },
  ];
  if (!hp.tiedOutput) out.push({ name: 'output.weight', shape: [hp.nEmbd, hp.nVocab], kind: 'output', role: 'output', layer: -1 });
  const mshape: Record<(typeof MATRIX_ROLES)[number], number[]> = {
    attn_q: [hp.nEmbd, qDim],
    attn_k: [hp.nEmbd, kvDim],
    attn_v: [hp.nEmbd, kvDim],
    attn_output: [qDim, hp.nEmbd],
    ffn_gate: [hp.nEmbd, hp.nFf],
    ffn_up: [hp.nEmbd, hp.nFf],
    ffn_down: [hp.nFf, hp.nEmbd],
  };
  for (let l = 0; l < hp.nLayer; l++) {
    const b = `blk.${l}.`;
    out.push({ name: `${b}attn_norm.weight`, shape: [hp.nEmbd], kind: 'vector', role: 'attn_norm', layer: l });
    out.push({ name: `${b}ffn_norm.weight`, shape: [hp.nEmbd], kind: 'vector', role: 'ffn_norm', layer: l });
    if (hp.subNorms) {
      out.push({ name: `${b}attn_sub_norm.weight`, shape: [qDim], kind: 'vector', role: 'attn_sub_norm', layer: l });
      out.push({ name: `${b}ffn_sub_norm.weight`, shape: [hp.nFf], kind: 'vector', role: 'ffn_sub_norm', layer: l });
    }
    for (const r of MATRIX_ROLES) {
      out.push({ name: `${b}${r}.weight`, shape: mshape[r], kind: 'matrix', role: r, layer: l });
      if (hp.arch === ARCH.bitnet) out.push({ name: `${b}${r}.scale`, shape: [1], kind: 'scale', role: r, layer: l, optional: true });
    }
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  // GGUF may omit trailing 1s or keep them; compare with trailing ones stripped
  const strip = (s: readonly number[]) => {
    const c = [...s];
    while (c.length > 1 && c[c.length - 1] === 1) c.pop();
    return c;
  };
  const x = strip(a);
  const y = strip(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
