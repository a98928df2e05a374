/**
 * Pre-tokenizers of byte-level BPE vocabularies, selected by `tokenizer.ggml.pre`, with llama.cpp's semantics:
 * a pre-tokenizer is a list of regexes; each one refines the pieces left by the previous one, and the text between
 * two matches of a regex inside a piece becomes a piece of its own (nothing is ever dropped). Lookaheads see only
 * the current piece. Character classes follow llama.cpp's Unicode tables: \p{L} letters, \p{N} numbers, \p{P}
 * punctuation, and \s = the Unicode White_Space set (which, unlike JavaScript's \s, includes U+0085 and excludes U+FEFF).
 */

/** White_Space (Unicode PropList), as a character-class body. */
const WS = '\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const S = `[${WS}]`;
const NOT_S = `[^${WS}]`;

/** LLaMA-3 (tiktoken cl100k style): case-insensitive contractions, letters with one optional leading non-letter, numbers in groups of up to 3. */
const LLAMA3 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])" +
  '|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+' +
  '|\\p{N}{1,3}' +
  `| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*` +
  `|${S}*[\\r\\n]+` +
  `|${S}+(?!${NOT_S})` +
  `|${S}+`;

/**
 * GPT-2: case-sensitive contractions, an optional single space before letters, numbers or other symbols. The final
 * `\s+` is not in the GPT-2 pattern, but a lone whitespace character it catches would be a piece of its own anyway.
 */
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d" + '| ?\\p{L}+| ?\\p{N}+' + `| ?[^${WS}\\p{L}\\p{N}]+` + `|${S}+(?!${NOT_S})` + `|${S}+`;

/** llama.cpp's default for BPE vocabularies without a known `pre`: punctuation runs, then GPT-2, then digit runs, then groups of three ASCII digits. */
const DEFAULT = ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'];

/** The pre-tokenizer families implemented here. */
export type PreTokenizerKind = 'llama3' | 'gpt2' | 'default';

/** `tokenizer.ggml.pre` values and the family they select (llama.cpp's names). */
const PRE_ALIASES: Record<string, PreTokenizerKind> = {
  'llama-bpe': 'llama3',
  llama3: 'llama3',
  'llama-v3': 'llama3',
  'gpt-2': 'gpt2',
  'phi-2': 'gpt2',
  'jina-es': 'gpt2',
  'jina-de': 'gpt2',
  'jina-v1-en': 'gpt2',
  'jina-v2-es': 'gpt2',
  'jina-v2-de': 'gpt2',
  'jina-v2-code': 'gpt2',
  default: 'default',
};

/** The family for a `pre` value, or undefined when it is not one we implement. */
export function preTokenizerKind(pre: string): PreTokenizerKind | undefined {
  return Object.prototype.hasOwnProperty.call(PRE_ALIASES, pre) ? PRE_ALIASES[pre] : undefined;
}

/** Splits text into pre-tokens (words) for one family. */
export class PreTokenizer {
  private readonly regexes: RegExp[];

  constructor(readonly kind: PreTokenizerKind) {
    const sources = kind === 'llama3' ? [LLAMA3] : kind === 'gpt2' ? [GPT2] : DEFAULT;
    this.regexes = sources.map((s) => new RegExp(s, 'gu'));
  }

  /** Calls `emit` with each pre-token of `text`, in order; their concatenation is `text`. */
  split(text: string, emit: (word: string) => void): void {
    if (text.length === 0) return;
    this.refine(0, text, emit);
  }

  private refine(level: number, piece: string, emit: (word: string) => void): void {
    const re = this.regexes[level];
    if (!re) {
      emit(piece);
      return;
    }
    const last = level === this.regexes.length - 1;
    const out = last ? emit : (w: string) => this.refine(level + 1, w, emit);
    re.lastIndex = 0;
    let pos = 0;
    for (;;) {
      const m = re.exec(piece);
      if (m === null) break;
      const start = m.index;
      const word = m[0];
      if (word.length === 0) {
        re.lastIndex++; // none of our patterns matches empty, but never loop forever
        continue;
      }
      if (start > pos) out(piece.slice(pos, start));
      out(word);
      pos = start + word.length;
    }
    if (pos < piece.length) out(pos === 0 ? piece : piece.slice(pos));
  }
}
