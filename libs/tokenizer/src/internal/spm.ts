/**
 * SentencePiece-style tokenization (`tokenizer.ggml.model = llama`) as llama.cpp does it: spaces become U+2581,
 * symbols are code points, and the adjacent pair whose concatenation is the vocabulary entry with the highest score
 * is merged first (ties: leftmost), via a heap with size-based stale checks; a symbol that is not a token falls back
 * to one `<0xXX>` byte token per UTF-8 byte.
 *
 * Speed: the text is cut between two adjacent code points that occur next to each other in no vocabulary entry.
 * No merge can ever cross such a cut, and the merge order inside each chunk is the same as in the whole text (the
 * heap order restricted to one chunk is unchanged), so chunks are encoded independently — and cached.
 */
import { MergeHeap } from './heap';
import { StringIdTable } from './tables';

/** Longest chunk (UTF-16 units) whose result is cached. */
const MAX_CACHED_CHUNK = 128;
/** Cached chunks before the cache is dropped and refilled. */
const MAX_CACHE_ENTRIES = 1 << 17;
/** Code points below this get a dense pair table (the rest go through a map of sets, keyed by small integers). */
const DENSE = 0x300;
const SPACE_MARK = 0x2581;

export interface SpmTables {
  tokens: readonly string[];
  /** text → id over `tokens` */
  tokenToId: StringIdTable;
  scores: Float32Array | undefined;
  unkId: number | undefined;
}

export class SpmEncoder {
  private readonly nVocab: number;
  private readonly tokenToId: StringIdTable;
  private readonly scores: Float32Array | undefined;
  /** byte → id of its `<0xXX>` token (else its one-character token, else unk, else -1) */
  private readonly byteToken = new Int32Array(256);
  /** Adjacent code points (a, b) that occur inside some vocabulary entry: a dense table over "small" code points
   * (below DENSE, plus U+2581 as index DENSE) and a map of sets for the others. */
  private readonly densePairs = new Uint8Array((DENSE + 1) * (DENSE + 1));
  private readonly sparsePairs = new Map<number, Set<number>>();
  private readonly cache = new Map<string, number | Int32Array>();
  private readonly heap = new MergeHeap();
  private readonly utf8 = new TextEncoder();
  private start = new Int32Array(64);
  private len = new Int32Array(64);
  private prev = new Int32Array(64);
  private next = new Int32Array(64);

  constructor(t: SpmTables) {
    this.nVocab = t.tokens.length;
    this.tokenToId = t.tokenToId;
    this.scores = t.scores;
    for (const tok of t.tokens) {
      let prev = -1;
      for (let i = 0; i < tok.length; i++) {
        const cp = tok.codePointAt(i)!;
        if (cp > 0xffff) i++;
        if (prev >= 0) this.addPair(prev, cp);
        prev = cp;
      }
    }
    for (let b = 0; b < 256; b++) {
      const hex = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      this.byteToken[b] = t.tokenToId.get(hex) ?? (b < 0x80 ? t.tokenToId.get(String.fromCharCode(b)) : undefined) ?? t.unkId ?? -1;
    }
  }

  /** Appends the ids of `text` (already prefixed with a space when wanted; spaces not yet escaped) to `out`. */
  encode(text: string, out: number[]): void {
    // Chunks are cut and cached on the raw text; spaces become U+2581 only inside a chunk that misses the cache.
    let chunkStart = 0;
    let prev = -1;
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp === 0x20) cp = SPACE_MARK;
      else if (cp >= 0xd800 && cp <= 0xdbff) cp = text.codePointAt(i)!;
      if (prev >= 0 && !this.hasPair(prev, cp)) {
        this.encodeChunk(text.slice(chunkStart, i), out);
        chunkStart = i;
      }
      if (cp > 0xffff) i++;
      prev = cp;
    }
    if (chunkStart < text.length) this.encodeChunk(chunkStart === 0 ? text : text.slice(chunkStart), out);
  }

  private addPair(a: number, b: number): void {
    const da = a < DENSE ? a : a === SPACE_MARK ? DENSE : -1;
    const db = b < DENSE ? b : b === SPACE_MARK ? DENSE : -1;
    if (da >= 0 && db >= 0) {
      this.densePairs[da * (DENSE + 1) + db] = 1;
      return;
    }
    let set = this.sparsePairs.get(a);
    if (set === undefined) this.sparsePairs.set(a, (set = new Set()));
    set.add(b);
  }

  private hasPair(a: number, b: number): boolean {
    const da = a < DENSE ? a : a === SPACE_MARK ? DENSE : -1;
    const db = b < DENSE ? b : b === SPACE_MARK ? DENSE : -1;
    if (da >= 0 && db >= 0) return this.densePairs[da * (DENSE + 1) + db] === 1;
    return this.sparsePairs.get(a)?.has(b) ?? false;
  }

  private encodeChunk(s: string, out: number[]): void {
    const hit = this.cache.get(s);
    if (hit !== undefined) {
      if (typeof hit === 'number') out.push(hit);
      else for (let i = 0; i < hit.length; i++) out.push(hit[i]!);
      return;
    }
    const first = out.length;
    this.merge(s.replace(/ /g, '\u2581'), out);
    if (s.length <= MAX_CACHED_CHUNK) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(s, out.length - first === 1 ? out[first]! : Int32Array.from(out.slice(first)));
    }
  }

  private merge(s: string, out: number[]): void {
    const m = s.length;
    if (m === 0) return;
    if (this.start.length < m) this.grow(m);
    const { start, len, prev, next } = this;
    // one symbol per code point (a surrogate pair is one symbol)
    let n = 0;
    for (let i = 0; i < m; ) {
      const c = s.charCodeAt(i);
      const w = c >= 0xd800 && c <= 0xdbff && i + 1 < m && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      start[n] = i;
      len[n] = w;
      prev[n] = n - 1;
      next[n] = n + 1;
      n++;
      i += w;
    }
    next[n - 1] = -1;

    const heap = this.heap;
    heap.clear();
    for (let i = 1; i < n; i++) this.tryPair(s, i - 1, i);
    while (heap.size > 0) {
      heap.pop();
      const l = heap.topLeft;
      const r = heap.topRight;
      // stale when either side is gone or has grown since the pair was queued
      if (len[l] === 0 || len[r] === 0 || len[l]! + len[r]! !== heap.topAux) continue;
      len[l] = len[l]! + len[r]!;
      len[r] = 0;
      const nr = next[r]!;
      next[l] = nr;
      if (nr >= 0) prev[nr] = l;
      if (prev[l]! >= 0) this.tryPair(s, prev[l]!, l);
      if (nr >= 0) this.tryPair(s, l, nr);
    }
    for (let i = 0; i !== -1; i = next[i]!) {
      const piece = s.substr(start[i]!, len[i]!);
      const id = this.tokenToId.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const b of this.utf8.encode(piece)) {
        const t = this.byteToken[b]!;
        if (t >= 0) out.push(t);
      }
    }
  }

  private tryPair(s: string, l: number, r: number): void {
    const size = this.len[l]! + this.len[r]!;
    const id = this.tokenToId.find(s, this.start[l]!, this.start[l]! + size);
    if (id < 0 || id >= this.nVocab) return;
    // max-heap on score via a min-heap on its negation; ties → leftmost
    this.heap.push(-(this.scores ? this.scores[id]! : 0), l, r, size, 0);
  }

  private grow(m: number): void {
    const cap = Math.max(m, this.start.length * 2);
    this.start = new Int32Array(cap);
    this.len = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
  }
}
