/* Model files (.nnc): encode → decode → encode is byte-identical, a decoded
 * network predicts bitwise as the original, every truncation and every
 * single-bit flip is refused, newer versions and unknown critical sections
 * are refused while unknown ancillary ones are skipped, semantic checks on
 * bytes with a valid CRC, the committed v1 golden file, nnc_model_predict
 * with scaling, meta entries, and SHA-256. */
#include "check.h"

#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The golden file: format version 1, written once by nnc 0.1.0 (float build)
 * from golden_model() below and committed.  It must decode to exactly these
 * numbers for as long as nnc reads format version 1. */
#define GOLDEN NNC_DATA_DIR "/../../tests/data/model-v1-fitting-2-3-2.nnc"
#define TMP NNC_TEST_TMP "/"

/* ------------------------------------------------------------------ */
/* Building models                                                     */
/* ------------------------------------------------------------------ */

static nnc_net *make_net(nnc_task task, int n_in, int n_layers, const nnc_layer_spec *specs,
                         int max_batch)
{
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, task, n_in, n_layers, specs, max_batch));
    return net;
}

static void set_scaling(nnc_scaling *s, int n, const double *offset, const double *scale)
{
    s->n = n;
    s->offset = malloc((size_t)n * sizeof *s->offset);
    s->scale = malloc((size_t)n * sizeof *s->scale);
    memcpy(s->offset, offset, (size_t)n * sizeof *offset);
    memcpy(s->scale, scale, (size_t)n * sizeof *scale);
}

static void set_state(nnc_model *m, const uint32_t *order, int n_order)
{
    nnc_train_state *st = &m->state;
    m->has_state = 1;
    st->options = nnc_train_options_default();
    st->options.eta = 0.1;
    st->options.batch_size = 4;
    st->options.max_epoch = 100;
    st->options.eps = 0.001;
    st->options.checkpoint = 0.5;
    st->options.seed = 42;
    st->epoch = 3;
    st->iteration = 1;
    st->total_iteration = 13;
    st->rng.state = 0x0123456789abcdefULL;
    st->rng.inc = 0xfedcba9876543211ULL;
    st->n_order = n_order;
    st->order = n_order ? malloc((size_t)n_order * sizeof *order) : NULL;
    if (n_order)
        memcpy(st->order, order, (size_t)n_order * sizeof *order);
}

static void set_history(nnc_model *m, size_t n)
{
    m->history = malloc(n * sizeof *m->history);
    m->history_count = n;
    for (size_t i = 0; i < n; i++) {
        nnc_checkpoint c = {(int)i + 1, 4 * ((long)i + 1), 0.5 / (double)(i + 1),
                            0.25 * (double)(i + 1), 0.6 / (double)(i + 1),
                            0.2 * (double)(i + 1)};
        m->history[i] = c;
    }
}

/* 2-3-2 fitting net, leaky_relu(0.02) hidden, with every optional part. */
static const float GOLDEN_W[17] = {
    0.5f, -1.25f, 2.0f, 0.1f, -3.75f, 1e-3f, /* W1 (2, 3) */
    0.25f, -0.5f, 0.125f,                     /* B1 */
    1.5f, -0.75f, 0.3f, 2.5f, -1.0f, 0.0625f, /* W2 (3, 2) */
    -0.2f, 0.7f};                             /* B2 */
static const uint32_t GOLDEN_ORDER[7] = {5, 2, 7, 1, 4, 6, 3};
static const char GOLDEN_NOTE[] = "h\xc3\xa9llo \xe2\x9c\x93 \xe6\xa8\xa1\xe5\x9e\x8b";

static void golden_model(nnc_model *m)
{
    memset(m, 0, sizeof *m);
    nnc_layer_spec specs[2] = {{3, NNC_ACT_LEAKY_RELU, 0.02}, {2, NNC_ACT_IDENTITY, 0}};
    m->net = make_net(NNC_TASK_FITTING, 2, 2, specs, 8);
    if (!m->net)
        return;
    nnc_real *P = nnc_net_parameters(m->net);
    for (int i = 0; i < 17; i++)
        P[i] = (nnc_real)GOLDEN_W[i];
    const double xo[2] = {-1.0, 0.1}, xs[2] = {2.0, 0.3};
    const double yo[2] = {10.0, -2.5}, ys[2] = {4.0, 0.5};
    set_scaling(&m->x_scaling, 2, xo, xs);
    set_scaling(&m->y_scaling, 2, yo, ys);
    set_state(m, GOLDEN_ORDER, 7);
    set_history(m, 2);
    CHECK_OK(nnc_model_set_meta(m, "name", "golden"));
    CHECK_OK(nnc_model_set_meta(m, "note", GOLDEN_NOTE));
}

