// tools/bench/native/read-ceiling.c — the native counterpart of bn_bench_read: how fast one core of this
// machine reads a buffer the size of BitNet-2B-4T's F16 head (656 MB) with 32-byte AVX2 and 16-byte SSE
// loads, best of 5. Compares the WebAssembly read ceiling of tools/bench/bin/kernels.mjs with native code:
//   gcc -O3 -mavx2 tools/bench/native/read-ceiling.c -o /tmp/read-ceiling && /tmp/read-ceiling [MB]
// Prints one JSON object.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const size_t n = (argc > 1 ? (size_t)atol(argv[1]) : 626) << 20;  // 626 MiB = 656 MB
    unsigned char *p = aligned_alloc(64, n);
    if (!p) return 1;
    memset(p, 1, n);
    double best[2] = {1e9, 1e9};
    int sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < n; i += 128) {
            a0 = _mm256_add_epi32(a0, _mm256_load_si256((const void *)(p + i)));
            a1 = _mm256_add_epi32(a1, _mm256_load_si256((const void *)(p + i + 32)));
            a2 = _mm256_add_epi32(a2, _mm256_load_si256((const void *)(p + i + 64)));
            a3 = _mm256_add_epi32(a3, _mm256_load_si256((const void *)(p + i + 96)));
        }
        double t = now_s() - t0;
        if (t < best[0]) best[0] = t;
        sink += _mm256_extract_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)), 0);
        t0 = now_s();
        __m128i b0 = _mm_setzero_si128(), b1 = b0, b2 = b0, b3 = b0;
        for (size_t i = 0; i < n; i += 64) {
            b0 = _mm_add_epi32(b0, _mm_load_si128((const void *)(p + i)));
            b1 = _mm_add_epi32(b1, _mm_load_si128((const void *)(p + i + 16)));
            b2 = _mm_add_epi32(b2, _mm_load_si128((const void *)(p + i + 32)));
            b3 = _mm_add_epi32(b3, _mm_load_si128((const void *)(p + i + 48)));
        }
        t = now_s() - t0;
        if (t < best[1]) best[1] = t;
        sink += _mm_extract_epi32(_mm_add_epi32(_mm_add_epi32(b0, b1), _mm_add_epi32(b2, b3)), 0);
    }
    printf("{\"bench\": \"native-read-ceiling\", \"bytes\": %zu, \"avx2_32B_gb_s\": %.2f, \"sse_16B_gb_s\": %.2f, \"sink\": %d}\n", n,
           n / best[0] / 1e9, n / best[1] / 1e9, sink);
    free(p);
    return 0;
}
