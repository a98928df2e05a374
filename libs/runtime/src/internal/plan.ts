/**
 * The memory plan: from the GGUF header alone (plus the kernels' packed-size function), the exact
 * bytes the model needs in WebAssembly memory — packed weights, norms, KV cache and scratch — so the
 * engine either grows memory once or refuses before any weight byte is read.
 */
import { GGML_TYPE, ggmlTypeName, type GgufFile, type GgufTensorInfo } from '@bitnet-wasm/gguf';
import { BN_MAX_COLS } from '@bitnet-wasm/kernels';
import { BitNetError } from './errors';
import { findTensor, sameShape, tensorSlots, type HParams, type TensorSlot } from './hparams';

/** ggml type ids (GGUF numbering, the BitNet fork's for I2_S), from the format library. */

/**
 * Rows of the logits buffer (at most): a batch of 64 prompt tokens needs one row, and 64 rows of a
 * 128,256-token vocabulary would be 33 MB of memory that generation never uses; all-logits evaluation
 * (perplexity, scoring) runs in calls of this many tokens instead.
 */
export const LOGIT_ROWS = 8;
export const T = GGML_TYPE;
export const typeName = (t: number): string => ggmlTypeName(t);

/** Types bn_get_rows can read an embedding row from. */
const EMBEDDING_TYPES = new Set<number>([T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_K, T.Q6_K]);
/** Types a head matmul can run on directly (as stored). */
const HEAD_TYPES = new Set<number>([T.F32, T.F16, T.Q8_0]);
const VECTOR_TYPES = new Set<number>([T.F32, T.F16, T.BF16]);

/** The 4 GiB limit of wasm32 memory (what -sMAXIMUM_MEMORY=4GB allows). */
export const WASM32_LIMIT_BYTES = 4 * 1024 ** 3;
/** Alignment of every region carved from the arena. */
const ALIGN = 64;
/** Chunk size for streaming a large tensor through the staging area. */
export const STREAM_CHUNK_BYTES = 8 * 1024 * 1024;

const alignUp = (x: number, a = ALIGN) => Math.ceil(x / a) * a;

export type HeadType = 'f16' | 'q8_0';

export interface PlannedTensor {
  slot: TensorSlot;
  info: GgufTensorInfo;
  /** Type of the data once in memory (after any repacking). */
  packedType: number;
  /** Bytes in the arena (0 when aliased to another tensor, e.g. a tied F32 head). */
  bytes: number;
  /** Offset inside the weights region. */
  offset: number;
  /** How it is loaded. */
  load: 'i2s' | 'rows' | 'direct' | 'vector' | 'scale' | 'alias';
}

export interface MemoryPlan {
  /** Packed weights + norms. */
  weightBytes: number;
  /** KV cache (F16) for nCtx tokens. */
  kvBytes: number;
  /** Scratch activations + attention scratch (state block minus KV). */
  scratchBytes: number;
  /** Staging for streaming tensors in (shares memory with the state block during load). */
  stagingBytes: number;
  /** Logits out (n_vocab × logitRows f32) and token ids in (maxBatch). */
  ioBytes: number;
  /** One arena: weights + io + max(state, staging). */
  totalBytes: number;
  /** Memory the module already uses (memory size minus free heap) before the arena. */
  baseBytes: number;
  limitBytes: number;
  fits: boolean;
  nCtx: number;
  maxBatch: number;
  /**
   * Rows of logits one forward call can return: min(maxBatch, LOGIT_ROWS). Prompts run maxBatch tokens
   * per call and need one row; all-logits evaluation runs logitRows tokens per call.
   */
  logitRows: number;
  headType: HeadType;
  tensors: PlannedTensor[];
  /** Human-readable reason when it does not fit. */
  reason?: string;
}

export interface PlanInputs {
  file: GgufFile;
  hp: HParams;
  nCtx: number;
  maxBatch: number;
  nThreads: number;
  headType: HeadType;
  /** bn_weight_packed_bytes from the kernels (0 = unsupported type/shape). */
  packedBytes: (type: number, rows: number, cols: number) => number;
  /** Bytes of the state block (KV + scratch) for these settings, given the packed matrix types. */
  stateBytes: (nCtx: number) => number;
  kvBytes: (nCtx: number) => number;
  baseBytes: number;
  limitBytes: number;
}

