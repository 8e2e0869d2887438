/* nnc export-c: a model file as one dependency-free C99 source file whose
 * predict function gives the library's results bit for bit.
 *
 * The generated code repeats the library's forward pass operation for
 * operation: the input scaling of nnc_scaling_apply (in double), each dense
 * layer as src/kernels/kernels.h's nnc_gemm accumulates it (Z[j] starts at
 * B[j], then Z[j] = fma(x[p], W[p][j], Z[j]) for p in order, on every path),
 * each activation and the task's output function through the library's own
 * element functions (the file carries the text of
 * src/kernels/activation_elements.h, with real_math.h's and, in float,
 * vmath.h's, which they call), and the output scaling of
 * nnc_scaling_invert.  Weights are written as hex floats, so they are
 * exact. */
#include "cli.h"
#include "options.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX_MAX 64

/* The text of src/kernels/vmath.h, real_math.h and activation_elements.h
 * (embedded by the build): the element functions of every activation and
 * output function, and the math they call (in float, vmath.h's exp, expm1,
 * tanh and log1p). */
extern const unsigned char nnc_vmath_source[];
extern const size_t nnc_vmath_source_size;
extern const unsigned char nnc_real_math_source[];
extern const size_t nnc_real_math_source_size;
extern const unsigned char nnc_activation_elements_source[];
extern const size_t nnc_activation_elements_source_size;
extern const unsigned char nnc_layer_elements_source[];
extern const size_t nnc_layer_elements_source_size;

static const char export_intro[] =
    "usage: nnc export-c MODEL [-o FILE] [--prefix NAME]\n"
    "\n"
    "Writes the model file MODEL (.nnc) as one C99 source file that needs only\n"
    "<math.h> (link with -lm): the weights and scaling constants as exact hex-float\n"
    "arrays, and\n"
    "    void NAME_predict(const REAL *x, REAL *y);\n"
    "which takes one sample's raw inputs x[NAME_INPUTS] and writes its outputs\n"
    "y[NAME_OUTPUTS] (after the task's output function: identity, logistic or\n"
    "softmax, and the output scaling), where REAL is the model's float (double in\n"
    "a -DNNC_DOUBLE=ON build) and the macros are NAME in capitals.  The code does\n"
    "the library's operations in the library's order, so it gives nnc predict's\n"
    "numbers bit for bit when linked with the same libm (its pragmas keep GCC and\n"
    "Clang from fusing a*b + c; -ffast-math would change the results).\n"
    "\n";

/* 1 if name is a C identifier that starts with a letter (no reserved _X). */
static int valid_prefix(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > PREFIX_MAX || !isalpha((unsigned char)name[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(c < 0x80 && (isalnum(c) || c == '_')))
            return 0;
    }
    return 1;
}

/* Text from outside (a path, provenance) in the heading comment, written as
 * a C string literal: letters, digits, the space and punctuation that mean
 * nothing to a C comment as they are, anything else (the '*' of a comment's
 * start or end, which makes any '/' harmless, the '?' of a trigraph, the
 * backslash of a line splice, the quote, controls, non-ASCII bytes) as a
 * \ooo escape, so that no value can change how the file compiles.  At most
 * 200 bytes, then "...". */
static void comment_text(FILE *f, const char *s)
{
    static const char plain[] = " !#$%&'()+,-./:;<=>@[]^_`{|}~";
    size_t n = 0;
    fputc('"', f);
    for (const char *p = s; *p && n < 200; p++, n++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80 && c && (isalnum(c) || strchr(plain, c)))
            fputc(c, f);
        else
            fprintf(f, "\\%03o", c);
    }
    fputc('"', f);
    if (strlen(s) > 200)
        fputs("...", f);
}

#ifdef NNC_DOUBLE
#define REAL "double"
#define FMA "fma"
#define SUFFIX ""
#else
#define REAL "float"
#define FMA "fmaf"
#define SUFFIX "f"
#endif

/* An exact literal of v in nnc_real (suffix "f" in float) or in double. */
static void put_number(FILE *f, double v, const char *suffix)
{
    if (isnan(v))
        fputs("NAN", f);
    else if (isinf(v))
        fputs(v < 0 ? "-INFINITY" : "INFINITY", f);
    else
        fprintf(f, "%a%s", v, suffix);
}

