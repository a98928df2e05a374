// Vocabularies for synthetic models, as the GGUF `tokenizer.ggml.*` keys want them (spec §4.1–4.2):
// `bytes` — a tiny byte-level BPE (256 GPT-2 byte tokens, merges trained deterministically on a built-in text,
// three LLaMA-3 control tokens) and `llama3` — the real LLaMA-3 vocabulary read from the npm package
// `llama3-tokenizer-js` (so the demo model builds on a fresh clone without any fixture).

import { SynthError } from './errors';

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** A byte-level BPE vocabulary ready to be written as GGUF tokenizer metadata. */
export interface Vocabulary {
  /** `tokenizer.ggml.model` (always `gpt2` here: byte-level BPE). */
  model: 'gpt2';
  /** `tokenizer.ggml.pre`. */
  pre: string;
  /** id → token text in GPT-2 byte-to-unicode form. */
  tokens: string[];
  /** id → llama.cpp token type ({@link TOKEN_TYPE}). */
  tokenTypes: Int32Array;
  /** BPE merges `"<left> <right>"`, rank = index. */
  merges: string[];
  /** BOS id (`<|begin_of_text|>`). */
  bosId: number;
  /** EOS id (`<|end_of_text|>`). */
  eosId: number;
  /** End-of-turn id (`<|eot_id|>`). */
  eotId: number;
  /** `tokenizer.ggml.add_bos_token`. */
  addBos: boolean;
}

/**
 * GPT-2 `bytes_to_unicode` as an ordered list: entry i is `[byte, char]`. Printable bytes (0x21–0x7E, 0xA1–0xAC,
 * 0xAE–0xFF) come first and map to themselves; the other 68 bytes follow in increasing order, mapped to U+0100…
 * This order is also the id order of the 256 byte tokens of the `bytes` vocabulary.
 */
export function byteTokenOrder(): Array<[number, string]> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const isPrintable = new Set(printable);
  const out: Array<[number, string]> = printable.map((b) => [b, String.fromCodePoint(b)]);
  let next = 0x100;
  for (let b = 0; b < 256; b++) if (!isPrintable.has(b)) out.push([b, String.fromCodePoint(next++)]);
  return out;
}

/** byte → GPT-2 byte-level character. */
export function byteToUnicodeTable(): string[] {
  const table = new Array<string>(256);
  for (const [b, ch] of byteTokenOrder()) table[b] = ch;
  return table;
}

/**
 * Training text for the `bytes` vocabulary's merges (our own prose). Changing it changes the `tiny` model's
 * vocabulary; tests derive expectations from the builder, never from a copy of this text.
 */
export const BYTES_VOCAB_CORPUS =
  'The model reads a file of ternary weights and writes one token at a time. ' +
  'Each layer normalizes the hidden state, projects it to queries, keys and values, and attends to the tokens ' +
  'that came before. The feed forward part then mixes the features again. The weights are minus one, zero or ' +
  'plus one, and one scale per tensor brings them back to the right size. This is a small synthetic model: ' +
  'its weights are random, so the text it writes is noise, but the shapes and the file format are the real ones. ' +
  'Tests use it to check that the engine reads the file, runs the layers in the right order and stays finite.';

/** Special tokens appended after the byte tokens and merges, in id order. */
const BYTES_SPECIALS = ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>'] as const;

/** Options of {@link buildBytesVocab}. */
export interface BytesVocabOptions {
  /**
   * Number of BPE merges to learn from the corpus (fewer if the corpus runs out of pairs occurring twice).
   * @default 61
   */
  merges?: number;
  /**
   * Training text.
   * @default BYTES_VOCAB_CORPUS
   */
  corpus?: string;
}

/**
 * The `bytes` vocabulary: ids 0..255 byte tokens in GPT-2 order, then one token per learned merge, then
 * `<|begin_of_text|>` (BOS), `<|end_of_text|>` (EOS), `<|eot_id|>` (EOT) as CONTROL. Merges are learned by plain
 * BPE on the corpus split GPT-2 style (a word keeps its leading space): most frequent adjacent pair first, ties to
 * the lexicographically smallest `"left right"` string — fully deterministic.
 */
