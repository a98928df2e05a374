/**
 * The Tokenizer facade: builds the BPE or SPM encoder from GGUF tokenizer metadata and owns encoding (special-token
 * partition, BOS/EOS), decoding (per-token byte pieces, one U+FFFD per invalid sequence, never a throw for bad
 * bytes), the streaming detokenizer, the end-of-generation set and chat formatting.
 */
import { BpeEncoder } from './bpe';
import { codepointToByte } from './byte-map';
import { JinjaChatTemplate, renderBitnetChat, type ChatMessage } from './chat';
import { TokenizerError } from './errors';
import { PreTokenizer } from './pretokenize';
import { SpecialSplitter, type SpecialToken } from './specials';
import { SpmEncoder } from './spm';
import { EOG_TEXTS, readVocab, TokenType, type VocabSpec } from './vocab';
import { StringIdTable } from './tables';

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Prepend the BOS token. @default tokenizer.addBos (the file's add_bos_token, or llama.cpp's default) */
  addBos?: boolean;
  /** Append the EOS token. @default tokenizer.addEos (the file's add_eos_token, else false) */
  addEos?: boolean;
  /** Turn the texts of CONTROL tokens (e.g. `<|eot_id|>`) into their ids instead of tokenizing them as plain text. @default false */
  parseSpecial?: boolean;
}

/** Options of {@link Tokenizer.decode}. */
export interface DecodeOptions {
  /** Render CONTROL/UNKNOWN tokens as nothing; when false they render as their text. @default true */
  skipSpecial?: boolean;
}

/** Options of {@link Tokenizer.createStreamDecoder}. */
export interface StreamDecoderOptions {
  /** As in {@link DecodeOptions}. @default true */
  skipSpecial?: boolean;
  /**
   * Treat the stream as the start of a sequence, as {@link Tokenizer.decode} does: with a SentencePiece vocabulary
   * that adds a space prefix, the first token after an optional BOS loses one leading space. Leave false when
   * streaming a continuation (generated tokens after a prompt), whose leading space is real. @default false
   */
  stripLeadingSpace?: boolean;
}

/** Options of {@link Tokenizer.applyChatTemplate} and {@link Tokenizer.encodeChat}. */
export interface ChatOptions {
  /** End with the assistant's turn header so that the model writes the reply. @default true */
  addGenerationPrompt?: boolean;
}

/** Options of {@link Tokenizer.fromMetadata}. */
export interface TokenizerOptions {
  /** Called with non-fatal problems (unknown `pre`, special ids outside the vocabulary). @default console.warn */
  onWarning?: (msg: string) => void;
}

/** Incremental detokenizer: emits text token by token, holding back incomplete UTF-8 sequences. */
export interface StreamDecoder {
  /** The text that token completes (possibly empty while a multi-byte character is still incomplete). */
  push(id: number): string;
  /** Ends the stream: a still-incomplete sequence comes out as U+FFFD. The decoder can then be reused. */
  flush(): string;
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/** A GGUF vocabulary's tokenizer (`tokenizer.ggml.model` gpt2 = byte-level BPE, llama = SentencePiece). */
export class Tokenizer {
  /** `gpt2` (byte-level BPE) or `llama` (SentencePiece). */
  readonly model: 'gpt2' | 'llama';
  /** `tokenizer.ggml.pre` as written ('default' when absent). */
  readonly pre: string;
  /** Number of tokens in the vocabulary. */
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /** End-of-turn token (`eot_token_id`, else detected by text such as `<|eot_id|>`). */
  readonly eotId: number | undefined;
  readonly eomId: number | undefined;
  readonly unkId: number | undefined;
  /** Whether encode() prepends BOS by default. */
  readonly addBos: boolean;
  /** Whether encode() appends EOS by default. */
  readonly addEos: boolean;
  /** SentencePiece: prefix a space to text at the start and after special tokens. */
  readonly addSpacePrefix: boolean;
  /** `tokenizer.chat_template`, when the file has one. */
  readonly chatTemplate: string | undefined;
  /** End-of-generation ids: eos, eot, eom and every token whose text is a known end marker. */
  readonly eogIds: ReadonlySet<number>;

  private readonly tokens: string[];
  private readonly types: Uint8Array;
  private readonly scores: Float32Array | undefined;
  private readonly splitter: SpecialSplitter;
  private readonly bpe: BpeEncoder | undefined;
  private readonly preTokenizer: PreTokenizer | undefined;
  private readonly spm: SpmEncoder | undefined;
  private readonly pieces: (Uint8Array | undefined)[];
  private readonly specialPieces: (Uint8Array | undefined)[];
  private jinja: JinjaChatTemplate | undefined;

