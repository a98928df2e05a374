// tools/bench/bin/timing.mjs — the timing loop shared by the benchmark scripts (not a command).

/** Seconds per call of fn, over calls that together take at least ms (at least one call). */
export function secondsPerCall(fn, ms) {
  let n = 0;
  const t0 = performance.now();
  let t1 = t0;
  while (t1 - t0 < ms || n === 0) {
    fn();
    n++;
    t1 = performance.now();
  }
  return (t1 - t0) / 1000 / n;
}

/** The middle element of a (copy of a) numeric array, sorted; the upper one of two for an even length. */
export const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
