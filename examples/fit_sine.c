/* Fit y = sin(6.28x) with a 1-3-1 sigmoid network: the library in 20 lines. */
#include <nnc.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    const char *file = argc > 1 ? argv[1] : "data/ai-edu/ch08.train.npz";
    nnc_dataset *data;
    nnc_net *net;
    nnc_layer_spec layers[] = {{3, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    nnc_train_options opt = nnc_train_options_default(); /* eta 0.5, batch 10 */
    nnc_train_result result;
    if (nnc_dataset_load_npz(&data, file, 0) != NNC_OK ||
        nnc_net_create(&net, NNC_TASK_FITTING, 1, 2, layers, opt.batch_size) != NNC_OK) {
        fprintf(stderr, "%s\n", nnc_last_error());
        return 1;
    }
    nnc_net_init(net, NNC_INIT_XAVIER, &rng);
    nnc_status s = nnc_train(net, data, &opt, NULL, NULL, &result);
    const nnc_checkpoint *last = &result.history[result.history_count - 1];
    printf("%s after %d epochs: loss_valid=%.6f, accuracy_valid=%f\n", nnc_strerror(s),
           result.epochs_run, last->loss_valid, last->accuracy_valid);
    nnc_train_result_free(&result);
    nnc_net_free(net);
    nnc_dataset_free(data);
    return s != NNC_OK;
}
