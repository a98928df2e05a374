// threads.c — the kernels' thread pool: n-1 persistent workers plus the calling thread, fork/join
// per kernel call, tasks claimed dynamically (see pool_t). Workers spin briefly on a generation counter after each job (the next matmul
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

// A job is n_tasks tasks that any thread may run, claimed one at a time from `claim` (job id, task
// count and next task in one word, so a late thread can never run a task of a finished job with the
// next job's function); the caller runs tasks too and then waits only for the tasks other threads
// have claimed and not finished. So a worker that the OS does not schedule (another process busy on
// the same cores) delays nothing but the one task it holds: with a static split the caller would
// wait for its whole share, which made 2 threads on 2 busy cores 2x slower than 1 thread.
#define CLAIM(job, n, next) ((uint64_t)(job) << 32 | (uint64_t)(n) << 16 | (uint64_t)(next))
enum { MAX_TASKS = 0xffff, TASKS_PER_THREAD = 8 };

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t tid[BN_MAX_THREADS];
    int n_threads;                 // total, caller included
    _Atomic unsigned generation;   // bumped for every job (and for shutdown)
    _Atomic int started;           // workers that have entered their loop
    _Atomic int epoch;             // bumped when the pool stops: workers of older epochs exit
    _Atomic uint64_t claim;        // CLAIM(job, n_tasks, next task)
    _Atomic int done;              // tasks of the current job finished
    uint32_t job;                  // id of the current job (caller only)
    bn_task_fn fn;                 // of the current job: read only after a successful claim
    void *ctx;
} pool_t;

// run tasks of `job` until none is left to claim; returns when the job has no unclaimed task
static void run_tasks(pool_t *p, uint32_t job, int thread) {
    for (;;) {
        uint64_t c = atomic_load_explicit(&p->claim, memory_order_acquire);
        const uint32_t n = (uint32_t)(c >> 16) & 0xffff, next = (uint32_t)c & 0xffff;
        if ((uint32_t)(c >> 32) != job || next >= n) return;
        if (!atomic_compare_exchange_weak_explicit(&p->claim, &c, c + 1, memory_order_acq_rel, memory_order_acquire)) continue;
        p->fn(p->ctx, (int)next, (int)n, thread);  // the job cannot end before this task is done
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

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
        run_tasks(p, (uint32_t)(atomic_load_explicit(&p->claim, memory_order_acquire) >> 32), ith);
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
    if (p->n_threads <= 1 || max_tasks <= 1) {
        fn(ctx, 0, 1, 0);
        return;
    }
    int n = p->n_threads * TASKS_PER_THREAD;
    if (n > max_tasks) n = max_tasks;
    if (n > MAX_TASKS) n = MAX_TASKS;
    // every task of the previous job is done: nobody reads fn/ctx until the claim below is published
    p->fn = fn;
    p->ctx = ctx;
    p->job++;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->claim, CLAIM(p->job, n, 0), memory_order_release);
    publish(p);
    run_tasks(p, p->job, 0);
    while (atomic_load_explicit(&p->done, memory_order_acquire) < n) cpu_relax();
}

#else  // no threads in this build

BN_API bn_status bn_threads_init(int n_threads) { return n_threads == 1 ? BN_OK : BN_ERR_THREADS; }
BN_API int bn_threads_count(void) { return 1; }
void bn_parallel(bn_task_fn fn, void *ctx, int max_tasks) {
    (void)max_tasks;
    fn(ctx, 0, 1, 0);
}

#endif
