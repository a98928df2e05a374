// model.c — the forward pass of a BitNet b1.58 transformer (and of a plain LLaMA with ternary or float
// weights), written only against bitnet-kernels.h. The TypeScript runtime owns loading and the memory
// plan: it creates a model from hyperparameters read from the GGUF, hands it one block of memory for
// the KV cache and scratch (bn_model_state_bytes), fills the weight slots (bn_model_weight) and the
// norm vectors, then calls bn_model_forward for a batch of tokens. Nothing here allocates after
// bn_model_create, so generation never grows the WebAssembly memory.
//
// Graphs (spec §3.4–3.6):
//   bitnet-b1.58 / bitnet-25: ReLU²-gated FFN, sub-norms before Wo and Wdown, NEOX RoPE, tied head
//   bitnet:                    SiLU-gated FFN, sub-norms, NEOX RoPE, optional per-matmul scalar scales
//   llama:                     SiLU-gated FFN, no sub-norms, NORM RoPE (adjacent pairs), untied head
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet-common.h"
#include "bitnet-kernels.h"
#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#else
#include <time.h>
#endif

// ---------------------------------------------------------------------------------------------
// Profiler (diagnostics for benchmarks): when enabled, bn_model_forward adds the wall time of each
// step to one of these buckets; off by default (one well-predicted branch per step when off).

enum bn_prof {
    BN_PROF_EMBED = 0,   // token embedding lookup
    BN_PROF_NORM,        // RMSNorms (attention, sub-norms, ffn, output)
    BN_PROF_QUANT,       // activation quantization for the matmuls
    BN_PROF_MATMUL,      // the per-layer matrices (Q, K, V, O, gate, up, down)
    BN_PROF_ROPE,        // rotary embedding + KV cache store
    BN_PROF_ATTN,        // attention over the cache
    BN_PROF_ELTWISE,     // gates, residual adds, scales
    BN_PROF_HEAD,        // output head matmul
    BN_PROF_COUNT,
};
static const char *const PROF_NAMES[BN_PROF_COUNT] = {"embed", "norm", "quantize", "matmul", "rope_kv", "attention", "eltwise", "head"};

static double prof_now_ms(void) {
#if defined(__EMSCRIPTEN__)
    return emscripten_get_now();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
#endif
}

// ---------------------------------------------------------------------------------------------
// Model description

enum bn_arch {
    BN_ARCH_BITNET_B158 = 0,  // bitnet-b1.58 and bitnet-25 (one code path)
    BN_ARCH_BITNET = 1,
    BN_ARCH_LLAMA = 2,
};

enum bn_rope_type {
    BN_ROPE_NEOX = 0,  // rotate pairs (i, i + n_rot/2)
    BN_ROPE_NORM = 1,  // rotate adjacent pairs (2i, 2i+1)
};

// Per-layer matrices, in the order the TS side names them (bn_model_role_name).
enum bn_role {
    BN_ROLE_ATTN_Q = 0,
    BN_ROLE_ATTN_K,
    BN_ROLE_ATTN_V,
    BN_ROLE_ATTN_OUTPUT,
    BN_ROLE_FFN_GATE,
    BN_ROLE_FFN_UP,
    BN_ROLE_FFN_DOWN,
    BN_ROLE_MATRIX_COUNT,
    // per-layer vectors (f32)
    BN_ROLE_ATTN_NORM = BN_ROLE_MATRIX_COUNT,
    BN_ROLE_ATTN_SUB_NORM,
    BN_ROLE_FFN_NORM,
    BN_ROLE_FFN_SUB_NORM,
    BN_ROLE_LAYER_COUNT,
    // model-level
    BN_ROLE_OUTPUT_NORM = BN_ROLE_LAYER_COUNT,
    BN_ROLE_OUTPUT,      // the head (may alias the embedding table when tied and F16/F32)
    BN_ROLE_COUNT,
};

