/**
 * Reads and validates the `tokenizer.ggml.*` metadata of a GGUF (spec §4.1) into a plain vocabulary description:
 * token texts, types, scores, merges, special ids and flags, with llama.cpp's defaults for missing optional keys.
 * Everything the tokenizers use comes from the metadata; the only constants are llama.cpp's documented defaults.
 */
import { TokenizerError } from './errors';
import { preTokenizerKind, type PreTokenizerKind } from './pretokenize';

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const TokenType = { UNDEFINED: 0, NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** Texts that end a generation whatever the metadata says (llama.cpp's list). */
export const EOG_TEXTS: readonly string[] = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|eom_id|>', '<EOT>'];

/** Texts llama.cpp recognises as an end-of-turn token when `eot_token_id` is absent, in the order tried here. */
const EOT_TEXTS: readonly string[] = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<EOT>'];

export interface VocabSpec {
  model: 'gpt2' | 'llama';
  /** The `pre` value as written (or 'default' when absent). */
  pre: string;
  preKind: PreTokenizerKind;
  tokens: string[];
  types: Uint8Array;
  scores: Float32Array | undefined;
  merges: string[];
  bosId: number | undefined;
  eosId: number | undefined;
  eotId: number | undefined;
  eomId: number | undefined;
  unkId: number | undefined;
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
  ignoreMerges: boolean;
  chatTemplate: string | undefined;
}

type Md = Record<string, unknown>;

function has(md: Md, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(md, key) && md[key] !== undefined;
}

function str(md: Md, key: string): string | undefined {
  if (!has(md, key)) return undefined;
  const v = md[key];
  if (typeof v !== 'string') throw new TokenizerError('bad_vocab', `tokenizer: metadata "${key}" is not a string`);
  return v;
}

function bool(md: Md, key: string): boolean | undefined {
  if (!has(md, key)) return undefined;
  const v = md[key];
  if (typeof v !== 'boolean') throw new TokenizerError('bad_vocab', `tokenizer: metadata "${key}" is not a bool`);
  return v;
}

function int(md: Md, key: string): number | undefined {
  if (!has(md, key)) return undefined;
  const v = md[key];
  const n = typeof v === 'bigint' ? (v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TokenizerError('bad_vocab', `tokenizer: metadata "${key}" is not an integer`);
  return n;
}

function arr(md: Md, key: string): unknown[] | undefined {
  if (!has(md, key)) return undefined;
  const v = md[key];
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new TokenizerError('bad_vocab', `tokenizer: metadata "${key}" is not an array`);
  return v as unknown[];
}

/** Parses and validates the tokenizer metadata. */
export function readVocab(md: Md, warn: (msg: string) => void): VocabSpec {
  const model = str(md, 'tokenizer.ggml.model');
  if (model === undefined) throw new TokenizerError('missing_key', 'tokenizer: metadata "tokenizer.ggml.model" is missing');
  if (model !== 'gpt2' && model !== 'llama') {
    throw new TokenizerError('unknown_model', `tokenizer: tokenizer.ggml.model "${model}" is not supported (expected gpt2 or llama)`);
  }

  const rawTokens = arr(md, 'tokenizer.ggml.tokens');
  if (rawTokens === undefined) throw new TokenizerError('missing_key', 'tokenizer: metadata "tokenizer.ggml.tokens" is missing');
  const n = rawTokens.length;
  if (n === 0) throw new TokenizerError('bad_vocab', 'tokenizer: tokenizer.ggml.tokens is empty');
  const tokens = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const t = rawTokens[i];
    if (typeof t !== 'string') throw new TokenizerError('bad_vocab', `tokenizer: token ${i} is not a string`);
    tokens[i] = t;
  }

  const types = new Uint8Array(n).fill(TokenType.NORMAL);
  const rawTypes = arr(md, 'tokenizer.ggml.token_type');
  if (rawTypes !== undefined) {
    if (rawTypes.length !== n) {
      throw new TokenizerError('bad_vocab', `tokenizer: token_type has ${rawTypes.length} entries for ${n} tokens`);
    }
    for (let i = 0; i < n; i++) {
      const t = rawTypes[i];
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 6) {
        throw new TokenizerError('bad_vocab', `tokenizer: token ${i} has type ${String(t)} (expected 0..6)`);
      }
      types[i] = t;
    }
  }

  let scores: Float32Array | undefined;
  const rawScores = arr(md, 'tokenizer.ggml.scores');
  if (rawScores !== undefined) {
    if (rawScores.length !== n) throw new TokenizerError('bad_vocab', `tokenizer: scores has ${rawScores.length} entries for ${n} tokens`);
    scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const s = rawScores[i];
      if (typeof s !== 'number' || Number.isNaN(s)) throw new TokenizerError('bad_vocab', `tokenizer: score ${i} is not a number`);
      scores[i] = s;
    }
  }

  let merges: string[] = [];
  if (model === 'gpt2') {
    const rawMerges = arr(md, 'tokenizer.ggml.merges');
    if (rawMerges === undefined) throw new TokenizerError('missing_key', 'tokenizer: metadata "tokenizer.ggml.merges" is missing (required for gpt2)');
    merges = new Array<string>(rawMerges.length);
    for (let i = 0; i < rawMerges.length; i++) {
      const m = rawMerges[i];
      if (typeof m !== 'string') throw new TokenizerError('bad_merges', `tokenizer: merge ${i} is not a string`);
      if (m.indexOf(' ', 1) < 0) throw new TokenizerError('bad_merges', `tokenizer: merge ${i} ${JSON.stringify(m)} has no separating space`);
      merges[i] = m;
    }
  }

  // pre-tokenizer (BPE only)
  let pre = str(md, 'tokenizer.ggml.pre');
  let preKind: PreTokenizerKind = 'default';
  if (model === 'gpt2') {
    if (pre === undefined) {
      warn('tokenizer: tokenizer.ggml.pre is missing; using the default BPE pre-tokenizer (as llama.cpp does)');
      pre = 'default';
    } else {
      const k = preTokenizerKind(pre);
      if (k === undefined) warn(`tokenizer: unknown tokenizer.ggml.pre "${pre}"; using the default BPE pre-tokenizer`);
      preKind = k ?? 'default';
    }
  } else {
    pre = pre ?? 'default';
  }

  // special ids: an id outside the vocabulary is ignored with a warning (llama.cpp does the same)
  const special = (key: string): number | undefined => {
    const id = int(md, key);
    if (id === undefined) return undefined;
    if (id < 0 || id >= n) {
      warn(`tokenizer: ${key} = ${id} is outside the vocabulary (${n} tokens); ignored`);
      return undefined;
    }
    return id;
  };
  const byText = (text: string): number | undefined => {
    const i = tokens.indexOf(text);
    return i >= 0 ? i : undefined;
  };
  let bosId = special('tokenizer.ggml.bos_token_id');
  let eosId = special('tokenizer.ggml.eos_token_id');
  let eotId = special('tokenizer.ggml.eot_token_id');
  const eomId = special('tokenizer.ggml.eom_token_id');
  let unkId = special('tokenizer.ggml.unknown_token_id');
  if (model === 'llama') {
    // SentencePiece vocabularies written without the keys: llama.cpp's defaults are the tokens <s>, </s>, <unk>.
    if (!has(md, 'tokenizer.ggml.bos_token_id')) bosId = byText('<s>');
    if (!has(md, 'tokenizer.ggml.eos_token_id')) eosId = byText('</s>');
    if (!has(md, 'tokenizer.ggml.unknown_token_id')) unkId = byText('<unk>');
  }
  if (eotId === undefined && !has(md, 'tokenizer.ggml.eot_token_id')) {
    for (const t of EOT_TEXTS) {
      const id = byText(t);
      if (id !== undefined) {
        eotId = id;
        break;
      }
    }
  }

  const ignoreMerges = model === 'gpt2' && preKind === 'llama3';
  const addBos = bool(md, 'tokenizer.ggml.add_bos_token') ?? (model === 'llama' || ignoreMerges);
  const addEos = bool(md, 'tokenizer.ggml.add_eos_token') ?? false;
  const addSpacePrefix = bool(md, 'tokenizer.ggml.add_space_prefix') ?? model === 'llama';
  if (addBos && bosId === undefined) throw new TokenizerError('missing_key', 'tokenizer: add_bos_token is true but there is no valid bos_token_id');
  if (addEos && eosId === undefined) throw new TokenizerError('missing_key', 'tokenizer: add_eos_token is true but there is no valid eos_token_id');

  const chatTemplate = has(md, 'tokenizer.chat_template') ? str(md, 'tokenizer.chat_template') : undefined;

  return { model, pre, preKind, tokens, types, scores, merges, bosId, eosId, eotId, eomId, unkId, addBos, addEos, addSpacePrefix, ignoreMerges, chatTemplate };
}