  private constructor(v: VocabSpec) {
    this.model = v.model;
    this.pre = v.pre;
    this.vocabSize = v.tokens.length;
    this.bosId = v.bosId;
    this.eosId = v.eosId;
    this.eotId = v.eotId;
    this.eomId = v.eomId;
    this.unkId = v.unkId;
    this.addBos = v.addBos;
    this.addEos = v.addEos;
    this.addSpacePrefix = v.model === 'llama' && v.addSpacePrefix;
    this.chatTemplate = v.chatTemplate;
    this.tokens = v.tokens;
    this.types = v.types;
    this.scores = v.scores;
    this.pieces = new Array(v.tokens.length);
    this.specialPieces = new Array(v.tokens.length);

    const tokenToId = new StringIdTable(v.tokens); // a duplicated text maps to its last id, as in llama.cpp

    const specials: SpecialToken[] = [];
    const eog = new Set<number>();
    for (const id of [v.eosId, v.eotId, v.eomId]) if (id !== undefined) eog.add(id);
    for (let i = 0; i < v.tokens.length; i++) {
      const t = v.types[i];
      if (t === TokenType.CONTROL || t === TokenType.UNKNOWN || t === TokenType.USER_DEFINED) {
        specials.push({ id: i, text: v.tokens[i]!, always: t === TokenType.USER_DEFINED });
      }
    }
    for (const text of EOG_TEXTS) {
      const id = tokenToId.get(text);
      if (id !== undefined) eog.add(id);
    }
    this.eogIds = eog;
    this.splitter = new SpecialSplitter(specials);

    if (v.model === 'gpt2') {
      this.bpe = new BpeEncoder({ tokens: v.tokens, tokenToId, merges: v.merges, ignoreMerges: v.ignoreMerges });
      this.preTokenizer = new PreTokenizer(v.preKind);
    } else {
      this.spm = new SpmEncoder({ tokens: v.tokens, tokenToId, scores: v.scores, unkId: v.unkId });
    }
  }

  /** Builds the tokenizer of a parsed GGUF (also vocab-only files with no tensors). */
  static fromGguf(file: { metadata: Record<string, unknown> }, opts?: TokenizerOptions): Tokenizer {
    return Tokenizer.fromMetadata(file.metadata, opts);
  }

  /** Builds the tokenizer from a GGUF metadata record. TokenizerError on missing or inconsistent keys. */
  static fromMetadata(md: Record<string, unknown>, opts: TokenizerOptions = {}): Tokenizer {
    const warn = opts.onWarning ?? ((m: string) => console.warn(m));
    return new Tokenizer(readVocab(md, warn));
  }

  /** True for end-of-generation ids (see {@link eogIds}). */
  isEog(id: number): boolean {
    return this.eogIds.has(id);
  }