static const char *const ROLE_NAMES[BN_ROLE_COUNT] = {
    [BN_ROLE_ATTN_Q] = "attn_q",           [BN_ROLE_ATTN_K] = "attn_k",
    [BN_ROLE_ATTN_V] = "attn_v",           [BN_ROLE_ATTN_OUTPUT] = "attn_output",
    [BN_ROLE_FFN_GATE] = "ffn_gate",       [BN_ROLE_FFN_UP] = "ffn_up",
    [BN_ROLE_FFN_DOWN] = "ffn_down",       [BN_ROLE_ATTN_NORM] = "attn_norm",
    [BN_ROLE_ATTN_SUB_NORM] = "attn_sub_norm", [BN_ROLE_FFN_NORM] = "ffn_norm",
    [BN_ROLE_FFN_SUB_NORM] = "ffn_sub_norm", [BN_ROLE_OUTPUT_NORM] = "output_norm",
    [BN_ROLE_OUTPUT] = "output",
};

typedef struct {
    bn_weight mat[BN_ROLE_MATRIX_COUNT];     // packed matrices
    float mat_scale[BN_ROLE_MATRIX_COUNT];   // optional extra scalar (arch `bitnet` *.scale tensors); 1 if absent
    const float *vec[BN_ROLE_LAYER_COUNT - BN_ROLE_MATRIX_COUNT];  // norm gains, f32
} bn_layer;

typedef struct {
    // hyperparameters (all from the GGUF)
    int arch, rope_type;
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_rot;
    float eps, rope_base;
    int q_dim, kv_dim;  // n_head*head_dim, n_head_kv*head_dim

    // weights
    const void *tok_embd;  // (n_vocab, n_embd) of tok_embd_type
    int tok_embd_type;
    const float *output_norm;  // (n_embd,)
    bn_weight output;          // (n_vocab, n_embd) head

    // state (one block from the runtime)
    int n_ctx, max_batch, n_threads_max;
    bn_fp16 *k_cache, *v_cache;  // (n_layer, n_head_kv, n_ctx, head_dim): head-major (bn_attention_hm)
    float *x;     // (max_batch, n_embd) residual stream
    float *xb;    // (max_batch, max(n_embd, q_dim)) normed input / attention output
    float *q;     // (max_batch, q_dim)
    float *k, *v; // (max_batch, kv_dim)
    float *tmp;   // (max_batch, n_embd) matmul output before the residual add
    float *gate, *up;  // (max_batch, n_ff)
    void *act;    // quantized activations, act_bytes
    size_t act_bytes;
    void *att_scratch;  // n_threads_max * bn_attention_scratch_bytes(n_ctx)
    int32_t *ids; // (max_batch,) token ids copied in

    int prof_on;                    // bn_model_profile
    double prof_ms[BN_PROF_COUNT];  // accumulated wall time per step kind
    double prof_t;                  // time of the last mark

    bn_layer layers[];  // n_layer
} bn_model;

// ---------------------------------------------------------------------------------------------
// Creation and the memory plan

BN_API int bn_model_role_count(void) { return BN_ROLE_COUNT; }
BN_API int bn_model_role_matrix_count(void) { return BN_ROLE_MATRIX_COUNT; }
BN_API int bn_model_role_layer_count(void) { return BN_ROLE_LAYER_COUNT; }
BN_API const char *bn_model_role_name(int role) { return role >= 0 && role < BN_ROLE_COUNT ? ROLE_NAMES[role] : 0; }

