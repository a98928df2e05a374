// threads.c — the kernels' thread pool: n-1 persistent workers plus the calling thread, fork/join
// per kernel call. Workers spin briefly on a generation counter after each job (the next matmul
// usually follows within microseconds), then sleep on a condition variable (a futex in wasm), so
// an idle engine burns no core. Built only where pthreads exist: the host and the 'mt' wasm flavour;
// elsewhere (the 'st' flavour) every job runs on the caller and bn_threads_init(n > 1) fails.
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L  // clock_gettime with -std=c11
#endif
#include "kernels-internal.h"

#if defined(__EMSCRIPTEN_PTHREADS__) || !defined(__EMSCRIPTEN__)
#define BN_HAVE_THREADS 1
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#else
#define BN_HAVE_THREADS 0
#endif

#if BN_HAVE_THREADS

enum { SPIN_ITERS = 1 << 16, START_TIMEOUT_MS = 2000 };

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t tid[BN_MAX_THREADS];
    int n_threads;                 // total, caller included
    _Atomic unsigned generation;   // bumped for every job (and for shutdown)
    _Atomic int pending;           // workers still running the current job
    _Atomic int started;           // workers that have entered their loop
    _Atomic int epoch;             // bumped when the pool stops: workers of older epochs exit
    bn_task_fn fn;
    void *ctx;
    int nth;                       // tasks in the current job
} pool_t;

static pool_t g_pool = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
    .n_threads = 1,
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker_main(void *arg) {
    const int ith = (int)((intptr_t)arg & 0xff), epoch = (int)((intptr_t)arg >> 8);
    pool_t *p = &g_pool;
    unsigned seen = atomic_load_explicit(&p->generation, memory_order_acquire);
    if (atomic_load(&p->epoch) != epoch) return 0;  // a straggler from a pool that gave up on it
    atomic_fetch_add(&p->started, 1);
    for (;;) {
        unsigned gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen && spins < SPIN_ITERS) {
            cpu_relax();
            spins++;
        }
        if (gen == seen) {
            pthread_mutex_lock(&p->mu);
            while ((gen = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen) pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        seen = gen;
        if (atomic_load_explicit(&p->epoch, memory_order_acquire) != epoch) break;
        if (ith < p->nth) p->fn(p->ctx, ith, p->nth);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel);
    }
    return 0;
}

static void publish(pool_t *p) {
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void pool_stop(pool_t *p, int joinable) {
    const int workers = p->n_threads - 1;
    if (workers <= 0) return;
    atomic_fetch_add(&p->epoch, 1);
    publish(p);
    for (int i = 0; i < workers; i++) {
        if (joinable) pthread_join(p->tid[i], 0);
        else pthread_detach(p->tid[i]);
    }
    p->n_threads = 1;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

BN_API bn_status bn_threads_init(int n_threads) {
    pool_t *p = &g_pool;
    if (n_threads < 1 || n_threads > BN_MAX_THREADS) return BN_ERR_THREADS;
    if (n_threads == p->n_threads) return BN_OK;
    pool_stop(p, 1);
    atomic_store(&p->started, 0);
    const intptr_t epoch = atomic_load(&p->epoch);
    atomic_store(&p->pending, 0);
    int created = 0;
    for (int i = 0; i < n_threads - 1; i++) {
        if (pthread_create(&p->tid[i], 0, worker_main, (void *)((epoch << 8) | (i + 1))) != 0) break;
        created++;
    }
    p->n_threads = created + 1;
    if (created != n_threads - 1) {
        pool_stop(p, 1);
        return BN_ERR_THREADS;
    }
    // In wasm a pthread only runs once a pre-started pool worker picks it up; if the host did not
    // pre-start enough workers the thread would wait for this (blocked) thread's event loop.
    // Never deadlock on that: give up after a timeout and let the stragglers exit when they start.
    const double t0 = now_ms();
    while (atomic_load(&p->started) < created) {
        if (now_ms() - t0 > START_TIMEOUT_MS) {
            pool_stop(p, 0);
            return BN_ERR_THREADS;
        }
        cpu_relax();
    }
    return BN_OK;
}

BN_API int bn_threads_count(void) { return g_pool.n_threads; }

void bn_parallel(bn_task_fn fn, void *ctx, int max_tasks) {
    pool_t *p = &g_pool;
    int nth = p->n_threads < max_tasks ? p->n_threads : max_tasks;
    if (nth <= 1) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->nth = nth;
    atomic_store_explicit(&p->pending, p->n_threads - 1, memory_order_release);
    publish(p);
    fn(ctx, 0, nth);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) cpu_relax();
}

#else  // no threads in this build

BN_API bn_status bn_threads_init(int n_threads) { return n_threads == 1 ? BN_OK : BN_ERR_THREADS; }
BN_API int bn_threads_count(void) { return 1; }
void bn_parallel(bn_task_fn fn, void *ctx, int max_tasks) {
    (void)max_tasks;
    fn(ctx, 0, 1);
}

#endif
