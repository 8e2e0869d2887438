/* Workload M through nnc's public API (bench/README.md): Fashion-MNIST,
 * 784-128-64-10, ReLU hidden, softmax + cross-entropy, plain SGD, eta 0.1,
 * batch 64, all 60,000 training images reshuffled every epoch (the last
 * batch of each epoch has 32 rows); loss and accuracy on the 10,000 test
 * images afterwards.
 *
 *   nnc_m [--epochs 1] [--data /usr/share/datasets/fashion-mnist]
 *         [--init m_init.f32] [--seed 1] [--eta 0.1] [--batch 64] [--threads 1]
 *         [--kernels auto] [--optimizer sgd]
 *
 * --threads N: the net's own threads (nnc_net_set_threads); the RESULT line
 * is then named nnc-Nt.  --kernels NAME: nnc_net_set_kernels; with
 * openblas the RESULT line is named nnc-openblas.  --optimizer SPEC:
 * nnc_net_set_optimizer ("adam", "momentum:alpha=0.9"); any but sgd names
 * the workload M-NAME (the M-adam and M-momentum rows).
 * Times the training loop only (nnc_rng_shuffle each epoch, then
 * nnc_net_train_batches on the order's full batches of 64 rows and
 * nnc_net_train_batch on the short last one: the same bits as
 * nnc_net_forward, nnc_net_backward and nnc_net_sgd_update on the rows
 * gathered), not the loading or the test evaluation.  Prints one RESULT
 * line. */
#include <nnc.h>

#include "common.h"

int main(int argc, char **argv)
{
    bench_options o = bench_parse(argc, argv, 'M');
    int epochs = o.epochs, batch = o.batch;
    const char *dir = o.data, *init_path = o.init;
    uint64_t seed = o.seed;
    double eta = o.eta;

    char p1[1024], p2[1024], p3[1024], p4[1024];
    snprintf(p1, sizeof p1, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(p2, sizeof p2, "%s/train-labels-idx1-ubyte.gz", dir);
    snprintf(p3, sizeof p3, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(p4, sizeof p4, "%s/t10k-labels-idx1-ubyte.gz", dir);
    nnc_dataset *train, *test;
    if (nnc_dataset_load_idx(&train, p1, p2, 1 / 255.0, 10, 0) != NNC_OK ||
        nnc_dataset_load_idx(&test, p3, p4, 1 / 255.0, 10, 0) != NNC_OK)
        bench_die(nnc_last_error());

    const int widths[] = {784, 128, 64, 10};
    nnc_layer_spec layers[] = {{.units = 128, .activation = NNC_ACT_RELU},
                               {.units = 64, .activation = NNC_ACT_RELU},
                               {.units = 10, .activation = NNC_ACT_IDENTITY}};
    nnc_net *net;
    if (nnc_net_create(&net, NNC_TASK_MULTICLASS, 784, 3, layers, batch) != NNC_OK ||
        nnc_net_set_threads(net, o.threads) != NNC_OK ||
        nnc_net_set_kernels(net, o.kernels) != NNC_OK ||
        nnc_net_set_optimizer(net, o.optimizer) != NNC_OK)
        bench_die(nnc_last_error());
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    if (init_path) {
        size_t total = 784 * 128 + 128 * 64 + 64 * 10, at = 0;
        float *w = malloc(sizeof *w * total);
        bench_read_f32(init_path, w, total);
        nnc_net_init(net, NNC_INIT_ZERO, &rng); /* biases 0 */
        for (int l = 0; l < 3; l++) {
            nnc_real *W = nnc_net_weights(net, l);
            for (int i = 0; i < widths[l] * widths[l + 1]; i++)
                W[i] = (nnc_real)w[at++];
        }
        free(w);
    } else {
        nnc_net_init(net, NNC_INIT_XAVIER, &rng);
    }

    const int n = nnc_dataset_rows(train);
    uint32_t *idx = malloc(sizeof *idx * (size_t)n);
    for (int i = 0; i < n; i++)
        idx[i] = (uint32_t)i;

    double t0 = bench_now();
    for (int e = 0; e < epochs; e++) {
        nnc_rng_shuffle(&rng, idx, (size_t)n);
        /* The full batches in one call, then the short last one. */
        const int full = n / batch;
        if (nnc_net_train_batches(net, train, idx, batch, full, eta) != NNC_OK ||
            (n % batch && nnc_net_train_batch(net, train, idx + (size_t)full * batch,
                                              n % batch, eta) != NNC_OK))
            bench_die(nnc_last_error());
    }
    double seconds = bench_now() - t0;

    double loss, acc;
    if (nnc_net_evaluate(net, nnc_dataset_x(test), nnc_dataset_y(test),
                         nnc_dataset_rows(test), &loss, &acc) != NNC_OK)
        bench_die(nnc_last_error());
    double gflop = bench_train_flop_per_sample(widths, 3) * n * epochs * 1e-9;
    char name[32];
    if (!strcmp(o.kernels, "openblas"))
        snprintf(name, sizeof name, "nnc-openblas");
    else if (o.threads > 1)
        snprintf(name, sizeof name, "nnc-%dt", o.threads);
    else
        snprintf(name, sizeof name, "nnc");
    char workload[32] = "M";
    if (strncmp(o.optimizer, "sgd", 3) != 0)
        snprintf(workload, sizeof workload, "M-%.*s", (int)strcspn(o.optimizer, ":"),
                 o.optimizer);
    bench_result(name, workload, seconds, epochs, loss, acc, gflop);
    free(idx);
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(test);
    return isfinite(loss) ? 0 : 1;
}
