/**
 * Splitting text on special-token texts before tokenization (llama.cpp's "partition"): special tokens are tried
 * longest text first (UTF-8 length); each one splits every remaining text fragment at its leftmost non-overlapping
 * occurrences. CONTROL and UNKNOWN tokens take part only when specials are parsed; USER_DEFINED ones always do.
 */

export interface SpecialToken {
  id: number;
  text: string;
  /** Takes part even when specials are not parsed (USER_DEFINED). */
  always: boolean;
}

/** A fragment: text still to tokenize, or a token id. */
export type Fragment = string | number;

export class SpecialSplitter {
  /** specials ordered by decreasing UTF-8 length (then id) */
  private readonly ordered: SpecialToken[];
  /** first UTF-16 unit → specials starting with it */
  private readonly byFirst = new Map<number, SpecialToken[]>();
  /** 1 where a UTF-16 unit starts some special's text */
  private readonly firstMask = new Uint8Array(65536);
  private readonly anyAlways: boolean;

  constructor(specials: SpecialToken[]) {
    const enc = new TextEncoder();
    const withLen = specials.filter((s) => s.text.length > 0).map((s) => ({ s, n: enc.encode(s.text).length }));
    withLen.sort((a, b) => b.n - a.n || a.s.id - b.s.id);
    this.ordered = withLen.map((x) => x.s);
    for (const s of this.ordered) {
      const c = s.text.charCodeAt(0);
      this.firstMask[c] = 1;
      const list = this.byFirst.get(c);
      if (list) list.push(s);
      else this.byFirst.set(c, [s]);
    }
    this.anyAlways = this.ordered.some((s) => s.always);
  }

  /** Fragments of `text`, in order; empty text gives no fragments. */
  split(text: string, parseSpecial: boolean): Fragment[] {
    if (text.length === 0) return [];
    if (this.ordered.length === 0 || (!parseSpecial && !this.anyAlways)) return [text];
    const present = this.present(text, parseSpecial);
    if (present.size === 0) return [text];
    let frags: Fragment[] = [text];
    for (const sp of this.ordered) {
      if (!present.has(sp)) continue;
      const nextFrags: Fragment[] = [];
      for (const f of frags) {
        if (typeof f === 'number') {
          nextFrags.push(f);
          continue;
        }
        let pos = 0;
        for (;;) {
          const at = f.indexOf(sp.text, pos);
          if (at < 0) break;
          if (at > pos) nextFrags.push(f.slice(pos, at));
          nextFrags.push(sp.id);
          pos = at + sp.text.length;
        }
        if (pos === 0) nextFrags.push(f);
        else if (pos < f.length) nextFrags.push(f.slice(pos));
      }
      frags = nextFrags;
    }
    return frags;
  }

  /** The eligible specials that occur anywhere in `text` (only those can split a fragment of it). */
  private present(text: string, parseSpecial: boolean): Set<SpecialToken> {
    const found = new Set<SpecialToken>();
    const mask = this.firstMask;
    for (let i = 0; i < text.length; i++) {
      if (mask[text.charCodeAt(i)] === 0) continue;
      const list = this.byFirst.get(text.charCodeAt(i));
      if (list === undefined) continue;
      for (const s of list) {
        if ((parseSpecial || s.always) && !found.has(s) && text.startsWith(s.text, i)) found.add(s);
      }
    }
    return found;
  }
}
