// tools/bench/native/lut-decode.c — an experiment, not an engine kernel: the lookup-table decode design of
// bitnet.cpp's TL1 and T-MAC (per pair of activations, a table of the partial sums of every weight pattern;
// i8x16.relaxed_swizzle looks 16 rows up at once) written exactly (int16 tables split into a low-byte and a
// high-byte table, the lookups re-interleaved into i16 lanes), against a copy of the engine's relaxed-dot
// 4-row decode loop (native/src/arch/wasm-relaxed/i2s.c) and a variant of it with fewer vector ops, in one
// module, on the same matrix size. Built and run by tools/bench/bin/lut-decode.mjs (clang-19, wasm-ld-19).
// Both layouts spend 2 bits per weight.
#include <wasm_simd128.h>
#include <stdint.h>
#include <stddef.h>
#define RDOT(x, c) wasm_i16x8_relaxed_dot_i8x16_i7x16(x, c)

// ---- baseline: the engine's decode loop (rx_rows4_sum: x1/x4 fields, the x4 pair folded every chunk, 14
// vector ops per 64 weights) over 4-row interleaved 2-bit codes. The sums are not stored per row (timing
// only: the engine's kernels are tested against their references elsewhere).
__attribute__((export_name("dot_rx"))) int dot_rx(const uint8_t *codes, const int8_t *p, int rows, int cols, int32_t *out) {
  const int n_chunks = cols / 64;
  const v128_t m = wasm_i8x16_splat(3), m4 = wasm_i8x16_splat(12);
  for (int r = 0; r < rows; r += 4) {
    const uint8_t *grp = codes + (size_t)r * cols / 4;
    v128_t acc = wasm_i32x4_splat(0);
    for (int c0 = 0; c0 < n_chunks; c0 += 8) {
      v128_t s0 = wasm_i16x8_splat(0), s1 = s0, s2 = s0, s3 = s0;
      const uint8_t *g = grp + 64 * c0; const int8_t *x = p + 64 * c0;
      const int c1 = c0 + 8 < n_chunks ? c0 + 8 : n_chunks;
      for (int c = c0; c < c1; c++, g += 64, x += 64) {
        const v128_t x0 = wasm_v128_load(x), x1 = wasm_v128_load(x + 16), x2 = wasm_v128_load(x + 32), x3 = wasm_v128_load(x + 48);
#define ROW(s, o) do { const v128_t v = wasm_v128_load(g + (o)), v4 = wasm_u16x8_shr(v, 4); \
        const v128_t a = wasm_i16x8_add(RDOT(x0, wasm_v128_and(v, m)), RDOT(x2, wasm_v128_and(v4, m))); \
        const v128_t b = wasm_i16x8_add(RDOT(x1, wasm_v128_and(v, m4)), RDOT(x3, wasm_v128_and(v4, m4))); \
        s = wasm_i16x8_add(s, wasm_i16x8_add(a, wasm_i16x8_shr(b, 2))); } while (0)
        ROW(s0, 0); ROW(s1, 16); ROW(s2, 32); ROW(s3, 48);
      }
      acc = wasm_i32x4_add(acc, wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(s0), wasm_i32x4_extadd_pairwise_i16x8(s1)));
      acc = wasm_i32x4_add(acc, wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(s2), wasm_i32x4_extadd_pairwise_i16x8(s3)));
    }
    wasm_v128_store(out + r, acc);
  }
  return 0;
}

// ---- x1x4: the same layout, fewer vector ops (the x1/x4 trick: v & 0x03, v & 0x0c, v4 & 0x03, v4 & 0x0c with
// v4 = v >> 4, 13 instead of 14 per 64 weights, the x4-scaled fields in a second accumulator). Its 2 accumulators
// per row do not fit 4 rows into the 15 vector registers V8 allocates, so the 4 rows of a group take turns over
// blocks of 8 chunks (512 bytes, L1-resident after the first row's pass), activations loaded at each use.
// Timing only (the two accumulators are added without the /4 of the x4 one).
__attribute__((export_name("dot_x1x4"))) int dot_x1x4(const uint8_t *codes, const int8_t *p, int rows, int cols, int32_t *out) {
  const int n_chunks = cols / 64;
  const v128_t m1 = wasm_i8x16_splat(3), m4 = wasm_i8x16_splat(12);
  for (int r = 0; r < rows; r += 4) {
    const uint8_t *grp = codes + (size_t)r * cols / 4;
    v128_t t1[4], t4[4];
    for (int i = 0; i < 4; i++) t1[i] = t4[i] = wasm_i32x4_splat(0);
    for (int c0 = 0; c0 < n_chunks; c0 += 8) {
      const int c1 = c0 + 8 < n_chunks ? c0 + 8 : n_chunks;
#pragma clang loop unroll(disable)
      for (int i = 0; i < 4; i++) {
        v128_t s1 = wasm_i16x8_splat(0), s4 = s1;
        const uint8_t *g = grp + 64 * c0 + 16 * i; const int8_t *x = p + 64 * c0;
#pragma clang loop unroll(disable)
        for (int c = c0; c < c1; c++, g += 64, x += 64) {
          const v128_t v = wasm_v128_load(g), v4 = wasm_u16x8_shr(v, 4);
          s1 = wasm_i16x8_add(s1, RDOT(wasm_v128_load(x), wasm_v128_and(v, m1)));
          s4 = wasm_i16x8_add(s4, RDOT(wasm_v128_load(x + 16), wasm_v128_and(v, m4)));
          s1 = wasm_i16x8_add(s1, RDOT(wasm_v128_load(x + 32), wasm_v128_and(v4, m1)));
          s4 = wasm_i16x8_add(s4, RDOT(wasm_v128_load(x + 48), wasm_v128_and(v4, m4)));
        }
        t1[i] = wasm_i32x4_add(t1[i], wasm_i32x4_extadd_pairwise_i16x8(s1));
        t4[i] = wasm_i32x4_add(t4[i], wasm_i32x4_extadd_pairwise_i16x8(s4));
      }
    }
    for (int i = 0; i < 4; i++) wasm_v128_store(out + r + i, wasm_i32x4_add(t1[i], t4[i]));
  }
  return 0;
}