/* static const TYPE NAME[n] = {...}; four numbers a line. */
static void put_array(FILE *f, const char *type, const char *prefix, const char *name,
                      const double *dv, const nnc_real *rv, size_t n, const char *comment)
{
    fprintf(f, "/* %s */\nstatic const %s %s_%s[%zu] = {", comment, type, prefix, name, n);
    for (size_t i = 0; i < n; i++) {
        fputs(i % 4 == 0 ? "\n    " : " ", f);
        if (dv)
            put_number(f, dv[i], "");
        else
            put_number(f, (double)rv[i], SUFFIX);
        if (i + 1 < n)
            fputc(',', f);
    }
    fputs("\n};\n\n", f);
}

/* A source file's text as the library compiles it, less its #include "..."
 * lines: the exported file supplies what they would bring in before it. */
static void put_library_text(FILE *f, const unsigned char *text, size_t size)
{
    static const char local_include[] = "#include \"";
    for (size_t i = 0; i < size;) {
        const unsigned char *end = memchr(text + i, '\n', size - i);
        size_t len = end ? (size_t)(end - (text + i)) + 1 : size - i;
        if (len < sizeof local_include - 1 ||
            memcmp(text + i, local_include, sizeof local_include - 1) != 0)
            fwrite(text + i, 1, len, f);
        i += len;
    }
    fputs("\n", f);
}

/* nnc's number type, then the library's element functions and the math
 * they call.  The guards let several exported files share one
 * translation unit.  A model uses few of the functions: Clang would warn
 * about every other one, GCC does not for static inline functions. */
static void put_elements(FILE *f)
{
    fputs("/* nnc's number type, then its formulas as nnc computes them, verbatim\n"
          " * (nnc's src/kernels/), without their #include lines. */\n"
          "#ifndef NNC_EXPORTED_REAL\n"
          "#define NNC_EXPORTED_REAL\n"
#ifdef NNC_DOUBLE
          "#define NNC_DOUBLE\n"
#endif
          "typedef " REAL " nnc_real;\n"
          "#endif\n\n"
          "#if defined(__clang__)\n"
          "#pragma clang diagnostic push\n"
          "#pragma clang diagnostic ignored \"-Wunused-function\"\n"
          "#endif\n\n",
          f);
#ifndef NNC_DOUBLE
    put_library_text(f, nnc_vmath_source, nnc_vmath_source_size);
#endif
    put_library_text(f, nnc_real_math_source, nnc_real_math_source_size);
    put_library_text(f, nnc_activation_elements_source, nnc_activation_elements_source_size);
    put_library_text(f, nnc_layer_elements_source, nnc_layer_elements_source_size);
    fputs("#if defined(__clang__)\n#pragma clang diagnostic pop\n#endif\n\n", f);
}

static const char dense_source[] =
    "/* z = in*W + B for one sample, as nnc computes it (src/kernels.h): z[j]\n"
    " * starts at the bias b[j] and gathers in[p]*W[p][j] for p = 0, 1, ...,\n"
    " * each step one fused multiply-add (" FMA "(), rounded once). */\n"
    "static void %s_dense(const " REAL " *in, const " REAL " *w, const " REAL " *b,\n"
    "%*s" REAL " *z, int n_in, int n_out)\n"
    "{\n"
    "    int p, j;\n"
    "    for (j = 0; j < n_out; j++)\n"
    "        z[j] = b[j];\n"
    "    for (p = 0; p < n_in; p++) {\n"
    "        const " REAL " aip = in[p], *row = w + (long)p * n_out;\n"
    "        for (j = 0; j < n_out; j++)\n"
    "            z[j] = " FMA "(aip, row[j], z[j]);\n"
    "    }\n"
    "}\n\n";

/* The heading comment, the pragmas that keep the compiler from contracting
 * a*b + c, the element functions and the file's macros and prototype.
 * upper: the prefix in capitals. */
