/* Workload S through FANN (libfann-dev, bench/README.md): a 1-H-1 network,
 * sigmoid hidden (FANN_SIGMOID with steepness 0.5 is 1/(1+e^(-z))), linear
 * output (steepness 1), the linear error function (plain a − y, FANN's
 * default bends it with atanh), no momentum, the same initial weights,
 * biases 0.  FANN trains per sample: fann_train on each training row, rows
 * reshuffled every epoch, 5000 epochs; its learning rate is eta/batch =
 * 0.05, so each sample moves the weights as much as it does inside a batch
 * of 10 at eta 0.5.  Validation = the first n/10 rows, checked every 50
 * epochs with fann_run (MSE/2, R²).
 *
 *   fann_s --data s_data.csv --init s_init_h3.txt [--hidden 3] [--epochs 5000]
 *
 * Times the training loop (checks included); prints one RESULT line. */
#include <floatfann.h>

#include "common.h"

static void validate(struct fann *ann, const float *x, const float *y, int n,
                     double *loss, double *r2)
{
    bench_fit f = {0};
    for (int i = 0; i < n; i++) {
        fann_type in = x[i];
        bench_fit_add(&f, fann_run(ann, &in)[0], y[i]);
    }
    bench_fit_end(&f, loss, r2);
}

int main(int argc, char **argv)
{
    bench_options o = bench_parse(argc, argv, 'S');
    int H = o.hidden, epochs = o.epochs, batch = o.batch;
    const char *data_path = o.data, *init_path = o.init;
    uint64_t seed = o.seed;
    double eta = o.eta;
    if (!data_path || !init_path)
        bench_die("usage: fann_s --data FILE --init FILE [--hidden H] [--epochs E]");

    double *xd, *yd;
    int n = bench_read_s_csv(data_path, &xd, &yd);
    double *w = malloc(sizeof *w * (size_t)(2 * H));
    bench_read_text_numbers(init_path, w, 2 * H);
    float *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
    for (int i = 0; i < n; i++) {
        x[i] = (float)xd[i];
        y[i] = (float)yd[i];
    }

    struct fann *ann = fann_create_standard(3, 1, H, 1);
    if (!ann)
        bench_die("fann_create_standard failed");
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, 0.5f);
    fann_set_activation_function_output(ann, FANN_LINEAR);
    fann_set_activation_steepness_output(ann, 1.0f);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_momentum(ann, 0.0f);
    fann_set_learning_rate(ann, (float)(eta / batch));
    /* Neurons are numbered through the layers, each layer's bias last:
     * input 0, bias 1, hidden 2 … H+1, bias H+2, output H+3. */
    for (int j = 0; j < H; j++) {
        fann_set_weight(ann, 0, (unsigned)(2 + j), (fann_type)w[j]);
        fann_set_weight(ann, 1, (unsigned)(2 + j), 0);
        fann_set_weight(ann, (unsigned)(2 + j), (unsigned)(H + 3), (fann_type)w[H + j]);
    }
    fann_set_weight(ann, (unsigned)(H + 2), (unsigned)(H + 3), 0);

    const int nv = n / 10, nt = n - nv;
    int *idx = malloc(sizeof *idx * (size_t)nt);
    for (int i = 0; i < nt; i++)
        idx[i] = nv + i;
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    double loss = NAN, r2 = NAN;

    double t0 = bench_now();
    for (int e = 0; e < epochs; e++) {
        bench_shuffle(&rng, idx, nt);
        for (int i = 0; i < nt; i++) {
            fann_type in = x[idx[i]], out = y[idx[i]];
            fann_train(ann, &in, &out);
        }
        if ((e + 1) % 50 == 0)
            validate(ann, x, y, nv, &loss, &r2);
    }
    double seconds = bench_now() - t0;

    if (epochs % 50 != 0)
        validate(ann, x, y, nv, &loss, &r2);
    const int widths[] = {1, H, 1};
    double gflop = bench_train_flop_per_sample(widths, 2) * nt * epochs * 1e-9;
    char workload[16];
    snprintf(workload, sizeof workload, "S%d", H);
    bench_result("fann", workload, seconds, epochs, loss, r2, gflop);
    fann_destroy(ann);
    return isfinite(loss) ? 0 : 1;
}