// Returns NULL when the hyperparameters are inconsistent (the TS side validates first and reports why).
BN_API bn_model *bn_model_create(int arch, int rope_type, int n_vocab, int n_embd, int n_layer, int n_head,
                                 int n_head_kv, int head_dim, int n_ff, int n_rot, float eps, float rope_base) {
    if (arch < BN_ARCH_BITNET_B158 || arch > BN_ARCH_LLAMA || rope_type < 0 || rope_type > 1) return 0;
    if (n_vocab <= 0 || n_embd <= 0 || n_layer <= 0 || n_layer > 4096 || n_head <= 0 || n_head_kv <= 0) return 0;
    if (head_dim <= 0 || n_ff <= 0 || n_rot <= 0 || n_rot > head_dim || (n_rot & 1)) return 0;
    if (n_head % n_head_kv != 0 || !(eps > 0) || !isfinite(eps) || !(rope_base > 0) || !isfinite(rope_base)) return 0;
    bn_model *m = calloc(1, sizeof(bn_model) + (size_t)n_layer * sizeof(bn_layer));
    if (!m) return 0;
    m->arch = arch;
    m->rope_type = rope_type;
    m->n_vocab = n_vocab;
    m->n_embd = n_embd;
    m->n_layer = n_layer;
    m->n_head = n_head;
    m->n_head_kv = n_head_kv;
    m->head_dim = head_dim;
    m->n_ff = n_ff;
    m->n_rot = n_rot;
    m->eps = eps;
    m->rope_base = rope_base;
    m->q_dim = n_head * head_dim;
    m->kv_dim = n_head_kv * head_dim;
    for (int l = 0; l < n_layer; l++)
        for (int r = 0; r < BN_ROLE_MATRIX_COUNT; r++) m->layers[l].mat_scale[r] = 1.0f;
    return m;
}

BN_API void bn_model_free(bn_model *m) { free(m); }

static size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

// Largest activation buffer any matmul of the model needs for `max_batch` rows, given the packed
// weight types (they must be set before the state is sized).
static size_t model_act_bytes(const bn_model *m, int max_batch) {
    size_t need = 0;
    for (int l = 0; l < m->n_layer; l++) {
        for (int r = 0; r < BN_ROLE_MATRIX_COUNT; r++) {
            const bn_weight *w = &m->layers[l].mat[r];
            size_t b = bn_act_bytes(w->type, max_batch, w->cols);
            if (b > need) need = b;
        }
    }
    size_t b = bn_act_bytes(m->output.type, max_batch, m->n_embd);
    return b > need ? b : need;
}

// Layout of the state block: returns the total size; fills the pointers when `base` is non-null.
static size_t model_state_layout(bn_model *m, char *base, int n_ctx, int max_batch, int n_threads_max) {
    size_t off = 0;
    const size_t A = 64;  // cache-line / SIMD alignment for every buffer
#define BN_CARVE(ptr, type, count)                                   \
    do {                                                               \
        off = align_up(off, A);                                        \
        if (base) (ptr) = (type *)(base + off);                        \
        off += (size_t)(count) * sizeof(type);                         \
    } while (0)
    size_t kv = (size_t)m->n_layer * (size_t)n_ctx * (size_t)m->kv_dim;
    bn_fp16 *kc = 0, *vc = 0;
    BN_CARVE(kc, bn_fp16, kv);
    BN_CARVE(vc, bn_fp16, kv);
    size_t xb_w = m->n_embd > m->q_dim ? m->n_embd : m->q_dim;
    float *x = 0, *xb = 0, *q = 0, *k = 0, *v = 0, *tmp = 0, *gate = 0, *up = 0;
    BN_CARVE(x, float, (size_t)max_batch * m->n_embd);
    BN_CARVE(xb, float, (size_t)max_batch * xb_w);
    BN_CARVE(q, float, (size_t)max_batch * m->q_dim);
    BN_CARVE(k, float, (size_t)max_batch * m->kv_dim);
    BN_CARVE(v, float, (size_t)max_batch * m->kv_dim);
    BN_CARVE(tmp, float, (size_t)max_batch * m->n_embd);
    BN_CARVE(gate, float, (size_t)max_batch * m->n_ff);
    BN_CARVE(up, float, (size_t)max_batch * m->n_ff);
    size_t act_bytes = model_act_bytes(m, max_batch);
    char *act = 0;
    BN_CARVE(act, char, act_bytes);
    char *att = 0;
    BN_CARVE(att, char, (size_t)n_threads_max * bn_attention_scratch_bytes(n_ctx));
    int32_t *ids = 0;
    BN_CARVE(ids, int32_t, max_batch);
#undef BN_CARVE
    if (base) {
        m->k_cache = kc;
        m->v_cache = vc;
        m->x = x;
        m->xb = xb;
        m->q = q;
        m->k = k;
        m->v = v;
        m->tmp = tmp;
        m->gate = gate;
        m->up = up;
        m->act = act;
        m->act_bytes = act_bytes;
        m->att_scratch = att;
        m->ids = ids;
    }
    return align_up(off, A);
}

