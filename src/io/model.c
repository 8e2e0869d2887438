/* Model files (.nnc): a network with its scaling, training state, history
 * and provenance, in a versioned, checksummed binary format.
 *
 * docs/model-format.md describes the format byte by byte; in short (every
 * integer little-endian, every real an IEEE-754 bit pattern):
 *
 *   magic "\x89NNC\r\n\x1a\n" | u32 format version | str writer version
 *   sections: tag[4] u64 length payload[length] ...  "END " 0
 *   u32 CRC-32 of every byte before it
 *
 *   str = u32 byte count + bytes (no NUL).  Version 1 sections, in the
 *   order written: ARCH, XSCL, YSCL, WGHT, STAT, HIST, META, END.  A reader
 *   skips an unknown section whose tag starts with a lowercase letter and
 *   refuses one starting with an uppercase letter.
 *
 * The decoder reads untrusted bytes: every count is checked against the
 * bytes left in its section before anything is allocated, so a file never
 * makes it allocate much more than the file's own size (plus the network's
 * work buffers for max_batch rows). */
#include "internal.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Largest model file nnc_model_load reads. */
#define MODEL_MAX_FILE ((size_t)1 << 31)
/* Longest writer version string, and longest task/activation/optimizer name. */
#define WRITER_MAX 255
#define NAME_MAX_LEN 63

static const unsigned char MAGIC[8] = {0x89, 'N', 'N', 'C', '\r', '\n', 0x1a, '\n'};

/* Bytes of one fixed-size record, for bounding counts by the bytes left. */
#define LAYER_MIN_BYTES 16u /* u32 units + str (>= 4) + f64 param */
#define CHECK_BYTES 44u     /* i32 + i64 + 4 f64 */
#define META_MIN_BYTES 9u   /* str key (>= 5: non-empty) + str value (>= 4) */

/* ------------------------------------------------------------------ */
/* Little-endian bytes                                                 */
/* ------------------------------------------------------------------ */

/* Writes v as 4 / 8 little-endian bytes at p. */
static void wr32(unsigned char *p, uint32_t v) { nnc_put_le32(p, v); }
static void wr64(unsigned char *p, uint64_t v) { nnc_put_le64(p, v); }

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

#ifndef NNC_DOUBLE
static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
#endif

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}


/* ------------------------------------------------------------------ */
/* Text rules shared by the writer, the reader and nnc_model_set_meta   */
/* ------------------------------------------------------------------ */

/* Meta keys: non-empty printable ASCII without '='. */
static int valid_key(const char *k, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e || k[i] == '=')
            return 0;
    return 1;
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF) without NUL. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            if (c == 0xf4)
                hi = 0x8f; /* > U+10FFFF */
        } else
            return 0;
        if (n - i <= k)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xbf)
                return 0;
        i += k + 1;
    }
    return 1;
}

/* Names of tasks, activations and optimizers: printable ASCII, no spaces. */
static int valid_name(const unsigned char *s, size_t n)
{
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] > 0x7e)
            return 0;
    return 1;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key that appears twice, or NULL (sorts a copy: O(n log n)).
 * *oom is set if the copy cannot be allocated. */
static const char *duplicate_key(const nnc_meta_entry *meta, int n, int *oom)
{
    *oom = 0;
    if (n < 2)
        return NULL;
    const char **keys = malloc((size_t)n * sizeof *keys);
    if (!keys) {
        *oom = 1;
        return NULL;
    }
    for (int i = 0; i < n; i++)
        keys[i] = meta[i].key;
    qsort(keys, (size_t)n, sizeof *keys, cmp_key);
    const char *dup = NULL;
    for (int i = 1; i < n && !dup; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            dup = keys[i];
    free(keys);
    return dup;
}

/* ------------------------------------------------------------------ */
/* The model object                                                    */
/* ------------------------------------------------------------------ */

void nnc_model_free(nnc_model *model)
{
    if (!model)
        return;
    nnc_net_free(model->net);
    nnc_scaling_free(&model->x_scaling);
    nnc_scaling_free(&model->y_scaling);
    nnc_train_state_free(&model->state);
    free(model->history);
    for (int i = 0; i < model->n_meta; i++) {
        free(model->meta[i].key);
        free(model->meta[i].value);
    }
    free(model->meta);
    memset(model, 0, sizeof *model);
}

static char *dup_bytes(const void *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

nnc_status nnc_model_set_meta(nnc_model *model, const char *key, const char *value)
{
    if (!model || !key || !value)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_set_meta: NULL argument");
    char shown[80];
    size_t klen = strlen(key), vlen = strlen(value);
    if (!valid_key(key, klen))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "meta key '%s' is invalid: keys are non-empty printable ASCII "
                        "without '='",
                        nnc_printable(key, klen, 0, shown, sizeof shown));
    if (!valid_utf8((const unsigned char *)value, vlen) || vlen > UINT32_MAX)
        return nnc_fail(NNC_ERR_ARGUMENT, "meta value of '%s' is not valid UTF-8 text", key);
    char *v = dup_bytes(value, vlen);
    if (!v)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_model_set_meta: out of memory");
    for (int i = 0; i < model->n_meta; i++) {
        if (strcmp(model->meta[i].key, key) == 0) {
            free(model->meta[i].value);
            model->meta[i].value = v;
            return NNC_OK;
        }
    }
    char *k = dup_bytes(key, klen);
    nnc_meta_entry *grown =
        model->n_meta < INT_MAX
            ? realloc(model->meta, ((size_t)model->n_meta + 1) * sizeof *grown)
            : NULL;
    if (!k || !grown) {
        free(k);
        free(v);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_model_set_meta: out of memory");
    }
    model->meta = grown;
    model->meta[model->n_meta].key = k;
    model->meta[model->n_meta].value = v;
    model->n_meta++;
    return NNC_OK;
}

const char *nnc_model_get_meta(const nnc_model *model, const char *key)
{
    if (!model || !key)
        return NULL;
    for (int i = 0; i < model->n_meta; i++)
        if (model->meta[i].key && strcmp(model->meta[i].key, key) == 0)
            return model->meta[i].value;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->oom = 1;
                return;
            }
            cap *= 2;
        }
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u8(wbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put_u32(wbuf *b, uint32_t v)
{
    unsigned char c[4];
    wr32(c, v);
    put(b, c, 4);
}

static void put_u64(wbuf *b, uint64_t v)
{
    unsigned char c[8];
    wr64(c, v);
    put(b, c, 8);
}

static void put_i32(wbuf *b, int32_t v) { put_u32(b, (uint32_t)v); }
static void put_i64(wbuf *b, int64_t v) { put_u64(b, (uint64_t)v); }
static void put_f64(wbuf *b, double v) { put_u64(b, f64_bits(v)); }

static void put_str(wbuf *b, const char *s)
{
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n); /* lengths were checked to fit */
    put(b, s, n);
}

/* Starts a section; returns where its length goes. */
static size_t begin_section(wbuf *b, const char tag[4])
{
    put(b, tag, 4);
    size_t at = b->len;
    put_u64(b, 0);
    return at;
}

static void end_section(wbuf *b, size_t at)
{
    if (!b->oom)
        wr64(b->p + at, (uint64_t)(b->len - at - 8));
}

/* A scale divides: finite, nonzero and normal, since dividing by a
 * subnormal one overflows (1 / 5e-324 is inf). */
static int scale_ok(double scale) { return isnormal(scale); }
#define SCALE_RULE "is not a normal number (finite, nonzero, not subnormal): dividing by it " \
                   "could overflow"

static nnc_status check_scaling(const nnc_scaling *s, const char *name, int width,
                                const char *width_name)
{
    if (s->n == 0)
        return NNC_OK;
    if (s->n != width || !s->offset || !s->scale)
        return nnc_fail(NNC_ERR_SHAPE,
                        "nnc_model_encode: %s has %d columns but the network has %d %s",
                        name, s->n, width, width_name);
    for (int i = 0; i < s->n; i++) {
        if (!isfinite(s->offset[i]))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: %s column %d: offset %g is not finite", name,
                            i, s->offset[i]);
        if (!scale_ok(s->scale[i]))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: %s column %d: scale %g %s", name, i,
                            s->scale[i], SCALE_RULE);
    }
    return NNC_OK;
}

/* The largest label, label_base + classes - 1, must fit an int, and so
 * must -label_base (callers subtract label bases). */
