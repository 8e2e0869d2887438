/* The textbook's weight files: loading the sin_111 run, saving and reading
 * back, the starting weights, the stored layer widths, and shape errors. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"

#define SIN111 NNC_DATA_DIR "/ch09-weights/sin_111"
#define TMP NNC_TEST_TMP "/"

static nnc_net *make_net(int n_in, int hidden, int n_out)
{
    nnc_layer_spec layers[2] = {{hidden, NNC_ACT_SIGMOID, 0}, {n_out, NNC_ACT_IDENTITY, 0}};
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, n_in, 2, layers, 10));
    return net;
}

/* The file's value of key in dir/name, as nnc_real. */
static nnc_real file_value(const char *dir, const char *name, const char *key, size_t i)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    nnc_array a;
    nnc_status s = nnc_npz_read_file(path, key, &a, 0);
    CHECK_OK(s);
    if (s != NNC_OK || i >= a.size)
        return (nnc_real)NAN;
    nnc_real v = (nnc_real)a.data[i];
    nnc_array_free(&a);
    return v;
}

static void test_load_save(void)
{
    nnc_net *net = make_net(1, 1, 1);
    if (!net)
        return;
    CHECK_OK(nnc_net_load_textbook(net, SIN111));
    CHECK(nnc_net_weights(net, 0)[0] == file_value(SIN111, "wb1.npz", "weights", 0));
    CHECK(nnc_net_bias(net, 0)[0] == file_value(SIN111, "wb1.npz", "bias", 0));
    CHECK(nnc_net_weights(net, 1)[0] == file_value(SIN111, "wb2.npz", "weights", 0));
    CHECK(nnc_net_bias(net, 1)[0] == file_value(SIN111, "wb2.npz", "bias", 0));
    CHECK_NEAR(nnc_net_weights(net, 0)[0], -18.785038592589334, 1e-5);
    CHECK_NEAR(nnc_net_bias(net, 1)[0], -0.7623780344473073, 1e-6);

    /* save and read back; a trailing '/' on the folder is fine */
    mkdir(TMP "textbook_111", 0777);
    CHECK_OK(nnc_net_save_textbook(net, TMP "textbook_111/"));
    for (int l = 0; l < 2; l++) {
        char name[16];
        snprintf(name, sizeof name, "wb%d.npz", l + 1);
        CHECK(nnc_net_weights(net, l)[0] == file_value(TMP "textbook_111", name, "weights", 0));
        CHECK(nnc_net_bias(net, l)[0] == file_value(TMP "textbook_111", name, "bias", 0));
        nnc_array a;
        char path[512];
        snprintf(path, sizeof path, TMP "textbook_111/%s", name);
        CHECK_OK(nnc_npz_read_file(path, "bias", &a, 0));
        CHECK(a.ndim == 2 && a.shape[0] == 1 && a.shape[1] == 1);
        nnc_array_free(&a);
    }
    nnc_net *copy = make_net(1, 1, 1);
    if (copy) {
        CHECK_OK(nnc_net_load_textbook(copy, TMP "textbook_111"));
        for (int l = 0; l < 2; l++) {
            CHECK(nnc_net_weights(copy, l)[0] == nnc_net_weights(net, l)[0]);
            CHECK(nnc_net_bias(copy, l)[0] == nnc_net_bias(net, l)[0]);
        }
        nnc_net_free(copy);
    }

    int widths[4] = {0, 0, 0, 0}, n = 0;
    CHECK_OK(nnc_textbook_shape(SIN111, widths, 4, &n));
    CHECK(n == 2 && widths[0] == 1 && widths[1] == 1 && widths[2] == 1);
    CHECK_STATUS(nnc_textbook_shape(SIN111, widths, 2, &n), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_textbook_shape(TMP "textbook_none", widths, 4, &n), NNC_ERR_IO);
    CHECK_MSG("wb1.npz");
    CHECK(n == 2);

    /* the starting weights: one file for both 1-1 layers */
    CHECK_OK(nnc_net_load_textbook_init(net, SIN111, NNC_INIT_XAVIER));
    CHECK_NEAR(nnc_net_weights(net, 0)[0], -0.968774, 1e-6);
    CHECK_NEAR(nnc_net_weights(net, 1)[0], -0.968774, 1e-6);
    CHECK(nnc_net_bias(net, 0)[0] == 0 && nnc_net_bias(net, 1)[0] == 0);
    CHECK_STATUS(nnc_net_load_textbook_init(net, SIN111, NNC_INIT_MSRA), NNC_ERR_IO);
    CHECK_MSG("w_1_1_MSRA_init.npz");
    CHECK_STATUS(nnc_net_load_textbook_init(net, SIN111, (nnc_init)9), NNC_ERR_ARGUMENT);
    /* an init file without "bias" gives zero biases */
    double wz[1] = {0.25};
    nnc_array only;
    memset(&only, 0, sizeof only);
    only.ndim = 2;
    only.shape[0] = only.shape[1] = 1;
    only.size = 1;
    only.data = wz;
    const char *key = "weights";
    CHECK_OK(nnc_npz_write_file(TMP "textbook_111/w_1_1_Zero_init.npz", 1, &key, &only));
    nnc_net_bias(net, 1)[0] = 5;
    CHECK_OK(nnc_net_load_textbook_init(net, TMP "textbook_111", NNC_INIT_ZERO));
    CHECK(nnc_net_weights(net, 1)[0] == 0.25f && nnc_net_bias(net, 1)[0] == 0);
    nnc_net_free(net);
}

