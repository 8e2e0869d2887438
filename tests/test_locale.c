/* Every text the library writes, under a locale whose decimal point is ','
 * (a program using nnc may call setlocale): numbers keep '.', and what is
 * written reads back.  Skips only when no such locale is installed
 * (scripts/install-deps.sh generates de_DE.UTF-8). */
#include "check.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "internal.h"

#define TMP NNC_TEST_TMP "/locale_"

/* Sets the first comma locale installed; NULL if there is none. */
static const char *set_comma_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                        "fr_FR.utf8",  "de_DE",      "fr_FR"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!setlocale(LC_ALL, names[i]))
            continue;
        const struct lconv *lc = localeconv();
        if (lc && strcmp(lc->decimal_point, ",") == 0)
            return names[i];
    }
    setlocale(LC_ALL, "C");
    return NULL;
}

/* The first "<digit>,<digit>" in s (a number written with a decimal
 * comma), or NULL.  The texts given to the charts hold no such pair. */
static const char *digit_comma(const char *s)
{
    for (const char *p = s; *p; p++)
        if (p[0] == ',' && p > s && p[-1] >= '0' && p[-1] <= '9' && p[1] >= '0' && p[1] <= '9')
            return p - 1;
    return NULL;
}

/* The SVG of a figure: no decimal comma, and nnc_plot_save writes the same
 * text. Frees the figure. */
static char *check_svg(nnc_plot *plot, const char *name)
{
    char *svg = NULL;
    size_t len = 0;
    CHECK_OK(nnc_plot_svg(plot, &svg, &len));
    if (!svg) {
        nnc_plot_free(plot);
        return NULL;
    }
    const char *bad = digit_comma(svg);
    if (bad)
        fprintf(stderr, "%s: a number with a decimal comma: \"%.40s\"\n", name, bad);
    CHECK(bad == NULL);
    char path[512];
    snprintf(path, sizeof path, TMP "%s.svg", name);
    CHECK_OK(nnc_plot_save(plot, path));
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f) {
        char *back = malloc(len + 2);
        size_t got = back ? fread(back, 1, len + 1, f) : 0;
        CHECK(got == len && memcmp(back, svg, len) == 0);
        free(back);
        fclose(f);
    }
    nnc_plot_free(plot);
    return svg;
}

static void test_format_number(void)
{
    char buf[64];
    char raw[64];
    /* the locale is in force: printf itself writes the comma */
    snprintf(raw, sizeof raw, "%.1f", 57.8);
    CHECK(strcmp(raw, "57,8") == 0);
    CHECK(nnc_format_number(buf, sizeof buf, 'f', 1, 57.8) == 4);
    CHECK(strcmp(buf, "57.8") == 0);
    nnc_format_number(buf, sizeof buf, 'f', 2, -0.5);
    CHECK(strcmp(buf, "-0.50") == 0);
    nnc_format_number(buf, sizeof buf, 'g', 17, 0.1);
    CHECK(strcmp(buf, "0.10000000000000001") == 0);
    nnc_format_number(buf, sizeof buf, 'e', 3, 57.8);
    CHECK(strcmp(buf, "5.780e+01") == 0);
    nnc_format_number(buf, sizeof buf, 'g', 6, 1e300);
    CHECK(strcmp(buf, "1e+300") == 0);
    /* truncated like snprintf: the full length is returned */
    CHECK(nnc_format_number(buf, 4, 'f', 3, 12.5) == 6);
    CHECK(strcmp(buf, "12.") == 0);
}

static void test_plot(void)
{
    nnc_plot *p = NULL;
    CHECK_OK(nnc_plot_create(&p, 640, 480, 2, 1, "locale test"));
    if (!p)
        return;
    double x[3] = {57.8, 58.25, 60.5}, y[3] = {0.1, 0.35, 0.2};
    CHECK_OK(nnc_plot_axes(p, 0, "series", "x", "y", 0));
    CHECK_OK(nnc_plot_series(p, 0, "line", x, y, 3, NNC_PLOT_LINE | NNC_PLOT_MARKERS));
    CHECK_OK(nnc_plot_series(p, 0, "crosses", x, y, 3, NNC_PLOT_CROSSES));
    double values[4] = {0.5, 1.5, 2.25, 3.75};
    CHECK_OK(nnc_plot_axes(p, 1, "heat", NULL, NULL, 0));
    CHECK_OK(nnc_plot_grid(p, 1, 0.5, 1.5, 0.25, 0.75, 2, 2, values, 1));
    char *svg = check_svg(p, "plot");
    if (!svg)
        return;
    /* tick labels and cell values with a '.' */
    CHECK(strstr(svg, ">0.15</text>") != NULL);
    CHECK(strstr(svg, ">1.5</text>") != NULL);
    CHECK(strstr(svg, ">2.25</text>") != NULL);
    /* coordinates with decimals ('.'), e.g. x="123.45" */
    CHECK(strstr(svg, "font-size=\"11\"") != NULL);
    int decimals = 0;
    for (const char *q = strstr(svg, "x=\""); q; q = strstr(q + 1, "x=\""))
        decimals += strchr(q + 3, '"') > strchr(q + 3, '.') && strchr(q + 3, '.') != NULL;
    CHECK(decimals > 0);
    free(svg);
}

static nnc_net *small_net(nnc_task task, int n_in, int n_out)
{
    nnc_layer_spec specs[2] = {{3, NNC_ACT_SIGMOID, 0}, {n_out, NNC_ACT_IDENTITY, 0}};
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, task, n_in, 2, specs, 64));
    if (!net)
        return NULL;
    nnc_rng rng;
    nnc_rng_seed(&rng, 17);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    return net;
}