static int label_base_ok(const nnc_net *net, long long label_base)
{
    long long classes = nnc_net_task(net) == NNC_TASK_MULTICLASS ? nnc_net_outputs(net) : 2;
    return (label_base < 0 ? -label_base : label_base) <= (long long)INT_MAX - (classes - 1);
}
#define LABEL_BASE_RULE "|label_base| + the number of classes - 1 must not exceed 2147483647"

/* Everything the reader would refuse is refused here too, so a file this
 * library writes is always one it reads back. */
static nnc_status check_model(const nnc_model *m)
{
    nnc_net *net = m->net;
    nnc_status s = check_scaling(&m->x_scaling, "x_scaling", nnc_net_inputs(net), "inputs");
    if (s == NNC_OK)
        s = check_scaling(&m->y_scaling, "y_scaling", nnc_net_outputs(net), "outputs");
    if (s != NNC_OK)
        return s;
    if (nnc_net_layers(net) > NNC_MAX_LAYERS)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_model_encode: the network has %d layers, more than the %d a "
                        "model may have", nnc_net_layers(net), NNC_MAX_LAYERS);
    if (!label_base_ok(net, m->label_base))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_encode: label_base %d is out of range: "
                        LABEL_BASE_RULE, m->label_base);
    for (int l = 0; l < nnc_net_layers(net); l++) {
        nnc_layer_spec spec = nnc_net_layer(net, l);
        if (!isfinite(spec.param))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: layer %d: activation parameter %g is not "
                            "finite", l + 1, spec.param);
        size_t n_w, n_b;
        nnc_net_layer_sizes(net, l, &n_w, &n_b);
        if (!nnc_all_finite(nnc_net_weights(net, l), n_w) ||
            !nnc_all_finite(nnc_net_bias(net, l), n_b))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: layer %d has a weight that is NaN or infinite",
                            l + 1);
    }
    if (m->has_state) {
        const nnc_train_state *st = &m->state;
        if (st->n_order < 0 || (st->n_order > 0 && !st->order) || st->epoch < 0 ||
            st->iteration < 0 || st->total_iteration < 0)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: the training state is inconsistent (epoch %d, "
                            "iteration %d, total_iteration %ld, %d rows in order)",
                            st->epoch, st->iteration, st->total_iteration, st->n_order);
        if (!(st->rng.inc & 1u))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: the training state's rng_inc %llu is even (a "
                            "PCG stream is odd)", (unsigned long long)st->rng.inc);
        for (int i = 0; i < st->n_order; i++)
            if (st->order[i] > (uint32_t)INT32_MAX)
                return nnc_fail(NNC_ERR_ARGUMENT,
                                "nnc_model_encode: training order[%d] = %lu is not a row "
                                "index", i, (unsigned long)st->order[i]);
    }
    if (m->history_count > 0 && !m->history)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_encode: history_count %zu with no history",
                        m->history_count);
    for (size_t i = 0; i < m->history_count; i++)
        if (m->history[i].epoch < 0 || m->history[i].total_iteration < 0)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: history check %zu has a negative epoch (%d) or "
                            "total_iteration (%ld)", i, m->history[i].epoch,
                            m->history[i].total_iteration);
    if (m->n_meta < 0 || (m->n_meta > 0 && !m->meta))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_encode: n_meta %d with no entries",
                        m->n_meta);
    for (int i = 0; i < m->n_meta; i++) {
        const nnc_meta_entry *e = &m->meta[i];
        char shown[80];
        if (!e->key || !e->value || !valid_key(e->key, strlen(e->key)))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: meta entry %d: key '%s' is invalid (keys are "
                            "non-empty printable ASCII without '=')", i,
                            e->key ? nnc_printable(e->key, strlen(e->key), 0, shown,
                                                   sizeof shown)
                                   : "(null)");
        size_t vlen = strlen(e->value);
        if (strlen(e->key) > UINT32_MAX || vlen > UINT32_MAX ||
            !valid_utf8((const unsigned char *)e->value, vlen))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_model_encode: meta value of '%s' is not valid UTF-8 text",
                            nnc_printable(e->key, strlen(e->key), 0, shown, sizeof shown));
    }
    int oom;
    const char *dup = duplicate_key(m->meta, m->n_meta, &oom);
    if (oom)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_model_encode: out of memory");
    if (dup) {
        char shown[80];
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_encode: meta key '%s' appears twice",
                        nnc_printable(dup, strlen(dup), 0, shown, sizeof shown));
    }
    return NNC_OK;
}

static void put_scaling(wbuf *b, const char tag[4], const nnc_scaling *s)
{
    if (s->n == 0)
        return;
    size_t at = begin_section(b, tag);
    put_u32(b, (uint32_t)s->n);
    for (int i = 0; i < s->n; i++)
        put_f64(b, s->offset[i]);
    for (int i = 0; i < s->n; i++)
        put_f64(b, s->scale[i]);
    end_section(b, at);
}

static void put_reals(wbuf *b, const nnc_real *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
#ifdef NNC_DOUBLE
        put_u64(b, f64_bits(v[i]));
#else
        put_u32(b, f32_bits(v[i]));
#endif
    }
}

/* ARCH: the task, the inputs, the label base and each layer's units,
 * activation and its parameter. */
static void put_arch(wbuf *b, const nnc_model *model, uint32_t version)
{
    const nnc_net *net = model->net;
    const int n_layers = nnc_net_layers(net);
    size_t at = begin_section(b, "ARCH");
    put_str(b, nnc_task_name(nnc_net_task(net)));
    put_u32(b, (uint32_t)nnc_net_inputs(net));
    put_i32(b, model->label_base);
    put_u32(b, (uint32_t)n_layers);
    for (int l = 0; l < n_layers; l++) {
        nnc_layer_spec spec = nnc_net_layer(net, l);
        put_u32(b, (uint32_t)spec.units);
        put_str(b, nnc_activation_get(spec.activation)->name);
        put_f64(b, spec.param);
        if (version >= 2) { /* the layer's kind and dropout's rate */
            put_str(b, nnc_layer_kind_name(spec.kind));
            put_f64(b, spec.rate);
        }
    }
    end_section(b, at);
}

/* WGHT: the size of nnc_real, the parameter count, then each layer's
 * weights and biases. */
static void put_weights(wbuf *b, nnc_net *net)
{
    size_t at = begin_section(b, "WGHT");
    put_u8(b, (unsigned)sizeof(nnc_real));
    put_u64(b, (uint64_t)nnc_net_parameter_count(net));
    for (int l = 0; l < nnc_net_layers(net); l++) {
        size_t n_w, n_b;
        nnc_net_layer_sizes(net, l, &n_w, &n_b);
        put_reals(b, nnc_net_weights(net, l), n_w);
        put_reals(b, nnc_net_bias(net, l), n_b);
    }
    end_section(b, at);
}

/* n values of nnc_real as a block: dtype (u8), count (u64), the values. */
static void put_block(wbuf *b, const nnc_real *v, size_t n)
{
    put_u8(b, (unsigned)sizeof(nnc_real));
    put_u64(b, (uint64_t)n);
    put_reals(b, v, n);
}

/* Format 2's part of STAT, after format 1's: the optimizer (its full
 * spec, update count and state), the framework's options, the dropout
 * generator, early stopping's and StopDiff's standing. */
static void put_state_v2(wbuf *b, const nnc_train_state *st, nnc_net *net)
{
    char spec[256];
    if (nnc_net_optimizer_spec(net, spec, sizeof spec) != NNC_OK)
        spec[0] = '\0'; /* not reached: 256 bytes hold every spec */
    size_t n_state;
    const nnc_real *state = nnc_net_optimizer_state(net, &n_state);
    const size_t n_params = nnc_net_parameter_count(net);
    put_str(b, spec);
    put_u32(b, (uint32_t)(n_params ? n_state / n_params : 0));
    put_i64(b, nnc_net_optimizer_steps(net));
    put_block(b, state, n_state);
    const nnc_train_options *o = &st->options;
    put_i32(b, (int32_t)o->split);
    put_i32(b, (int32_t)o->shuffle);
    put_i32(b, (int32_t)o->lr_schedule);
    put_i32(b, o->lr_every);
    put_f64(b, o->lr_factor);
    put_f64(b, o->l1);
    put_f64(b, o->l2);
    put_i32(b, o->patience);
    put_f64(b, o->stop_diff);
    put_u64(b, st->dropout_rng.state);
    put_u64(b, st->dropout_rng.inc);
    put_f64(b, st->best_loss);
    put_i32(b, st->stale_checks);
    put_f64(b, st->last_loss);
    put_i32(b, st->small_diffs);
    put_block(b, st->best_params, st->best_params ? st->n_best : 0);
}