  /** Token ids of `text`. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const addBos = opts.addBos ?? this.addBos;
    const addEos = opts.addEos ?? this.addEos;
    const out: number[] = [];
    if (addBos) {
      if (this.bosId === undefined) throw new TokenizerError('bad_token_id', 'tokenizer: BOS requested but the vocabulary has no BOS token');
      out.push(this.bosId);
    }
    const frags = this.splitter.split(text, opts.parseSpecial ?? false);
    if (this.bpe !== undefined && this.preTokenizer !== undefined) {
      const bpe = this.bpe;
      const emit = (w: string) => bpe.encodeWord(w, out);
      for (const f of frags) {
        if (typeof f === 'number') out.push(f);
        else this.preTokenizer.split(f, emit);
      }
    } else if (this.spm !== undefined) {
      let prevSpecial = true; // the first fragment counts as following a special token
      for (const f of frags) {
        if (typeof f === 'number') {
          out.push(f);
          prevSpecial = true;
        } else {
          this.spm.encode(this.addSpacePrefix && prevSpecial ? ' ' + f : f, out);
          prevSpecial = false;
        }
      }
    }
    if (addEos) {
      if (this.eosId === undefined) throw new TokenizerError('bad_token_id', 'tokenizer: EOS requested but the vocabulary has no EOS token');
      out.push(this.eosId);
    }
    return out;
  }

  /** Text of `ids`. Invalid UTF-8 becomes U+FFFD; an id outside the vocabulary is TokenizerError('bad_token_id'). */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const special = !(opts.skipSpecial ?? true);
    let buf = new Uint8Array(Math.min(ids.length * 4 + 16, 1 << 24));
    let n = 0;
    let strip = this.addSpacePrefix; // SentencePiece: the first token after an optional BOS loses one leading space
    const cache = special ? this.specialPieces : this.pieces;
    const opt = { special };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      let bytes = cache[id] ?? this.tokenBytes(id, opt); // tokenBytes checks the id
      if (strip && !(i === 0 && id === this.bosId)) {
        strip = false;
        if (bytes.length > 0 && bytes[0] === 0x20) bytes = bytes.subarray(1);
      }
      if (n + bytes.length > buf.length) {
        const next = new Uint8Array(Math.max(buf.length * 2, n + bytes.length));
        next.set(buf.subarray(0, n));
        buf = next;
      }
      for (let j = 0; j < bytes.length; j++) buf[n++] = bytes[j]!;
    }
    return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(buf.subarray(0, n));
  }

  /** The raw vocabulary entry of `id` (byte-mapped for gpt2, with U+2581 for spaces for SPM). */
  tokenText(id: number): string {
    this.check(id);
    return this.tokens[id]!;
  }

  /** The llama.cpp token type of `id` (1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE). */
  tokenType(id: number): number {
    this.check(id);
    return this.types[id]!;
  }

  /** The SentencePiece score of `id` (0 when the file has no scores). */
  tokenScore(id: number): number {
    this.check(id);
    return this.scores ? this.scores[id]! : 0;
  }

  /**
   * Bytes a token contributes when decoded. CONTROL and UNKNOWN tokens give nothing unless `opts.special`;
   * USER_DEFINED tokens give their text; BYTE tokens their byte; UNUSED/UNDEFINED nothing.
   */
  tokenBytes(id: number, opts: { special?: boolean } = {}): Uint8Array {
    this.check(id);
    const special = opts.special ?? false;
    const cache = special ? this.specialPieces : this.pieces;
    let p = cache[id];
    if (p === undefined) {
      p = this.renderPiece(id, special);
      cache[id] = p;
    }
    return p;
  }

  /** A streaming detokenizer (see {@link StreamDecoder}). */
  createStreamDecoder(opts: StreamDecoderOptions = {}): StreamDecoder {
    const special = !(opts.skipSpecial ?? true);
    let strip = (opts.stripLeadingSpace ?? false) && this.addSpacePrefix;
    let first = true;
    const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
    return {
      push: (id: number): string => {
        let bytes = this.tokenBytes(id, { special });
        if (strip) {
          if (first && id === this.bosId) {
            first = false;
            return decoder.decode(bytes, { stream: true });
          }
          strip = false;
          if (bytes.length > 0 && bytes[0] === 0x20) bytes = bytes.subarray(1);
        }
        first = false;
        return bytes.length === 0 ? '' : decoder.decode(bytes, { stream: true });
      },
      flush: (): string => decoder.decode(),
    };
  }

  /**
   * The chat rendered as text: the GGUF's tokenizer.chat_template when present (Jinja, with `messages`,
   * `add_generation_prompt`, `bos_token`, `eos_token`), else the built-in BitNet 2B-4T format.
   */
  applyChatTemplate(messages: readonly ChatMessage[], opts: ChatOptions = {}): string {
    const addGenerationPrompt = opts.addGenerationPrompt ?? true;
    const bos = this.bosId !== undefined ? this.tokens[this.bosId]! : '';
    if (this.chatTemplate !== undefined) {
      this.jinja ??= new JinjaChatTemplate(this.chatTemplate);
      const eos = this.eosId !== undefined ? this.tokens[this.eosId]! : '';
      return this.jinja.render(messages, { bos, eos, addGenerationPrompt });
    }
    const eotId = this.eotId ?? this.eosId;
    const eot = eotId !== undefined ? this.tokens[eotId]! : '';
    return renderBitnetChat(messages, bos, eot, addGenerationPrompt);
  }

  /** Token ids of a chat: the template's text with specials parsed, and BOS exactly once (when the model uses BOS). */
  encodeChat(messages: readonly ChatMessage[], opts: ChatOptions = {}): number[] {
    const ids = this.encode(this.applyChatTemplate(messages, opts), { addBos: false, addEos: false, parseSpecial: true });
    const bos = this.bosId;
    if (bos !== undefined) {
      let n = 0;
      while (n < ids.length && ids[n] === bos) n++;
      if (n > 1) ids.splice(0, n - 1);
      else if (n === 0 && this.addBos) ids.unshift(bos);
    }
    return ids;
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new TokenizerError('bad_token_id', `tokenizer: token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    }
  }

  private renderPiece(id: number, special: boolean): Uint8Array {
    const text = this.tokens[id]!;
    switch (this.types[id]) {
      case TokenType.CONTROL:
      case TokenType.UNKNOWN:
        return special ? utf8.encode(text) : EMPTY;
      case TokenType.USER_DEFINED:
        return utf8.encode(text);
      case TokenType.NORMAL:
        return this.model === 'gpt2' ? unmapBytes(text) : utf8.encode(text.replace(/\u2581/g, ' '));
      case TokenType.BYTE: {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
        return m ? Uint8Array.of(parseInt(m[1]!, 16)) : EMPTY;
      }
      default:
        return EMPTY; // UNUSED, UNDEFINED
    }
  }
}

/** Byte-level token text → bytes; a character outside the byte mapping contributes its own UTF-8 bytes. */
function unmapBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = codepointToByte(ch.codePointAt(0)!);
    if (b >= 0) out.push(b);
    else for (const x of utf8.encode(ch)) out.push(x);
  }
  return Uint8Array.from(out);
}
