/* The textbook's weight files: dir/wb1.npz … wbN.npz, each with "weights"
 * (n_in, n_out) and "bias" (1, n_out) in float64, and its starting weights
 * w_<n_in>_<n_out>_<Init>_init.npz.  Only the public net accessors are used. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WEIGHT_FILE_MAX ((size_t)1 << 31)

/* dir + "/" + name into a new string (no doubled '/'). */
static nnc_status make_path(const char *dir, const char *name, char **out)
{
    size_t dl = strlen(dir), nl = strlen(name);
    int slash = dl > 0 && dir[dl - 1] != '/';
    if (dl > ((size_t)-1) / 2 - nl)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: path too long", dir);
    size_t size = dl + (size_t)slash + nl + 1;
    char *p = malloc(size);
    if (!p)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", dir);
    int n = snprintf(p, size, "%s%s%s", dir, slash ? "/" : "", name);
    if (n < 0 || (size_t)n >= size) {
        free(p);
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: cannot build the path of %s", dir, name);
    }
    *out = p;
    return NNC_OK;
}

/* Inputs of a layer: the net's inputs or the previous layer's units. */
static int layer_inputs(const nnc_net *net, int layer)
{
    return layer == 0 ? nnc_net_inputs(net) : nnc_net_layer(net, layer - 1).units;
}

static const char *dims(const nnc_array *a, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < a->ndim && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%zu", i ? ", " : "", a->shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, a->ndim == 1 ? ",)" : ")");
    return buf;
}

nnc_status nnc_net_save_textbook(const nnc_net *net, const char *dir)
{
    if (!net || !dir)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_save_textbook: NULL argument");
    int layers = nnc_net_layers(net);
    /* The reader stops at NNC_MAX_LAYERS files: never write a folder it
     * would refuse. */
    if (layers > NNC_MAX_LAYERS)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: the network has %d layers, more than the %d a textbook folder "
                        "may hold", dir, layers, NNC_MAX_LAYERS);
    for (int l = 0; l < layers; l++)
        if (nnc_net_layer(net, l).kind != NNC_LAYER_DENSE)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "%s: layer %d is a %s layer; the textbook's weight files hold "
                            "dense layers only (a model file holds it)", dir, l + 1,
                            nnc_layer_kind_name(nnc_net_layer(net, l).kind));
    for (int l = 0; l < layers; l++) {
        int n_in = layer_inputs(net, l), n_out = nnc_net_layer(net, l).units;
        size_t nw = (size_t)n_in * (size_t)n_out;
        double *w = malloc(nw * sizeof *w), *b = malloc((size_t)n_out * sizeof *b);
        if (!w || !b) {
            free(w);
            free(b);
            return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", dir);
        }
        /* the accessors are not const-qualified but only read here */
        nnc_net *mnet = (nnc_net *)(uintptr_t)net;
        const nnc_real *W = nnc_net_weights(mnet, l), *B = nnc_net_bias(mnet, l);
        for (size_t i = 0; i < nw; i++)
            w[i] = (double)W[i];
        for (int i = 0; i < n_out; i++)
            b[i] = (double)B[i];
        nnc_array arrays[2];
        memset(arrays, 0, sizeof arrays);
        arrays[0].ndim = 2;
        arrays[0].shape[0] = (size_t)n_in;
        arrays[0].shape[1] = (size_t)n_out;
        arrays[0].size = nw;
        arrays[0].data = w;
        arrays[1].ndim = 2;
        arrays[1].shape[0] = 1;
        arrays[1].shape[1] = (size_t)n_out;
        arrays[1].size = (size_t)n_out;
        arrays[1].data = b;
        const char *keys[2] = {"weights", "bias"};
        char name[32], *path;
        snprintf(name, sizeof name, "wb%d.npz", l + 1);
        nnc_status s = make_path(dir, name, &path);
        if (s == NNC_OK) {
            s = nnc_npz_write_file(path, 2, keys, arrays);
            free(path);
        }
        free(w);
        free(b);
        if (s != NNC_OK)
            return s;
    }
    return NNC_OK;
}

/* Reads W (n_in, n_out) and B (1, n_out) or (n_out) from one file into the
 * caller's buffers.  bias_optional: a file without "bias" gives B = 0. */