/* NORM (format 2): each batch-norm layer's running mean and variance. */
static void put_norm(wbuf *b, nnc_net *net)
{
    size_t count = 0;
    for (int l = 0; l < nnc_net_layers(net); l++)
        if (nnc_net_running_mean(net, l))
            count += 2 * (size_t)nnc_net_layer(net, l).units;
    if (count == 0)
        return;
    size_t at = begin_section(b, "NORM");
    put_u8(b, (unsigned)sizeof(nnc_real));
    put_u64(b, (uint64_t)count);
    for (int l = 0; l < nnc_net_layers(net); l++)
        if (nnc_net_running_mean(net, l)) {
            put_reals(b, nnc_net_running_mean(net, l), (size_t)nnc_net_layer(net, l).units);
            put_reals(b, nnc_net_running_var(net, l), (size_t)nnc_net_layer(net, l).units);
        }
    end_section(b, at);
}

/* Whether the model needs format 2: a layer other than dense, an
 * optimizer other than plain SGD, or a framework option in its state.
 * Every other model is written in format 1, as it always was. */
static int needs_v2(const nnc_model *m)
{
    nnc_net *net = m->net;
    for (int l = 0; l < nnc_net_layers(net); l++)
        if (nnc_net_layer(net, l).kind != NNC_LAYER_DENSE)
            return 1;
    if (!m->has_state) /* the optimizer is part of the training state */
        return 0;
    char spec[256];
    if (nnc_net_optimizer_spec(net, spec, sizeof spec) != NNC_OK || strcmp(spec, "sgd"))
        return 1;
    const nnc_train_options *o = &m->state.options;
    return o->split || o->shuffle || o->lr_schedule || o->l1 != 0 || o->l2 != 0 ||
           o->patience || o->stop_diff != 0;
}

/* STAT: what resumes training (the options, the position, the generator
 * and the epoch's order; in format 2 the rest, put_state_v2). */
static void put_state(wbuf *b, const nnc_train_state *st, nnc_net *net, uint32_t version)
{
    size_t at = begin_section(b, "STAT");
    put_f64(b, st->options.eta);
    put_i32(b, st->options.batch_size);
    put_i32(b, st->options.max_epoch);
    put_f64(b, st->options.eps);
    put_f64(b, st->options.checkpoint);
    put_u64(b, st->options.seed);
    put_i32(b, st->epoch);
    put_i32(b, st->iteration);
    put_i64(b, st->total_iteration);
    put_u64(b, st->rng.state);
    put_u64(b, st->rng.inc);
    put_u32(b, (uint32_t)st->n_order);
    for (int i = 0; i < st->n_order; i++)
        put_u32(b, st->order[i]);
    if (version >= 2) {
        put_state_v2(b, st, net);
    } else {
        put_str(b, "sgd"); /* the optimizer; plain SGD keeps no state arrays */
        put_u32(b, 0);
    }
    end_section(b, at);
}

/* HIST: the checkpoints' losses and accuracies. */
static void put_history(wbuf *b, const nnc_model *model)
{
    size_t at = begin_section(b, "HIST");
    put_u64(b, (uint64_t)model->history_count);
    for (size_t i = 0; i < model->history_count; i++) {
        const nnc_checkpoint *c = &model->history[i];
        put_i32(b, c->epoch);
        put_i64(b, c->total_iteration);
        put_f64(b, c->loss_train);
        put_f64(b, c->accuracy_train);
        put_f64(b, c->loss_valid);
        put_f64(b, c->accuracy_valid);
    }
    end_section(b, at);
}

/* META: the key-value pairs. */
static void put_meta(wbuf *b, const nnc_model *model)
{
    size_t at = begin_section(b, "META");
    put_u32(b, (uint32_t)model->n_meta);
    for (int i = 0; i < model->n_meta; i++) {
        put_str(b, model->meta[i].key);
        put_str(b, model->meta[i].value);
    }
    end_section(b, at);
}

nnc_status nnc_model_encode(const nnc_model *model, unsigned char **bytes, size_t *len)
{
    if (!model || !bytes || !len)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_encode: NULL argument");
    if (!model->net)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_encode: the model has no network");
    nnc_status s = check_model(model);
    if (s != NNC_OK)
        return s;
    wbuf b = {0};

    const uint32_t version = needs_v2(model) ? 2 : 1;
    put(&b, MAGIC, sizeof MAGIC);
    put_u32(&b, version);
    put_str(&b, nnc_version());
    put_arch(&b, model, version);
    put_scaling(&b, "XSCL", &model->x_scaling);
    put_scaling(&b, "YSCL", &model->y_scaling);
    put_weights(&b, model->net);
    if (version >= 2)
        put_norm(&b, model->net);
    if (model->has_state)
        put_state(&b, &model->state, model->net, version);
    if (model->history_count > 0)
        put_history(&b, model);
    if (model->n_meta > 0)
        put_meta(&b, model);
    size_t at = begin_section(&b, "END ");
    end_section(&b, at);
    if (!b.oom)
        put_u32(&b, nnc_crc32(b.p, b.len));
    if (b.oom) {
        free(b.p);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_model_encode: out of memory");
    }
    *bytes = b.p;
    *len = b.len;
    return NNC_OK;
}

nnc_status nnc_model_save(const nnc_model *model, const char *path)
{
    if (!path)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_save: NULL path");
    unsigned char *bytes;
    size_t len;
    nnc_status s = nnc_model_encode(model, &bytes, &len);
    if (s != NNC_OK)
        return s;
    s = nnc_write_file_atomic(path, bytes, len);
    free(bytes);
    return s;
}

/* ------------------------------------------------------------------ */
/* Reading untrusted bytes                                             */
/* ------------------------------------------------------------------ */

/* A cursor over one section's payload: offsets are from the file's start. */
typedef struct rd {
    const unsigned char *b;
    size_t pos, end;
    const char *what;
    char tag[8];       /* printable copy of the section's tag */
    size_t section_at; /* offset of the section's tag */
    size_t file_len;
    uint32_t version;  /* the file's format version */
} rd;

/* Fails with "<what>: section 'TAG' at offset N: <message>". */
static nnc_status rd_fail(const rd *r, nnc_status status, const char *fmt, ...)
    NNC_PRINTF(3, 4);
static nnc_status rd_fail(const rd *r, nnc_status status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nnc_fail(status, "%s: section '%s' at offset %zu: %s", r->what, r->tag,
                    r->section_at, msg);
}

static nnc_status need(rd *r, size_t n, const char *field)
{
    if (r->end - r->pos >= n)
        return NNC_OK;
    return rd_fail(r, NNC_ERR_FORMAT,
                   "the section ends inside field '%s' (offset %zu needs %zu bytes, %zu left)",
                   field, r->pos, n, r->end - r->pos);
}

static nnc_status get_u8(rd *r, const char *field, unsigned *v)
{
    nnc_status s = need(r, 1, field);
    if (s == NNC_OK)
        *v = r->b[r->pos++];
    return s;
}

static nnc_status get_u32(rd *r, const char *field, uint32_t *v)
{
    nnc_status s = need(r, 4, field);
    if (s == NNC_OK) {
        *v = nnc_get_le32(r->b + r->pos);
        r->pos += 4;
    }
    return s;
}

static nnc_status get_u64(rd *r, const char *field, uint64_t *v)
{
    nnc_status s = need(r, 8, field);
    if (s == NNC_OK) {
        *v = nnc_get_le64(r->b + r->pos);
        r->pos += 8;
    }
    return s;
}

static nnc_status get_i32(rd *r, const char *field, int32_t *v)
{
    uint32_t u = 0;
    nnc_status s = get_u32(r, field, &u);
    /* two's complement without implementation-defined conversion */
    *v = u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
    return s;
}

static nnc_status get_i64(rd *r, const char *field, int64_t *v)
{
    uint64_t u = 0;
    nnc_status s = get_u64(r, field, &u);
    *v = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
    return s;
}

