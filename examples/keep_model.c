/* Train, save the model with its training state, load it back, predict,
 * and carry on training: the README's model-file example. */
#include <nnc.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *file = argc > 1 ? argv[1] : "data/ai-edu/ch08.train.npz";
    const char *path = argc > 2 ? argv[2] : "sine.nnc";
    nnc_dataset *data;
    nnc_layer_spec layers[] = {{3, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_model model = {0}, loaded = {0};
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    nnc_train_options opt = nnc_train_options_default();
    opt.max_epoch = 100;
    nnc_train_result result;
    if (nnc_dataset_load_npz(&data, file, 0) != NNC_OK ||
        nnc_net_create(&model.net, NNC_TASK_FITTING, 1, 2, layers, opt.batch_size) != NNC_OK ||
        nnc_net_init(model.net, NNC_INIT_XAVIER, &rng) != NNC_OK ||
        nnc_train(model.net, data, &opt, NULL, NULL, &result) != NNC_OK)
        goto fail;
    model.has_state = 1;           /* keep where training stands ... */
    model.state = result.state;    /* ... (the model now owns the order array) */
    result.state.order = NULL;
    nnc_train_result_free(&result);
    if (nnc_model_set_meta(&model, "data", file) != NNC_OK ||
        nnc_model_save(&model, path) != NNC_OK ||
        nnc_model_load(&loaded, path, opt.batch_size) != NNC_OK)
        goto fail;

    /* The loaded model predicts exactly what the trained one does. */
    nnc_real x[3] = {0.1f, 0.5f, 0.9f}, y1[3], y2[3];
    if (nnc_model_predict(&model, x, 3, y1) != NNC_OK ||
        nnc_model_predict(&loaded, x, 3, y2) != NNC_OK)
        goto fail;
    printf("sin(2*pi*x) at 0.1, 0.5, 0.9: %.4f %.4f %.4f (%s)\n", y2[0], y2[1], y2[2],
           memcmp(y1, y2, sizeof y1) == 0 ? "identical after loading" : "DIFFERENT");

    /* Carry on for 100 more epochs from the saved state. */
    opt.max_epoch = 200;
    opt.resume = &loaded.state;
    if (nnc_train(loaded.net, data, &opt, NULL, NULL, &result) != NNC_OK)
        goto fail;
    printf("resumed at epoch %d, now %d epochs\n", loaded.state.epoch, result.epochs_run);
    nnc_train_result_free(&result);
    nnc_model_free(&model);
    nnc_model_free(&loaded);
    nnc_dataset_free(data);
    return memcmp(y1, y2, sizeof y1) != 0;
fail:
    fprintf(stderr, "%s\n", nnc_last_error());
    return 1;
}
