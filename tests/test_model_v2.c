/* Model files of format 2: what format 1 cannot hold (dropout and batch
 * norm layers, an optimizer's state, the framework's training options)
 * survives a round trip, and a run resumed from the file goes on bit for
 * bit as one that never stopped, for every optimizer and both layers.
 * Plain models are still written in format 1. */
#include "check.h"

#include "nnc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static nnc_dataset *load(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", NNC_DATA_DIR, file);
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_load_npz(&ds, path, 0));
    return ds;
}

/* 1-6-1 tanh; with batch norm before the activation and dropout after it. */
static nnc_net *net_with(int layers, const char *optimizer, int max_batch)
{
    nnc_layer_spec specs[4];
    int n = 0;
    specs[n++] = (nnc_layer_spec){6, layers ? NNC_ACT_IDENTITY : NNC_ACT_TANH, 0};
    if (layers) {
        specs[n++] = (nnc_layer_spec){6, NNC_ACT_TANH, 0, NNC_LAYER_BATCHNORM, 0};
        specs[n++] = (nnc_layer_spec){6, NNC_ACT_IDENTITY, 0, NNC_LAYER_DROPOUT, 0.2};
    }
    specs[n++] = (nnc_layer_spec){1, NNC_ACT_IDENTITY, 0};
    nnc_net *net;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 1, n, specs, max_batch));
    nnc_rng r;
    nnc_rng_seed(&r, 3);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r));
    CHECK_OK(nnc_net_set_optimizer(net, optimizer));
    return net;
}

static int same_net(nnc_net *a, nnc_net *b)
{
    int same = nnc_net_parameter_count(a) == nnc_net_parameter_count(b) &&
               !memcmp(nnc_net_parameters(a), nnc_net_parameters(b),
                       nnc_net_parameter_count(a) * sizeof(nnc_real));
    for (int l = 0; same && l < nnc_net_layers(a); l++)
        if (nnc_net_running_mean(a, l))
            same = !memcmp(nnc_net_running_mean(a, l), nnc_net_running_mean(b, l),
                           (size_t)nnc_net_layer(a, l).units * sizeof(nnc_real)) &&
                   !memcmp(nnc_net_running_var(a, l), nnc_net_running_var(b, l),
                           (size_t)nnc_net_layer(a, l).units * sizeof(nnc_real));
    return same;
}

static int stop_at_total(int epoch, long total, void *user)
{
    (void)epoch;
    return total == *(const long *)user;
}

/* N epochs, the model through the file, N more = 2N in one run. */
static void resume_through_file(const char *optimizer, int layers)
{
    nnc_dataset *data = load("ch09.train.npz");
    const int rows = nnc_dataset_rows(data);
    nnc_train_options o = nnc_train_options_default();
    o.eps = -1;
    o.max_epoch = 6;
    o.eta = strcmp(optimizer, "sgd") ? 0.01 : 0.3;
    o.checkpoint = 1;
    o.split = NNC_SPLIT_SHUFFLED;
    o.lr_schedule = NNC_LR_COSINE;
    o.l2 = 0.01;
    o.patience = 100;
    o.stop_diff = 1e-12;
    nnc_net *whole = net_with(layers, optimizer, rows);
    CHECK_OK(nnc_train(whole, data, &o, NULL, NULL, NULL));

    nnc_model m = {0};
    m.net = net_with(layers, optimizer, rows);
    nnc_train_plan p;
    CHECK_OK(nnc_train_plan_for(rows, &o, 0, &p));
    long stop_after = 3L * p.iterations_per_epoch - 1;
    nnc_train_options first = o;
    first.on_step = stop_at_total;
    first.step_user = &stop_after;
    nnc_train_result r;
    CHECK_STATUS(nnc_train(m.net, data, &first, NULL, NULL, &r), NNC_ERR_INTERRUPTED);
    m.state = r.state;
    m.has_state = 1;
    r.state.order = NULL;
    r.state.best_params = NULL;
    nnc_train_result_free(&r);
    unsigned char *bytes;
    size_t len;
    CHECK_OK(nnc_model_encode(&m, &bytes, &len));
    CHECK(len > 12 && bytes[8] == 2); /* format 2 */
    nnc_model back;
    CHECK_OK(nnc_model_decode(&back, bytes, len, "resume.nnc", rows));
    char a[256], b[256];
    CHECK_OK(nnc_net_optimizer_spec(m.net, a, sizeof a));
    CHECK_OK(nnc_net_optimizer_spec(back.net, b, sizeof b));
    CHECK(!strcmp(a, b));
    CHECK(nnc_net_optimizer_steps(back.net) == nnc_net_optimizer_steps(m.net));
    CHECK(same_net(back.net, m.net));
    CHECK(back.state.options.split == o.split && back.state.options.l2 == o.l2 &&
          back.state.options.lr_schedule == o.lr_schedule &&
          back.state.options.patience == o.patience &&
          back.state.options.stop_diff == o.stop_diff);
    CHECK(back.state.n_best == m.state.n_best);
    nnc_train_options rest = o;
    rest.resume = &back.state;
    CHECK_OK(nnc_train(back.net, data, &rest, NULL, NULL, NULL));
    if (!same_net(whole, back.net))
        fprintf(stderr, "resumed through the file with %s%s differs\n", optimizer,
                layers ? " and batch norm, dropout" : "");
    CHECK(same_net(whole, back.net));
    free(bytes);
    nnc_model_free(&back);
    nnc_model_free(&m);
    nnc_net_free(whole);
    nnc_dataset_free(data);
}