static nnc_status read_layer_file(const char *path, int n_in, int n_out, int bias_optional,
                                  nnc_real *W, nnc_real *B)
{
    unsigned char *bytes;
    size_t len;
    nnc_status s = nnc_read_file(path, WEIGHT_FILE_MAX, &bytes, &len);
    if (s != NNC_OK)
        return s;
    nnc_array w, b;
    char got[96];
    s = nnc_npz_read_memory(bytes, len, path, "weights", &w, 0);
    if (s != NNC_OK) {
        free(bytes);
        return s;
    }
    if (w.ndim != 2 || w.shape[0] != (size_t)n_in || w.shape[1] != (size_t)n_out) {
        s = nnc_fail(NNC_ERR_SHAPE, "%s: 'weights' have shape %s, expected (%d, %d)", path,
                     dims(&w, got, sizeof got), n_in, n_out);
        nnc_array_free(&w);
        free(bytes);
        return s;
    }
    s = nnc_npz_read_memory(bytes, len, path, "bias", &b, 0);
    free(bytes);
    if (s != NNC_OK) {
        if (!(bias_optional && s == NNC_ERR_NOT_FOUND)) {
            nnc_array_free(&w);
            return s;
        }
        memset(&b, 0, sizeof b);
        s = NNC_OK;
    } else if (!((b.ndim == 2 && b.shape[0] == 1 && b.shape[1] == (size_t)n_out) ||
                 (b.ndim == 1 && b.shape[0] == (size_t)n_out))) {
        s = nnc_fail(NNC_ERR_SHAPE, "%s: 'bias' has shape %s, expected (1, %d)", path,
                     dims(&b, got, sizeof got), n_out);
        nnc_array_free(&w);
        nnc_array_free(&b);
        return s;
    }
    for (size_t i = 0; i < w.size && s == NNC_OK; i++) {
        W[i] = (nnc_real)w.data[i];
        if (!isfinite(W[i]))
            s = nnc_fail(NNC_ERR_FORMAT, "%s: 'weights' element %zu is not a finite number%s",
                         path, i, sizeof(nnc_real) < sizeof(double) ? " (in float)" : "");
    }
    for (int i = 0; i < n_out && s == NNC_OK; i++) {
        B[i] = b.data ? (nnc_real)b.data[i] : 0;
        if (!isfinite(B[i]))
            s = nnc_fail(NNC_ERR_FORMAT, "%s: 'bias' element %d is not a finite number%s",
                         path, i, sizeof(nnc_real) < sizeof(double) ? " (in float)" : "");
    }
    nnc_array_free(&w);
    nnc_array_free(&b);
    return s;
}

/* Loads every layer from the file name_of(layer) gives, all or nothing. */
typedef nnc_status (*name_fn)(const nnc_net *net, int layer, const void *ctx, char *name,
                              size_t size);

static nnc_status load_layers(nnc_net *net, const char *dir, name_fn name_of,
                              const void *ctx, int bias_optional)
{
    int layers = nnc_net_layers(net);
    size_t total = 0;
    for (int l = 0; l < layers; l++)
        total += (size_t)layer_inputs(net, l) * (size_t)nnc_net_layer(net, l).units +
                 (size_t)nnc_net_layer(net, l).units;
    nnc_real *tmp = malloc((total ? total : 1) * sizeof *tmp);
    if (!tmp)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", dir);
    nnc_status s = NNC_OK;
    size_t off = 0;
    for (int l = 0; l < layers && s == NNC_OK; l++) {
        int n_in = layer_inputs(net, l), n_out = nnc_net_layer(net, l).units;
        char name[96], *path;
        s = name_of(net, l, ctx, name, sizeof name);
        if (s != NNC_OK)
            break;
        s = make_path(dir, name, &path);
        if (s != NNC_OK)
            break;
        nnc_real *W = tmp + off, *B = W + (size_t)n_in * (size_t)n_out;
        s = read_layer_file(path, n_in, n_out, bias_optional, W, B);
        free(path);
        off += (size_t)n_in * (size_t)n_out + (size_t)n_out;
    }
    if (s == NNC_OK) {
        off = 0;
        for (int l = 0; l < layers; l++) {
            size_t nw = (size_t)layer_inputs(net, l) * (size_t)nnc_net_layer(net, l).units;
            size_t nb = (size_t)nnc_net_layer(net, l).units;
            memcpy(nnc_net_weights(net, l), tmp + off, nw * sizeof *tmp);
            memcpy(nnc_net_bias(net, l), tmp + off + nw, nb * sizeof *tmp);
            off += nw + nb;
        }
    }
    free(tmp);
    return s;
}