// ---- LUT: per block of 16 rows, 16-byte vectors: byte j = row j's index (3*c_a + c_b, codes 0..2) of
// column pair 2k (low nibble) and of pair 2k+1 (high nibble). Tables: per column pair, T[i] = c_a*q_a +
// c_b*q_b (int16, exact; |T| <= 512), stored as 16 low bytes then 16 high bytes (entries 9..15 zero).
__attribute__((export_name("lut_tables"))) void lut_tables(uint8_t *t, const int8_t *q, int cols) {
  for (int pr = 0; pr < cols / 2; pr++) {
    for (int i = 0; i < 16; i++) {
      int v = i < 9 ? (i / 3) * q[2 * pr] + (i % 3) * q[2 * pr + 1] : 0;
      t[32 * pr + i] = (uint8_t)(v & 0xff);
      t[32 * pr + 16 + i] = (uint8_t)((v >> 8) & 0xff);
    }
  }
}
__attribute__((export_name("dot_lut"))) int dot_lut(const uint8_t *idx, const uint8_t *tab, int rows, int cols, int32_t *out) {
  const int n_vec = cols / 4;  // 16-byte index vectors per 16-row block (4 columns each)
  const v128_t m = wasm_i8x16_splat(0x0f);
  for (int r = 0; r < rows; r += 16) {
    const uint8_t *b = idx + (size_t)r * cols / 4;
    v128_t acc0 = wasm_i32x4_splat(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int k0 = 0; k0 < n_vec; k0 += 32) {  // |T| <= 512: 64 pairs (32 vectors) per i16 fold
      v128_t s0 = wasm_i16x8_splat(0), s1 = s0;
      const int k1 = k0 + 32 < n_vec ? k0 + 32 : n_vec;
      const uint8_t *v = b + 16 * k0, *t = tab + 64 * k0;
#pragma clang loop unroll(disable)
      for (int k = k0; k < k1; k++, v += 16, t += 64) {
        const v128_t w = wasm_v128_load(v);
        const v128_t i0 = wasm_v128_and(w, m), i1 = wasm_v128_and(wasm_u16x8_shr(w, 4), m);
        const v128_t l0 = wasm_i8x16_relaxed_swizzle(wasm_v128_load(t), i0), h0 = wasm_i8x16_relaxed_swizzle(wasm_v128_load(t + 16), i0);
        const v128_t l1 = wasm_i8x16_relaxed_swizzle(wasm_v128_load(t + 32), i1), h1 = wasm_i8x16_relaxed_swizzle(wasm_v128_load(t + 48), i1);
        s0 = wasm_i16x8_add(s0, wasm_i8x16_shuffle(l0, h0, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        s1 = wasm_i16x8_add(s1, wasm_i8x16_shuffle(l0, h0, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
        s0 = wasm_i16x8_add(s0, wasm_i8x16_shuffle(l1, h1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        s1 = wasm_i16x8_add(s1, wasm_i8x16_shuffle(l1, h1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
      }
      acc0 = wasm_i32x4_add(acc0, wasm_i32x4_extend_low_i16x8(s0)); acc1 = wasm_i32x4_add(acc1, wasm_i32x4_extend_high_i16x8(s0));
      acc2 = wasm_i32x4_add(acc2, wasm_i32x4_extend_low_i16x8(s1)); acc3 = wasm_i32x4_add(acc3, wasm_i32x4_extend_high_i16x8(s1));
    }
    wasm_v128_store(out + r, acc0); wasm_v128_store(out + r + 4, acc1); wasm_v128_store(out + r + 8, acc2); wasm_v128_store(out + r + 12, acc3);
  }
  return 0;
}
// Scalar reference of the LUT layout: sum_k c_k q_k per row, from the same index bytes
__attribute__((export_name("ref_lut"))) void ref_lut(const uint8_t *idx, const int8_t *q, int rows, int cols, int32_t *out) {
  for (int r = 0; r < rows; r++) {
    int32_t s = 0;
    const uint8_t *b = idx + (size_t)(r / 16) * 16 * cols / 4;
    for (int k = 0; k < cols / 4; k++) {
      const uint8_t byte = b[16 * k + r % 16];
      const int ia = byte & 15, ib = byte >> 4;
      s += (ia / 3) * q[4 * k] + (ia % 3) * q[4 * k + 1] + (ib / 3) * q[4 * k + 2] + (ib % 3) * q[4 * k + 3];
    }
    out[r] = s;
  }
}
// A bump allocator over the module's memory (no libc here)
extern unsigned char __heap_base;
static uintptr_t bump = 0;
__attribute__((export_name("alloc"))) void *alloc(int n) {
    if (!bump) bump = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
    void *p = (void *)bump;
    bump += ((uintptr_t)n + 63) & ~(uintptr_t)63;
    return p;
}
// clang may emit calls to memset for zero-initialised locals
void *memset(void *d, int c, unsigned long n) {
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}