static void test_charts(void)
{
    nnc_checkpoint h[3] = {{1, 10, 0.75, 0.5, 0.8, 0.45},
                           {2, 20, 0.5, 0.625, 0.55, 0.6},
                           {3, 30, 0.25, 0.875, 0.3, 0.85}};
    nnc_plot *p = NULL;
    CHECK_OK(nnc_chart_history(&p, h, 3, "history"));
    if (p)
        free(check_svg(p, "history"));

    nnc_net *fit = small_net(NNC_TASK_FITTING, 1, 1);
    nnc_real fx[4] = {0.1f, 0.35f, 0.6f, 0.85f}, fy[4] = {0.5f, 0.25f, 0.75f, 0.125f};
    nnc_dataset *fds = NULL;
    CHECK_OK(nnc_dataset_create(&fds, fx, fy, 4, 1, 1));
    p = NULL;
    if (fit && fds)
        CHECK_OK(nnc_chart_fit(&p, fit, fds, fds, "fit"));
    if (p)
        free(check_svg(p, "fit"));
    nnc_dataset_free(fds);
    nnc_net_free(fit);

    nnc_net *cls = small_net(NNC_TASK_BINARY, 2, 1);
    nnc_real cx[8] = {0.1f, 0.2f, 0.9f, 0.8f, 0.15f, 0.85f, 0.75f, 0.3f};
    nnc_real cy[4] = {0, 1, 0, 1};
    nnc_dataset *cds = NULL;
    CHECK_OK(nnc_dataset_create(&cds, cx, cy, 4, 2, 1));
    p = NULL;
    if (cls && cds)
        CHECK_OK(nnc_chart_decision(&p, cls, cds, 0, "decision"));
    if (p)
        free(check_svg(p, "decision"));
    nnc_dataset_free(cds);
    nnc_net_free(cls);

    p = NULL;
    const nnc_activation_info *leaky = nnc_activation_get(NNC_ACT_LEAKY_RELU);
    CHECK_OK(nnc_chart_activation(&p, leaky, 0.01));
    char *svg = p ? check_svg(p, "leaky_relu") : NULL;
    CHECK(svg && strstr(svg, "leaky_relu (alpha=0.01)") != NULL);
    free(svg);

    p = NULL;
    CHECK_OK(nnc_chart_activation_sheet(&p));
    if (p)
        free(check_svg(p, "sheet"));
}

/* The same weights, bit for bit. */
static int same_weights(nnc_net *a, nnc_net *b)
{
    size_t n = nnc_net_parameter_count(a);
    return n == nnc_net_parameter_count(b) &&
           memcmp(nnc_net_parameters(a), nnc_net_parameters(b), n * sizeof(nnc_real)) == 0;
}

static void test_model_file(void)
{
    nnc_model m = {0};
    m.net = small_net(NNC_TASK_FITTING, 1, 1);
    if (!m.net)
        return;
    double offset[1] = {57.8}, scale[1] = {0.125};
    m.x_scaling.n = 1;
    m.x_scaling.offset = malloc(sizeof offset);
    m.x_scaling.scale = malloc(sizeof scale);
    memcpy(m.x_scaling.offset, offset, sizeof offset);
    memcpy(m.x_scaling.scale, scale, sizeof scale);
    CHECK_OK(nnc_model_set_meta(&m, "eta", "0.5"));
    CHECK_OK(nnc_model_save(&m, TMP "model.nnc"));
    nnc_model back = {0};
    CHECK_OK(nnc_model_load(&back, TMP "model.nnc", 8));
    if (back.net) {
        CHECK(same_weights(m.net, back.net));
        CHECK(back.x_scaling.n == 1 && back.x_scaling.offset[0] == 57.8 &&
              back.x_scaling.scale[0] == 0.125);
        const char *eta = nnc_model_get_meta(&back, "eta");
        CHECK(eta && strcmp(eta, "0.5") == 0);
    }
    nnc_model_free(&back);

    /* the textbook's folder of .npz files */
    mkdir(TMP "textbook", 0755);
    CHECK_OK(nnc_net_save_textbook(m.net, TMP "textbook"));
    nnc_net *other = small_net(NNC_TASK_FITTING, 1, 1);
    if (other) {
        memset(nnc_net_parameters(other), 0, nnc_net_parameter_count(other) * sizeof(nnc_real));
        CHECK_OK(nnc_net_load_textbook(other, TMP "textbook"));
        CHECK(same_weights(m.net, other));
        nnc_net_free(other);
    }
    nnc_model_free(&m);
}

static void test_npz(void)
{
    double d[6] = {57.8, -0.5, 1e-300, 0.1, 2.5, 3};
    nnc_array a = {2, {2, 3}, 6, d};
    const char *keys[1] = {"data"};
    CHECK_OK(nnc_npz_write_file(TMP "a.npz", 1, keys, &a));
    nnc_array back = {0};
    CHECK_OK(nnc_npz_read_file(TMP "a.npz", "data", &back, 0));
    CHECK(back.ndim == 2 && back.shape[0] == 2 && back.shape[1] == 3 && back.size == 6 &&
          back.data && memcmp(back.data, d, sizeof d) == 0);
    nnc_array_free(&back);
}

int main(void)
{
    const char *name = set_comma_locale();
    if (!name) {
        printf("test_locale: no locale with a decimal comma installed (de_DE.UTF-8: "
               "scripts/install-deps.sh generates it); skipped\n");
        return 0;
    }
    printf("test_locale: under %s\n", name);
    test_format_number();
    test_plot();
    test_charts();
    test_model_file();
    test_npz();
    setlocale(LC_ALL, "C");
    return check_report("test_locale");
}