/** Validates every tensor against the hyperparameters and decides how each is stored. */
export function planTensors(file: GgufFile, hp: HParams, headType: HeadType, packedBytes: PlanInputs['packedBytes']): PlannedTensor[] {
  const out: PlannedTensor[] = [];
  let offset = 0;
  const place = (p: Omit<PlannedTensor, 'offset'>) => {
    const t = { ...p, offset: p.bytes > 0 ? offset : -1 };
    offset += alignUp(p.bytes);
    out.push(t);
    return t;
  };
  const tieQ8 = hp.tiedOutput && headType === 'q8_0';
  for (const slot of tensorSlots(hp)) {
    const info = findTensor(file, slot.name);
    if (!info) {
      if (slot.optional) continue;
      throw new BitNetError('missing_tensor', `missing tensor ${slot.name} (architecture ${hp.architecture})`);
    }
    if (!sameShape(info.shape, slot.shape)) {
      throw new BitNetError('bad_shape', `tensor ${slot.name} has shape [${info.shape.join(', ')}], expected [${slot.shape.join(', ')}] from the hyperparameters`);
    }
    const [cols = 1, rows = 1] = slot.shape;
    const unsupported = (why: string) => new BitNetError('unsupported_type', `tensor ${slot.name}: ${typeName(info.type)} ${why}`);
    switch (slot.kind) {
      case 'vector':
        if (!VECTOR_TYPES.has(info.type)) throw unsupported('is not supported for a norm vector (F32, F16, BF16)');
        place({ slot, info, packedType: T.F32, bytes: cols * 4, load: 'vector' });
        break;
      case 'scale':
        if (info.type !== T.F32) throw unsupported('is not supported for a scale (F32)');
        place({ slot, info, packedType: T.F32, bytes: 0, load: 'scale' });
        break;
      case 'matrix': {
        if (cols > BN_MAX_COLS) throw unsupported(`matrix ${rows}×${cols} is wider than the kernels take (at most ${BN_MAX_COLS} columns)`);
        const bytes = packedBytes(info.type, rows, cols);
        if (!bytes) throw unsupported(`is not supported for a ${rows}×${cols} matrix by the kernels`);
        place({ slot, info, packedType: info.type, bytes, load: info.type === T.I2_S ? 'i2s' : 'rows' });
        break;
      }
      case 'embedding': {
        if (!EMBEDDING_TYPES.has(info.type)) throw unsupported('is not supported for the token embedding');
        // a tied Q8_0 table is packed even with an f16 head: the Q8_0 head kernels read their own layout
        if (tieQ8 || (hp.tiedOutput && info.type === T.Q8_0)) {
          // the head and the embedding share one Q8_0 copy; the stored table is never kept
          const bytes = packedBytes(T.Q8_0, rows, cols);
          if (!bytes) throw unsupported('cannot be re-quantized to Q8_0');
          if (!([T.F16, T.F32, T.BF16, T.Q8_0] as number[]).includes(info.type)) throw unsupported('cannot be re-quantized to a Q8_0 head');
          place({ slot, info, packedType: T.Q8_0, bytes, load: 'rows' });
        } else if (hp.tiedOutput && info.type === T.F16) {
          // likewise a tied F16 table: one copy in the head's packed F16 layout (4-row interleaved, the
          // rows padded to a multiple of 4) serves the head and, through bn_weight_get_rows, the lookups
          const bytes = packedBytes(T.F16, rows, cols);
          if (!bytes) throw unsupported(`is not supported for a ${rows}×${cols} head by the kernels`);
          place({ slot, info, packedType: T.F16, bytes, load: 'rows' });
        } else {
          place({ slot, info, packedType: info.type, bytes: info.byteLength, load: 'direct' });
          if (hp.tiedOutput) {
            if (!HEAD_TYPES.has(info.type)) throw unsupported('cannot serve as the output head; use head type q8_0');
            place({ slot: { ...slot, kind: 'output', role: 'output' }, info, packedType: info.type, bytes: 0, load: 'alias' });
          }
        }
        break;
      }
      case 'output': {
        const packedType = headType === 'q8_0' ? T.Q8_0 : info.type;
        if (headType === 'f16' && !HEAD_TYPES.has(info.type)) throw unsupported('cannot serve as the output head; use head type q8_0');
        const bytes = packedBytes(packedType, rows, cols);
        if (!bytes) throw unsupported(`cannot be stored as ${typeName(packedType)}`);
        place({ slot, info, packedType, bytes, load: 'rows' });
        break;
      }
    }
  }
  return out;
}