static void put_heading(FILE *f, const nnc_model *model, const char *model_path,
                        const char *prefix, const char *upper)
{
    const nnc_net *net = model->net;
    nnc_task task = nnc_net_task(net);
    int n_layers = nnc_net_layers(net), n_in = nnc_net_inputs(net);
    int n_out = nnc_net_outputs(net);

    /* What this is and where it came from. */
    fputs("/* Generated by nnc " NNC_VERSION_STRING " (nnc export-c) from ", f);
    comment_text(f, model_path);
    fprintf(f, ".\n *\n * A %s network, ", nnc_task_name(task));
    for (int l = 0; l <= n_layers; l++)
        fprintf(f, "%s%d", l ? "-" : "", l == 0 ? n_in : nnc_net_layer(net, l - 1).units);
    fprintf(f, ", computed in " REAL " exactly as nnc does it.\n");
    for (int i = 0; i < model->n_meta; i++) {
        const char *k = model->meta[i].key;
        if (strcmp(k, "created") == 0 || strcmp(k, "converted_from") == 0 ||
            strcmp(k, "data") == 0 || strcmp(k, "train_file") == 0 ||
            strcmp(k, "normalize") == 0 || strcmp(k, "test_accuracy") == 0) {
            fprintf(f, " * %s: ", k);
            comment_text(f, model->meta[i].value);
            fputs("\n", f);
        }
    }
    fprintf(f,
            " *\n"
            " *   void %s_predict(const " REAL " *x, " REAL " *y);\n"
            " *\n"
            " * takes one sample's raw input%s x[%s_INPUTS] and writes\n * y[%s_OUTPUTS]",
            prefix, n_in == 1 ? "" : "s", upper, upper);
    if (task == NNC_TASK_FITTING)
        fputs(", the prediction in raw units.\n", f);
    else if (task == NNC_TASK_BINARY)
        fprintf(f, ",\n * the probability of class 1 (label %s_LABEL_BASE + 1; nnc predict "
                "says 1 when\n * it is above 0.5).\n", upper);
    else
        fprintf(f, ",\n * the probability of each class k (label %s_LABEL_BASE + k).\n", upper);
    fputs(" * Needs only <math.h> (link with -lm).  The results are nnc's bit for bit\n"
          " * with the same libm, and without floating-point contraction: the pragmas\n"
          " * below keep a*b + c from becoming one fused multiply-add in this file\n"
          " * (GCC, Clang >= 11), unless -ffast-math or Clang's -ffp-contract=fast\n"
          " * overrides them.\n"
          " */\n"
          "#include <math.h>\n\n"
          "#if defined(__clang__)\n"
          "#pragma float_control(push)\n"
          "#pragma STDC FP_CONTRACT OFF\n"
          "#elif defined(__GNUC__)\n"
          "#pragma GCC push_options\n"
          "#pragma GCC optimize(\"fp-contract=off\")\n"
          "#endif\n\n",
          f);
    put_elements(f);
    fprintf(f, "#define %s_INPUTS %d\n#define %s_OUTPUTS %d\n", upper, n_in, upper, n_out);
    if (task != NNC_TASK_FITTING)
        fprintf(f, "#define %s_LABEL_BASE %d\n", upper, model->label_base);
    fprintf(f, "\nvoid %s_predict(const " REAL " *x, " REAL " *y);\n\n", prefix);
}

/* The scaling constants and each layer's weights and bias. */
static void put_constants(FILE *f, const nnc_model *model, const char *prefix)
{
    nnc_net *net = model->net;
    int n_layers = nnc_net_layers(net), n_in = nnc_net_inputs(net);
    int n_out = nnc_net_outputs(net);
    if (model->x_scaling.n)
        put_array(f, "double", prefix, "x_offset", model->x_scaling.offset, NULL,
                  (size_t)n_in, "input scaling: network input = (x - x_offset) / x_scale");
    if (model->x_scaling.n)
        put_array(f, "double", prefix, "x_scale", model->x_scaling.scale, NULL,
                  (size_t)n_in, "(in double, rounded once, as nnc_scaling_apply)");
    if (model->y_scaling.n)
        put_array(f, "double", prefix, "y_offset", model->y_scaling.offset, NULL,
                  (size_t)n_out, "output scaling: y = network output * y_scale + y_offset");
    if (model->y_scaling.n)
        put_array(f, "double", prefix, "y_scale", model->y_scaling.scale, NULL,
                  (size_t)n_out, "(in double, rounded once, as nnc_scaling_invert)");
    int prev = n_in;
    for (int l = 0; l < n_layers; l++) {
        const nnc_layer_spec sp = nnc_net_layer(net, l);
        const int units = sp.units;
        char name[16], comment[96];
        if (sp.kind == NNC_LAYER_BATCHNORM) { /* γ, β and the running statistics */
            const char *what[4] = {"gamma", "beta", "running mean", "running variance"};
            nnc_real *arrays[4] = {nnc_net_weights(net, l), nnc_net_bias(net, l),
                                   nnc_net_running_mean(net, l), nnc_net_running_var(net, l)};
            static const char letters[4] = {'w', 'b', 'm', 'v'};
            for (int k = 0; k < 4; k++) {
                snprintf(name, sizeof name, "%c%d", letters[k], l + 1);
                snprintf(comment, sizeof comment, "layer %d (batch norm): %s (%d)", l + 1,
                         what[k], units);
                put_array(f, REAL, prefix, name, NULL, arrays[k], (size_t)units, comment);
            }
        } else if (sp.kind == NNC_LAYER_DENSE) {
            snprintf(name, sizeof name, "w%d", l + 1);
            snprintf(comment, sizeof comment, "layer %d: weights W (%d, %d), row-major", l + 1,
                     prev, units);
            put_array(f, REAL, prefix, name, NULL, nnc_net_weights(net, l),
                      (size_t)prev * (size_t)units, comment);
            snprintf(name, sizeof name, "b%d", l + 1);
            snprintf(comment, sizeof comment, "layer %d: bias B (%d)", l + 1, units);
            put_array(f, REAL, prefix, name, NULL, nnc_net_bias(net, l), (size_t)units,
                      comment);
        }
        prev = units;
    }
}