// Bytes of the KV cache + scratch block for a context of n_ctx tokens, batches of up to max_batch tokens
// and up to n_threads_max threads. Call after every weight slot is filled (the activation buffer size
// depends on the packed types). Returns 0 on invalid arguments.
BN_API double bn_model_state_bytes(bn_model *m, int n_ctx, int max_batch, int n_threads_max) {
    if (!m || n_ctx <= 0 || max_batch <= 0 || n_threads_max <= 0 || n_threads_max > BN_MAX_THREADS) return 0;
    return (double)model_state_layout(m, 0, n_ctx, max_batch, n_threads_max);
}

// KV cache bytes alone (for reporting the memory plan).
BN_API double bn_model_kv_bytes(bn_model *m, int n_ctx) {
    if (!m || n_ctx <= 0) return 0;
    return 2.0 * m->n_layer * (double)n_ctx * m->kv_dim * sizeof(bn_fp16);
}

BN_API int bn_model_set_state(bn_model *m, void *mem, double bytes, int n_ctx, int max_batch, int n_threads_max) {
    if (!m || !mem) return BN_ERR_ARG;
    double need = bn_model_state_bytes(m, n_ctx, max_batch, n_threads_max);
    if (need <= 0 || bytes < need) return BN_ERR_ARG;
    model_state_layout(m, (char *)mem, n_ctx, max_batch, n_threads_max);
    m->n_ctx = n_ctx;
    m->max_batch = max_batch;
    m->n_threads_max = n_threads_max;
    return BN_OK;
}

// Pointer to the bn_weight slot of a per-layer matrix role, or of BN_ROLE_OUTPUT (layer ignored).
// The runtime fills it with bn_weight_init + bn_weight_pack_rows, or bn_weight_pack_i2s.
BN_API bn_weight *bn_model_weight(bn_model *m, int layer, int role) {
    if (!m) return 0;
    if (role == BN_ROLE_OUTPUT) return &m->output;
    if (role < 0 || role >= BN_ROLE_MATRIX_COUNT || layer < 0 || layer >= m->n_layer) return 0;
    return &m->layers[layer].mat[role];
}

BN_API int bn_weight_init(bn_weight *w, int type, int rows, int cols, void *data) {
    if (!w || rows <= 0 || cols <= 0) return BN_ERR_ARG;
    w->type = type;
    w->rows = rows;
    w->cols = cols;
    w->scale = 1.0f;
    w->data = data;
    return BN_OK;
}

// Extra scalar multiplier of a per-layer matrix output (arch `bitnet` `*.scale` tensors).
BN_API int bn_model_set_matrix_scale(bn_model *m, int layer, int role, float s) {
    if (!m || role < 0 || role >= BN_ROLE_MATRIX_COUNT || layer < 0 || layer >= m->n_layer || !isfinite(s)) return BN_ERR_ARG;
    m->layers[layer].mat_scale[role] = s;
    return BN_OK;
}