static void test_shapes(void)
{
    /* a 1-2-1 net takes w_1_2 and w_2_1 */
    nnc_net *net = make_net(1, 2, 1);
    if (!net)
        return;
    CHECK_OK(nnc_net_load_textbook_init(net, SIN111, NNC_INIT_XAVIER));
    CHECK(nnc_net_weights(net, 0)[1] == (nnc_real)-0.3881879312815206);
    CHECK(nnc_net_weights(net, 1)[0] == (nnc_real)-1.3495493811046473);
    CHECK(nnc_net_bias(net, 0)[1] == 0);

    /* the 1-1-1 files do not fit it; the net stays as it was */
    nnc_real w_before = nnc_net_weights(net, 0)[1];
    CHECK_STATUS(nnc_net_load_textbook(net, SIN111), NNC_ERR_SHAPE);
    CHECK_MSG("wb1.npz: 'weights' have shape (1, 1), expected (1, 2)");
    CHECK(nnc_net_weights(net, 0)[1] == w_before);

    /* save a 1-2-1 net, then break the chain by hand */
    mkdir(TMP "textbook_121", 0777);
    CHECK_OK(nnc_net_save_textbook(net, TMP "textbook_121"));
    int widths[5], n = 0;
    CHECK_OK(nnc_textbook_shape(TMP "textbook_121", widths, 5, &n));
    CHECK(n == 2 && widths[0] == 1 && widths[1] == 2 && widths[2] == 1);
    nnc_array w;
    CHECK_OK(nnc_npz_read_file(TMP "textbook_121/wb1.npz", "weights", &w, 0));
    CHECK(w.ndim == 2 && w.shape[0] == 1 && w.shape[1] == 2 && w.size == 2);
    nnc_array_free(&w);
    double v[3] = {1, 2, 3}, b[1] = {0};
    nnc_array arr[2];
    memset(arr, 0, sizeof arr);
    arr[0].ndim = 2;
    arr[0].shape[0] = 3;
    arr[0].shape[1] = 1;
    arr[0].size = 3;
    arr[0].data = v;
    arr[1].ndim = 1;
    arr[1].shape[0] = 1;
    arr[1].size = 1;
    arr[1].data = b;
    const char *keys[2] = {"weights", "bias"};
    CHECK_OK(nnc_npz_write_file(TMP "textbook_121/wb2.npz", 2, keys, arr));
    widths[0] = -7;
    CHECK_STATUS(nnc_textbook_shape(TMP "textbook_121", widths, 5, &n), NNC_ERR_SHAPE);
    CHECK_MSG("wb2.npz: 'weights' have shape (3, 1), but wb1.npz has 2 outputs");
    CHECK(widths[0] == -7);
    CHECK_STATUS(nnc_net_load_textbook(net, TMP "textbook_121"), NNC_ERR_SHAPE);
    CHECK_MSG("expected (2, 1)");
    CHECK(nnc_net_weights(net, 0)[1] == w_before);
    /* bias given as (n_out,) is accepted */
    arr[0].shape[0] = 2;
    arr[0].size = 2;
    CHECK_OK(nnc_npz_write_file(TMP "textbook_121/wb2.npz", 2, keys, arr));
    CHECK_OK(nnc_net_load_textbook(net, TMP "textbook_121"));
    CHECK(nnc_net_weights(net, 1)[1] == 2);
    /* a wrong bias shape */
    double b2[2] = {0, 0};
    arr[1].ndim = 2;
    arr[1].shape[0] = 2;
    arr[1].shape[1] = 1;
    arr[1].size = 2;
    arr[1].data = b2;
    CHECK_OK(nnc_npz_write_file(TMP "textbook_121/wb2.npz", 2, keys, arr));
    CHECK_STATUS(nnc_net_load_textbook(net, TMP "textbook_121"), NNC_ERR_SHAPE);
    CHECK_MSG("'bias' has shape (2, 1), expected (1, 1)");
    /* a file with no bias at all is an error for trained weights */
    CHECK_OK(nnc_npz_write_file(TMP "textbook_121/wb2.npz", 1, keys, arr));
    CHECK_STATUS(nnc_net_load_textbook(net, TMP "textbook_121"), NNC_ERR_NOT_FOUND);
    CHECK_MSG("'bias.npy'");
    CHECK_STATUS(nnc_net_save_textbook(net, TMP "no-such-dir"), NNC_ERR_IO);
    nnc_net_free(net);
}

int main(void)
{
    test_load_save();
    test_shapes();
    return check_report("test_textbook");
}