export function makePlan(inp: PlanInputs, tensors: PlannedTensor[]): MemoryPlan {
  const weightBytes = tensors.reduce((s, t) => s + alignUp(t.bytes), 0);
  const state = inp.stateBytes(inp.nCtx);
  const kvBytes = inp.kvBytes(inp.nCtx);
  let staging = 0;
  for (const t of tensors) {
    if (t.load === 'i2s') staging = Math.max(staging, t.info.byteLength);
    else if (t.load === 'rows') staging = Math.max(staging, Math.min(t.info.byteLength, STREAM_CHUNK_BYTES + t.info.byteLength / Math.max(1, t.info.shape[1] ?? 1)));
    else if (t.load === 'vector') staging = Math.max(staging, t.info.byteLength);
  }
  staging = alignUp(staging);
  const logitRows = Math.min(inp.maxBatch, LOGIT_ROWS);
  const ioBytes = alignUp(4 * inp.hp.nVocab * logitRows) + alignUp(4 * inp.maxBatch);
  const totalBytes = alignUp(weightBytes) + ioBytes + alignUp(Math.max(state, staging)) + ALIGN;
  const fits = inp.baseBytes + totalBytes <= inp.limitBytes;
  const plan: MemoryPlan = {
    weightBytes,
    kvBytes,
    scratchBytes: state - kvBytes,
    stagingBytes: staging,
    ioBytes,
    totalBytes,
    baseBytes: inp.baseBytes,
    limitBytes: inp.limitBytes,
    fits,
    nCtx: inp.nCtx,
    maxBatch: inp.maxBatch,
    logitRows,
    headType: inp.headType,
    tensors,
  };
  return plan;
}

const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;

/** What the caller found the alternatives to be (computed with real plans, not estimates). */
export interface FitAlternatives {
  /** Largest context that fits with the same head, or 0 if none ≥ 16. */
  maxCtx: number;
  /** With a q8_0 head (when it applies): does the requested context fit, and the largest that fits. */
  q8?: { fits: boolean; maxCtx: number };
}

export function notFitReason(p: MemoryPlan, alt: FitAlternatives): string {
  const need = p.baseBytes + p.totalBytes;
  const parts = [
    `the model needs ${need} bytes (${mib(need)}: weights ${mib(p.weightBytes)}, KV cache ${mib(p.kvBytes)} for ${p.nCtx} tokens, scratch ${mib(Math.max(p.scratchBytes, 0))}) but the limit is ${p.limitBytes} bytes (${mib(p.limitBytes)}${p.limitBytes === WASM32_LIMIT_BYTES ? ', the 4 GiB wasm32 maximum' : ''})`,
  ];
  if (alt.maxCtx > 0) parts.push(`lower the context length to at most ${alt.maxCtx}`);
  if (alt.q8?.fits) parts.push("use head type 'q8_0' (re-quantizes the F16 embedding to about half its size)");
  else if (alt.q8 && alt.q8.maxCtx > 0 && alt.maxCtx === 0) parts.push(`use head type 'q8_0' with a context of at most ${alt.q8.maxCtx}`);
  if (parts.length === 1) parts.push(`even at the smallest context${alt.q8 ? ' and with a q8_0 head' : ''} the weights do not fit: this model is too large for wasm32 memory`);
  return parts.join('; ');
}