static nnc_status wb_name(const nnc_net *net, int layer, const void *ctx, char *name,
                          size_t size)
{
    (void)net;
    (void)ctx;
    snprintf(name, size, "wb%d.npz", layer + 1);
    return NNC_OK;
}

nnc_status nnc_net_load_textbook(nnc_net *net, const char *dir)
{
    if (!net || !dir)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_load_textbook: NULL argument");
    return load_layers(net, dir, wb_name, NULL, 0);
}

static nnc_status init_name(const nnc_net *net, int layer, const void *ctx, char *name,
                            size_t size)
{
    const char *init = ctx;
    int n = snprintf(name, size, "w_%d_%d_%s_init.npz", layer_inputs(net, layer),
                     nnc_net_layer(net, layer).units, init);
    if (n < 0 || (size_t)n >= size)
        return nnc_fail(NNC_ERR_ARGUMENT, "textbook init file name too long");
    return NNC_OK;
}

nnc_status nnc_net_load_textbook_init(nnc_net *net, const char *dir, nnc_init init)
{
    if (!net || !dir)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_load_textbook_init: NULL argument");
    const char *name;
    switch (init) {
    case NNC_INIT_ZERO: name = "Zero"; break;
    case NNC_INIT_NORMAL: name = "Normal"; break;
    case NNC_INIT_XAVIER: name = "Xavier"; break;
    case NNC_INIT_MSRA: name = "MSRA"; break;
    default:
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_load_textbook_init: unknown init %d",
                        (int)init);
    }
    return load_layers(net, dir, init_name, name, 1);
}

nnc_status nnc_textbook_shape(const char *dir, int *widths, int max_widths, int *n_layers)
{
    if (!dir || !widths || !n_layers || max_widths < 2)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_textbook_shape: NULL argument or max_widths < 2");
    int *tmp = malloc((size_t)max_widths * sizeof *tmp);
    if (!tmp)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", dir);
    nnc_status s = NNC_OK;
    int found = 0;
    for (int k = 1;; k++) {
        char name[32], *path;
        snprintf(name, sizeof name, "wb%d.npz", k);
        s = make_path(dir, name, &path);
        if (s != NNC_OK)
            break;
        if (access(path, F_OK) != 0 && errno == ENOENT) {
            if (k == 1)
                s = nnc_fail(NNC_ERR_IO, "%s: not found (no textbook weights in %s)", path,
                             dir);
            free(path);
            break;
        }
        if (k > NNC_MAX_LAYERS) {
            s = nnc_fail(NNC_ERR_FORMAT,
                         "%s: holds %s, more than the %d layers a network may have", dir,
                         name, NNC_MAX_LAYERS);
            free(path);
            break;
        }
        if (k + 1 > max_widths) {
            s = nnc_fail(NNC_ERR_ARGUMENT,
                         "%s: more than %d layers (widths holds %d numbers)", dir,
                         max_widths - 1, max_widths);
            free(path);
            break;
        }
        nnc_array w;
        s = nnc_npz_read_file(path, "weights", &w, 0);
        if (s != NNC_OK) {
            free(path);
            break;
        }
        char got[96];
        if (w.ndim != 2 || w.shape[0] == 0 || w.shape[1] == 0 || w.shape[0] > 0x7fffffff ||
            w.shape[1] > 0x7fffffff)
            s = nnc_fail(NNC_ERR_SHAPE,
                         "%s: 'weights' have shape %s, expected two non-zero dimensions",
                         path, dims(&w, got, sizeof got));
        else if (k > 1 && (size_t)tmp[k - 1] != w.shape[0])
            s = nnc_fail(NNC_ERR_SHAPE,
                         "%s: 'weights' have shape %s, but wb%d.npz has %d outputs, so "
                         "expected (%d, %zu)",
                         path, dims(&w, got, sizeof got), k - 1, tmp[k - 1], tmp[k - 1],
                         w.shape[1]);
        else {
            if (k == 1)
                tmp[0] = (int)w.shape[0];
            tmp[k] = (int)w.shape[1];
            found = k;
        }
        nnc_array_free(&w);
        free(path);
        if (s != NNC_OK)
            break;
    }
    if (s == NNC_OK) {
        memcpy(widths, tmp, (size_t)(found + 1) * sizeof *tmp);
        *n_layers = found;
    }
    free(tmp);
    return s;
}
