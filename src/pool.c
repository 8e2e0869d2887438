/* The thread pool of pool.h.
 *
 * A run: the caller stores the task, bumps `generation` and wakes any
 * sleeping worker; every worker runs its share (tasks id, id + T, ...) and
 * checks in by decrementing `pending`; the caller runs share 0 and waits
 * until pending is 0.  Every worker checks in on every run, and after it
 * has, touches nothing but `generation` until the next run, so the caller
 * may reuse the task fields as soon as it returns.
 *
 * Waiting: a worker spins (with a pause instruction) for SPIN_NS after its
 * last run, longer than the gaps between the products of a training step
 * (waking a sleeping thread costs tens of µs), then sleeps on a condition
 * variable: an idle pool costs no CPU, and under valgrind (which runs one
 * thread at a time) the spinner soon gives way.  The lost
 * wake-up is ruled out Dekker-style: a worker counts itself in `sleepers`
 * before its last look at `generation` (both sequentially consistent, under
 * the mutex), the caller bumps generation before it looks at sleepers. */
#include "pool.h"

#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_PAUSE() _mm_pause()
#elif defined(__aarch64__) && defined(__GNUC__)
#define CPU_PAUSE() __asm__ __volatile__("yield")
#else
#define CPU_PAUSE() ((void)0)
#endif

/* How long a worker waits for the next run before it sleeps; after the
 * first YIELD_NS of it, it offers its CPU (sched_yield) at every look at
 * the clock, which costs little on an idle machine and lets the caller's
 * thread run on a busy one.  PAUSES_PER_CLOCK pauses between two looks. */
enum { SPIN_NS = 100000, YIELD_NS = 10000, PAUSES_PER_CLOCK = 32 };

typedef struct worker {
    nnc_pool *pool;
    int id; /* 1..n_threads-1 */
    pthread_t thread;
} worker;

struct nnc_pool {
    int n_threads;
    worker *workers;
    /* The run: written by the caller before the bump of generation. */
    nnc_pool_task fn;
    void *arg;
    int n_tasks;
    int stop;
    alignas(64) atomic_ulong generation;
    alignas(64) atomic_int pending; /* workers yet to check in */
    atomic_int sleepers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs this thread's share of the current run. */
static void run_share(nnc_pool *pool, int id)
{
    for (int t = id; t < pool->n_tasks; t += pool->n_threads)
        pool->fn(pool->arg, t, pool->n_tasks);
}

/* Waits until generation differs from seen; returns the new one. */
static unsigned long wait_for_run(nnc_pool *pool, unsigned long seen)
{
    unsigned long g;
    const long long start = now_ns();
    for (int spins = 1;; spins++) {
        if ((g = atomic_load(&pool->generation)) != seen)
            return g;
        CPU_PAUSE();
        if (spins % PAUSES_PER_CLOCK == 0) {
            long long waited = now_ns() - start;
            if (waited > SPIN_NS)
                break;
            if (waited > YIELD_NS)
                sched_yield();
        }
    }
    pthread_mutex_lock(&pool->lock);
    atomic_fetch_add(&pool->sleepers, 1);
    while ((g = atomic_load(&pool->generation)) == seen)
        pthread_cond_wait(&pool->wake, &pool->lock);
    atomic_fetch_sub(&pool->sleepers, 1);
    pthread_mutex_unlock(&pool->lock);
    return g;
}

static void *worker_main(void *p)
{
    worker *w = p;
    nnc_pool *pool = w->pool;
    unsigned long seen = 0;
    for (;;) {
        seen = wait_for_run(pool, seen);
        if (pool->stop)
            return NULL;
        run_share(pool, w->id);
        atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_release);
    }
}

/* Publishes the run (fn, arg, n_tasks, stop already set) to the workers. */
static void start_run(nnc_pool *pool)
{
    atomic_store_explicit(&pool->pending, pool->n_threads - 1, memory_order_relaxed);
    atomic_fetch_add(&pool->generation, 1);
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
}

/* Stops and joins the first `started` workers, frees the pool. */
static void destroy(nnc_pool *pool, int started)
{
    if (started > 0) {
        pool->stop = 1;
        start_run(pool);
        for (int i = 0; i < started; i++)
            pthread_join(pool->workers[i].thread, NULL);
    }
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool->workers);
    free(pool);
}

nnc_status nnc_pool_create(nnc_pool **out, int n_threads)
{
    if (!out || n_threads < 2 || n_threads > NNC_MAX_THREADS)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_pool_create: %d threads (2 to %d)", n_threads,
                        NNC_MAX_THREADS);
    nnc_pool *pool = calloc(1, sizeof *pool);
    worker *workers = calloc((size_t)n_threads - 1, sizeof *workers);
    if (!pool || !workers) {
        free(pool);
        free(workers);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_pool_create: out of memory");
    }
    pool->n_threads = n_threads;
    pool->workers = workers;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->sleepers, 0);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    /* The workers inherit a mask that blocks every signal: signals go to
     * the caller's threads, as they would without a pool. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = 0;
    for (; started < n_threads - 1; started++) {
        workers[started].pool = pool;
        workers[started].id = started + 1;
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]))
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < n_threads - 1) {
        destroy(pool, started);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_pool_create: could not start thread %d of %d",
                        started + 2, n_threads);
    }
    *out = pool;
    return NNC_OK;
}

void nnc_pool_run(nnc_pool *pool, nnc_pool_task fn, void *arg, int n_tasks)
{
    if (!pool || n_tasks <= 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(arg, t, n_tasks);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    pool->n_tasks = n_tasks;
    start_run(pool);
    run_share(pool, 0);
    /* The workers' shares take about as long as this one: spin, then let
     * a worker that lost its CPU have this one. */
    for (int spins = 1;
         atomic_load_explicit(&pool->pending, memory_order_acquire) != 0; spins++) {
        CPU_PAUSE();
        if (spins % 4096 == 0)
            sched_yield();
    }
}

int nnc_pool_threads(const nnc_pool *pool) { return pool ? pool->n_threads : 1; }

void nnc_pool_free(nnc_pool *pool)
{
    if (pool)
        destroy(pool, pool->n_threads - 1);
}

int nnc_pool_parts(const nnc_pool *pool, double work, double min_work, int items)
{
    double parts = nnc_pool_threads(pool);
    if (parts > work / min_work)
        parts = work / min_work;
    if (parts > items)
        parts = items;
    return parts >= 2 ? (int)parts : 1;
}

void nnc_pool_piece(size_t count, int part, int parts, size_t align, size_t *begin,
                    size_t *end)
{
    /* Even pieces of whole units of `align`; the last takes the remainder. */
    size_t units = count / align, b = units * (size_t)part / (size_t)parts * align;
    *begin = b;
    *end = part == parts - 1 ? count : units * (size_t)(part + 1) / (size_t)parts * align;
}
