/* Workload F through nnc's public API (bench/README.md): Fashion-MNIST,
 * 784-256-128-10, ReLU hidden, dropout 0.2 after each hidden layer (the
 * textbook's: training drops without scaling, inference multiplies by
 * 1 − rate), softmax + cross-entropy, Adam (lr 0.001, beta1 0.9, beta2
 * 0.999, eps 1e-8), batch 128, 20 epochs of all 60,000 training images
 * reshuffled every epoch; loss and accuracy on the 10,000 test images
 * afterwards, out of training mode.
 *
 *   nnc_f [--epochs 20] [--data /usr/share/datasets/fashion-mnist]
 *         [--init f_init.f32] [--seed 1] [--eta 0.001] [--batch 128]
 *         [--optimizer adam] [--threads 1]
 *
 * Times the training loop only (nnc_rng_shuffle each epoch, then
 * nnc_net_train_batches on the full batches and nnc_net_train_batch on the
 * short last one; both train in training mode, so the masks are drawn),
 * not the loading or the test evaluation.  Prints one RESULT line. */
#include <nnc.h>

#include "common.h"

enum { F_DENSE = 3 };
static const int f_widths[F_DENSE + 1] = {784, 256, 128, 10};

/* Dense layer l's weights from the raw float32 file (n_in, n_out each, in
 * order); the dense layers sit at 0, 2 and 4, a dropout after each hidden
 * one.  Biases 0. */
static void f_load_init(nnc_net *net, const char *path, nnc_rng *rng)
{
    size_t total = 0, at = 0;
    for (int l = 0; l < F_DENSE; l++)
        total += (size_t)f_widths[l] * f_widths[l + 1];
    float *w = malloc(sizeof *w * total);
    if (!w)
        bench_die("out of memory");
    bench_read_f32(path, w, total);
    nnc_net_init(net, NNC_INIT_ZERO, rng);
    for (int l = 0; l < F_DENSE; l++) {
        nnc_real *W = nnc_net_weights(net, 2 * l);
        for (int i = 0; i < f_widths[l] * f_widths[l + 1]; i++)
            W[i] = (nnc_real)w[at++];
    }
    free(w);
}

int main(int argc, char **argv)
{
    bench_options o = bench_parse(argc, argv, 'F');
    char p1[1024], p2[1024], p3[1024], p4[1024];
    snprintf(p1, sizeof p1, "%s/train-images-idx3-ubyte.gz", o.data);
    snprintf(p2, sizeof p2, "%s/train-labels-idx1-ubyte.gz", o.data);
    snprintf(p3, sizeof p3, "%s/t10k-images-idx3-ubyte.gz", o.data);
    snprintf(p4, sizeof p4, "%s/t10k-labels-idx1-ubyte.gz", o.data);
    nnc_dataset *train, *test;
    if (nnc_dataset_load_idx(&train, p1, p2, 1 / 255.0, 10, 0) != NNC_OK ||
        nnc_dataset_load_idx(&test, p3, p4, 1 / 255.0, 10, 0) != NNC_OK)
        bench_die(nnc_last_error());

    const double rate = 0.2;
    nnc_layer_spec layers[] = {
        {.units = 256, .activation = NNC_ACT_RELU},
        {.units = 256, .activation = NNC_ACT_IDENTITY, .kind = NNC_LAYER_DROPOUT, .rate = rate},
        {.units = 128, .activation = NNC_ACT_RELU},
        {.units = 128, .activation = NNC_ACT_IDENTITY, .kind = NNC_LAYER_DROPOUT, .rate = rate},
        {.units = 10, .activation = NNC_ACT_IDENTITY}};
    nnc_net *net;
    if (nnc_net_create(&net, NNC_TASK_MULTICLASS, 784, 5, layers, o.batch) != NNC_OK ||
        nnc_net_set_threads(net, o.threads) != NNC_OK ||
        nnc_net_set_optimizer(net, o.optimizer) != NNC_OK)
        bench_die(nnc_last_error());
    nnc_rng rng;
    nnc_rng_seed(&rng, o.seed);
    nnc_rng_seed(nnc_net_dropout_rng(net), o.seed + 1);
    if (o.init)
        f_load_init(net, o.init, &rng);
    else
        nnc_net_init(net, NNC_INIT_XAVIER, &rng);

    const int n = nnc_dataset_rows(train), batch = o.batch;
    uint32_t *idx = malloc(sizeof *idx * (size_t)n);
    if (!idx)
        bench_die("out of memory");
    for (int i = 0; i < n; i++)
        idx[i] = (uint32_t)i;

    double t0 = bench_now();
    for (int e = 0; e < o.epochs; e++) {
        nnc_rng_shuffle(&rng, idx, (size_t)n);
        const int full = n / batch;
        if (nnc_net_train_batches(net, train, idx, batch, full, o.eta) != NNC_OK ||
            (n % batch && nnc_net_train_batch(net, train, idx + (size_t)full * batch,
                                              n % batch, o.eta) != NNC_OK))
            bench_die(nnc_last_error());
    }
    double seconds = bench_now() - t0;

    double loss, acc;
    nnc_net_set_training(net, 0);
    if (nnc_net_evaluate(net, nnc_dataset_x(test), nnc_dataset_y(test),
                         nnc_dataset_rows(test), &loss, &acc) != NNC_OK)
        bench_die(nnc_last_error());
    double gflop = bench_train_flop_per_sample(f_widths, F_DENSE) * n * o.epochs * 1e-9;
    char name[32];
    if (o.threads > 1)
        snprintf(name, sizeof name, "nnc-%dt", o.threads);
    else
        snprintf(name, sizeof name, "nnc");
    bench_result(name, "F", seconds, o.epochs, loss, acc, gflop);
    free(idx);
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(test);
    return isfinite(loss) ? 0 : 1;
}