static nnc_status get_f64(rd *r, const char *field, double *v)
{
    uint64_t u = 0;
    nnc_status s = get_u64(r, field, &u);
    *v = bits_f64(u);
    return s;
}

/* A non-negative int32 field. */
static nnc_status get_count_i32(rd *r, const char *field, int *v)
{
    int32_t x = 0;
    nnc_status s = get_i32(r, field, &x);
    if (s == NNC_OK && x < 0)
        return rd_fail(r, NNC_ERR_FORMAT, "field '%s' at offset %zu is negative (%ld)", field,
                       r->pos - 4, (long)x);
    *v = (int)x;
    return s;
}

/* A str: u32 length, then the bytes; *p points into the file. */
static nnc_status get_str(rd *r, const char *field, const unsigned char **p, size_t *n)
{
    uint32_t len = 0;
    nnc_status s = get_u32(r, field, &len);
    if (s != NNC_OK)
        return s;
    if (len > r->end - r->pos)
        return rd_fail(r, NNC_ERR_FORMAT,
                       "field '%s' at offset %zu claims %lu bytes, only %zu are left in the "
                       "section", field, r->pos - 4, (unsigned long)len, r->end - r->pos);
    *p = r->b + r->pos;
    *n = len;
    r->pos += len;
    return NNC_OK;
}

