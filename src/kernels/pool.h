/* A small persistent pool of threads for the batch-level kernels (pool.c).
 * A net owns at most one (nnc_net_set_threads); nothing here is global.
 *
 * nnc_pool_run gives each thread the same tasks run after run (the
 * caller's included), but a task whose thread is slow to wake or has lost
 * its CPU to another process goes to whichever thread is free first.
 * Which thread runs a task never changes a result: the kernels cut their work only into pieces whose
 * every value is computed exactly as it would be unsplit (no sum is ever
 * divided), so results are bitwise the same whatever the thread count. */
#ifndef NNC_POOL_H
#define NNC_POOL_H

#include "nnc.h"

typedef struct nnc_pool nnc_pool;

/* The most threads a pool (and a net) may have. */
enum { NNC_MAX_THREADS = 256 };

/* The most tasks of one run (more run in the caller alone). */
enum { NNC_MAX_TASKS = NNC_MAX_THREADS };

/* One task: task is 0..n_tasks-1 of this run. */
typedef void (*nnc_pool_task)(void *arg, int task, int n_tasks);

/* Starts n_threads - 1 workers (the caller of nnc_pool_run is the last
 * thread); 2 <= n_threads <= NNC_MAX_THREADS.  Workers block every signal. */
nnc_status nnc_pool_create(nnc_pool **out, int n_threads);
/* Runs fn(arg, t, n_tasks) for t = 0..n_tasks-1 (n_tasks <= NNC_MAX_TASKS)
 * on the pool's threads, the caller included; returns when all are done.
 * pool NULL or n_tasks 1: in the caller alone.  One run at a time per pool
 * (a task must not start another run on it). */
void nnc_pool_run(nnc_pool *pool, nnc_pool_task fn, void *arg, int n_tasks);
/* The number of threads, the caller's included (1 for NULL). */
int nnc_pool_threads(const nnc_pool *pool);
/* Stops and joins the workers; NULL is fine. */
void nnc_pool_free(nnc_pool *pool);

/* How many pieces to cut `work` units into: one per thread, but only when
 * each piece gets at least min_work, and never more than `items` pieces. */
int nnc_pool_parts(const nnc_pool *pool, double work, double min_work, int items);
/* Piece `part` of `parts` of the range [0, count): [*begin, *end), cut at
 * multiples of `align` (the last piece takes the rest). */
void nnc_pool_piece(size_t count, int part, int parts, size_t align, size_t *begin,
                    size_t *end);

#endif