/* predict: the layers one after the other, two buffers in turn. */
static void put_predict(FILE *f, const nnc_model *model, const char *prefix)
{
    const nnc_net *net = model->net;
    nnc_task task = nnc_net_task(net);
    int n_layers = nnc_net_layers(net), n_in = nnc_net_inputs(net);
    int n_out = nnc_net_outputs(net), widest = n_in;
    for (int l = 0; l < n_layers; l++)
        widest = nnc_net_layer(net, l).units > widest ? nnc_net_layer(net, l).units : widest;
    fprintf(f, "void %s_predict(const " REAL " *x, " REAL " *y)\n{\n", prefix);
    if (model->x_scaling.n)
        fprintf(f, "    " REAL " xs[%d];\n", n_in);
    fprintf(f, "    " REAL " h0[%d], h1[%d];\n    int j;\n", widest, widest);
    if (model->x_scaling.n)
        fprintf(f, "    for (j = 0; j < %d; j++)\n"
                "        xs[j] = (" REAL ")(((double)x[j] - %s_x_offset[j]) / %s_x_scale[j]);\n",
                n_in, prefix, prefix);
    const char *in = model->x_scaling.n ? "xs" : "x";
    int prev = n_in;
    for (int l = 0; l < n_layers; l++) {
        nnc_layer_spec sp = nnc_net_layer(net, l);
        const char *h = l % 2 ? "h1" : "h0";
        fprintf(f, "    /* layer %d: %d -> %d, %s */\n", l + 1, prev, sp.units,
                l + 1 < n_layers ? nnc_activation_get(sp.activation)->name
                                 : task == NNC_TASK_FITTING ? "identity output"
                                 : task == NNC_TASK_BINARY  ? "logistic output"
                                                            : "softmax output");
        if (sp.kind == NNC_LAYER_DROPOUT) { /* inference: the share kept */
            fprintf(f, "    for (j = 0; j < %d; j++)\n        %s[j] = nnc_dropout_element(%s[j], ",
                    sp.units, h, in);
            put_number(f, sp.rate, "");
            fputs(");\n", f);
            in = h;
            prev = sp.units;
            continue;
        }
        if (sp.kind == NNC_LAYER_BATCHNORM) /* the running statistics, then f */
            fprintf(f, "    for (j = 0; j < %d; j++)\n        %s[j] = nnc_batchnorm_element("
                    "%s[j], %s_m%d[j], %s_v%d[j], %s_w%d[j], %s_b%d[j]);\n", sp.units, h, in,
                    prefix, l + 1, prefix, l + 1, prefix, l + 1, prefix, l + 1);
        else
            fprintf(f, "    %s_dense(%s, %s_w%d, %s_b%d, %s, %d, %d);\n", prefix, in, prefix,
                    l + 1, prefix, l + 1, h, prev, sp.units);
        if (l + 1 < n_layers) {
            /* NAME_f: the element function of the catalogue's NAME. */
            fprintf(f, "    for (j = 0; j < %d; j++)\n        %s[j] = %s_f(%s[j], (" REAL ")",
                    sp.units, h, nnc_activation_get(sp.activation)->name, h);
            put_number(f, sp.param, "");
            fputs(");\n", f);
        } else if (task == NNC_TASK_FITTING) {
            fprintf(f, "    for (j = 0; j < %d; j++)\n        y[j] = %s[j];\n", sp.units, h);
        } else if (task == NNC_TASK_BINARY) {
            fprintf(f, "    for (j = 0; j < %d; j++)\n        y[j] = nnc_logistic(%s[j]);\n",
                    sp.units, h);
        } else {
            fprintf(f, "    nnc_softmax_row(%s, y, %d);\n", h, sp.units);
        }
        in = h;
        prev = sp.units;
    }
    if (model->y_scaling.n)
        fprintf(f, "    for (j = 0; j < %d; j++)\n"
                "        y[j] = (" REAL ")((double)y[j] * %s_y_scale[j] + %s_y_offset[j]);\n",
                n_out, prefix, prefix);
    fputs("}\n", f);
}