/* A name (task, activation, optimizer) into buf[NAME_MAX_LEN + 1]. */
static nnc_status get_name(rd *r, const char *field, char *buf)
{
    const unsigned char *p = NULL;
    size_t n = 0;
    size_t at = r->pos;
    nnc_status s = get_str(r, field, &p, &n);
    if (s != NNC_OK)
        return s;
    if (!valid_name(p, n)) {
        char shown[80];
        return rd_fail(r, NNC_ERR_FORMAT,
                       "field '%s' at offset %zu is not a name (1 to %d printable ASCII "
                       "characters): '%s'", field, at, NAME_MAX_LEN,
                       nnc_printable(p, n, 0, shown, sizeof shown));
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    return NNC_OK;
}

/* A count of records of at least min_bytes each, bounded by the bytes left. */
static nnc_status check_count(rd *r, const char *field, uint64_t count, size_t min_bytes,
                              uint64_t max)
{
    if (count > max || count > (r->end - r->pos) / min_bytes)
        return rd_fail(r, NNC_ERR_FORMAT,
                       "field '%s' = %llu is more than the section's %zu remaining bytes "
                       "can hold", field, (unsigned long long)count, r->end - r->pos);
    return NNC_OK;
}

#define TRY(call)                                                                       \
    do {                                                                                \
        s = (call);                                                                     \
        if (s != NNC_OK)                                                                \
            goto done;                                                                  \
    } while (0)

/* Layer l (0-based) of n_layers: its units, activation and parameter. */
static nnc_status read_layer(rd *r, uint32_t l, uint32_t n_layers, nnc_layer_spec *spec)
{
    nnc_status s;
    char name[NAME_MAX_LEN + 1], field[48];
    uint32_t units = 0;
    snprintf(field, sizeof field, "units of layer %lu", (unsigned long)l + 1);
    TRY(get_u32(r, field, &units));
    if (units == 0 || units > INT_MAX) {
        s = rd_fail(r, NNC_ERR_FORMAT, "layer %lu has %lu units", (unsigned long)l + 1,
                    (unsigned long)units);
        goto done;
    }
    snprintf(field, sizeof field, "activation of layer %lu", (unsigned long)l + 1);
    TRY(get_name(r, field, name));
    nnc_activation act;
    if (nnc_activation_from_name(name, &act) != NNC_OK) {
        s = rd_fail(r, NNC_ERR_FORMAT,
                    "layer %lu: unknown activation '%s' (written by a newer nnc?)",
                    (unsigned long)l + 1, name);
        goto done;
    }
    if (l == n_layers - 1 && act != NNC_ACT_IDENTITY) {
        s = rd_fail(r, NNC_ERR_FORMAT,
                    "the output layer's activation is '%s'; it must be identity (the "
                    "task's output function follows it)", name);
        goto done;
    }
    double param = 0;
    snprintf(field, sizeof field, "parameter of layer %lu", (unsigned long)l + 1);
    TRY(get_f64(r, field, &param));
    if (!isfinite(param)) {
        s = rd_fail(r, NNC_ERR_FORMAT, "layer %lu: activation parameter is %g",
                    (unsigned long)l + 1, param);
        goto done;
    }
    spec->units = (int)units;
    spec->activation = act;
    spec->param = param;
    if (r->version >= 2) { /* the kind, by name, and dropout's rate */
        snprintf(field, sizeof field, "kind of layer %lu", (unsigned long)l + 1);
        TRY(get_name(r, field, name));
        if (nnc_layer_kind_from_name(name, &spec->kind) != NNC_OK) {
            s = rd_fail(r, NNC_ERR_FORMAT, "layer %lu: unknown kind '%s' (written by a newer "
                        "nnc?)", (unsigned long)l + 1, name);
            goto done;
        }
        snprintf(field, sizeof field, "rate of layer %lu", (unsigned long)l + 1);
        TRY(get_f64(r, field, &spec->rate));
    }
done:
    return s;
}

/* The network of the layers read into m->net, and the label base checked
 * against its outputs. */
static nnc_status build_net(rd *r, nnc_model *m, nnc_task task, uint32_t n_inputs,
                            uint32_t n_layers, const nnc_layer_spec *specs, int max_batch,
                            int32_t label_base)
{
    nnc_status s = nnc_net_create(&m->net, task, (int)n_inputs, (int)n_layers, specs,
                                  max_batch);
    if (s != NNC_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", nnc_last_error());
        if (s != NNC_ERR_MEMORY)
            s = NNC_ERR_FORMAT;
        return rd_fail(r, s, "cannot build the network: %s", why);
    }
    if (!label_base_ok(m->net, label_base)) {
        s = rd_fail(r, NNC_ERR_FORMAT, "label_base = %ld is out of range for a %s model of "
                    "%d outputs: " LABEL_BASE_RULE, (long)label_base, nnc_task_name(task),
                    nnc_net_outputs(m->net));
        nnc_net_free(m->net);
        m->net = NULL;
        return s;
    }
    m->label_base = label_base;
    return NNC_OK;
}

static nnc_status read_arch(rd *r, nnc_model *m, int max_batch)
{
    nnc_status s;
    char name[NAME_MAX_LEN + 1];
    nnc_layer_spec *specs = NULL;
    nnc_task task;
    uint32_t n_inputs = 0, n_layers = 0;
    int32_t label_base = 0;

    TRY(get_name(r, "task", name));
    if (nnc_task_from_name(name, &task) != NNC_OK) {
        s = rd_fail(r, NNC_ERR_FORMAT,
                    "unknown task '%s' (this nnc knows fitting, binary and multiclass)",
                    name);
        goto done;
    }
    TRY(get_u32(r, "n_inputs", &n_inputs));
    if (n_inputs == 0 || n_inputs > INT_MAX) {
        s = rd_fail(r, NNC_ERR_FORMAT, "n_inputs = %lu is not a positive int",
                    (unsigned long)n_inputs);
        goto done;
    }
    TRY(get_i32(r, "label_base", &label_base));
    TRY(get_u32(r, "n_layers", &n_layers));
    if (n_layers == 0) {
        s = rd_fail(r, NNC_ERR_FORMAT, "n_layers is 0");
        goto done;
    }
    if (n_layers > NNC_MAX_LAYERS) {
        s = rd_fail(r, NNC_ERR_FORMAT, "n_layers = %lu is more than the %d layers a model "
                    "may have", (unsigned long)n_layers, NNC_MAX_LAYERS);
        goto done;
    }
    TRY(check_count(r, "n_layers", n_layers, LAYER_MIN_BYTES, INT_MAX));
    specs = calloc((size_t)n_layers, sizeof *specs);
    if (!specs) {
        s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
        goto done;
    }
    /* The weights take at least 4 bytes each: a file too small to hold
     * them is refused before the network is allocated. */
    uint64_t n_params = 0, width = n_inputs;
    for (uint32_t l = 0; l < n_layers; l++) {
        TRY(read_layer(r, l, n_layers, &specs[l]));
        uint64_t units = (uint64_t)specs[l].units;
        /* < 2^62, and n_params stays small below */
        n_params += specs[l].kind == NNC_LAYER_DENSE       ? (width + 1) * units
                    : specs[l].kind == NNC_LAYER_BATCHNORM ? 2 * units
                                                           : 0;
        if (n_params > r->file_len / 4) {
            s = rd_fail(r, NNC_ERR_FORMAT,
                        "the layers need more weights than the file's %zu bytes can hold",
                        r->file_len);
            goto done;
        }
        width = units;
    }
    s = build_net(r, m, task, n_inputs, n_layers, specs, max_batch, label_base);
done:
    free(specs);
    return s;
}

static nnc_status read_scaling(rd *r, nnc_scaling *out)
{
    nnc_status s;
    uint32_t n = 0;
    nnc_scaling sc = {0};
    TRY(get_u32(r, "n", &n));
    if (n == 0) {
        s = rd_fail(r, NNC_ERR_FORMAT, "n is 0 (a model without scaling has no section)");
        goto done;
    }
    TRY(check_count(r, "n", n, 16, INT_MAX));
    sc.n = (int)n;
    sc.offset = malloc(n * sizeof *sc.offset);
    sc.scale = malloc(n * sizeof *sc.scale);
    if (!sc.offset || !sc.scale) {
        s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
        goto done;
    }
    for (uint32_t i = 0; i < n; i++)
        TRY(get_f64(r, "offset", &sc.offset[i]));
    for (uint32_t i = 0; i < n; i++)
        TRY(get_f64(r, "scale", &sc.scale[i]));
    for (uint32_t i = 0; i < n; i++) {
        if (!isfinite(sc.offset[i])) {
            s = rd_fail(r, NNC_ERR_FORMAT, "column %lu: field 'offset' is %g, not finite",
                        (unsigned long)i, sc.offset[i]);
            goto done;
        }
        if (!scale_ok(sc.scale[i])) {
            s = rd_fail(r, NNC_ERR_FORMAT, "column %lu: field 'scale' is %g, which " SCALE_RULE,
                        (unsigned long)i, sc.scale[i]);
            goto done;
        }
    }
    *out = sc;
    return NNC_OK;
done:
    free(sc.offset);
    free(sc.scale);
    return s;
}

/* One stored value of dtype 4 (float32) or 8 (float64), its bytes known to
 * be there: 1 if it is finite and (float build) within float's range. */
static int take_real(rd *r, unsigned dtype, double *v)
{
    if (dtype == 4) {
        *v = bits_f32(nnc_get_le32(r->b + r->pos));
        r->pos += 4;
    } else {
        *v = bits_f64(nnc_get_le64(r->b + r->pos));
        r->pos += 8;
    }
    return isfinite(*v) && !(sizeof(nnc_real) == 4 && fabs(*v) > FLT_MAX);
}

static nnc_status read_weights(rd *r, nnc_net *net)
{
    nnc_status s;
    unsigned dtype = 0;
    uint64_t count = 0;
    TRY(get_u8(r, "dtype", &dtype));
    if (dtype != 4 && dtype != 8) {
        s = rd_fail(r, NNC_ERR_FORMAT, "dtype %u is neither 4 (float32) nor 8 (float64)",
                    dtype);
        goto done;
    }
    TRY(get_u64(r, "count", &count));
    if (count != (uint64_t)nnc_net_parameter_count(net)) {
        s = rd_fail(r, NNC_ERR_FORMAT, "count %llu, but the architecture has %zu weights",
                    (unsigned long long)count, nnc_net_parameter_count(net));
        goto done;
    }
    if (count > (r->end - r->pos) / dtype || count * dtype != r->end - r->pos) {
        s = rd_fail(r, NNC_ERR_FORMAT,
                    "%llu weights of %u bytes do not fill the %zu bytes left in the section",
                    (unsigned long long)count, dtype, r->end - r->pos);
        goto done;
    }
    size_t k = 0;
    for (int l = 0; l < nnc_net_layers(net); l++) {
        nnc_real *blocks[2] = {nnc_net_weights(net, l), nnc_net_bias(net, l)};
        size_t sizes[2];
        nnc_net_layer_sizes(net, l, &sizes[0], &sizes[1]);
        for (int j = 0; j < 2; j++) {
            for (size_t i = 0; i < sizes[j]; i++, k++) {
                double v;
                if (!take_real(r, dtype, &v)) {
                    s = rd_fail(r, NNC_ERR_FORMAT,
                                "weight %zu (layer %d) is %g, not a finite %s", k, l + 1, v,
                                sizeof(nnc_real) == 4 ? "float" : "double");
                    goto done;
                }
                blocks[j][i] = (nnc_real)v; /* float64 → float rounds to nearest */
            }
        }
    }
    s = NNC_OK;
done:
    return s;
}

/* A block of nnc_real values (put_block) of exactly `want` values into
 * dst, each finite (as the format asks of weights). */
static nnc_status read_block(rd *r, const char *field, nnc_real *dst, size_t want)
{
    nnc_status s;
    unsigned dtype = 0;
    uint64_t count = 0;
    TRY(get_u8(r, field, &dtype));
    if (dtype != 4 && dtype != 8) {
        s = rd_fail(r, NNC_ERR_FORMAT, "%s: dtype %u is neither 4 nor 8", field, dtype);
        goto done;
    }
    TRY(get_u64(r, field, &count));
    if (count != want) {
        s = rd_fail(r, NNC_ERR_FORMAT, "%s: %llu values, the network needs %zu", field,
                    (unsigned long long)count, want);
        goto done;
    }
    TRY(need(r, (size_t)count * dtype, field));
    for (size_t i = 0; i < want; i++) {
        double v;
        if (!take_real(r, dtype, &v)) {
            s = rd_fail(r, NNC_ERR_FORMAT, "%s[%zu] is %g, not a finite %s", field, i, v,
                        sizeof(nnc_real) == 4 ? "float" : "double");
            goto done;
        }
        dst[i] = (nnc_real)v;
    }
    s = NNC_OK;
done:
    return s;
}

/* Format 2's part of STAT (put_state_v2): the optimizer set on net with
 * its state, the options, the generators and the stopping rules' state. */
static nnc_status read_state_v2(rd *r, nnc_train_state *st, nnc_net *net)
{
    nnc_status s;
    const unsigned char *spec_bytes = NULL;
    size_t spec_len = 0;
    char spec[256];
    TRY(get_str(r, "optimizer", &spec_bytes, &spec_len));
    int printable = spec_len > 0 && spec_len < sizeof spec;
    for (size_t i = 0; printable && i < spec_len; i++)
        printable = spec_bytes[i] > 0x20 && spec_bytes[i] < 0x7f;
    if (!printable) {
        s = rd_fail(r, NNC_ERR_FORMAT, "the optimizer's spec is not 1 to 255 printable "
                    "characters without spaces");
        goto done;
    }
    memcpy(spec, spec_bytes, spec_len);
    spec[spec_len] = '\0';
    if (nnc_net_set_optimizer(net, spec) != NNC_OK) {
        char why[300];
        snprintf(why, sizeof why, "%s", nnc_last_error());
        s = rd_fail(r, NNC_ERR_FORMAT, "optimizer '%s': %s", spec, why);
        goto done;
    }
    uint32_t n_arrays = 0;
    int64_t steps = 0;
    size_t n_state;
    nnc_real *state = nnc_net_optimizer_state(net, &n_state);
    const size_t n_params = nnc_net_parameter_count(net);
    TRY(get_u32(r, "n_arrays", &n_arrays));
    if ((size_t)n_arrays * n_params != n_state) {
        s = rd_fail(r, NNC_ERR_FORMAT, "optimizer '%s' keeps %zu state arrays, not %lu", spec,
                    n_params ? n_state / n_params : 0, (unsigned long)n_arrays);
        goto done;
    }
    TRY(get_i64(r, "optimizer_steps", &steps));
    if (steps < 0 || (uint64_t)steps > (uint64_t)LONG_MAX) {
        s = rd_fail(r, NNC_ERR_FORMAT, "optimizer_steps %lld is out of range",
                    (long long)steps);
        goto done;
    }
    nnc_net_set_optimizer_steps(net, (long)steps);
    TRY(read_block(r, "optimizer_state", state, n_state));
    nnc_train_options *o = &st->options;
    int32_t v[4];
    TRY(get_i32(r, "split", &v[0]));
    TRY(get_i32(r, "shuffle", &v[1]));
    TRY(get_i32(r, "lr_schedule", &v[2]));
    TRY(get_i32(r, "lr_every", &v[3]));
    o->split = (nnc_split)v[0]; /* nnc_train refuses values it does not know */
    o->shuffle = (nnc_shuffle)v[1];
    o->lr_schedule = (nnc_lr_schedule)v[2];
    o->lr_every = v[3];
    TRY(get_f64(r, "lr_factor", &o->lr_factor));
    TRY(get_f64(r, "l1", &o->l1));
    TRY(get_f64(r, "l2", &o->l2));
    TRY(get_i32(r, "patience", &v[0]));
    o->patience = v[0];
    TRY(get_f64(r, "stop_diff", &o->stop_diff));
    TRY(get_u64(r, "dropout_rng_state", &st->dropout_rng.state));
    TRY(get_u64(r, "dropout_rng_inc", &st->dropout_rng.inc));
    TRY(get_f64(r, "best_loss", &st->best_loss));
    TRY(get_i32(r, "stale_checks", &v[0]));
    st->stale_checks = v[0];
    TRY(get_f64(r, "last_loss", &st->last_loss));
    TRY(get_i32(r, "small_diffs", &v[0]));
    st->small_diffs = v[0];
    /* The best check's weights: none, or the whole parameter block. */
    size_t at = r->pos;
    unsigned dtype;
    uint64_t n_best = 0;
    TRY(get_u8(r, "best_params", &dtype));
    TRY(get_u64(r, "best_params", &n_best));
    r->pos = at;
    if (n_best != 0 && n_best != n_params) {
        s = rd_fail(r, NNC_ERR_FORMAT, "best_params holds %llu values, not 0 or the %zu "
                    "parameters", (unsigned long long)n_best, n_params);
        goto done;
    }
    if (n_best) {
        st->best_params = malloc(n_params * sizeof *st->best_params);
        if (!st->best_params) {
            s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
            goto done;
        }
        st->n_best = n_params;
    }
    TRY(read_block(r, "best_params", st->best_params, (size_t)n_best));
    s = NNC_OK;
done:
    return s;
}

/* NORM: each batch-norm layer's running mean and variance (a variance
 * must be >= 0: its square root normalises). */
static nnc_status read_norm(rd *r, nnc_net *net)
{
    nnc_status s;
    size_t want = 0;
    for (int l = 0; l < nnc_net_layers(net); l++)
        if (nnc_net_running_mean(net, l))
            want += 2 * (size_t)nnc_net_layer(net, l).units;
    nnc_real *all = malloc((want ? want : 1) * sizeof *all);
    if (!all)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
    TRY(read_block(r, "running statistics", all, want));
    size_t k = 0;
    for (int l = 0; l < nnc_net_layers(net); l++) {
        nnc_real *mean = nnc_net_running_mean(net, l), *var = nnc_net_running_var(net, l);
        const size_t units = mean ? (size_t)nnc_net_layer(net, l).units : 0;
        for (size_t j = 0; j < units; j++) {
            mean[j] = all[k + j];
            var[j] = all[k + units + j];
            if (var[j] < 0) {
                s = rd_fail(r, NNC_ERR_FORMAT, "layer %d: running variance %g is negative",
                            l + 1, (double)var[j]);
                goto done;
            }
        }
        k += 2 * units;
    }
    s = NNC_OK;
done:
    free(all);
    return s;
}

static nnc_status read_state(rd *r, nnc_train_state *out, nnc_net *net)
{
    nnc_status s;
    nnc_train_state st;
    memset(&st, 0, sizeof st);
    int32_t bs = 0, me = 0;
    int64_t total = 0;
    uint32_t n_order = 0, n_arrays = 0;
    char name[NAME_MAX_LEN + 1];
    TRY(get_f64(r, "eta", &st.options.eta));
    TRY(get_i32(r, "batch_size", &bs));
    TRY(get_i32(r, "max_epoch", &me));
    TRY(get_f64(r, "eps", &st.options.eps));
    TRY(get_f64(r, "checkpoint", &st.options.checkpoint));
    TRY(get_u64(r, "seed", &st.options.seed));
    st.options.batch_size = (int)bs;
    st.options.max_epoch = (int)me;
    TRY(get_count_i32(r, "epoch", &st.epoch));
    TRY(get_count_i32(r, "iteration", &st.iteration));
    TRY(get_i64(r, "total_iteration", &total));
    if (total < 0 || (uint64_t)total > (uint64_t)LONG_MAX) {
        s = rd_fail(r, NNC_ERR_FORMAT, "total_iteration %lld is out of range",
                    (long long)total);
        goto done;
    }
    st.total_iteration = (long)total;
    TRY(get_u64(r, "rng_state", &st.rng.state));
    TRY(get_u64(r, "rng_inc", &st.rng.inc));
    if (!(st.rng.inc & 1u)) {
        /* An even increment can leave PCG stuck on one value (state 0,
         * inc 0 draws 0 forever); nnc_rng_seed always makes it odd. */
        s = rd_fail(r, NNC_ERR_FORMAT, "field 'rng_inc' at offset %zu is %llu, an even "
                    "number: the shuffle generator's stream must be odd", r->pos - 8,
                    (unsigned long long)st.rng.inc);
        goto done;
    }
    TRY(get_u32(r, "n_order", &n_order));
    TRY(check_count(r, "n_order", n_order, 4, INT_MAX));
    st.n_order = (int)n_order;
    if (n_order > 0) {
        st.order = malloc(n_order * sizeof *st.order);
        if (!st.order) {
            s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
            goto done;
        }
    }
    for (uint32_t i = 0; i < n_order; i++) {
        TRY(get_u32(r, "order", &st.order[i]));
        if (st.order[i] > (uint32_t)INT32_MAX) {
            s = rd_fail(r, NNC_ERR_FORMAT, "order[%lu] = %lu is not a row index",
                        (unsigned long)i, (unsigned long)st.order[i]);
            goto done;
        }
    }
    st.best_loss = st.last_loss = NAN; /* no check yet (format 2 stores them) */
    if (r->version >= 2) {
        TRY(read_state_v2(r, &st, net));
        *out = st;
        return NNC_OK;
    }
    TRY(get_name(r, "optimizer", name));
    if (strcmp(name, "sgd") != 0) {
        s = rd_fail(r, NNC_ERR_FORMAT,
                    "the training state is for optimizer '%s'; this nnc (%s) knows only "
                    "'sgd': the file needs a newer nnc", name, nnc_version());
        goto done;
    }
    TRY(get_u32(r, "n_arrays", &n_arrays));
    if (n_arrays != 0) {
        s = rd_fail(r, NNC_ERR_FORMAT, "optimizer 'sgd' has %lu state arrays; it keeps none",
                    (unsigned long)n_arrays);
        goto done;
    }
    *out = st;
    return NNC_OK;
done:
    free(st.order);
    free(st.best_params);
    return s;
}

static nnc_status read_history(rd *r, nnc_model *m)
{
    nnc_status s;
    uint64_t count = 0;
    nnc_checkpoint *h = NULL;
    TRY(get_u64(r, "count", &count));
    if (count == 0) {
        s = rd_fail(r, NNC_ERR_FORMAT, "count is 0 (a model without history has no section)");
        goto done;
    }
    TRY(check_count(r, "count", count, CHECK_BYTES, SIZE_MAX / sizeof *h));
    h = malloc((size_t)count * sizeof *h);
    if (!h) {
        s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        int64_t total = 0;
        TRY(get_count_i32(r, "epoch", &h[i].epoch));
        TRY(get_i64(r, "total_iteration", &total));
        if (total < 0 || (uint64_t)total > (uint64_t)LONG_MAX) {
            s = rd_fail(r, NNC_ERR_FORMAT, "check %zu: total_iteration %lld is out of range",
                        i, (long long)total);
            goto done;
        }
        h[i].total_iteration = (long)total;
        TRY(get_f64(r, "loss_train", &h[i].loss_train));
        TRY(get_f64(r, "accuracy_train", &h[i].accuracy_train));
        TRY(get_f64(r, "loss_valid", &h[i].loss_valid));
        TRY(get_f64(r, "accuracy_valid", &h[i].accuracy_valid));
    }
    m->history = h;
    m->history_count = (size_t)count;
    return NNC_OK;
done:
    free(h);
    return s;
}

static nnc_status read_meta(rd *r, nnc_model *m)
{
    nnc_status s;
    uint32_t count = 0;
    nnc_meta_entry *meta = NULL;
    int n = 0;
    TRY(get_u32(r, "count", &count));
    if (count == 0) {
        s = rd_fail(r, NNC_ERR_FORMAT, "count is 0 (a model without meta has no section)");
        goto done;
    }
    TRY(check_count(r, "count", count, META_MIN_BYTES, INT_MAX));
    meta = calloc(count, sizeof *meta);
    if (!meta) {
        s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
        goto done;
    }
    for (; n < (int)count; n++) {
        const unsigned char *k = NULL, *v = NULL;
        size_t klen = 0, vlen = 0, at = r->pos;
        char shown[80];
        TRY(get_str(r, "key", &k, &klen));
        if (!valid_key((const char *)k, klen)) {
            s = rd_fail(r, NNC_ERR_FORMAT,
                        "meta key %d at offset %zu, '%s', is not non-empty printable ASCII "
                        "without '='", n, at, nnc_printable(k, klen, 0, shown, sizeof shown));
            goto done;
        }
        at = r->pos;
        TRY(get_str(r, "value", &v, &vlen));
        if (!valid_utf8(v, vlen)) {
            s = rd_fail(r, NNC_ERR_FORMAT,
                        "the value of meta key '%s' at offset %zu is not UTF-8 text without "
                        "NUL", nnc_printable(k, klen, 0, shown, sizeof shown), at);
            goto done;
        }
        meta[n].key = dup_bytes(k, klen);
        meta[n].value = dup_bytes(v, vlen);
        if (!meta[n].key || !meta[n].value) {
            n++;
            s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
            goto done;
        }
    }
    int oom;
    const char *dup = duplicate_key(meta, n, &oom);
    if (oom) {
        s = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", r->what);
        goto done;
    }
    if (dup) {
        char shown[80];
        s = rd_fail(r, NNC_ERR_FORMAT, "meta key '%s' appears twice",
                    nnc_printable(dup, strlen(dup), 0, shown, sizeof shown));
        goto done;
    }
    m->meta = meta;
    m->n_meta = n;
    return NNC_OK;
done:
    for (int i = 0; i < n; i++) {
        free(meta[i].key);
        free(meta[i].value);
    }
    free(meta);
    return s;
}

static int tag_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == ' ';
}

