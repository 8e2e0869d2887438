/* Numeric CSV reading: headers, BOM, CRLF, quotes, blank lines, delimiters,
 * and errors that name the file, line, column and field. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define TMP NNC_TEST_TMP "/"

static const char *write_text(const char *name, const char *text, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s%s", TMP, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        return path;
    }
    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

#define WRITE(name, literal) write_text(name, literal, sizeof(literal) - 1)

static void test_good(void)
{
    nnc_array a;
    char **names = NULL;
    const char *p;

    p = WRITE("csv_plain.csv", "x,y\n1,2\n3,4.5\n");
    CHECK_OK(nnc_csv_read_file(p, NULL, &a, &names));
    CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 2 && a.size == 4);
    CHECK(a.data[0] == 1 && a.data[1] == 2 && a.data[2] == 3 && a.data[3] == 4.5);
    CHECK(names && strcmp(names[0], "x") == 0 && strcmp(names[1], "y") == 0);
    nnc_csv_free_names(names, 2);
    nnc_array_free(&a);

    /* BOM, CRLF, quotes, spaces, quoted header with a comma, no final newline */
    p = WRITE("csv_messy.csv", "\xEF\xBB\xBF\"a, first\" , b \r\n \"1.5\" , 2\r\n"
                               "\r\n3,\"-4e-1\"\t\r\n  -0.25 ,1e3");
    names = NULL;
    CHECK_OK(nnc_csv_read_file(p, NULL, &a, &names));
    CHECK(a.shape[0] == 3 && a.shape[1] == 2);
    if (a.size == 6) {
        CHECK(a.data[0] == 1.5 && a.data[1] == 2);
        CHECK(a.data[2] == 3 && a.data[3] == -0.4);
        CHECK(a.data[4] == -0.25 && a.data[5] == 1000);
    }
    CHECK(names && strcmp(names[0], "a, first") == 0 && strcmp(names[1], "b") == 0);
    nnc_csv_free_names(names, 2);
    nnc_array_free(&a);

    /* no header; blank trailing lines; names set to NULL */
    p = WRITE("csv_nohead.csv", "1,2,3\n4,5,6\n\n  \n\n");
    names = (char **)&a;
    CHECK_OK(nnc_csv_read_file(p, NULL, &a, &names));
    CHECK(names == NULL);
    CHECK(a.shape[0] == 2 && a.shape[1] == 3 && a.data[5] == 6);
    nnc_array_free(&a);

    /* a header with names that look like numbers, when told so; names not wanted */
    nnc_csv_options opt = {1, ',', 0};
    p = WRITE("csv_numhead.csv", "1,2\n3,4\n");
    CHECK_OK(nnc_csv_read_file(p, &opt, &a, NULL));
    CHECK(a.shape[0] == 1 && a.shape[1] == 2 && a.data[0] == 3);
    nnc_array_free(&a);

    /* other delimiters, a single column, quotes with doubled quotes in a name */
    opt.header = -1;
    opt.delimiter = ';';
    p = WRITE("csv_semi.csv", "\"say \"\"hi\"\"\";b\n1,5;2\n");
    names = NULL;
    CHECK_STATUS(nnc_csv_read_file(p, &opt, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("'1,5' is not a number");
    p = WRITE("csv_semi2.csv", "\"say \"\"hi\"\"\";b\n1.5;2\n");
    CHECK_OK(nnc_csv_read_file(p, &opt, &a, &names));
    CHECK(names && strcmp(names[0], "say \"hi\"") == 0);
    CHECK(a.size == 2 && a.data[0] == 1.5);
    nnc_csv_free_names(names, 2);
    nnc_array_free(&a);
    opt.delimiter = '\t';
    p = WRITE("csv_tab.tsv", "u\tv\n 1\t 2 \n");
    CHECK_OK(nnc_csv_read_file(p, &opt, &a, NULL));
    CHECK(a.size == 2 && a.data[1] == 2);
    nnc_array_free(&a);
    p = WRITE("csv_col.csv", "0.5\n-1\n2\n");
    CHECK_OK(nnc_csv_read_file(p, NULL, &a, NULL));
    CHECK(a.shape[0] == 3 && a.shape[1] == 1 && a.data[1] == -1);
    nnc_array_free(&a);
}

static void test_bad(void)
{
    nnc_array a;
    memset(&a, 0x33, sizeof a);
    nnc_array keep = a;
    char **names = (char **)&keep;
    const char *p;

    p = WRITE("csv_ragged.csv", "a,b\n1,2\n3\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("csv_ragged.csv: line 3 has 1 fields, expected 2");
    p = WRITE("csv_ragged2.csv", "1,2\n3,4,5\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 2 has 3 fields");

    p = WRITE("csv_word.csv", "x,y\n1,2\n3,abc\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("csv_word.csv: line 3, column 2 (y): 'abc' is not a number");
    p = WRITE("csv_trail.csv", "1,2\n3,4x\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 2, column 2: '4x'");
    p = WRITE("csv_huge.csv", "1,2\n1e999,4\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 2, column 1: '1e999'");

    p = WRITE("csv_hole.csv", "x,y\n1,2\n3, \n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 3, column 2 (y): empty field (missing value)");
    p = WRITE("csv_hole2.csv", ",2\n3,4\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 1, column 1: empty field");

    p = WRITE("csv_empty.csv", "");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("csv_empty.csv: no data rows");
    p = WRITE("csv_blank.csv", "\xEF\xBB\xBF\r\n\r\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("no data rows");
    p = WRITE("csv_headonly.csv", "a,b\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("no data rows after the header");

    p = WRITE("csv_quote.csv", "a,b\n\"1,2\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 2, column 1: unterminated quoted field");
    p = WRITE("csv_quote2.csv", "a,b\n\"1\"x,2\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("text after a closing quote");

    nnc_csv_options opt = {0, ',', 0};
    p = WRITE("csv_forced.csv", "a,b\n1,2\n");
    CHECK_STATUS(nnc_csv_read_file(p, &opt, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 1, column 1: 'a' is not a number");
    opt.header = 7;
    CHECK_STATUS(nnc_csv_read_file(p, &opt, &a, &names), NNC_ERR_ARGUMENT);
    opt.header = -1;
    opt.delimiter = '"';
    CHECK_STATUS(nnc_csv_read_file(p, &opt, &a, &names), NNC_ERR_ARGUMENT);

    CHECK_STATUS(nnc_csv_read_file(TMP "csv_missing.csv", NULL, &a, &names), NNC_ERR_IO);
    CHECK_MSG("csv_missing.csv");
    CHECK_STATUS(nnc_csv_read_file(NULL, NULL, &a, &names), NNC_ERR_ARGUMENT);

    /* nothing was touched by any failure */
    CHECK(memcmp(&a, &keep, sizeof a) == 0);
    CHECK(names == (char **)&keep);
    nnc_csv_free_names(NULL, 3);
}

/* The in-memory reader, and the hardening added with it. */
#define MEM(literal) literal, sizeof(literal) - 1

static void test_memory(void)
{
    nnc_array a;
    char **names = NULL;

    CHECK_OK(nnc_csv_read_memory(MEM("x,y\r\n1,2\r\n3,4\r\n"), "stdin", NULL, &a, &names));
    CHECK(a.shape[0] == 2 && a.shape[1] == 2 && a.data[3] == 4);
    CHECK(names && strcmp(names[1], "y") == 0);
    nnc_csv_free_names(names, 2);
    nnc_array_free(&a);
    /* not NUL-terminated: the reader stops at len */
    const char buf[] = {'1', ',', '2', '\n', '3', ',', '4', '5', '6'};
    CHECK_OK(nnc_csv_read_memory(buf, 7, "buf", NULL, &a, NULL));
    CHECK(a.size == 4 && a.data[3] == 4);
    nnc_array_free(&a);
    /* numbers of every shape strtod reads in decimal, huge and tiny included */
    CHECK_OK(nnc_csv_read_memory(MEM("+1,.5,5.,-2E+3,1e-320,1e308,\" 7 \"\n"), NULL, NULL,
                                 &a, NULL));
    CHECK(a.size == 7 && a.data[0] == 1 && a.data[1] == 0.5 && a.data[2] == 5);
    CHECK(a.data[3] == -2000 && a.data[4] > 0 && a.data[5] == 1e308 && a.data[6] == 7);
    nnc_array_free(&a);
    /* a 301-digit number (longer than the reader's stack copy), then 400 digits */
    char big[512];
    memset(big, '0', 400);
    big[0] = '1';
    big[301] = '\n';
    CHECK_OK(nnc_csv_read_memory(big, 302, "big", NULL, &a, NULL));
    CHECK(a.size == 1 && a.data[0] == 1e300);
    nnc_array_free(&a);
    big[0] = '9';
    big[301] = '0';
    big[400] = '\n';
    CHECK_STATUS(nnc_csv_read_memory(big, 401, "big", NULL, &a, NULL), NNC_ERR_FORMAT);
    CHECK_MSG("big: line 1, column 1: '9000000000000000000000000000000000000000");
    CHECK_MSG("out of range");
    /* an empty buffer, NULL with length 0 */
    CHECK_STATUS(nnc_csv_read_memory(NULL, 0, "nothing", NULL, &a, NULL), NNC_ERR_FORMAT);
    CHECK_MSG("nothing: no data rows (empty file)");
    CHECK_STATUS(nnc_csv_read_memory(NULL, 3, "x", NULL, &a, NULL), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_csv_read_memory("1", 1, "x", NULL, NULL, NULL), NNC_ERR_ARGUMENT);

    /* NaN and infinity, in any spelling, are refused; the header names the column */
    static const char *const nonfinite[] = {"nan", "NaN", "-inf", "+Infinity", "INF",
                                            "nan(0x1)"};
    for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++) {
        char text[64];
        int n = snprintf(text, sizeof text, "a,speed\n1,2\n3,%s\n", nonfinite[i]);
        CHECK_STATUS(nnc_csv_read_memory(text, (size_t)n, "v.csv", NULL, &a, NULL),
                     NNC_ERR_FORMAT);
        CHECK_MSG("v.csv: line 3, column 2 (speed): '");
        CHECK_MSG("' is not a finite number (NaN and infinity are refused)");
    }
    /* ... also on the first line, which is then not taken for a header */
    CHECK_STATUS(nnc_csv_read_memory(MEM("1,nan\n2,3\n"), "n.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("n.csv: line 1, column 2: 'nan' is not a finite number");
    CHECK_STATUS(nnc_csv_read_memory(MEM("1e999,1\n2,3\n"), "r.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("r.csv: line 1, column 1: '1e999' is out of range");
    CHECK_STATUS(nnc_csv_read_memory(MEM("x\n-1e400\n"), "r.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("line 2, column 1 (x): '-1e400' is out of range");
    /* hexadecimal, digits with text, lone signs and points */
    static const char *const words[] = {"0x10", "1e", "-", ".", "e5", "1.2.3", "1-2", "12abc",
                                        "1 2", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char text[64], want[64];
        int n = snprintf(text, sizeof text, "1,2\n3,%s\n", words[i]);
        CHECK_STATUS(nnc_csv_read_memory(text, (size_t)n, "w.csv", NULL, &a, NULL),
                     NNC_ERR_FORMAT);
        snprintf(want, sizeof want, "w.csv: line 2, column 2: '%s' is not a number", words[i]);
        CHECK_MSG(want);
    }
    /* a line of delimiters only: missing values, reported at their column */
    CHECK_STATUS(nnc_csv_read_memory(MEM("a,b,c\n1,2,3\n,,\n"), "d.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("d.csv: line 3, column 1 (a): empty field (missing value)");
    CHECK_STATUS(nnc_csv_read_memory(MEM(",,,\n"), "d.csv", NULL, &a, NULL), NNC_ERR_FORMAT);
    CHECK_MSG("d.csv: line 1, column 1: empty field");
    CHECK_STATUS(nnc_csv_read_memory(MEM("a,b\n1,\"\"\n"), "q.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("q.csv: line 2, column 2 (b): empty field");
    /* a ragged row after a header says so */
    CHECK_STATUS(nnc_csv_read_memory(MEM("a,b\r\n1,2\r\n3,4,5\r\n"), "g.csv", NULL, &a,
                                     NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("g.csv: line 3 has 3 fields, expected 2 (as on line 1, the header)");
    /* NUL bytes: binary data, or UTF-16 text */
    CHECK_STATUS(nnc_csv_read_memory(MEM("1,2\n3,4\0\n"), "z.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("z.csv: line 2: NUL byte at byte offset 7 (not a text file)");
    CHECK_STATUS(nnc_csv_read_memory(MEM("\xff\xfe" "1\0,\0" "2\0"), "u.csv", NULL, &a,
                                     NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("u.csv: line 1: NUL byte at byte offset 3 (UTF-16 text; save the file as UTF-8)");
    /* a BOM alone, a BOM before a header, CR-only blank lines */
    CHECK_STATUS(nnc_csv_read_memory(MEM("\xEF\xBB\xBF"), "b.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("b.csv: no data rows");
    CHECK_OK(nnc_csv_read_memory(MEM("\xEF\xBB\xBF" "a\r\n\r\n7\r\n"), "b.csv", NULL, &a,
                                 &names));
    CHECK(a.size == 1 && a.data[0] == 7 && names && strcmp(names[0], "a") == 0);
    nnc_csv_free_names(names, 1);
    nnc_array_free(&a);
    /* text in a header name is kept as it is, UTF-8 included */
    CHECK_STATUS(nnc_csv_read_memory(MEM("\"t\xc3\xa9\",b\n1,x\n"), "h.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("h.csv: line 2, column 2 (b): 'x' is not a number");
    CHECK_STATUS(nnc_csv_read_memory(MEM("\"t\xc3\xa9\",b\n?,1\n"), "h.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("column 1 (t\xc3\xa9): '?' is not a number");
}

/* The memory limit (nnc_csv_options.max_memory) holds for each buffer the
 * reader grows: a line's fields, the header's names and the values. */
static void test_memory_limit(void)
{
    nnc_array a;
    char **names = NULL;
    nnc_csv_options o = {-1, ',', 60};
    CHECK_STATUS(nnc_csv_read_memory(MEM("aaaa,bbbb\n1,2\n"), "n.csv", &o, &a, &names),
                 NNC_ERR_FORMAT);
    CHECK_MSG("n.csv: the header's names would need 68 bytes (limit 60 bytes; see "
              "--max-memory)");
    CHECK(names == NULL);
    o.max_memory = 40;
    CHECK_STATUS(nnc_csv_read_memory(MEM("aaaa,bbbb\n1,2\n"), "l.csv", &o, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("l.csv: line 1 would need 42 bytes (limit 40 bytes; see --max-memory)");
    /* 60 rows of 2 values fit in 1000 bytes beside the line's buffers, not 61 */
    char text[61 * 4 + 1];
    for (int r = 0; r < 61; r++)
        memcpy(text + 4 * r, "1,2\n", 4);
    o.max_memory = 1000;
    CHECK_OK(nnc_csv_read_memory(text, 60 * 4, "v.csv", &o, &a, NULL));
    CHECK(a.shape[0] == 60 && a.shape[1] == 2 && a.data[119] == 2);
    nnc_array_free(&a);
    CHECK_STATUS(nnc_csv_read_memory(text, 61 * 4, "v.csv", &o, &a, NULL), NNC_ERR_FORMAT);
    CHECK_MSG("v.csv: the values up to line 61 would need 1012 bytes (limit 1000 bytes; see "
              "--max-memory)");
}

/* LF, CRLF and CR-only line ends (the textbook's kc_train.csv ends its lines
 * with CR alone), mixed in one file too; messages count lines the same way. */
static void test_line_ends(void)
{
    nnc_array a = {0};
    char **names = NULL;
    const char *p = WRITE("csv_cr.csv", "x,y\r1,2\r3,4.5\r\r5,6");
    CHECK_OK(nnc_csv_read_file(p, NULL, &a, &names));
    CHECK(a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 2);
    if (a.size == 6)
        CHECK(a.data[0] == 1 && a.data[1] == 2 && a.data[3] == 4.5 && a.data[5] == 6);
    CHECK(names && strcmp(names[0], "x") == 0 && strcmp(names[1], "y") == 0);
    nnc_csv_free_names(names, 2);
    nnc_array_free(&a);
    /* CR, LF and CRLF in one file: each ends one line, none makes a row */
    CHECK_OK(nnc_csv_read_memory(MEM("a\r1\n2\r\n3\r\r\n4\n\r5"), "m.csv", NULL, &a, NULL));
    CHECK(a.shape[0] == 5 && a.shape[1] == 1);
    if (a.size == 5)
        CHECK(a.data[0] == 1 && a.data[2] == 3 && a.data[3] == 4 && a.data[4] == 5);
    nnc_array_free(&a);
    /* the line of an error: line 4 in a CR-only file, line 5 after a CR blank line */
    CHECK_STATUS(nnc_csv_read_memory(MEM("a,b\r1,2\r3,4\r5,x\r"), "c.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("c.csv: line 4, column 2 (b): 'x' is not a number");
    CHECK_STATUS(nnc_csv_read_memory(MEM("a,b\r\n1,2\r\r\n3,4\n5\r"), "c.csv", NULL, &a,
                                     NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("c.csv: line 5 has 1 fields, expected 2");
    CHECK_STATUS(nnc_csv_read_memory(MEM("1\r2\r\n3\0"), "z.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("z.csv: line 3: NUL byte at byte offset 6");
    /* a CR-only file of one header line */
    CHECK_STATUS(nnc_csv_read_memory(MEM("a,b\r"), "h.csv", NULL, &a, NULL), NNC_ERR_FORMAT);
    CHECK_MSG("h.csv: no data rows after the header");
}

/* The header is told from a data row with a typo: a first row whose odd
 * field starts as a number is an error, not a header (that silently dropped
 * the sample); a row of "" is a missing value, not a blank line. */
static void test_header_or_typo(void)
{
    nnc_array a = {0};
    char **names = NULL;
    static const char *const typos[] = {"1.5e", "2..3", "-x", "+", ".5.", "7abc", "1e+"};
    for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++) {
        char text[64], want[96];
        int n = snprintf(text, sizeof text, "0.5,%s\n1,2\n3,4\n", typos[i]);
        CHECK_STATUS(nnc_csv_read_memory(text, (size_t)n, "t.csv", NULL, &a, NULL),
                     NNC_ERR_FORMAT);
        snprintf(want, sizeof want, "t.csv: line 1, column 2: '%s' is not a number", typos[i]);
        CHECK_MSG(want);
    }
    /* a word in the first row makes it a header, numbers or typos beside it */
    CHECK_OK(nnc_csv_read_memory(MEM("id,2019,1.5e\n1,2,3\n"), "w.csv", NULL, &a, &names));
    CHECK(a.shape[0] == 1 && a.shape[1] == 3 && a.data[2] == 3);
    CHECK(names && strcmp(names[1], "2019") == 0 && strcmp(names[2], "1.5e") == 0);
    nnc_csv_free_names(names, 3);
    nnc_array_free(&a);
    CHECK_OK(nnc_csv_read_memory(MEM("\"x 1\",_y\n1,2\n"), "w.csv", NULL, &a, NULL));
    CHECK(a.shape[0] == 1 && a.data[1] == 2);
    nnc_array_free(&a);
    /* "" alone on a line: a missing value (the row is not skipped) */
    CHECK_STATUS(nnc_csv_read_memory(MEM("x\n1\n\"\"\n3\n"), "e.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("e.csv: line 3, column 1 (x): empty field (missing value)");
    CHECK_STATUS(nnc_csv_read_memory(MEM("\"\"\n1\n"), "e.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("e.csv: line 1, column 1: empty field (missing value)");
    CHECK_STATUS(nnc_csv_read_memory(MEM("1\n \"\" \r\n"), "e.csv", NULL, &a, NULL),
                 NNC_ERR_FORMAT);
    CHECK_MSG("e.csv: line 2, column 1: empty field");
    /* lines of spaces and tabs are still blank */
    CHECK_OK(nnc_csv_read_memory(MEM("1\n \t \n2\n"), "s.csv", NULL, &a, NULL));
    CHECK(a.shape[0] == 2 && a.data[1] == 2);
    nnc_array_free(&a);
}

/* The reader under a locale whose decimal point is ',' (if one is
 * installed): numbers still use '.'. */
static void test_locale(void)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    if (!got) {
        printf("test_csv: no locale with a decimal comma installed; skipping that check\n");
        return;
    }
    nnc_array a;
    CHECK_OK(nnc_csv_read_memory(MEM("x;y\n1.5;2\n"), "l.csv", &(nnc_csv_options){-1, ';', 0},
                                 &a, NULL));
    CHECK(a.size == 2 && a.data[0] == 1.5);
    nnc_array_free(&a);
    CHECK_STATUS(nnc_csv_read_memory(MEM("x;y\n1,5;2\n"), "l.csv",
                                     &(nnc_csv_options){-1, ';', 0}, &a, NULL),
                 NNC_ERR_FORMAT);
    setlocale(LC_NUMERIC, "C");
}

int main(void)
{
    test_good();
    test_bad();
    test_memory();
    test_memory_limit();
    test_line_ends();
    test_header_or_typo();
    test_locale();
    return check_report("test_csv");
}