// Norm gains (f32, length n) for a per-layer vector role or BN_ROLE_OUTPUT_NORM.
BN_API int bn_model_set_vector(bn_model *m, int layer, int role, const float *data, int n) {
    if (!m || !data) return BN_ERR_ARG;
    if (role == BN_ROLE_OUTPUT_NORM) {
        if (n != m->n_embd) return BN_ERR_SHAPE;
        m->output_norm = data;
        return BN_OK;
    }
    if (role < BN_ROLE_MATRIX_COUNT || role >= BN_ROLE_LAYER_COUNT || layer < 0 || layer >= m->n_layer) return BN_ERR_ARG;
    int want = (role == BN_ROLE_FFN_SUB_NORM) ? m->n_ff : (role == BN_ROLE_ATTN_SUB_NORM ? m->q_dim : m->n_embd);
    if (n != want) return BN_ERR_SHAPE;
    m->layers[layer].vec[role - BN_ROLE_MATRIX_COUNT] = data;
    return BN_OK;
}

BN_API int bn_model_set_embedding(bn_model *m, const void *data, int type) {
    if (!m || !data) return BN_ERR_ARG;
    m->tok_embd = data;
    m->tok_embd_type = type;
    return BN_OK;
}

// Checks that every slot the architecture needs is filled with the right shape.
BN_API int bn_model_check(const bn_model *m) {
    if (!m || !m->tok_embd || !m->output_norm || !m->output.data) return BN_ERR_STATE;
    if (m->output.rows != m->n_vocab || m->output.cols != m->n_embd) return BN_ERR_SHAPE;
    const int sub = m->arch != BN_ARCH_LLAMA;
    for (int l = 0; l < m->n_layer; l++) {
        const bn_layer *L = &m->layers[l];
        const int rows[BN_ROLE_MATRIX_COUNT] = {m->q_dim, m->kv_dim, m->kv_dim, m->n_embd, m->n_ff, m->n_ff, m->n_embd};
        const int cols[BN_ROLE_MATRIX_COUNT] = {m->n_embd, m->n_embd, m->n_embd, m->q_dim, m->n_embd, m->n_embd, m->n_ff};
        for (int r = 0; r < BN_ROLE_MATRIX_COUNT; r++) {
            if (!L->mat[r].data) return BN_ERR_STATE;
            if (L->mat[r].rows != rows[r] || L->mat[r].cols != cols[r]) return BN_ERR_SHAPE;
        }
        if (!L->vec[BN_ROLE_ATTN_NORM - BN_ROLE_MATRIX_COUNT] || !L->vec[BN_ROLE_FFN_NORM - BN_ROLE_MATRIX_COUNT]) return BN_ERR_STATE;
        if (sub && (!L->vec[BN_ROLE_ATTN_SUB_NORM - BN_ROLE_MATRIX_COUNT] || !L->vec[BN_ROLE_FFN_SUB_NORM - BN_ROLE_MATRIX_COUNT]))
            return BN_ERR_STATE;
    }
    return m->k_cache ? BN_OK : BN_ERR_STATE;
}

BN_API int bn_model_n_ctx(const bn_model *m) { return m ? m->n_ctx : 0; }
BN_API int bn_model_max_batch(const bn_model *m) { return m ? m->max_batch : 0; }

// Profiler: enable (1) / disable (0); enabling clears the buckets.
BN_API int bn_model_profile(bn_model *m, int enable) {
    if (!m) return BN_ERR_ARG;
    m->prof_on = enable != 0;
    memset(m->prof_ms, 0, sizeof m->prof_ms);
    return BN_OK;
}
BN_API int bn_model_profile_count(void) { return BN_PROF_COUNT; }
BN_API const char *bn_model_profile_name(int i) { return i >= 0 && i < BN_PROF_COUNT ? PROF_NAMES[i] : 0; }
// accumulated milliseconds of bucket i since profiling was enabled (0 when off or out of range)
BN_API double bn_model_profile_ms(const bn_model *m, int i) { return m && i >= 0 && i < BN_PROF_COUNT ? m->prof_ms[i] : 0.0; }

