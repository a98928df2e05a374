/**
 * Byte-level BPE (`tokenizer.ggml.model = gpt2`), llama.cpp's algorithm: each pre-token's UTF-8 bytes become
 * symbols (one per byte, i.e. per byte-mapped character); the adjacent pair with the lowest merge rank is merged
 * first (ties: leftmost), via a heap with stale-entry skipping; finished symbols map to ids. With `ignoreMerges`
 * (LLaMA-3) a pre-token that is itself a vocabulary entry is emitted directly. Strings are interned to integers so
 * that the merge loop never concatenates strings; results are cached per pre-token.
 */
import { BYTE_TO_CHAR } from './byte-map';
import { MergeHeap } from './heap';
import { PairTable, StringIdTable } from './tables';

/** Longest pre-token (UTF-16 units) whose result is cached; longer ones are rare and would bloat the cache. */
const MAX_CACHED_WORD = 128;
/** Cached pre-tokens before the cache is dropped and refilled (bounded memory for long-running sessions). */
const MAX_CACHE_ENTRIES = 1 << 17;

export interface BpeTables {
  tokens: readonly string[];
  /** text → id over `tokens` */
  tokenToId: StringIdTable;
  merges: readonly string[];
  ignoreMerges: boolean;
}

export class BpeEncoder {
  private readonly nVocab: number;
  private readonly tokenToId: StringIdTable;
  private readonly ignoreMerges: boolean;
  /** (interned left, interned right) → merge rank */
  private readonly rankOf: PairTable;
  /** merge rank → interned id of the merged string, resolved on first use (-2 = not yet) */
  private readonly mergeResult: Int32Array;
  private readonly merges: readonly string[];
  private readonly extra = new Map<string, number>();
  /** byte → interned id of its one-character symbol, or -1 when no token or merge uses it */
  private readonly byteSym = new Int32Array(256);
  /** byte → vocabulary id of the one-character token for the byte fallback of printable ASCII, or -1 */
  private readonly asciiFallback = new Int32Array(256).fill(-1);
  private readonly cache = new Map<string, number | Int32Array>();

  private readonly heap = new MergeHeap();
  private sym = new Int32Array(64);
  private start = new Int32Array(64);
  private end = new Int32Array(64);
  private prev = new Int32Array(64);
  private next = new Int32Array(64);
  private bytes = new Uint8Array(256);
  private readonly utf8 = new TextEncoder();

  constructor(t: BpeTables) {
    this.nVocab = t.tokens.length;
    this.tokenToId = t.tokenToId;
    this.ignoreMerges = t.ignoreMerges;
    // Intern the two sides of every merge (vocabulary strings keep their token id); a merge's result is
    // interned the first time the merge is applied. The interned space is bounded: a result that is not a side
    // of any merge can never merge again, so it needs no pair key.
    this.merges = t.merges;
    const nm = t.merges.length;
    const lefts = new Int32Array(nm);
    const rights = new Int32Array(nm);
    this.mergeResult = new Int32Array(nm).fill(-2);
    const table = t.tokenToId;
    for (let r = 0; r < nm; r++) {
      const m = t.merges[r]!;
      const sp = m.indexOf(' ', 1);
      const a = table.find(m, 0, sp);
      lefts[r] = a >= 0 ? a : this.intern(m.slice(0, sp));
      const b = table.find(m, sp + 1, m.length);
      rights[r] = b >= 0 ? b : this.intern(m.slice(sp + 1));
    }
    for (let b = 0; b < 256; b++) {
      const ch = BYTE_TO_CHAR[b]!;
      this.byteSym[b] = this.tokenToId.get(ch) ?? this.extra.get(ch) ?? -1;
      if (b >= 0x21 && b <= 0x7e) this.asciiFallback[b] = this.tokenToId.get(String.fromCharCode(b)) ?? -1;
    }
    this.rankOf = new PairTable(nm);
    for (let r = 0; r < nm; r++) this.rankOf.setIfAbsent(lefts[r]!, rights[r]!, r); // the first occurrence of a pair wins, as in llama.cpp
  }