export function buildBytesVocab(options: BytesVocabOptions = {}): Vocabulary {
  const nMerges = options.merges ?? 61;
  const corpus = options.corpus ?? BYTES_VOCAB_CORPUS;
  if (!Number.isSafeInteger(nMerges) || nMerges < 0) {
    throw new SynthError('bad_option', `bytes vocab: merges must be a non-negative integer, got ${nMerges}`);
  }
  const table = byteToUnicodeTable();
  const enc = new TextEncoder();
  // word (byte-mapped) → count
  const wordCounts = new Map<string, number>();
  for (const w of corpus.match(/ ?[^ ]+| +/g) ?? []) {
    const mapped = Array.from(enc.encode(w), (b) => table[b]!).join('');
    wordCounts.set(mapped, (wordCounts.get(mapped) ?? 0) + 1);
  }
  const words: Array<{ syms: string[]; count: number }> = [...wordCounts].map(([w, count]) => ({
    syms: Array.from(w),
    count,
  }));
  const tokens = byteTokenOrder().map(([, ch]) => ch);
  const known = new Set(tokens);
  const merges: string[] = [];
  while (merges.length < nMerges) {
    const pairCounts = new Map<string, number>();
    for (const { syms, count } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const key = `${syms[i]} ${syms[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best = '';
    let bestCount = 1; // a pair must occur at least twice to be worth a merge
    for (const [key, c] of pairCounts) {
      if (c > bestCount || (c === bestCount && c > 1 && key < best)) {
        best = key;
        bestCount = c;
      }
    }
    if (best === '') break;
    merges.push(best);
    const sp = best.indexOf(' ', 1);
    const left = best.slice(0, sp);
    const right = best.slice(sp + 1);
    const merged = left + right;
    if (!known.has(merged)) {
      known.add(merged);
      tokens.push(merged);
    }
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === left && w.syms[i + 1] === right) {
          out.push(merged);
          i++;
        } else out.push(w.syms[i]!);
      }
      w.syms = out;
    }
  }
  const firstSpecial = tokens.length;
  tokens.push(...BYTES_SPECIALS);
  const tokenTypes = new Int32Array(tokens.length).fill(TOKEN_TYPE.NORMAL);
  tokenTypes.fill(TOKEN_TYPE.CONTROL, firstSpecial);
  return {
    model: 'gpt2',
    pre: 'llama-bpe',
    tokens,
    tokenTypes,
    merges,
    bosId: firstSpecial,
    eosId: firstSpecial + 1,
    eotId: firstSpecial + 2,
    addBos: true,
  };
}

/** What {@link buildLlama3Vocab} needs from `llama3-tokenizer-js`: its decoded id → token list and merge map. */
export interface Llama3TokenizerData {
  /** id → token text (128,256 entries; ids ≥ 128000 are the special tokens). */
  vocabById: readonly string[];
  /** merge `"left right"` → priority; iteration order is rank order. */
  merges: ReadonlyMap<string, number>;
}

/** Id of the first LLaMA-3 special token; everything from here on is CONTROL. */
const LLAMA3_FIRST_SPECIAL = 128000;

let llama3Cache: Vocabulary | undefined;

/**
 * Load `llama3-tokenizer-js` (its CommonJS bundle, which decodes the package's base64 vocabulary and 17-bit packed
 * merges on construction). Throws SynthError `vocab_unavailable` if the package is not installed.
 */
export function loadLlama3TokenizerData(): Llama3TokenizerData {
  try {
    const mod = require('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs') as {
      llama3Tokenizer: Llama3TokenizerData;
    };
    return mod.llama3Tokenizer;
  } catch (cause) {
    throw new SynthError('vocab_unavailable', 'llama3 vocab: cannot load the npm package llama3-tokenizer-js', {
      cause,
    });
  }
}

/**
 * The LLaMA-3 vocabulary (128,256 tokens, 280,147 merges) as used by BitNet-b1.58-2B-4T: ids ≥ 128000 CONTROL,
 * BOS 128000 `<|begin_of_text|>`, EOS 128001 `<|end_of_text|>`, EOT 128009 `<|eot_id|>`, pre `llama-bpe`,
 * add_bos true. Special ids are looked up by text, not assumed. Cached after the first call when read from the
 * package; pass `data` to build from another source.
 */
export function buildLlama3Vocab(data?: Llama3TokenizerData): Vocabulary {
  if (data === undefined && llama3Cache !== undefined) return llama3Cache;
  const src = data ?? loadLlama3TokenizerData();
  const tokens = Array.from(src.vocabById);
  const merges = Array.from(src.merges.keys());
  const idOf = (text: string): number => {
    const id = tokens.indexOf(text, LLAMA3_FIRST_SPECIAL);
    if (id < 0) throw new SynthError('vocab_unavailable', `llama3 vocab: special token ${text} missing`);
    return id;
  };
  const tokenTypes = new Int32Array(tokens.length).fill(TOKEN_TYPE.NORMAL);
  if (tokens.length > LLAMA3_FIRST_SPECIAL) tokenTypes.fill(TOKEN_TYPE.CONTROL, LLAMA3_FIRST_SPECIAL);
  const vocab: Vocabulary = {
    model: 'gpt2',
    pre: 'llama-bpe',
    tokens,
    tokenTypes,
    merges,
    bosId: idOf('<|begin_of_text|>'),
    eosId: idOf('<|end_of_text|>'),
    eotId: idOf('<|eot_id|>'),
    addBos: true,
  };
  if (data === undefined) llama3Cache = vocab;
  return vocab;
}