// close the current step: time since the last mark goes to bucket b
static inline void prof_mark(bn_model *m, int b) {
    if (!m->prof_on) return;
    const double t = prof_now_ms();
    m->prof_ms[b] += t - m->prof_t;
    m->prof_t = t;
}

// ---------------------------------------------------------------------------------------------
// Forward pass

// RoPE for the `llama` arch: adjacent pairs (2i, 2i+1), theta like ggml (theta *= theta_scale in float).
static void rope_norm(float *x, int n_tokens, int pos0, int n_heads, int head_dim, int n_rot, float base) {
    const float theta_scale = powf(base, -2.0f / (float)n_rot);
    for (int t = 0; t < n_tokens; t++) {
        float *xt = x + (size_t)t * n_heads * head_dim;
        for (int h = 0; h < n_heads; h++) {
            float *xh = xt + (size_t)h * head_dim;
            float theta = (float)(pos0 + t);
            for (int i = 0; i < n_rot; i += 2) {
                const float c = cosf(theta), s = sinf(theta);
                const float a = xh[i], b = xh[i + 1];
                xh[i] = a * c - b * s;
                xh[i + 1] = a * s + b * c;
                theta *= theta_scale;
            }
        }
    }
}

// y (n, w->rows) = x (n, w->cols) @ W^T, quantizing x for w's type first; the product's time goes to
// profiler bucket `bucket`.
static int linear(bn_model *m, float *y, const bn_weight *w, float extra_scale, const float *x, int n, int bucket) {
    int st = bn_act_quantize(m->act, w->type, x, n, w->cols);
    if (st) return st;
    prof_mark(m, BN_PROF_QUANT);
    st = bn_matmul(y, w, m->act, n);
    if (st) return st;
    prof_mark(m, bucket);
    if (extra_scale != 1.0f) st = bn_scale(y, extra_scale, n * w->rows);
    prof_mark(m, BN_PROF_ELTWISE);
    return st;
}

