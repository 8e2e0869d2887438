/* Internal helpers shared by the library's source files (not installed). */
#ifndef NNC_INTERNAL_H
#define NNC_INTERNAL_H

#include "nnc.h"

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define NNC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNC_PRINTF(f, a)
#endif

/* Records a detail message for nnc_last_error() and returns status. */
nnc_status nnc_fail(nnc_status status, const char *fmt, ...) NNC_PRINTF(2, 3);
/* Forgets the previous detail message. */
void nnc_clear_error(void);

/* One number as printf's "%.<prec>f" (conv 'f'), "%.<prec>g" or "%.<prec>e"
 * writes it in the C locale ('.' as decimal point), whatever locale the
 * program has set: every number the library writes as text goes through it
 * (src/plot.c).  prec: 0 to 40.  Returns the length, truncated to fit size
 * like snprintf. */
int nnc_format_number(char *buf, size_t size, char conv, int prec, double v);

/* Colours panel p's grid (nnc_plot_grid) by class: a cell holding k = 0, 1,
 * ... takes the colour of the panel's series k, so that decision regions
 * match the points of the same class (src/plot.c). */
nnc_status nnc_plot_grid_by_series(nnc_plot *plot, int p);

/* Copies untrusted text s[0..n) into buf for an error message: control
 * characters become '?', bytes >= 0x80 are kept only with keep_utf8, and a
 * long text is shortened with "...".  Returns buf. */
const char *nnc_printable(const void *s, size_t n, int keep_utf8, char *buf, size_t size);
/* The memory limit a reader applies: max_memory, or 0 for
 * nnc_default_max_memory(). */
size_t nnc_memory_limit(size_t max_memory);
/* What is left of limit once used bytes are held, at least 1 (0 would
 * mean the default limit to the readers). */
static inline size_t nnc_memory_left(size_t limit, size_t used)
{
    return limit > used ? limit - used : 1;
}
/* A reader's whole file: nnc_read_file within the reader's memory limit
 * (max_memory, 0 for the default) and its own cap on a file's size (0:
 * none); *left gets what the limit leaves for what is built from the
 * bytes, which stay held meanwhile. */
nnc_status nnc_read_input(const char *path, size_t max_memory, size_t cap,
                          unsigned char **bytes, size_t *len, size_t *left);
/* The refusal of an input that would occupy more than the memory limit:
 * "<what>: <thing> would need 884 MB (limit 256 MB; see --max-memory)",
 * NNC_ERR_FORMAT (bad input, not a failure of the machine). */
nnc_status nnc_refuse_size(const char *what, const char *thing, size_t need, size_t limit);

/* An uninitialised dataset of rows × (n_in, n_out), sizes already checked
 * (positive, rows·width within int); readers fill it in place through the
 * mutable views.  `what` names the source in the out-of-memory message. */
nnc_status nnc_dataset_alloc(nnc_dataset **out, int rows, int n_in, int n_out,
                             const char *what);
nnc_real *nnc_dataset_x_mutable(nnc_dataset *ds);
nnc_real *nnc_dataset_y_mutable(nnc_dataset *ds);

/* nnc_rng_shuffle of idx[0..n) in pieces: a shuffle starts with i = n;
 * each call draws up to `steps` more of its picks and returns the new i,
 * and the shuffle is complete once that is at most 1.  The pieces draw
 * and swap exactly as one nnc_rng_shuffle does. */
size_t nnc_rng_shuffle_part(nnc_rng *rng, uint32_t *idx, size_t i, size_t steps);
/* The task's output function, A = out(Z), in place-safe form (A may equal
 * Z).  Z, A are (m, n).  The net applies it in its forward pass. */
void nnc_output_forward(nnc_task task, const nnc_real *Z, nnc_real *A, int m, int n);
/* dZ = A − Y: the fused gradient of the task's loss through its output
 * function, not yet divided by m.  A, Y, dZ are (m, n). */
void nnc_output_loss_gradient(const nnc_real *A, const nnc_real *Y, nnc_real *dZ,
                              int m, int n);
/* nnc_net_sgd_update that also checks every updated value: returns -1 if
 * all are finite, else 2·layer for the first layer whose weights hold a
 * NaN/Inf, 2·layer + 1 for its bias (layer 0-based). */
int nnc_net_sgd_update_checked(nnc_net *net, double eta);
/* Copies rows rows[0..m) of X (·, n_in) and Y (·, n_out) into Xb (m, n_in)
 * and Yb (m, n_out). */
void nnc_gather_rows(nnc_real *Xb, nnc_real *Yb, const nnc_real *X, const nnc_real *Y,
                     const uint32_t *rows, int m, int n_in, int n_out);
/* One training step on the batch made of rows rows[0..m) of X (·, inputs)
 * and Y (·, outputs), m from 1 to max_batch, read where they are: the
 * same parameters, bit for bit, as nnc_net_forward, nnc_net_backward and
 * nnc_net_sgd_update_checked on the gathered rows, and its return value.
 * The gradients are not kept (the general path descends straight from the
 * weight gradients' products; small one-hidden-layer networks take
 * nnc_small_step), and nnc_net_backward then needs a new forward pass. */