  private intern(s: string): number {
    const id = this.tokenToId.get(s);
    if (id !== undefined) return id;
    let e = this.extra.get(s);
    if (e === undefined) {
      e = this.nVocab + this.extra.size;
      this.extra.set(s, e);
    }
    return e;
  }

  /** Interned id of a merge's result: its token id, an id of a merge side, or -1 (a string no merge continues from). */
  private resultOf(rank: number): number {
    let id = this.mergeResult[rank]!;
    if (id === -2) {
      const m = this.merges[rank]!;
      const sp = m.indexOf(' ', 1);
      const s = m.slice(0, sp) + m.slice(sp + 1);
      id = this.tokenToId.get(s) ?? this.extra.get(s) ?? -1;
      this.mergeResult[rank] = id;
    }
    return id;
  }

  /** Appends the ids of one pre-token to `out`. */
  encodeWord(word: string, out: number[]): void {
    const hit = this.cache.get(word);
    if (hit !== undefined) {
      if (typeof hit === 'number') out.push(hit);
      else for (let i = 0; i < hit.length; i++) out.push(hit[i]!);
      return;
    }
    const first = out.length;
    this.bpe(word, out);
    if (word.length <= MAX_CACHED_WORD) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(word, out.length - first === 1 ? out[first]! : Int32Array.from(out.slice(first)));
    }
  }

  private bpe(word: string, out: number[]): void {
    // UTF-8 bytes of the word
    if (this.bytes.length < word.length * 3) this.bytes = new Uint8Array(word.length * 3 + 16);
    const n = this.utf8.encodeInto(word, this.bytes).written;
    const bytes = this.bytes;

    if (this.ignoreMerges) {
      let mapped = '';
      for (let i = 0; i < n; i++) mapped += BYTE_TO_CHAR[bytes[i]!]!;
      const id = this.tokenToId.get(mapped);
      if (id !== undefined) {
        out.push(id);
        return;
      }
    }

    if (this.sym.length < n) this.growSymbols(n);
    const { sym, start, end, prev, next } = this;
    for (let i = 0; i < n; i++) {
      sym[i] = this.byteSym[bytes[i]!]!;
      start[i] = i;
      end[i] = i + 1;
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = this.heap;
    heap.clear();
    for (let i = 1; i < n; i++) this.tryPair(i - 1, i);
    while (heap.size > 0) {
      heap.pop();
      const l = heap.topLeft;
      const r = heap.topRight;
      // stale: one side already merged into something else (its symbol changed or it died)
      if (end[l] === start[l] || end[r] === start[r] || sym[l] !== heap.topAux || sym[r] !== heap.topAux2) continue;
      sym[l] = this.resultOf(heap.topKey);
      end[l] = end[r]!;
      end[r] = start[r]!; // dead
      const nr = next[r]!;
      next[l] = nr;
      if (nr >= 0) prev[nr] = l;
      if (prev[l]! >= 0) this.tryPair(prev[l]!, l);
      if (nr >= 0) this.tryPair(l, nr);
    }
    for (let i = 0; i !== -1 && n > 0; i = next[i]!) {
      const id = sym[i]!;
      if (id >= 0 && id < this.nVocab) {
        out.push(id);
        continue;
      }
      // Not a token: llama.cpp looks up each byte of the symbol's text as a one-byte token, which can only
      // succeed for printable ASCII (the other bytes' stand-ins are two UTF-8 bytes long).
      for (let j = start[i]!; j < end[i]!; j++) {
        const f = this.asciiFallback[bytes[j]!]!;
        if (f >= 0) out.push(f);
      }
    }
  }

  private tryPair(l: number, r: number): void {
    const a = this.sym[l]!;
    const b = this.sym[r]!;
    if (a < 0 || b < 0) return;
    const rank = this.rankOf.get(a, b);
    if (rank >= 0) this.heap.push(rank, l, r, a, b);
  }

  private growSymbols(n: number): void {
    const cap = Math.max(n, this.sym.length * 2);
    this.sym = new Int32Array(cap);
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
  }
}
