/* The thread pool of pool.h.
 *
 * A run: the caller stores fn and arg, then publishes the run in one
 * atomic word, `ticket` = [generation:48][n_tasks:16], and wakes any
 * sleeping worker.  Task t belongs to the generation stored in claim[t]:
 * a thread claims it for generation g by raising claim[t] from below g to
 * g (compare-and-swap).  Every thread first tries its own tasks (thread i:
 * i, i + T, ...; the caller is thread 0), so each piece of the work stays
 * on the same core from run to run while all threads keep up, then any
 * task still unclaimed.  A worker that wakes after its run is over claims
 * nothing: by then every task of that run holds that generation or a later
 * one.  Each finished task bumps `done`; the caller returns when done =
 * n_tasks, so fn and arg stay valid as long as any task can still start.
 *
 * Waiting (workers for a run, the caller for the last tasks) pauses and
 * looks again; after YIELD_NS it also offers the CPU (sched_yield) at every
 * look at the clock, which costs little on an idle machine and lets the
 * other threads run on a busy one or with more threads than CPUs.  A worker
 * waits SPIN_NS, longer than the gaps between the products of a training
 * step (waking a sleeping thread costs tens of µs), then sleeps on a
 * condition variable: an idle pool costs no CPU, and under valgrind (one
 * thread at a time) the spinner soon gives way.  No wake-up is lost: a
 * worker counts itself in `sleepers` before its last look at the ticket
 * (both sequentially consistent, under the mutex), and the caller
 * publishes the ticket before it looks at sleepers. */
#include "pool.h"

#include "internal.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
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

/* The waits above: a worker's spin before it sleeps, the spin before
 * yielding, and how many pauses between two looks at the clock. */
enum { SPIN_NS = 100000, YIELD_NS = 10000, PAUSES_PER_CLOCK = 32 };

/* The fields of the ticket: 48 bits of generation never wrap (a run takes
 * a µs at least), 16 of tasks hold NNC_MAX_TASKS. */
#define TICKET(gen, n) ((uint64_t)(gen) << 16 | (uint64_t)(n))
#define TICKET_GEN(t) ((t) >> 16)
#define TICKET_TASKS(t) ((int)((t) & 0xffff))

typedef struct worker_start {
    nnc_pool *pool;
    int id; /* 1..n_threads-1 */
} worker_start;

struct nnc_pool {
    int n_threads;
    pthread_t *workers;    /* n_threads - 1 */
    worker_start *starts;  /* their arguments */
    /* The run: written by the caller before it publishes the ticket. */
    nnc_pool_task fn;
    void *arg;
    int stop;
    alignas(64) _Atomic uint64_t ticket;
    alignas(64) atomic_int done; /* tasks of this run finished */
    atomic_int sleepers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    alignas(64) _Atomic uint64_t claim[NNC_MAX_TASKS]; /* the generation each task last ran for */
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One spell of waiting: spin_once pauses, and returns 0 once limit_ns
 * have passed since spin_start. */
typedef struct spin {
    long long start;
    unsigned pauses;
} spin;

static spin spin_start(void) { return (spin){now_ns(), 0}; }

static int spin_once(spin *sp, long long limit_ns)
{
    CPU_PAUSE();
    if (++sp->pauses % PAUSES_PER_CLOCK == 0) {
        long long waited = now_ns() - sp->start;
        if (waited > limit_ns)
            return 0;
        if (waited > YIELD_NS)
            sched_yield();
    }
    return 1;
}

/* Claims task t for generation gen: 1 if this thread is to run it. */
static int claim(nnc_pool *pool, int t, uint64_t gen)
{
    uint64_t c = atomic_load(&pool->claim[t]);
    while (c < gen) /* claimed for an earlier run only */
        if (atomic_compare_exchange_weak(&pool->claim[t], &c, gen))
            return 1;
    return 0;
}

/* Runs task t of the current run. */
static void run_task(nnc_pool *pool, int t, int n_tasks)
{
    pool->fn(pool->arg, t, n_tasks);
    atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
}

/* Thread `id`'s part of run (gen, n_tasks): its own tasks, then any left. */
static void run_tasks(nnc_pool *pool, int id, uint64_t gen, int n_tasks)
{
    for (int t = id; t < n_tasks; t += pool->n_threads)
        if (claim(pool, t, gen))
            run_task(pool, t, n_tasks);
    for (int t = 0; t < n_tasks; t++)
        if (t % pool->n_threads != id && claim(pool, t, gen))
            run_task(pool, t, n_tasks);
}

/* Waits until the ticket's generation differs from seen; returns it. */
static uint64_t wait_for_run(nnc_pool *pool, uint64_t seen)
{
    uint64_t g;
    for (spin sp = spin_start(); spin_once(&sp, SPIN_NS);)
        if ((g = TICKET_GEN(atomic_load(&pool->ticket))) != seen)
            return g;
    pthread_mutex_lock(&pool->lock);
    atomic_fetch_add(&pool->sleepers, 1);
    while ((g = TICKET_GEN(atomic_load(&pool->ticket))) == seen)
        pthread_cond_wait(&pool->wake, &pool->lock);
    atomic_fetch_sub(&pool->sleepers, 1);
    pthread_mutex_unlock(&pool->lock);
    return g;
}

static void *worker_main(void *p)
{
    nnc_pool *pool = ((worker_start *)p)->pool;
    const int id = ((worker_start *)p)->id;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_run(pool, seen);
        if (pool->stop)
            return NULL;
        uint64_t t = atomic_load(&pool->ticket);
        if (TICKET_GEN(t) == seen)
            run_tasks(pool, id, seen, TICKET_TASKS(t));
    }
}