int nnc_net_train_step(nnc_net *net, const nnc_real *X, const nnc_real *Y,
                       const uint32_t *rows, int m, double eta);
/* Up to count such steps (at least 1) on consecutive batches, step k on
 * the rows rows[k·m .. k·m + m).  After each step that leaves the
 * parameters finite, after(after_ctx) when after is not NULL; a nonzero
 * return stops the steps.  Returns how many steps it took (1..count); *bad
 * gets nnc_net_train_step's value for the last of them (-1 unless that
 * one diverged, which stops the steps too). */
int nnc_net_train_steps(nnc_net *net, const nnc_real *X, const nnc_real *Y,
                        const uint32_t *rows, int m, int count, double eta,
                        int (*after)(void *), void *after_ctx, int *bad);
/* The paths a training step can take (src/core/step.c says what each
 * is and when it applies). */
typedef enum nnc_step_plan {
    NNC_PLAN_REFERENCE,
    NNC_PLAN_SMALL_FIT,
    NNC_PLAN_SMALL_STEP,
    NNC_PLAN_FUSED,
    NNC_PLAN_OPENBLAS,
    NNC_PLAN_COUNT
} nnc_step_plan;
/* The path nnc_net_train_steps takes for a batch of m rows: the net's
 * forced plan where it applies, else the fastest that applies. */
nnc_step_plan nnc_net_plan(const nnc_net *net, int m);
/* For tests: the net's steps take plan wherever it applies (the reference
 * applies everywhere), or the planner's choice again with -1. */
void nnc_net_force_plan(nnc_net *net, int plan);
/* The net's L1 and L2 (nnc_net_set_regularization). */
void nnc_net_regularization(const nnc_net *net, double *l1, double *l2);
const char *nnc_step_plan_name(nnc_step_plan plan);
/* The first layer (0-based) whose Z or A in the last forward pass holds a
 * NaN/Inf, or -1. */
int nnc_net_nonfinite_layer(const nnc_net *net);

/* The one NaN/Inf test of the library's scalar code.  A value is NaN or
 * ±Inf exactly when its IEEE 754 exponent field is all ones, and then (and
 * only then) adding one unit to the field carries into the top bit: OR-ing
 * nnc_nonfinite_flag over many values costs an and, an add and an or per
 * value and vectorises in both precisions (a float compare does not, in
 * double); nnc_flags_finite reads the verdict. */
#ifdef NNC_DOUBLE
typedef uint64_t nnc_real_bits;
#define NNC_EXPONENT_BITS 0x7ff0000000000000u
#define NNC_EXPONENT_ONE 0x0010000000000000u
#else
typedef uint32_t nnc_real_bits;
#define NNC_EXPONENT_BITS 0x7f800000u
#define NNC_EXPONENT_ONE 0x00800000u
#endif
_Static_assert(sizeof(nnc_real_bits) == sizeof(nnc_real), "nnc_real is IEEE binary32/64");

static inline nnc_real_bits nnc_nonfinite_flag(nnc_real v)
{
    nnc_real_bits b;
    memcpy(&b, &v, sizeof b);
    return (b & NNC_EXPONENT_BITS) + NNC_EXPONENT_ONE;
}
static inline int nnc_flags_finite(nnc_real_bits flags)
{
    return (flags >> (sizeof flags * 8 - 1)) == 0;
}
/* Whether v[0..n) are all finite. */
static inline int nnc_all_finite(const nnc_real *v, size_t n)
{
    nnc_real_bits flags = 0;
    for (size_t i = 0; i < n; i++)
        flags |= nnc_nonfinite_flag(v[i]);
    return nnc_flags_finite(flags);
}

/* Little-endian integers at p, whatever the host's byte order. */
static inline uint32_t nnc_get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t nnc_get_le64(const unsigned char *p)
{
    return (uint64_t)nnc_get_le32(p) | (uint64_t)nnc_get_le32(p + 4) << 32;
}
static inline void nnc_put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i) & 0xff);
}
static inline void nnc_put_le64(unsigned char *p, uint64_t v)
{
    nnc_put_le32(p, (uint32_t)(v & 0xffffffffu));
    nnc_put_le32(p + 4, (uint32_t)(v >> 32));
}
/* CRC-32 (zlib's, the zip and PNG one) of n bytes, any n. */
uint32_t nnc_crc32(const void *bytes, size_t n);

/* The split and checkpoint arithmetic under nnc_train_plan_for: n_train,
 * n_valid, iterations per epoch ceil(n_train/batch) and the check interval
 * int(ipe·checkpoint) (>= 1). */
nnc_status nnc_train_schedule(int rows, const nnc_train_options *options, int *n_train,
                              int *n_valid, int *iterations_per_epoch,
                              long *checkpoint_iteration);

#endif