static int layer_forward(bn_model *m, int l, int n, int pos0) {
    bn_layer *L = &m->layers[l];
    const float *const *vec = L->vec;
    const int sub = m->arch != BN_ARCH_LLAMA;
    const size_t kv_layer = (size_t)m->n_ctx * m->kv_dim;
    bn_fp16 *kc = m->k_cache + (size_t)l * kv_layer;
    bn_fp16 *vc = m->v_cache + (size_t)l * kv_layer;
    int st;
#define BN_TRY(call) do { if ((st = (call)) != BN_OK) return st; } while (0)

    // attention: a = RMSNorm(x) ; q,k,v = a @ W ; rope ; cache ; attend ; (sub-norm) ; x += o @ Wo
    BN_TRY(bn_rmsnorm(m->xb, m->x, vec[BN_ROLE_ATTN_NORM - BN_ROLE_MATRIX_COUNT], n, m->n_embd, m->eps));
    prof_mark(m, BN_PROF_NORM);
    const bn_weight *wq = &L->mat[BN_ROLE_ATTN_Q], *wk = &L->mat[BN_ROLE_ATTN_K], *wv = &L->mat[BN_ROLE_ATTN_V];
    if (wq->type == wk->type && wq->type == wv->type) {
        // one activation quantization shared by the three projections (bitnet.cpp does the same)
        BN_TRY(bn_act_quantize(m->act, wq->type, m->xb, n, m->n_embd));
        prof_mark(m, BN_PROF_QUANT);
        BN_TRY(bn_matmul(m->q, wq, m->act, n));
        BN_TRY(bn_matmul(m->k, wk, m->act, n));
        BN_TRY(bn_matmul(m->v, wv, m->act, n));
        prof_mark(m, BN_PROF_MATMUL);
        const float *s = L->mat_scale;
        if (s[BN_ROLE_ATTN_Q] != 1.0f) BN_TRY(bn_scale(m->q, s[BN_ROLE_ATTN_Q], n * m->q_dim));
        if (s[BN_ROLE_ATTN_K] != 1.0f) BN_TRY(bn_scale(m->k, s[BN_ROLE_ATTN_K], n * m->kv_dim));
        if (s[BN_ROLE_ATTN_V] != 1.0f) BN_TRY(bn_scale(m->v, s[BN_ROLE_ATTN_V], n * m->kv_dim));
    } else {
        BN_TRY(linear(m, m->q, wq, L->mat_scale[BN_ROLE_ATTN_Q], m->xb, n, BN_PROF_MATMUL));
        BN_TRY(linear(m, m->k, wk, L->mat_scale[BN_ROLE_ATTN_K], m->xb, n, BN_PROF_MATMUL));
        BN_TRY(linear(m, m->v, wv, L->mat_scale[BN_ROLE_ATTN_V], m->xb, n, BN_PROF_MATMUL));
    }
    prof_mark(m, BN_PROF_ELTWISE);
    if (m->rope_type == BN_ROPE_NEOX) {
        BN_TRY(bn_rope_neox(m->q, n, pos0, m->n_head, m->head_dim, m->n_rot, m->rope_base));
        BN_TRY(bn_rope_neox(m->k, n, pos0, m->n_head_kv, m->head_dim, m->n_rot, m->rope_base));
    } else {
        rope_norm(m->q, n, pos0, m->n_head, m->head_dim, m->n_rot, m->rope_base);
        rope_norm(m->k, n, pos0, m->n_head_kv, m->head_dim, m->n_rot, m->rope_base);
    }
    BN_TRY(bn_kv_store_hm(kc, m->k, n, pos0, m->n_head_kv, m->head_dim, m->n_ctx));
    BN_TRY(bn_kv_store_hm(vc, m->v, n, pos0, m->n_head_kv, m->head_dim, m->n_ctx));
    prof_mark(m, BN_PROF_ROPE);
    BN_TRY(bn_attention_hm(m->xb, m->q, kc, vc, n, pos0, m->n_head, m->n_head_kv, m->head_dim, m->n_ctx, m->att_scratch));
    prof_mark(m, BN_PROF_ATTN);
    if (sub) BN_TRY(bn_rmsnorm(m->xb, m->xb, vec[BN_ROLE_ATTN_SUB_NORM - BN_ROLE_MATRIX_COUNT], n, m->q_dim, m->eps));
    prof_mark(m, BN_PROF_NORM);
    BN_TRY(linear(m, m->tmp, &L->mat[BN_ROLE_ATTN_OUTPUT], L->mat_scale[BN_ROLE_ATTN_OUTPUT], m->xb, n, BN_PROF_MATMUL));
    BN_TRY(bn_add(m->x, m->tmp, n * m->n_embd));
    prof_mark(m, BN_PROF_ELTWISE);

    // feed-forward: f = RMSNorm(x) ; z = act(f @ Wgate) * (f @ Wup) ; (sub-norm) ; x += z @ Wdown
    BN_TRY(bn_rmsnorm(m->xb, m->x, vec[BN_ROLE_FFN_NORM - BN_ROLE_MATRIX_COUNT], n, m->n_embd, m->eps));
    prof_mark(m, BN_PROF_NORM);
    const bn_weight *wg = &L->mat[BN_ROLE_FFN_GATE], *wu = &L->mat[BN_ROLE_FFN_UP];
    if (wg->type == wu->type) {
        BN_TRY(bn_act_quantize(m->act, wg->type, m->xb, n, m->n_embd));
        prof_mark(m, BN_PROF_QUANT);
        BN_TRY(bn_matmul(m->gate, wg, m->act, n));
        BN_TRY(bn_matmul(m->up, wu, m->act, n));
        prof_mark(m, BN_PROF_MATMUL);
        if (L->mat_scale[BN_ROLE_FFN_GATE] != 1.0f) BN_TRY(bn_scale(m->gate, L->mat_scale[BN_ROLE_FFN_GATE], n * m->n_ff));
        if (L->mat_scale[BN_ROLE_FFN_UP] != 1.0f) BN_TRY(bn_scale(m->up, L->mat_scale[BN_ROLE_FFN_UP], n * m->n_ff));
    } else {
        BN_TRY(linear(m, m->gate, wg, L->mat_scale[BN_ROLE_FFN_GATE], m->xb, n, BN_PROF_MATMUL));
        BN_TRY(linear(m, m->up, wu, L->mat_scale[BN_ROLE_FFN_UP], m->xb, n, BN_PROF_MATMUL));
    }
    if (m->arch == BN_ARCH_BITNET_B158) BN_TRY(bn_relu2_mul(m->gate, m->gate, m->up, n * m->n_ff));
    else BN_TRY(bn_silu_mul(m->gate, m->gate, m->up, n * m->n_ff));
    prof_mark(m, BN_PROF_ELTWISE);
    if (sub) BN_TRY(bn_rmsnorm(m->gate, m->gate, vec[BN_ROLE_FFN_SUB_NORM - BN_ROLE_MATRIX_COUNT], n, m->n_ff, m->eps));
    prof_mark(m, BN_PROF_NORM);
    BN_TRY(linear(m, m->tmp, &L->mat[BN_ROLE_FFN_DOWN], L->mat_scale[BN_ROLE_FFN_DOWN], m->gate, n, BN_PROF_MATMUL));
    BN_TRY(bn_add(m->x, m->tmp, n * m->n_embd));
    prof_mark(m, BN_PROF_ELTWISE);
#undef BN_TRY
    return BN_OK;
}