/* The version 1 sections, with the bit each sets in `seen`. */
enum { SEC_ARCH = 1, SEC_XSCL = 2, SEC_YSCL = 4, SEC_WGHT = 8, SEC_STAT = 16,
       SEC_HIST = 32, SEC_META = 64, SEC_NORM = 128 };

static const struct {
    char tag[5];
    int bit;
} V1_SECTIONS[] = {{"ARCH", SEC_ARCH}, {"XSCL", SEC_XSCL}, {"YSCL", SEC_YSCL},
                   {"WGHT", SEC_WGHT}, {"STAT", SEC_STAT}, {"HIST", SEC_HIST},
                   {"META", SEC_META}};

/* Format version 1's framing, from `body` (the offset of the first section,
 * after the header that every version shares): every section whole, then
 * END, then exactly the CRC, and the CRC right. */
static nnc_status check_framing(const unsigned char *b, size_t len, const char *what,
                                size_t body)
{
    /* 1. The framing.  Checked before the CRC, so that a truncated file
     *    says so rather than "bad CRC".  Whether the last 4 bytes happen to
     *    be a valid CRC tells a cut or damaged file (they are not) from a
     *    complete file whose framing is wrong (they are). */
    int tail_ok = len - body >= 4 && nnc_crc32(b, len - 4) == nnc_get_le32(b + len - 4);
    const char *cut = tail_ok ? "malformed (with a valid CRC-32)" : "truncated or corrupt";
    size_t pos = body;
    char last[24] = "the header";
    for (;;) {
        if (len - pos < 12)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: %s at offset %zu: the file ends after %s without an END "
                            "section (%zu bytes left, a section header needs 12)",
                            what, cut, pos, last, len - pos);
        const unsigned char *tag = b + pos;
        char shown[8];
        nnc_printable(tag, 4, 0, shown, sizeof shown);
        if (!tag_char(tag[0]) || !tag_char(tag[1]) || !tag_char(tag[2]) ||
            !tag_char(tag[3]) || tag[0] == ' ' || (tag[0] >= '0' && tag[0] <= '9'))
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: %s: offset %zu, after %s, holds '%s', not a "
                            "section tag (4 ASCII letters, digits or spaces, starting with a "
                            "letter)", what, tail_ok ? cut : "corrupt", pos, last, shown);
        uint64_t n = nnc_get_le64(b + pos + 4);
        if (n > len - pos - 12)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: %s: section '%s' at offset %zu claims %llu bytes, only %zu "
                            "follow", what, cut, shown, pos, (unsigned long long)n,
                            len - pos - 12);
        int is_end = memcmp(tag, "END ", 4) == 0;
        if (is_end && n != 0)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: %s: the END section at offset %zu claims %llu bytes; it is "
                            "empty", what, tail_ok ? cut : "corrupt", pos,
                            (unsigned long long)n);
        pos += 12 + (size_t)n;
        snprintf(last, sizeof last, "section '%s'", shown);
        if (is_end)
            break;
    }
    if (len - pos < 4)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated at offset %zu: the 4-byte CRC-32 after the END section "
                        "is %s", what, pos, len == pos ? "missing" : "cut short");
    if (len - pos > 4)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: %zu unexpected bytes after the CRC-32 at offset %zu", what,
                        len - pos - 4, pos);

    /* 2. The checksum, before any content is believed. */
    if (!tail_ok) {
        uint32_t stored = nnc_get_le32(b + pos), computed = nnc_crc32(b, pos);
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: CRC-32 mismatch (stored %08lx at offset %zu, computed %08lx): "
                        "the file is corrupt", what, (unsigned long)stored, pos,
                        (unsigned long)computed);
    }
    return NNC_OK;
}