/* Publishes a run of n_tasks (fn, arg, stop already set); returns its
 * generation. */
static uint64_t publish(nnc_pool *pool, int n_tasks)
{
    uint64_t gen = TICKET_GEN(atomic_load(&pool->ticket)) + 1;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    atomic_store(&pool->ticket, TICKET(gen, n_tasks));
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    return gen;
}

/* Stops and joins the first `started` workers, frees the pool. */
static void destroy(nnc_pool *pool, int started)
{
    if (started > 0) {
        pool->stop = 1;
        publish(pool, 0);
        for (int i = 0; i < started; i++)
            pthread_join(pool->workers[i], NULL);
    }
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool->workers);
    free(pool->starts);
    free(pool);
}

nnc_status nnc_pool_create(nnc_pool **out, int n_threads)
{
    if (!out || n_threads < 2 || n_threads > NNC_MAX_THREADS)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_pool_create: %d threads (2 to %d)", n_threads,
                        NNC_MAX_THREADS);
    nnc_pool *pool = calloc(1, sizeof *pool);
    pthread_t *workers = calloc((size_t)n_threads - 1, sizeof *workers);
    worker_start *starts = calloc((size_t)n_threads - 1, sizeof *starts);
    if (!pool || !workers || !starts) {
        free(pool);
        free(workers);
        free(starts);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_pool_create: out of memory");
    }
    pool->n_threads = n_threads;
    pool->workers = workers;
    atomic_init(&pool->ticket, TICKET(0, 0));
    for (int t = 0; t < NNC_MAX_TASKS; t++)
        atomic_init(&pool->claim[t], 0);
    atomic_init(&pool->done, 0);
    atomic_init(&pool->sleepers, 0);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    /* The workers inherit a mask that blocks every signal: signals go to
     * the caller's threads, as they would without a pool. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pool->starts = starts;
    int started = 0;
    for (; started < n_threads - 1; started++) {
        starts[started] = (worker_start){pool, started + 1};
        if (pthread_create(&workers[started], NULL, worker_main, &starts[started]))
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
    if (!pool || n_tasks <= 1 || n_tasks > NNC_MAX_TASKS) {
        for (int t = 0; t < n_tasks; t++)
            fn(arg, t, n_tasks);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    run_tasks(pool, 0, publish(pool, n_tasks), n_tasks);
    /* The last tasks run on workers: wait for them, never sleeping. */
    for (spin sp = spin_start();
         atomic_load_explicit(&pool->done, memory_order_acquire) != n_tasks;)
        spin_once(&sp, LLONG_MAX);
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