// Evaluate n_tokens tokens at positions [pos0, pos0 + n_tokens). Writes logits to `logits`:
// all_logits != 0 → (n_tokens, n_vocab), else only the last token's (n_vocab,).
// Token ids are read from `tokens` (any memory); n_tokens <= max_batch; pos0 + n_tokens <= n_ctx.
BN_API int bn_model_forward(bn_model *m, const int32_t *tokens, int n_tokens, int pos0, float *logits, int all_logits) {
    if (!m || !tokens || !logits) return BN_ERR_ARG;
    if (!m->k_cache) return BN_ERR_STATE;
    if (n_tokens <= 0 || n_tokens > m->max_batch) return BN_ERR_ARG;
    if (pos0 < 0 || pos0 + n_tokens > m->n_ctx) return BN_ERR_RANGE;
    // the per-thread attention scratch was sized for n_threads_max: a pool grown since (kernels shared
    // with a model loaded with more threads) would write past it
    if (bn_threads_count() > m->n_threads_max) return BN_ERR_THREADS;
    if (m->prof_on) m->prof_t = prof_now_ms();
    memcpy(m->ids, tokens, (size_t)n_tokens * sizeof(int32_t));
    // a table shared with the head (tied embedding) is in the head's packed layout
    int st = m->tok_embd == m->output.data ? bn_weight_get_rows(m->x, &m->output, m->ids, n_tokens)
                                           : bn_get_rows(m->x, m->tok_embd, m->tok_embd_type, m->n_vocab, m->n_embd, m->ids, n_tokens);
    if (st) return st;
    prof_mark(m, BN_PROF_EMBED);
    for (int l = 0; l < m->n_layer; l++) {
        st = layer_forward(m, l, n_tokens, pos0);
        if (st) return st;
    }
    // head: only the rows whose logits are wanted
    const float *x = all_logits ? m->x : m->x + (size_t)(n_tokens - 1) * m->n_embd;
    const int rows = all_logits ? n_tokens : 1;
    st = bn_rmsnorm(m->xb, x, m->output_norm, rows, m->n_embd, m->eps);
    if (st) return st;
    prof_mark(m, BN_PROF_NORM);
    return linear(m, logits, &m->output, 1.0f, m->xb, rows, BN_PROF_HEAD);
}