/* The whole source file. */
static void write_source(FILE *f, nnc_model *model, const char *model_path,
                         const char *prefix)
{
    char upper[PREFIX_MAX + 1];
    size_t plen = strlen(prefix);
    for (size_t i = 0; i <= plen; i++)
        upper[i] = (char)toupper((unsigned char)prefix[i]);
    put_heading(f, model, model_path, prefix, upper);
    put_constants(f, model, prefix);
    fprintf(f, dense_source, prefix, (int)(strlen(prefix) + sizeof "static void _dense(" - 1),
            "");
    put_predict(f, model, prefix);
    fputs("\n"
          "#if defined(__clang__)\n"
          "#pragma float_control(pop)\n"
          "#elif defined(__GNUC__)\n"
          "#pragma GCC pop_options\n"
          "#endif\n",
          f);
}

static int read_prefix(const char *cmd, const char *name, const char *value, void *dest)
{
    if (!valid_prefix(value)) {
        cli_error(cmd, "%s: '%s' is not a C identifier of 1 to %d letters, digits and "
                  "underscores starting with a letter", name, value, PREFIX_MAX);
        return 0;
    }
    *(const char **)dest = value;
    return 1;
}

int cmd_export_c(int argc, char **argv)
{
    const char *model_path = NULL, *out = NULL, *prefix = NULL;
    size_t max_memory = 0;
    cli_opt rows[] = {
        {.type = CLI_CUSTOM, .name = "--out", .short_name = "-o", .metavar = "FILE",
         .dest = &out, .parse = cli_read_out_file,
         .help = "the source file to write (default: standard output),\n"
                 "through a temporary file and a rename"},
        {.type = CLI_CUSTOM, .name = "--prefix", .metavar = "NAME", .dest = &prefix,
         .def = "model", .parse = read_prefix,
         .help = "prefix of every name in the file: a C identifier of at\n"
                 "most 64 letters, digits and underscores, starting with\n"
                 "a letter (default: %D)"},
        CLI_OPT_MAX_MEMORY(&max_memory),
        CLI_OPT_HELP("this text"),
    };
    cli_command command = {.name = "export-c", .intro = export_intro, .column = 26,
                           .outro = "Each option may be given once.\n", CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed == CLI_PARSE_OK && n_args > 0 && !argv[1][0]) {
        cli_error("export-c", "an empty argument where MODEL's file name should be");
        parsed = CLI_PARSE_ERROR;
    } else if (parsed == CLI_PARSE_OK && n_args > 1) {
        cli_error("export-c", "unexpected argument '%s' (one MODEL; the output file "
                  "goes with -o)", argv[2]);
        parsed = CLI_PARSE_ERROR;
    }
    model_path = parsed == CLI_PARSE_OK && n_args ? argv[1] : NULL;
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    if (!model_path) {
        cli_error("export-c", "no MODEL given (see nnc export-c --help)");
        return CLI_USAGE;
    }
    if (!cli_check_model_memory("export-c", model_path, max_memory))
        return CLI_USAGE;
    nnc_model model = {0};
    int rc = cli_load_model("export-c", model_path, 1, &model);
    if (rc != CLI_OK)
        return rc;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        write_source(f, &model, model_path, prefix);
        if (ferror(f))
            rc = CLI_FAILED;
        fclose(f);
    }
    nnc_model_free(&model);
    if (!f || rc != CLI_OK) {
        free(text);
        cli_error("export-c", "out of memory");
        return CLI_FAILED;
    }
    if (out && strcmp(out, "-") != 0)
        return cli_write_text("export-c", out, text, len) ? CLI_OK : CLI_FAILED;
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        cli_error("export-c", "writing standard output failed");
        rc = CLI_FAILED;
    }
    free(text);
    return rc;
}
