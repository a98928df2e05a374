/**
 * A binary min-heap of merge candidates over parallel typed arrays (no per-entry objects). Order: `key` ascending,
 * then `left` (the left symbol's index) ascending, which is the tie-break llama.cpp's merge queues use.
 */
export class MergeHeap {
  private key = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private aux = new Int32Array(64);
  private aux2 = new Int32Array(64);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  push(key: number, left: number, right: number, aux: number, aux2: number): void {
    if (this.size === this.key.length) this.grow();
    let i = this.size++;
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = this.key[p]!;
      if (pk < key || (pk === key && this.left[p]! <= left)) break;
      this.key[i] = pk;
      this.left[i] = this.left[p]!;
      this.right[i] = this.right[p]!;
      this.aux[i] = this.aux[p]!;
      this.aux2[i] = this.aux2[p]!;
      i = p;
    }
    this.key[i] = key;
    this.left[i] = left;
    this.right[i] = right;
    this.aux[i] = aux;
    this.aux2[i] = aux2;
  }

  /** Removes the top entry; its fields are left in `top*`. Call only when size > 0. */
  pop(): void {
    this.topKey = this.key[0]!;
    this.topLeft = this.left[0]!;
    this.topRight = this.right[0]!;
    this.topAux = this.aux[0]!;
    this.topAux2 = this.aux2[0]!;
    const n = --this.size;
    if (n === 0) return;
    const key = this.key[n]!;
    const left = this.left[n]!;
    const right = this.right[n]!;
    const aux = this.aux[n]!;
    const aux2 = this.aux2[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const c2 = c + 1;
      if (c2 < n) {
        const k1 = this.key[c]!;
        const k2 = this.key[c2]!;
        if (k2 < k1 || (k2 === k1 && this.left[c2]! < this.left[c]!)) c = c2;
      }
      const ck = this.key[c]!;
      if (key < ck || (key === ck && left <= this.left[c]!)) break;
      this.key[i] = ck;
      this.left[i] = this.left[c]!;
      this.right[i] = this.right[c]!;
      this.aux[i] = this.aux[c]!;
      this.aux2[i] = this.aux2[c]!;
      i = c;
    }
    this.key[i] = key;
    this.left[i] = left;
    this.right[i] = right;
    this.aux[i] = aux;
    this.aux2[i] = aux2;
  }

  topKey = 0;
  topLeft = 0;
  topRight = 0;
  topAux = 0;
  topAux2 = 0;

  private grow(): void {
    const n = this.key.length * 2;
    const k = new Float64Array(n);
    k.set(this.key);
    this.key = k;
    for (const f of ['left', 'right', 'aux', 'aux2'] as const) {
      const a = new Int32Array(n);
      a.set(this[f]);
      this[f] = a;
    }
  }
}