/* The smallest model: 1-1-1, no optional part. */
static void bare_model(nnc_model *m)
{
    memset(m, 0, sizeof *m);
    nnc_layer_spec specs[2] = {{1, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
    m->net = make_net(NNC_TASK_FITTING, 1, 2, specs, 4);
    if (!m->net)
        return;
    nnc_real *P = nnc_net_parameters(m->net);
    P[0] = (nnc_real)-18.785038592589334; /* the textbook's sin_111 */
    P[1] = (nnc_real)8.9;
    P[2] = (nnc_real)1.03;
    P[3] = (nnc_real)-0.7623780344473073;
}

/* A small 1-1-1 model with every optional part: for the bit-flip loop. */
static void small_full_model(nnc_model *m)
{
    bare_model(m);
    if (!m->net)
        return;
    const double o[1] = {0.25}, s[1] = {1.5};
    set_scaling(&m->x_scaling, 1, o, s);
    set_scaling(&m->y_scaling, 1, s, o);
    const uint32_t order[3] = {2, 0, 1};
    set_state(m, order, 3);
    set_history(m, 1);
    m->label_base = -1;
    CHECK_OK(nnc_model_set_meta(m, "k", "v"));
}

/* The encoded bytes of the model `make` builds (the model itself is freed);
 * NULL if encoding failed (already counted as a failed check). */
static unsigned char *encode_model(void (*make)(nnc_model *), size_t *n)
{
    nnc_model m;
    make(&m);
    unsigned char *b = NULL;
    *n = 0;
    CHECK_OK(nnc_model_encode(&m, &b, n));
    nnc_model_free(&m);
    return b;
}

/* ------------------------------------------------------------------ */
/* Comparing models                                                    */
/* ------------------------------------------------------------------ */

static int same_bits(const void *a, const void *b, size_t n) { return memcmp(a, b, n) == 0; }

static int same_scaling(const nnc_scaling *a, const nnc_scaling *b)
{
    return a->n == b->n &&
           (a->n == 0 || (same_bits(a->offset, b->offset, (size_t)a->n * sizeof(double)) &&
                          same_bits(a->scale, b->scale, (size_t)a->n * sizeof(double))));
}

static int same_check(const nnc_checkpoint *a, const nnc_checkpoint *b)
{
    return a->epoch == b->epoch && a->total_iteration == b->total_iteration &&
           same_bits(&a->loss_train, &b->loss_train, sizeof(double)) &&
           same_bits(&a->accuracy_train, &b->accuracy_train, sizeof(double)) &&
           same_bits(&a->loss_valid, &b->loss_valid, sizeof(double)) &&
           same_bits(&a->accuracy_valid, &b->accuracy_valid, sizeof(double));
}

static int same_model(const nnc_model *a, const nnc_model *b)
{
    if (!a->net || !b->net)
        return 0;
    nnc_net *na = a->net, *nb = b->net;
    if (nnc_net_task(na) != nnc_net_task(nb) || nnc_net_inputs(na) != nnc_net_inputs(nb) ||
        nnc_net_layers(na) != nnc_net_layers(nb))
        return 0;
    for (int l = 0; l < nnc_net_layers(na); l++) {
        nnc_layer_spec sa = nnc_net_layer(na, l), sb = nnc_net_layer(nb, l);
        if (sa.units != sb.units || sa.activation != sb.activation ||
            !same_bits(&sa.param, &sb.param, sizeof(double)))
            return 0;
    }
    size_t n = nnc_net_parameter_count(na);
    if (n != nnc_net_parameter_count(nb) ||
        !same_bits(nnc_net_parameters(na), nnc_net_parameters(nb), n * sizeof(nnc_real)))
        return 0;
    if (!same_scaling(&a->x_scaling, &b->x_scaling) ||
        !same_scaling(&a->y_scaling, &b->y_scaling) || a->label_base != b->label_base ||
        a->has_state != b->has_state)
        return 0;
    if (a->has_state) {
        const nnc_train_state *x = &a->state, *y = &b->state;
        if (!same_bits(&x->options.eta, &y->options.eta, sizeof(double)) ||
            x->options.batch_size != y->options.batch_size ||
            x->options.max_epoch != y->options.max_epoch ||
            !same_bits(&x->options.eps, &y->options.eps, sizeof(double)) ||
            !same_bits(&x->options.checkpoint, &y->options.checkpoint, sizeof(double)) ||
            x->options.seed != y->options.seed || x->epoch != y->epoch ||
            x->iteration != y->iteration || x->total_iteration != y->total_iteration ||
            x->rng.state != y->rng.state || x->rng.inc != y->rng.inc ||
            x->n_order != y->n_order ||
            (x->n_order && !same_bits(x->order, y->order, (size_t)x->n_order * 4)))
            return 0;
    }
    if (a->history_count != b->history_count)
        return 0;
    for (size_t i = 0; i < a->history_count; i++)
        if (!same_check(&a->history[i], &b->history[i]))
            return 0;
    if (a->n_meta != b->n_meta)
        return 0;
    for (int i = 0; i < a->n_meta; i++)
        if (strcmp(a->meta[i].key, b->meta[i].key) || strcmp(a->meta[i].value, b->meta[i].value))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Taking encodings apart and putting them back (to craft test files)   */
/* ------------------------------------------------------------------ */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}

/* Rewrites the last 4 bytes as the CRC-32 of the others. */
static void fix_crc(unsigned char *b, size_t len)
{
    put_le32(b + len - 4, (uint32_t)crc32(0L, b, (uInt)(len - 4)));
}

typedef struct section {
    char tag[5];
    const unsigned char *data;
    size_t len;
} section;

typedef struct pieces {
    const unsigned char *head; /* magic, version, writer */
    size_t head_len;
    section s[16]; /* up to END, not included */
    int n;
} pieces;

static void split(const unsigned char *b, size_t len, pieces *p)
{
    memset(p, 0, sizeof *p);
    p->head = b;
    p->head_len = 16 + le32(b + 12);
    size_t pos = p->head_len;
    while (pos + 12 <= len - 4 && memcmp(b + pos, "END ", 4) != 0 && p->n < 16) {
        section *s = &p->s[p->n++];
        memcpy(s->tag, b + pos, 4);
        s->len = (size_t)le64(b + pos + 4);
        s->data = b + pos + 12;
        pos += 12 + s->len;
    }
}

static section *find_section(pieces *p, const char *tag)
{
    for (int i = 0; i < p->n; i++)
        if (memcmp(p->s[i].tag, tag, 4) == 0)
            return &p->s[i];
    return NULL;
}

/* header + sections + END + CRC, malloc'ed. */
static unsigned char *join(const pieces *p, size_t *len)
{
    size_t n = p->head_len + 12 + 4;
    for (int i = 0; i < p->n; i++)
        n += 12 + p->s[i].len;
    unsigned char *b = malloc(n), *w = b;
    memcpy(w, p->head, p->head_len);
    w += p->head_len;
    for (int i = 0; i < p->n; i++) {
        memcpy(w, p->s[i].tag, 4);
        put_le64(w + 4, p->s[i].len);
        if (p->s[i].len)
            memcpy(w + 12, p->s[i].data, p->s[i].len);
        w += 12 + p->s[i].len;
    }
    memcpy(w, "END ", 4);
    put_le64(w + 4, 0);
    *len = n;
    fix_crc(b, n);
    return b;
}

/* Decoding must fail with NNC_ERR_FORMAT, leave out untouched and say `words`. */
static void check_refused(const unsigned char *b, size_t len, const char *words, int line)
{
    nnc_model m;
    memset(&m, 0, sizeof m);
    m.label_base = 12345;
    nnc_status s = nnc_model_decode(&m, b, len, "crafted.nnc", 4);
    check_count++;
    if (s != NNC_ERR_FORMAT || m.net || m.label_base != 12345 ||
        (words && !strstr(nnc_last_error(), words))) {
        check_failures++;
        fprintf(stderr, "%s:%d: decode -> %s (%s), want a format error saying \"%s\"\n",
                __FILE__, line, nnc_strerror(s), nnc_last_error(), words ? words : "");
    }
    if (s == NNC_OK)
        nnc_model_free(&m);
}
#define REFUSED(b, len, words) check_refused((b), (len), (words), __LINE__)

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_sha256(void)
{
    char hex[65];
    nnc_sha256_hex("", 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    nnc_sha256_hex("abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    nnc_sha256_hex(m448, strlen(m448), hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    nnc_sha256_hex(m896, strlen(m896), hex);
    CHECK(strcmp(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1") == 0);
    size_t n = 1000000;
    char *a = malloc(n);
    memset(a, 'a', n);
    nnc_sha256_hex(a, n, hex);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    free(a);
    /* every padding boundary: 55, 56, 63, 64 bytes of 'a' against known digests */
    char buf[64];
    memset(buf, 'a', sizeof buf);
    nnc_sha256_hex(buf, 55, hex);
    CHECK(strcmp(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318") == 0);
    nnc_sha256_hex(buf, 56, hex);
    CHECK(strcmp(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a") == 0);
    nnc_sha256_hex(buf, 64, hex);
    CHECK(strcmp(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb") == 0);
}

static void test_meta(void)
{
    nnc_model m = {0};
    CHECK(nnc_model_get_meta(&m, "a") == NULL);
    CHECK_OK(nnc_model_set_meta(&m, "a", "1"));
    CHECK_OK(nnc_model_set_meta(&m, "b key", "2"));
    CHECK_OK(nnc_model_set_meta(&m, "a", "one"));
    CHECK(m.n_meta == 2);
    CHECK(strcmp(m.meta[0].key, "a") == 0 && strcmp(nnc_model_get_meta(&m, "a"), "one") == 0);
    CHECK(strcmp(nnc_model_get_meta(&m, "b key"), "2") == 0);
    CHECK_OK(nnc_model_set_meta(&m, "emoji", "\xf0\x9f\x98\x80 and \xc3\xa9"));
    CHECK_OK(nnc_model_set_meta(&m, "empty", ""));
    CHECK_STATUS(nnc_model_set_meta(&m, "", "x"), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_model_set_meta(&m, "a=b", "x"), NNC_ERR_ARGUMENT);
    CHECK_MSG("'='");
    CHECK_STATUS(nnc_model_set_meta(&m, "a\nb", "x"), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_model_set_meta(&m, "caf\xc3\xa9", "x"), NNC_ERR_ARGUMENT);
    const char *bad_values[] = {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                "\xe2\x9c", "abc\x80"};
    for (size_t i = 0; i < sizeof bad_values / sizeof *bad_values; i++) {
        CHECK_STATUS(nnc_model_set_meta(&m, "bad", bad_values[i]), NNC_ERR_ARGUMENT);
        CHECK_MSG("UTF-8");
    }
    CHECK(m.n_meta == 4 && nnc_model_get_meta(&m, "bad") == NULL);
    nnc_model_free(&m);
    CHECK(m.n_meta == 0 && m.meta == NULL);
}

/* encode → decode → encode, byte-identical, and the decoded model equal. */
static void roundtrip(nnc_model *m, const char *label)
{
    unsigned char *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    CHECK_OK(nnc_model_encode(m, &b1, &n1));
    nnc_model d = {0};
    CHECK_OK(nnc_model_decode(&d, b1, n1, label, 16));
    CHECK(same_model(m, &d));
    CHECK_OK(nnc_model_encode(&d, &b2, &n2));
    CHECK(n1 == n2 && b1 && b2 && memcmp(b1, b2, n1) == 0);
    CHECK(nnc_net_max_batch(d.net) == 16);
    nnc_model_free(&d);
    free(b1);
    free(b2);
}

static void test_roundtrip(void)
{
    nnc_model m;
    bare_model(&m);
    roundtrip(&m, "bare");
    nnc_model_free(&m);

    golden_model(&m);
    roundtrip(&m, "golden");
    /* each optional part present alone, and the state with an empty order */
    nnc_model part;
    bare_model(&part);
    part.x_scaling = m.x_scaling, part.x_scaling.n = 1; /* borrowed, not owned */
    roundtrip(&part, "x_scaling");
    part.x_scaling = (nnc_scaling){0};
    set_state(&part, NULL, 0);
    roundtrip(&part, "state, empty order");
    nnc_train_state_free(&part.state);
    part.has_state = 0;
    set_history(&part, 3);
    roundtrip(&part, "history");
    nnc_model_free(&part);
    bare_model(&part);
    CHECK_OK(nnc_model_set_meta(&part, "only", "meta"));
    part.label_base = 1;
    roundtrip(&part, "meta");
    nnc_model_free(&part);

    /* A multiclass net of 4 layers, every activation in the catalogue. */
    for (int a = 0; a < NNC_ACT_COUNT; a++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)a);
        nnc_layer_spec specs[3] = {{3, (nnc_activation)a, info->default_param},
                                   {2, NNC_ACT_TANH, 0},
                                   {3, NNC_ACT_IDENTITY, 0}};
        nnc_model mc = {0};
        mc.net = make_net(NNC_TASK_MULTICLASS, 2, 3, specs, 5);
        if (!mc.net)
            continue;
        nnc_rng rng;
        nnc_rng_seed(&rng, (uint64_t)a);
        CHECK_OK(nnc_net_init(mc.net, NNC_INIT_NORMAL, &rng));
        roundtrip(&mc, info->name);
        nnc_model_free(&mc);
    }
    nnc_model_free(&m);
}

/* A decoded network predicts bitwise as the original, in chunks too. */
static void test_predict_bitwise(void)
{
    const nnc_task tasks[3] = {NNC_TASK_FITTING, NNC_TASK_BINARY, NNC_TASK_MULTICLASS};
    for (int t = 0; t < 3; t++) {
        nnc_layer_spec specs[3] = {{6, NNC_ACT_GELU_TANH, 0},
                                   {5, NNC_ACT_ELU, 0.7},
                                   {t == 2 ? 3 : 1, NNC_ACT_IDENTITY, 0}};
        nnc_model m = {0};
        m.net = make_net(tasks[t], 4, 3, specs, 64);
        if (!m.net)
            continue;
        nnc_rng rng;
        nnc_rng_seed(&rng, 100 + (uint64_t)t);
        CHECK_OK(nnc_net_init(m.net, NNC_INIT_XAVIER, &rng));
        nnc_real *P = nnc_net_parameters(m.net);
        for (size_t i = 0; i < nnc_net_parameter_count(m.net); i++)
            P[i] += (nnc_real)(0.1 * nnc_rng_normal(&rng));
        enum { ROWS = 37 };
        nnc_real X[ROWS * 4], want[ROWS * 3], got[ROWS * 3];
        for (int i = 0; i < ROWS * 4; i++)
            X[i] = (nnc_real)(4 * nnc_rng_uniform(&rng) - 2);
        CHECK_OK(nnc_net_predict(m.net, X, ROWS, want));
        unsigned char *b = NULL;
        size_t n = 0;
        CHECK_OK(nnc_model_encode(&m, &b, &n));
        nnc_model d = {0};
        CHECK_OK(nnc_model_decode(&d, b, n, "predict", 4)); /* 37 rows in chunks of 4 */
        if (d.net) {
            int n_out = nnc_net_outputs(d.net);
            memset(got, 0, sizeof got);
            CHECK_OK(nnc_model_predict(&d, X, ROWS, got));
            CHECK(memcmp(got, want, (size_t)ROWS * n_out * sizeof *got) == 0);
        }
        nnc_model_free(&d);
        nnc_model_free(&m);
        free(b);
    }
}

static void test_save_load(void)
{
    nnc_model m, d = {0};
    golden_model(&m);
    CHECK_OK(nnc_model_save(&m, TMP "model_golden.nnc"));
    CHECK_OK(nnc_model_load(&d, TMP "model_golden.nnc", 3));
    CHECK(same_model(&m, &d));
    CHECK(d.net && nnc_net_max_batch(d.net) == 3);
    nnc_model_free(&d);
    CHECK_STATUS(nnc_model_load(&d, TMP "model_missing.nnc", 3), NNC_ERR_IO);
    CHECK_MSG("model_missing.nnc");
    /* a corrupt file's message names it */
    unsigned char *b = NULL;
    size_t n = 0;
    CHECK_OK(nnc_model_encode(&m, &b, &n));
    if (b) {
        b[n / 2] ^= 0x10;
        FILE *f = fopen(TMP "model_corrupt.nnc", "wb");
        if (f) {
            fwrite(b, 1, n, f);
            fclose(f);
        }
        CHECK_STATUS(nnc_model_load(&d, TMP "model_corrupt.nnc", 3), NNC_ERR_FORMAT);
        CHECK_MSG("model_corrupt.nnc");
        CHECK_MSG("corrupt");
    }
    CHECK(d.net == NULL);
    free(b);
    nnc_model_free(&m);
}

/* Every prefix and every single-bit flip of a small complete file. */
static void test_corruption(void)
{
    size_t n;
    unsigned char *b = encode_model(small_full_model, &n);
    if (!b)
        return;
    int ok_prefix = 0, ok_flip = 0;
    for (size_t len = 0; len < n; len++) {
        nnc_model d = {0};
        d.label_base = 7;
        nnc_status s = nnc_model_decode(&d, b, len, "cut", 4);
        if (s == NNC_ERR_FORMAT && d.net == NULL && d.label_base == 7 &&
            strstr(nnc_last_error(), "truncated") && strstr(nnc_last_error(), "cut"))
            ok_prefix++;
        else
            fprintf(stderr, "prefix of %zu bytes: %s\n", len, nnc_last_error());
        if (s == NNC_OK)
            nnc_model_free(&d);
    }
    CHECK(ok_prefix == (int)n);
    for (size_t bit = 0; bit < 8 * n; bit++) {
        b[bit / 8] ^= (unsigned char)(1u << bit % 8);
        nnc_model d = {0};
        nnc_status s = nnc_model_decode(&d, b, n, "flip", 4);
        b[bit / 8] ^= (unsigned char)(1u << bit % 8);
        if (s == NNC_ERR_FORMAT && d.net == NULL)
            ok_flip++;
        else
            fprintf(stderr, "bit %zu flipped: %s\n", bit, nnc_strerror(s));
        if (s == NNC_OK)
            nnc_model_free(&d);
    }
    CHECK(ok_flip == (int)(8 * n));
    /* specific messages */
    unsigned char *c = malloc(n + 3);
    memcpy(c, b, n);
    c[20] ^= 1;
    REFUSED(c, n, "CRC-32 mismatch");
    memcpy(c, b, n);
    c[0] = 'P';
    REFUSED(c, n, "not an nnc model file");
    /* a text-mode transfer turned "\r\n" into "\n" */
    memcpy(c, b, 4);
    memcpy(c + 4, b + 5, n - 5);
    REFUSED(c, n - 1, "text-mode");
    memcpy(c, b, n);
    memcpy(c + n, "xyz", 3);
    REFUSED(c, n + 3, "unexpected bytes after the CRC");
    REFUSED(NULL, 0, "truncated");
    free(c);
    free(b);
}

/* The framing's refusals word for word (every section whole, then an empty
 * END, then exactly the CRC), checked before the CRC so that a cut file
 * says where it ends. */
static void check_message(const unsigned char *b, size_t len, const char *want, int line)
{
    nnc_model m;
    memset(&m, 0, sizeof m);
    nnc_status s = nnc_model_decode(&m, b, len, "f.nnc", 4);
    check_count++;
    if (s != NNC_ERR_FORMAT || strcmp(nnc_last_error(), want) != 0) {
        check_failures++;
        fprintf(stderr, "%s:%d: decode -> %s (%s), want \"%s\"\n", __FILE__, line,
                nnc_strerror(s), nnc_last_error(), want);
    }
    if (s == NNC_OK)
        nnc_model_free(&m);
}
#define MESSAGE(b, len, want) check_message((b), (len), (want), __LINE__)

static void test_framing_messages(void)
{
    size_t n;
    unsigned char *b = encode_model(small_full_model, &n);
    if (!b)
        return;
    unsigned char *c = malloc(n + 8);
    size_t end = n - 16; /* the END section's offset */
    char want[300];
    snprintf(want, sizeof want,
             "f.nnc: truncated or corrupt at offset %zu: the file ends after section 'META' "
             "without an END section (0 bytes left, a section header needs 12)", end);
    MESSAGE(b, end, want);
    snprintf(want, sizeof want,
             "f.nnc: truncated at offset %zu: the 4-byte CRC-32 after the END section is "
             "missing", n - 4);
    MESSAGE(b, n - 4, want);
    snprintf(want, sizeof want,
             "f.nnc: truncated at offset %zu: the 4-byte CRC-32 after the END section is "
             "cut short", n - 4);
    MESSAGE(b, n - 2, want);
    memcpy(c, b, n);
    memcpy(c + n, "\0\0\0\0", 4);
    snprintf(want, sizeof want, "f.nnc: 4 unexpected bytes after the CRC-32 at offset %zu",
             n - 4);
    MESSAGE(c, n + 4, want);
    /* an END that claims bytes, with a valid CRC: malformed, not cut */
    memcpy(c, b, n);
    put_le64(c + end + 4, 1);
    fix_crc(c, n);
    snprintf(want, sizeof want,
             "f.nnc: malformed (with a valid CRC-32): the END section at offset %zu claims 1 "
             "bytes; it is empty", end);
    MESSAGE(c, n, want);
    /* the first section claims more than the file holds */
    pieces p;
    split(b, n, &p);
    size_t arch = p.head_len;
    memcpy(c, b, n);
    put_le64(c + arch + 4, 100000);
    fix_crc(c, n);
    snprintf(want, sizeof want,
             "f.nnc: malformed (with a valid CRC-32): section 'ARCH' at offset %zu claims "
             "100000 bytes, only %zu follow", arch, n - arch - 12);
    MESSAGE(c, n, want);
    /* the framing whole, the checksum wrong */
    memcpy(c, b, n);
    c[n - 1] ^= 0xff;
    snprintf(want, sizeof want,
             "f.nnc: CRC-32 mismatch (stored %08lx at offset %zu, computed %08lx): the file "
             "is corrupt", (unsigned long)le32(c + n - 4), n - 4, (unsigned long)le32(b + n - 4));
    MESSAGE(c, n, want);
    free(c);
    free(b);
}

static void test_versions_and_sections(void)
{
    nnc_model m;
    bare_model(&m);
    unsigned char *b = NULL;
    size_t n = 0;
    CHECK_OK(nnc_model_encode(&m, &b, &n));
    if (!b) {
        nnc_model_free(&m);
        return;
    }
    CHECK(memcmp(b, "\x89NNC\r\n\x1a\n", 8) == 0);
    /* A plain model is written in format 1 (what it needs), by a library
     * that reads up to format 2. */
    CHECK(le32(b + 8) == 1 && NNC_MODEL_FORMAT_VERSION == 2);
    CHECK(le32(b + 12) == strlen(nnc_version()) &&
          memcmp(b + 16, nnc_version(), strlen(nnc_version())) == 0);
    CHECK(le32(b + n - 4) == (uint32_t)crc32(0L, b, (uInt)(n - 4)));

    /* a newer format version, CRC made valid again */
    unsigned char *c = malloc(n);
    memcpy(c, b, n);
    put_le32(c + 8, 3);
    fix_crc(c, n);
    REFUSED(c, n, "version 3");
    REFUSED(c, n, nnc_version()); /* the writer's version, and this reader's */
    REFUSED(c, n, "needs a newer nnc");
    put_le32(c + 8, 0);
    fix_crc(c, n);
    REFUSED(c, n, "version 0");
    free(c);

    pieces p;
    split(b, n, &p);
    CHECK(p.n == 2 && memcmp(p.s[0].tag, "ARCH", 4) == 0 && memcmp(p.s[1].tag, "WGHT", 4) == 0);
    /* an unknown ancillary section, anywhere, is skipped */
    pieces q = p;
    q.s[2] = q.s[1];
    q.s[1] = (section){"zzzz", (const unsigned char *)"future data", 11};
    q.s[3] = (section){"xtr2", NULL, 0};
    q.n = 4;
    size_t cn = 0;
    c = join(&q, &cn);
    nnc_model d = {0};
    CHECK_OK(nnc_model_decode(&d, c, cn, "ancillary", 4));
    CHECK(same_model(&m, &d));
    unsigned char *again = NULL;
    size_t an = 0;
    CHECK_OK(nnc_model_encode(&d, &again, &an));
    CHECK(an == n && again && memcmp(again, b, n) == 0); /* dropped on re-encoding */
    free(again);
    nnc_model_free(&d);
    free(c);
    /* an unknown critical one is refused */
    q.s[1] = (section){"Zzzz", (const unsigned char *)"future data", 11};
    c = join(&q, &cn);
    REFUSED(c, cn, "'Zzzz'");
    REFUSED(c, cn, "needs a newer nnc");
    free(c);
    /* sections out of order, twice, missing, malformed tags */
    q = p;
    q.s[0] = p.s[1], q.s[1] = p.s[0];
    c = join(&q, &cn);
    REFUSED(c, cn, "before section 'ARCH'");
    free(c);
    q = p;
    q.s[2] = p.s[1];
    q.n = 3;
    c = join(&q, &cn);
    REFUSED(c, cn, "twice");
    free(c);
    q.n = 1;
    c = join(&q, &cn);
    REFUSED(c, cn, "no 'WGHT' section");
    free(c);
    q = p;
    q.s[1].tag[0] = '#';
    c = join(&q, &cn);
    REFUSED(c, cn, "not a section tag");
    free(c);
    /* bytes left over at the end of a known section */
    unsigned char arch[256];
    q = p;
    memcpy(arch, p.s[0].data, p.s[0].len);
    arch[p.s[0].len] = 0;
    q.s[0].data = arch;
    q.s[0].len++;
    c = join(&q, &cn);
    REFUSED(c, cn, "1 unexpected bytes at its end");
    free(c);
    free(b);
    nnc_model_free(&m);
}

/* Bytes with a valid CRC but contents the reader must refuse. */
static void test_semantic_checks(void)
{
    size_t n;
    unsigned char *b = encode_model(golden_model, &n);
    if (!b)
        return;
    unsigned char *c = malloc(n);
    /* ARCH: str "fitting" (11), n_inputs, label_base, n_layers, then layer 1:
     * units (at 23), str "leaky_relu" (at 27, 14 bytes), param (at 41) */
    pieces p;
    split(b, n, &p);
    section *arch = find_section(&p, "ARCH");
    CHECK(arch && memcmp(arch->data + 4, "fitting", 7) == 0 &&
          memcmp(arch->data + 31, "leaky_relu", 10) == 0);
    size_t a0 = (size_t)(arch->data - b);
#define PATCH(off, bytes, nbytes, words)                                               \
    do {                                                                               \
        memcpy(c, b, n);                                                               \
        memcpy(c + (off), (bytes), (nbytes));                                          \
        fix_crc(c, n);                                                                 \
        REFUSED(c, n, (words));                                                        \
    } while (0)
    /* task names, like activation names, are looked up case-insensitively */
    memcpy(c, b, n);
    memcpy(c + a0 + 4, "FITTING", 7);
    fix_crc(c, n);
    nnc_model d = {0};
    CHECK_STATUS(nnc_model_decode(&d, c, n, "case", 4), NNC_OK);
    nnc_model_free(&d);
    PATCH(a0 + 4, "fitness", 7, "unknown task 'fitness'");
    PATCH(a0 + 31, "leaky_reXu", 10, "unknown activation 'leaky_reXu'");
    PATCH(a0 + 31, "leaky relu", 10, "is not a name");
    PATCH(a0 + 11, "\0\0\0\0", 4, "n_inputs = 0");
    PATCH(a0 + 19, "\0\0\0\0", 4, "n_layers is 0");
    PATCH(a0 + 19, "\xff\xff\xff\x7f", 4, "n_layers = 2147483647 is more than the 64 layers");
    PATCH(a0 + 19, "\x41\0\0\0", 4, "n_layers = 65 is more than the 64 layers");
    PATCH(a0 + 23, "\0\0\0\0", 4, "layer 1 has 0 units");
    /* 2^31-1 units: refused before anything that size is allocated */
    PATCH(a0 + 23, "\xff\xff\xff\x7f", 4, "more weights than the file's");
    PATCH(a0 + 41, "\0\0\0\0\0\0\xf0\x7f", 8, "activation parameter is inf");
    /* the output layer: units (at 49), str "identity" (at 53), param (at 65) */
    CHECK(memcmp(arch->data + 57, "identity", 8) == 0);
    PATCH(a0 + 57, "softsign", 8, "must be identity");
    /* scaling: n, offset[], scale[] */
    section *xs = find_section(&p, "XSCL");
    size_t x0 = (size_t)(xs->data - b);
    PATCH(x0, "\3\0\0\0", 4, "can hold");
    PATCH(x0, "\0\0\0\0", 4, "n is 0");
    PATCH(x0 + 4 + 16, "\0\0\0\0\0\0\0\0", 8, "column 0: field 'scale' is 0, which is not a normal");
    /* 5e-324: predict would divide by it and print inf */
    PATCH(x0 + 4 + 16, "\1\0\0\0\0\0\0\0", 8, "field 'scale' is 4.94066e-324, which is not a normal");
    PATCH(x0 + 4 + 24, "\0\0\0\0\0\0\xf0\x7f", 8, "column 1: field 'scale' is inf");
    PATCH(x0 + 4, "\0\0\0\0\0\0\xf8\x7f", 8, "column 0: field 'offset' is nan, not finite");
    /* label_base (at 15): |label_base| + 2 classes - 1 must fit an int */
    PATCH(a0 + 15, "\xff\xff\xff\x7f", 4, "label_base = 2147483647 is out of range");
    PATCH(a0 + 15, "\0\0\0\x80", 4, "label_base = -2147483648 is out of range");
    memcpy(c, b, n);
    memcpy(c + a0 + 15, "\xfe\xff\xff\x7f", 4); /* INT_MAX - 1: labels up to INT_MAX */
    fix_crc(c, n);
    CHECK_STATUS(nnc_model_decode(&d, c, n, "top", 4), NNC_OK);
    CHECK(d.label_base == INT_MAX - 1);
    nnc_model_free(&d);
    /* weights: dtype, count, values */
    section *w = find_section(&p, "WGHT");
    size_t w0 = (size_t)(w->data - b);
    PATCH(w0, "\5", 1, "dtype 5");
    PATCH(w0 + 1, "\20", 1, "count 16");
    if (sizeof(nnc_real) == 4) {
        PATCH(w0 + 9 + 8, "\0\0\xc0\x7f", 4, "weight 2 (layer 1)");
        PATCH(w0 + 9, "\0\0\x80\xff", 4, "not a finite");
    } else {
        PATCH(w0 + 9 + 16, "\0\0\0\0\0\0\xf8\x7f", 8, "weight 2 (layer 1)");
        PATCH(w0 + 9, "\0\0\0\0\0\0\xf0\xff", 8, "not a finite");
    }
    /* state: order[] at 76, after 8+4+4+8+8+8 + 4+4+8 + 8+8 + 4 bytes */
    section *st = find_section(&p, "STAT");
    size_t s0 = (size_t)(st->data - b);
    CHECK(le32(st->data + 72) == 7 && le32(st->data + 76) == GOLDEN_ORDER[0]);
    PATCH(s0 + 76, "\0\0\0\x80", 4, "order[0] = 2147483648");
    PATCH(s0 + 72, "\xff\xff\xff\xff", 4, "can hold");
    PATCH(s0 + 40, "\xff\xff\xff\xff", 4, "'epoch' at offset");
    PATCH(s0 + 48, "\0\0\0\0\0\0\0\x80", 8, "total_iteration");
    /* rng_state (at 56) and rng_inc (at 64) both 0: PCG would draw 0 forever */
    PATCH(s0 + 56, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16,
          "field 'rng_inc' at offset");
    PATCH(s0 + 64, "\x10", 1, "is 18364758544493064720, an even number");
    PATCH(s0 + 76 + 28 + 4, "xyz", 3, "needs a newer nnc");
    PATCH(s0 + 76 + 28 + 4, "SGD", 3, "optimizer 'SGD'");
    PATCH(s0 + 76 + 28 + 7, "\1", 1, "state arrays");
    /* history: count, records of 44 bytes */
    section *h = find_section(&p, "HIST");
    size_t h0 = (size_t)(h->data - b);
    PATCH(h0, "\3", 1, "can hold");
    PATCH(h0, "\0", 1, "count is 0");
    PATCH(h0 + 8, "\xff\xff\xff\xff", 4, "negative");
    /* meta: count, then str key, str value: "name" "golden" "note" ... */
    section *me = find_section(&p, "META");
    size_t m0 = (size_t)(me->data - b);
    CHECK(memcmp(me->data + 8, "name", 4) == 0 && memcmp(me->data + 26, "note", 4) == 0);
    PATCH(m0 + 26, "name", 4, "meta key 'name' appears twice");
    PATCH(m0 + 8, "na=e", 4, "meta key 0");
    PATCH(m0 + 8, "na\ne", 4, "meta key 0");
    PATCH(m0 + 16, "go\0den", 6, "not UTF-8");
    PATCH(m0 + 16, "go\xc0\xafn", 5, "not UTF-8");
    PATCH(m0, "\xff\xff\xff\xff", 4, "can hold");
    PATCH(m0 + 4, "\xff\xff\xff\x0f", 4, "claims");
#undef PATCH
    free(c);
    free(b);
}

/* A valid (CRC and all) fitting model of n_layers layers of 1 unit on 1
 * input, identity throughout, zero weights, with small_full_model's
 * training state: what no nnc could write, crafted byte by byte. */
static unsigned char *deep_model(uint32_t n_layers, size_t *len)
{
    size_t bn;
    unsigned char *base = encode_model(small_full_model, &bn);
    if (!base)
        return NULL;
    pieces p;
    split(base, bn, &p);
    section *stat = find_section(&p, "STAT");
    size_t arch_len = 4 + 7 + 4 + 4 + 4 + (size_t)n_layers * (4 + 4 + 8 + 8);
    size_t wght_len = 1 + 8 + (size_t)n_layers * 2 * 8;
    unsigned char *arch = calloc(1, arch_len), *wght = calloc(1, wght_len), *w = arch;
    put_le32(w, 7);
    memcpy(w + 4, "fitting", 7);
    put_le32(w + 11, 1); /* n_inputs */
    put_le32(w + 15, 0); /* label_base */
    put_le32(w + 19, n_layers);
    w += 23;
    for (uint32_t l = 0; l < n_layers; l++, w += 24) {
        put_le32(w, 1);
        put_le32(w + 4, 8);
        memcpy(w + 8, "identity", 8);
    }
    wght[0] = 8;
    put_le64(wght + 1, (uint64_t)n_layers * 2);
    pieces q;
    memset(&q, 0, sizeof q);
    q.head = p.head;
    q.head_len = p.head_len;
    q.s[0] = (section){"ARCH", arch, arch_len};
    q.s[1] = (section){"WGHT", wght, wght_len};
    q.s[2] = *stat;
    q.n = 3;
    unsigned char *out = join(&q, len);
    free(arch);
    free(wght);
    free(base);
    return out;
}

/* One layer limit, NNC_MAX_LAYERS, for the network, the model's reader and
 * writer (nnc train --resume once copied 68 widths into int widths[67]). */
static void test_layer_limit(void)
{
    CHECK(NNC_MAX_LAYERS == 64);
    size_t n;
    unsigned char *b = deep_model(NNC_MAX_LAYERS, &n);
    nnc_model m = {0};
    CHECK_STATUS(nnc_model_decode(&m, b, n, "deep", 4), NNC_OK);
    CHECK(m.net && nnc_net_layers(m.net) == NNC_MAX_LAYERS && m.has_state);
    unsigned char *again = NULL;
    size_t again_n = 0;
    CHECK_OK(nnc_model_encode(&m, &again, &again_n));
    free(again);
    nnc_model_free(&m);
    free(b);
    static const uint32_t too_many[] = {NNC_MAX_LAYERS + 1, 68, 10000};
    for (size_t i = 0; i < sizeof too_many / sizeof too_many[0]; i++) {
        char words[96];
        snprintf(words, sizeof words, "n_layers = %lu is more than the 64 layers a model may have",
                 (unsigned long)too_many[i]);
        b = deep_model(too_many[i], &n);
        REFUSED(b, n, words);
        /* from a file too, as nnc train --resume and predict read it */
        FILE *f = fopen(TMP "deep.nnc", "wb");
        CHECK(f && fwrite(b, 1, n, f) == n);
        if (f)
            fclose(f);
        CHECK_STATUS(nnc_model_load(&m, TMP "deep.nnc", 1), NNC_ERR_FORMAT);
        CHECK_MSG(words);
        CHECK(!m.net);
        free(b);
    }
    /* the network itself */
    nnc_layer_spec specs[NNC_MAX_LAYERS + 1];
    for (int l = 0; l <= NNC_MAX_LAYERS; l++)
        specs[l] = (nnc_layer_spec){1, NNC_ACT_IDENTITY, 0};
    nnc_net *net = NULL;
    CHECK_STATUS(nnc_net_create(&net, NNC_TASK_FITTING, 1, NNC_MAX_LAYERS + 1, specs, 1),
                 NNC_ERR_ARGUMENT);
    CHECK_MSG("65 layers, more than the 64 a network may have");
    CHECK(!net);
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 1, NNC_MAX_LAYERS, specs, 1));
    nnc_net_free(net);
}

/* Weights stored as float64 (the double build's files) decode in either
 * build: float32 → double is exact, float64 → float rounds to nearest. */
static void test_weight_dtypes(void)
{
    size_t n;
    unsigned char *b = encode_model(bare_model, &n);
    if (!b)
        return;
    pieces p;
    split(b, n, &p);
    const double v64[4] = {0.1, -2.0 / 3.0, 1e-300, 12345.678};
    const float v32[4] = {0.1f, -2.0f / 3.0f, 1e-30f, 12345.678f};
    unsigned char w[9 + 32];
    for (int dtype = 4; dtype <= 8; dtype += 4) {
        w[0] = (unsigned char)dtype;
        put_le64(w + 1, 4);
        for (int i = 0; i < 4; i++) {
            if (dtype == 8) {
                uint64_t u;
                memcpy(&u, &v64[i], 8);
                put_le64(w + 9 + 8 * i, u);
            } else {
                uint32_t u;
                memcpy(&u, &v32[i], 4);
                put_le32(w + 9 + 4 * i, u);
            }
        }
        p.s[1].data = w;
        p.s[1].len = 9 + (size_t)dtype * 4;
        size_t cn = 0;
        unsigned char *c = join(&p, &cn);
        nnc_model d = {0};
        CHECK_OK(nnc_model_decode(&d, c, cn, "dtype", 4));
        if (d.net) {
            const nnc_real *P = nnc_net_parameters(d.net);
            for (int i = 0; i < 4; i++)
                CHECK(dtype == 8 ? P[i] == (nnc_real)v64[i] : P[i] == (nnc_real)v32[i]);
        }
        nnc_model_free(&d);
        free(c);
    }
    /* beyond float's range: refused by the float build, read by the double one */
    w[0] = 8;
    uint64_t big;
    double dbig = 1e300;
    memcpy(&big, &dbig, 8);
    put_le64(w + 9, big);
    p.s[1].len = 9 + 32;
    size_t cn = 0;
    unsigned char *c = join(&p, &cn);
#ifdef NNC_DOUBLE
    nnc_model d = {0};
    CHECK_OK(nnc_model_decode(&d, c, cn, "big", 4));
    CHECK(d.net && nnc_net_parameters(d.net)[0] == 1e300);
    nnc_model_free(&d);
#else
    REFUSED(c, cn, "not a finite float");
#endif
    free(c);
    free(b);
}

/* The committed file of format version 1 decodes to exactly its numbers. */
static void test_golden(void)
{
    const char *path = getenv("NNC_WRITE_GOLDEN");
    nnc_model want;
    golden_model(&want);
    if (path) { /* how the committed file was made: once, never again */
        CHECK_OK(nnc_model_save(&want, path));
        nnc_model_free(&want);
        return;
    }
    nnc_model d = {0};
    CHECK_OK(nnc_model_load(&d, GOLDEN, 5));
    if (!d.net) {
        nnc_model_free(&want);
        return;
    }
    CHECK(same_model(&want, &d));
    /* and field by field, independently of golden_model() */
    CHECK(nnc_net_task(d.net) == NNC_TASK_FITTING && nnc_net_inputs(d.net) == 2 &&
          nnc_net_layers(d.net) == 2 && nnc_net_outputs(d.net) == 2);
    nnc_layer_spec l0 = nnc_net_layer(d.net, 0), l1 = nnc_net_layer(d.net, 1);
    CHECK(l0.units == 3 && l0.activation == NNC_ACT_LEAKY_RELU && l0.param == 0.02);
    CHECK(l1.units == 2 && l1.activation == NNC_ACT_IDENTITY && l1.param == 0);
    const nnc_real *P = nnc_net_parameters(d.net);
    for (int i = 0; i < 17; i++)
        CHECK(P[i] == (nnc_real)GOLDEN_W[i]);
    CHECK(nnc_net_weights(d.net, 1)[2] == (nnc_real)0.3f &&
          nnc_net_bias(d.net, 1)[1] == (nnc_real)0.7f);
    CHECK(d.x_scaling.n == 2 && d.x_scaling.offset[1] == 0.1 && d.x_scaling.scale[1] == 0.3);
    CHECK(d.y_scaling.n == 2 && d.y_scaling.offset[0] == 10.0 && d.y_scaling.scale[1] == 0.5);
    CHECK(d.label_base == 0 && d.has_state == 1);
    CHECK(d.state.options.eta == 0.1 && d.state.options.batch_size == 4 &&
          d.state.options.max_epoch == 100 && d.state.options.eps == 0.001 &&
          d.state.options.checkpoint == 0.5 && d.state.options.seed == 42);
    CHECK(d.state.epoch == 3 && d.state.iteration == 1 && d.state.total_iteration == 13);
    CHECK(d.state.rng.state == 0x0123456789abcdefULL &&
          d.state.rng.inc == 0xfedcba9876543211ULL);
    CHECK(d.state.n_order == 7 && d.state.order[0] == 5 && d.state.order[6] == 3);
    CHECK(d.history_count == 2 && d.history[1].epoch == 2 &&
          d.history[1].total_iteration == 8 && d.history[1].loss_valid == 0.3);
    CHECK(d.n_meta == 2 && strcmp(nnc_model_get_meta(&d, "name"), "golden") == 0 &&
          strcmp(nnc_model_get_meta(&d, "note"), GOLDEN_NOTE) == 0);
    /* The float build still writes format 1 exactly: the same sections,
     * byte for byte (the writer's version in the header may differ). */
#ifndef NNC_DOUBLE
    unsigned char *g = NULL, *e = NULL;
    size_t gn = 0, en = 0;
    FILE *f = fopen(GOLDEN, "rb");
    if (f) {
        g = malloc(4096);
        gn = fread(g, 1, 4096, f);
        fclose(f);
    }
    CHECK_OK(nnc_model_encode(&want, &e, &en));
    if (g && e && gn > 16 && en > 16) {
        size_t gb = 16 + le32(g + 12), eb = 16 + le32(e + 12);
        CHECK(gn - gb == en - eb && memcmp(g + gb, e + eb, gn - gb - 4) == 0);
    }
    free(g);
    free(e);
#endif
    nnc_model_free(&d);
    nnc_model_free(&want);
}

/* nnc_model_predict: scale inputs, run, unscale outputs. */
static void test_model_predict(void)
{
    /* By hand: 1-1-1, identity hidden layer, W1 = 2, B1 = 1, W2 = 1, B2 = 0;
     * x offset 1, scale 2; y offset 10, scale 5: x = 3 → 1 → 3 → 25. */
    nnc_layer_spec specs[2] = {{1, NNC_ACT_IDENTITY, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_model m = {0};
    m.net = make_net(NNC_TASK_FITTING, 1, 2, specs, 2);
    if (m.net) {
        nnc_real *P = nnc_net_parameters(m.net);
        P[0] = 2, P[1] = 1, P[2] = 1, P[3] = 0;
        const double xo = 1, xs = 2, yo = 10, ys = 5;
        set_scaling(&m.x_scaling, 1, &xo, &xs);
        set_scaling(&m.y_scaling, 1, &yo, &ys);
        nnc_real X[3] = {3, -1, 0}, out[3];
        CHECK_OK(nnc_model_predict(&m, X, 3, out));
        CHECK(out[0] == 25 && out[1] == 5 && out[2] == 10);
        CHECK_OK(nnc_model_predict(&m, X, 0, out));
        CHECK_STATUS(nnc_model_predict(&m, X, -1, out), NNC_ERR_ARGUMENT);
        m.y_scaling.n = 2;
        CHECK_STATUS(nnc_model_predict(&m, X, 3, out), NNC_ERR_SHAPE);
        m.y_scaling.n = 1;
        nnc_model_free(&m);
    }

    /* Min–max scaling from data: bitwise the same as doing it by hand. */
    enum { ROWS = 29, NI = 3, NO = 2 };
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    nnc_real X[ROWS * NI], Y[ROWS * NO];
    for (int i = 0; i < ROWS * NI; i++)
        X[i] = (nnc_real)(100 * nnc_rng_uniform(&rng) - 20);
    for (int i = 0; i < ROWS * NO; i++)
        Y[i] = (nnc_real)(1000 * nnc_rng_uniform(&rng));
    nnc_layer_spec s3[2] = {{4, NNC_ACT_SIGMOID, 0}, {NO, NNC_ACT_IDENTITY, 0}};
    m = (nnc_model){0};
    m.net = make_net(NNC_TASK_FITTING, NI, 2, s3, 8); /* 29 rows: chunks of 8 */
    if (!m.net)
        return;
    CHECK_OK(nnc_net_init(m.net, NNC_INIT_XAVIER, &rng));
    CHECK_OK(nnc_scaling_minmax(&m.x_scaling, X, ROWS, NI));
    CHECK_OK(nnc_scaling_minmax(&m.y_scaling, Y, ROWS, NO));
    nnc_real got[ROWS * NO], want[ROWS * NO], Xs[ROWS * NI];
    CHECK_OK(nnc_model_predict(&m, X, ROWS, got));
    memcpy(Xs, X, sizeof Xs);
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < NI; c++)
            Xs[r * NI + c] = (nnc_real)(((double)Xs[r * NI + c] - m.x_scaling.offset[c]) /
                                        m.x_scaling.scale[c]);
    CHECK_OK(nnc_net_predict(m.net, Xs, ROWS, want));
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < NO; c++)
            want[r * NO + c] = (nnc_real)((double)want[r * NO + c] * m.y_scaling.scale[c] +
                                          m.y_scaling.offset[c]);
    CHECK(memcmp(got, want, sizeof got) == 0);
    /* the same through a file */
    unsigned char *b = NULL;
    size_t n = 0;
    CHECK_OK(nnc_model_encode(&m, &b, &n));
    nnc_model d = {0};
    CHECK_OK(nnc_model_decode(&d, b, n, "minmax", 5));
    memset(got, 0, sizeof got);
    if (d.net) {
        CHECK_OK(nnc_model_predict(&d, X, ROWS, got));
        CHECK(memcmp(got, want, sizeof got) == 0);
    }
    nnc_model_free(&d);
    free(b);
    nnc_model_free(&m);
}

static void test_encode_errors(void)
{
    nnc_model m;
    bare_model(&m);
    unsigned char *b = NULL;
    size_t n = 0;
    nnc_model none = {0};
    CHECK_STATUS(nnc_model_encode(&none, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_model_encode(NULL, &b, &n), NNC_ERR_ARGUMENT);
    nnc_net_parameters(m.net)[1] = (nnc_real)NAN;
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_MSG("NaN");
    nnc_net_parameters(m.net)[1] = 0;
    const double o[2] = {0, 0}, s[2] = {1, 0};
    set_scaling(&m.x_scaling, 2, o, s);
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_SHAPE);
    m.x_scaling.n = 1;
    m.x_scaling.scale[0] = 0;
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_MSG("x_scaling column 0: scale 0 is not a normal number");
    m.x_scaling.scale[0] = 5e-324; /* 1 / scale is inf */
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_MSG("scale 4.94066e-324 is not a normal number");
    m.x_scaling.scale[0] = 1;
    m.x_scaling.offset[0] = INFINITY;
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_MSG("x_scaling column 0: offset inf is not finite");
    m.x_scaling.offset[0] = 0;
    /* label_base: |label_base| + 2 classes must fit an int */
    m.label_base = INT_MAX;
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_MSG("label_base 2147483647 is out of range");
    m.label_base = INT_MIN;
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    m.label_base = 0;
    const uint32_t order[2] = {1, 0x80000000u};
    set_state(&m, order, 2);
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    m.state.order[1] = 2;
    m.state.rng.inc = 0; /* PCG's stream must be odd: the reader refuses an even one */
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_MSG("rng_inc 0 is even");
    m.state.rng.inc = 1;
    CHECK_OK(nnc_model_set_meta(&m, "a", "x"));
    CHECK_OK(nnc_model_set_meta(&m, "b", "y"));
    m.meta[1].key[0] = 'a';
    CHECK_STATUS(nnc_model_encode(&m, &b, &n), NNC_ERR_ARGUMENT);
    CHECK_MSG("twice");
    m.meta[1].key[0] = 'b';
    CHECK_OK(nnc_model_encode(&m, &b, &n));
    free(b);
    CHECK_STATUS(nnc_model_decode(&none, "", 0, NULL, 0), NNC_ERR_ARGUMENT);
    nnc_model_free(&m);
}

int main(void)
{
    test_sha256();
    test_meta();
    test_roundtrip();
    test_predict_bitwise();
    test_save_load();
    test_corruption();
    test_framing_messages();
    test_versions_and_sections();
    test_semantic_checks();
    test_weight_dtypes();
    test_golden();
    test_model_predict();
    test_encode_errors();
    test_layer_limit();
    return check_report("test_model");
}