/* The section r points at, of kind bit (a SEC_ value), into m; all of it. */
static nnc_status read_section(rd *r, nnc_model *m, int bit, int max_batch)
{
    nnc_status s = NNC_OK;
    switch (bit) {
    case SEC_ARCH: s = read_arch(r, m, max_batch); break;
    case SEC_XSCL: s = read_scaling(r, &m->x_scaling); break;
    case SEC_YSCL: s = read_scaling(r, &m->y_scaling); break;
    case SEC_WGHT:
        if (!m->net)
            s = rd_fail(r, NNC_ERR_FORMAT, "it comes before section 'ARCH'");
        else
            s = read_weights(r, m->net);
        break;
    case SEC_STAT:
        if (!m->net && r->version >= 2) /* its optimizer's state fits the network */
            s = rd_fail(r, NNC_ERR_FORMAT, "it comes before section 'ARCH'");
        else
            s = read_state(r, &m->state, m->net);
        m->has_state = s == NNC_OK;
        break;
    case SEC_NORM:
        if (!m->net)
            s = rd_fail(r, NNC_ERR_FORMAT, "it comes before section 'ARCH'");
        else
            s = read_norm(r, m->net);
        break;
    case SEC_HIST: s = read_history(r, m); break;
    case SEC_META: s = read_meta(r, m); break;
    }
    if (s != NNC_OK)
        return s;
    if (r->pos != r->end)
        return rd_fail(r, NNC_ERR_FORMAT, "%zu unexpected bytes at its end (offset %zu)",
                       r->end - r->pos, r->pos);
    return NNC_OK;
}

/* Format versions 1 and 2 (2: version 1's sections, the layer kinds in
 * ARCH, the optimizer and framework state in STAT, and NORM).  `body` is
 * the offset of the first section (after the header that every version
 * shares). */
