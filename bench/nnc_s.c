/* Workload S through nnc's public API (bench/README.md): 1-H-1, sigmoid
 * hidden, linear output, MSE/2, plain SGD, eta 0.5, batch 10, 5000 epochs on
 * 1000 samples of y = sin(2πx), validation = the first 100 rows, checked
 * every 50 epochs, reshuffled every epoch (nnc_train does all of it).
 *
 *   nnc_s [--hidden 3] [--epochs 5000] [--data s_data.csv] [--init s_init_h3.txt]
 *         [--seed 1] [--eta 0.5] [--batch 10]
 *
 * Without --data it makes its own 1000 samples (nnc_rng, --seed); without
 * --init it draws Xavier weights.  Times nnc_train only; prints one RESULT
 * line (exit 1 when the final loss is not finite). */
#include <nnc.h>

#include "common.h"

int main(int argc, char **argv)
{
    bench_options o = bench_parse(argc, argv, 'S');
    int hidden = o.hidden, epochs = o.epochs, batch = o.batch;
    const char *data_path = o.data, *init_path = o.init;
    uint64_t seed = o.seed;
    double eta = o.eta;

    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    double *xd, *yd;
    int n;
    if (data_path) {
        n = bench_read_s_csv(data_path, &xd, &yd);
    } else {
        n = 1000;
        xd = malloc(sizeof *xd * (size_t)n);
        yd = malloc(sizeof *yd * (size_t)n);
        for (int i = 0; i < n; i++) {
            xd[i] = nnc_rng_uniform(&rng);
            yd[i] = sin(6.283185307179586 * xd[i]);
        }
    }
    nnc_real *X = malloc(sizeof *X * (size_t)n), *Y = malloc(sizeof *Y * (size_t)n);
    for (int i = 0; i < n; i++) {
        X[i] = (nnc_real)xd[i];
        Y[i] = (nnc_real)yd[i];
    }
    nnc_dataset *data;
    nnc_net *net;
    nnc_layer_spec layers[] = {{hidden, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
    if (nnc_dataset_create(&data, X, Y, n, 1, 1) != NNC_OK ||
        nnc_net_create(&net, NNC_TASK_FITTING, 1, 2, layers, batch) != NNC_OK)
        bench_die(nnc_last_error());
    if (init_path) {
        double *w = malloc(sizeof *w * (size_t)(2 * hidden));
        bench_read_text_numbers(init_path, w, 2 * hidden);
        nnc_net_init(net, NNC_INIT_ZERO, &rng); /* biases 0 */
        for (int j = 0; j < hidden; j++) {
            nnc_net_weights(net, 0)[j] = (nnc_real)w[j];
            nnc_net_weights(net, 1)[j] = (nnc_real)w[hidden + j];
        }
        free(w);
    } else {
        nnc_net_init(net, NNC_INIT_XAVIER, &rng);
    }

    nnc_train_options opt = nnc_train_options_default();
    opt.eta = eta;
    opt.batch_size = batch;
    opt.max_epoch = epochs;
    opt.eps = -1; /* never stop early: every run does all its epochs */
    opt.checkpoint = 50;
    opt.seed = seed;
    nnc_train_result result;
    double t0 = bench_now();
    nnc_status s = nnc_train(net, data, &opt, NULL, NULL, &result);
    double seconds = bench_now() - t0;
    if (s != NNC_OK)
        bench_die(nnc_last_error());

    /* The last check's validation loss and R²; with fewer than 50 epochs
     * there is no check, so evaluate the validation set here. */
    double loss, acc;
    if (result.history_count > 0) {
        loss = result.history[result.history_count - 1].loss_valid;
        acc = result.history[result.history_count - 1].accuracy_valid;
    } else {
        nnc_net_evaluate(net, X, Y, result.n_valid, &loss, &acc);
    }
    const int widths[] = {1, hidden, 1};
    double gflop = bench_train_flop_per_sample(widths, 2) * result.n_train * epochs * 1e-9;
    char workload[16];
    snprintf(workload, sizeof workload, "S%d", hidden);
    bench_result("nnc", workload, seconds, epochs, loss, acc, gflop);
    nnc_train_result_free(&result);
    nnc_net_free(net);
    nnc_dataset_free(data);
    free(X);
    free(Y);
    free(xd);
    free(yd);
    return isfinite(loss) ? 0 : 1;
}