/* Format 1 for what it holds; refusals of damaged format-2 files. */
static void formats(void)
{
    nnc_model m = {0};
    m.net = net_with(0, "sgd", 4);
    unsigned char *bytes;
    size_t len;
    CHECK_OK(nnc_model_encode(&m, &bytes, &len));
    CHECK(bytes[8] == 1);
    free(bytes);
    nnc_model_free(&m);
    m = (nnc_model){0};
    m.net = net_with(1, "adam:beta1=0.8", 4);
    nnc_real *mean = nnc_net_running_mean(m.net, 1);
    mean[2] = (nnc_real)0.25;
    CHECK_OK(nnc_model_encode(&m, &bytes, &len));
    CHECK(bytes[8] == 2);
    nnc_model back;
    CHECK_OK(nnc_model_decode(&back, bytes, len, "m.nnc", 4));
    CHECK(same_net(back.net, m.net) && nnc_net_layer(back.net, 2).kind == NNC_LAYER_DROPOUT &&
          nnc_net_layer(back.net, 2).rate == 0.2);
    /* The optimizer belongs to the training state: a model without one
     * (converted, say) trains with plain SGD unless told otherwise. */
    char spec[128];
    CHECK_OK(nnc_net_optimizer_spec(back.net, spec, sizeof spec));
    CHECK(!strcmp(spec, "sgd"));
    nnc_model_free(&back);
    /* Every cut of the file is refused, none crashes. */
    for (size_t cut = 0; cut < len; cut += 7)
        CHECK(nnc_model_decode(&back, bytes, cut, "cut.nnc", 4) == NNC_ERR_FORMAT);
    free(bytes);
    nnc_model_free(&m);
}

/* The longest specs (every value with 17 digits) read back. */
static void long_spec(void)
{
    nnc_model m = {0};
    m.net = net_with(0, "adamw:beta1=0.12345678901234567,beta2=0.98765432109876543,"
                        "eps=1.2345678901234567e-08,weight_decay=0.012345678901234567", 4);
    m.has_state = 1;
    m.state.options = nnc_train_options_default();
    nnc_rng_seed(&m.state.rng, 1);
    CHECK_OK(nnc_net_set_optimizer_steps(m.net, 7));
    unsigned char *bytes;
    size_t len;
    CHECK_OK(nnc_model_encode(&m, &bytes, &len));
    nnc_model back;
    CHECK_OK(nnc_model_decode(&back, bytes, len, "long.nnc", 4));
    char a[256], b[256];
    CHECK_OK(nnc_net_optimizer_spec(m.net, a, sizeof a));
    CHECK_OK(nnc_net_optimizer_spec(back.net, b, sizeof b));
    CHECK(strlen(a) > 63 && !strcmp(a, b) && nnc_net_optimizer_steps(back.net) == 7);
    nnc_model_free(&back);
    free(bytes);
    nnc_model_free(&m);
}

int main(void)
{
    formats();
    long_spec();
    for (int i = 0; i < nnc_optimizer_count(); i++)
        for (int layers = 0; layers < 2; layers++)
            resume_through_file(nnc_optimizer_name(i), layers);
    return check_report("test_model_v2");
}