static nnc_status decode_v1_v2(nnc_model *out, const unsigned char *b, size_t len,
                               const char *what, size_t body, int max_batch, uint32_t version)
{
    nnc_status s = check_framing(b, len, what, body);
    if (s != NNC_OK)
        return s;

    /* The sections, once their framing and the checksum hold. */
    nnc_model m;
    memset(&m, 0, sizeof m);
    int seen = 0;
    rd r = {.b = b, .what = what, .file_len = len, .version = version};
    for (size_t pos = body;;) {
        uint64_t n = nnc_get_le64(b + pos + 4);
        nnc_printable(b + pos, 4, 0, r.tag, sizeof r.tag);
        r.section_at = pos;
        r.pos = pos + 12;
        r.end = r.pos + (size_t)n;
        pos = r.end;
        if (memcmp(r.tag, "END ", 4) == 0)
            break;
        int bit = 0;
        for (size_t i = 0; i < sizeof V1_SECTIONS / sizeof V1_SECTIONS[0]; i++)
            if (memcmp(r.tag, V1_SECTIONS[i].tag, 4) == 0)
                bit = V1_SECTIONS[i].bit;
        if (version >= 2 && memcmp(r.tag, "NORM", 4) == 0)
            bit = SEC_NORM;
        if (!bit) {
            if (r.tag[0] >= 'a' && r.tag[0] <= 'z')
                continue; /* ancillary: safe to skip */
            s = rd_fail(&r, NNC_ERR_FORMAT,
                        "unknown critical section (this nnc %s reads format %d): the file "
                        "needs a newer nnc", nnc_version(), NNC_MODEL_FORMAT_VERSION);
            goto fail;
        }
        if (seen & bit) {
            s = rd_fail(&r, NNC_ERR_FORMAT, "the section appears twice");
            goto fail;
        }
        seen |= bit;
        s = read_section(&r, &m, bit, max_batch);
        if (s != NNC_OK)
            goto fail;
    }
    if (!(seen & SEC_ARCH) || !(seen & SEC_WGHT)) {
        s = nnc_fail(NNC_ERR_FORMAT, "%s: the file has no '%s' section", what,
                     !(seen & SEC_ARCH) ? "ARCH" : "WGHT");
        goto fail;
    }
    int batchnorm = 0;
    for (int l = 0; l < nnc_net_layers(m.net); l++)
        batchnorm |= nnc_net_running_mean(m.net, l) != NULL;
    if (batchnorm && !(seen & SEC_NORM)) {
        s = nnc_fail(NNC_ERR_FORMAT, "%s: the network has batch norm layers but the file no "
                     "'NORM' section (their running statistics)", what);
        goto fail;
    }
    if (m.x_scaling.n != 0 && m.x_scaling.n != nnc_net_inputs(m.net)) {
        s = nnc_fail(NNC_ERR_FORMAT, "%s: section 'XSCL' has %d columns, the network %d inputs",
                     what, m.x_scaling.n, nnc_net_inputs(m.net));
        goto fail;
    }
    if (m.y_scaling.n != 0 && m.y_scaling.n != nnc_net_outputs(m.net)) {
        s = nnc_fail(NNC_ERR_FORMAT,
                     "%s: section 'YSCL' has %d columns, the network %d outputs", what,
                     m.y_scaling.n, nnc_net_outputs(m.net));
        goto fail;
    }
    *out = m;
    return NNC_OK;
fail:
    nnc_model_free(&m);
    return s;
}

nnc_status nnc_model_decode(nnc_model *out, const void *bytes, size_t len, const char *what,
                            int max_batch)
{
    if (!what)
        what = "model";
    if (!out || (!bytes && len > 0))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_decode: NULL argument");
    if (max_batch <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_model_decode: max_batch must be positive (got %d)", max_batch);
    const unsigned char *b = bytes;

    /* The header, the same in every format version:
     *   0 magic (8)   8 format version (u32)   12 writer version (str) */
    if (len < sizeof MAGIC)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated: %zu bytes, less than the 8-byte signature of a model "
                        "file", what, len);
    if (memcmp(b, MAGIC, sizeof MAGIC) != 0) {
        char seen[40];
        size_t j = 0;
        for (size_t i = 0; i < sizeof MAGIC; i++)
            j += (size_t)snprintf(seen + j, sizeof seen - j, "%s%02x", i ? " " : "", b[i]);
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: not an nnc model file: bad signature at offset 0 (%s, expected "
                        "89 4e 4e 43 0d 0a 1a 0a)%s", what, seen,
                        memcmp(b, MAGIC, 4) == 0
                            ? "; its line ends look altered by a text-mode transfer"
                            : "");
    }
    if (len < 16)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated in the header: %zu bytes, the format version and the "
                        "writer's version need 16", what, len);
    uint32_t version = nnc_get_le32(b + 8);
    uint32_t wlen = nnc_get_le32(b + 12);
    char writer[WRITER_MAX + 1] = "(unreadable)";
    int writer_ok = wlen <= WRITER_MAX && wlen <= len - 16;
    if (writer_ok) {
        nnc_printable(b + 16, wlen, 0, writer, sizeof writer);
        for (uint32_t i = 0; i < wlen; i++)
            if (b[16 + i] < 0x20 || b[16 + i] > 0x7e)
                writer_ok = 0;
    }
    if (version > NNC_MODEL_FORMAT_VERSION)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: model format version %lu, written by nnc %s, is newer than this "
                        "nnc %s reads (format version %d): the file needs a newer nnc",
                        what, (unsigned long)version, writer, nnc_version(),
                        NNC_MODEL_FORMAT_VERSION);
    if (version == 0)
        return nnc_fail(NNC_ERR_FORMAT, "%s: format version 0 at offset 8 is invalid", what);
    if (wlen > len - 16)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated in the header: the writer's version at offset 16 "
                        "claims %lu bytes, %zu are left", what, (unsigned long)wlen, len - 16);
    if (!writer_ok)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: the writer's version at offset 12 is not 0 to %d printable ASCII "
                        "characters: the file is corrupt", what, WRITER_MAX);
    size_t body = 16 + (size_t)wlen;

    /* One decoder per format version this library has ever written. */
    switch (version) {
    case 1:
    case 2: return decode_v1_v2(out, b, len, what, body, max_batch, version);
    }
    return nnc_fail(NNC_ERR_FORMAT, "%s: format version %lu is not supported", what,
                    (unsigned long)version);
}

nnc_status nnc_model_load(nnc_model *out, const char *path, int max_batch)
{
    if (!out || !path)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_load: NULL argument");
    unsigned char *bytes;
    size_t len;
    nnc_status s = nnc_read_file(path, MODEL_MAX_FILE, &bytes, &len);
    if (s != NNC_OK)
        return s;
    s = nnc_model_decode(out, bytes, len, path, max_batch);
    free(bytes);
    return s;
}

/* ------------------------------------------------------------------ */
/* Prediction in raw units                                             */
/* ------------------------------------------------------------------ */

nnc_status nnc_model_predict(nnc_model *model, const nnc_real *X, int rows, nnc_real *out)
{
    if (!model || !model->net || (rows > 0 && (!X || !out)) || rows < 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_model_predict: invalid argument");
    nnc_net *net = model->net;
    const nnc_scaling *xs = &model->x_scaling, *ys = &model->y_scaling;
    const int n_in = nnc_net_inputs(net), n_out = nnc_net_outputs(net);
    if ((xs->n != 0 && xs->n != n_in) || (ys->n != 0 && ys->n != n_out))
        return nnc_fail(NNC_ERR_SHAPE,
                        "nnc_model_predict: scaling for %d inputs and %d outputs, the network "
                        "has %d and %d", xs->n, ys->n, n_in, n_out);
    if (rows == 0)
        return NNC_OK;
    nnc_status s;
    if (xs->n == 0) {
        s = nnc_net_predict(net, X, rows, out);
    } else {
        int chunk = nnc_net_max_batch(net) < rows ? nnc_net_max_batch(net) : rows;
        nnc_real *scratch = malloc((size_t)chunk * (size_t)n_in * sizeof *scratch);
        if (!scratch)
            return nnc_fail(NNC_ERR_MEMORY, "nnc_model_predict: out of memory");
        s = NNC_OK;
        for (int start = 0; start < rows && s == NNC_OK; start += chunk) {
            int m = rows - start < chunk ? rows - start : chunk;
            memcpy(scratch, X + (size_t)start * n_in, (size_t)m * n_in * sizeof *scratch);
            nnc_scaling_apply(xs, scratch, m);
            s = nnc_net_predict(net, scratch, m, out + (size_t)start * n_out);
        }
        free(scratch);
    }
    if (s == NNC_OK && ys->n != 0)
        nnc_scaling_invert(ys, out, rows);
    return s;
}
