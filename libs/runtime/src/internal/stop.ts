/**
 * Stop strings for streamed text: text that might be the start of a stop string is held back until
 * it is clear; when a stop string appears, the text before it is released and generation ends.
 */
export class StopMatcher {
  private pending = '';
  constructor(private readonly stops: readonly string[]) {}

  /** Feed new text; returns the text safe to emit and whether a stop string was hit. */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.stops.length === 0) return { emit: text, stopped: false };
    this.pending += text;
    let first = -1;
    for (const s of this.stops) {
      if (!s) continue;
      const at = this.pending.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) {
      const emit = this.pending.slice(0, first);
      this.pending = '';
      return { emit, stopped: true };
    }
    // hold back the longest suffix that is a prefix of some stop string
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.pending.length); k > hold; k--) {
        if (this.pending.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    const emit = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { emit, stopped: false };
  }

  /** Text still held back (emit it when generation ends for another reason). */
  flush(): string {
    const t = this.pending;
    this.pending = '';
    return t;
  }
}
