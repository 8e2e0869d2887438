/* Numeric CSV reading: headers, BOM, CRLF, quotes, blank lines, delimiters,
 * and errors that name the file, line, column and field. */
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
    nnc_csv_options opt = {1, ','};
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
    CHECK_MSG("csv_word.csv: line 3, column 2: 'abc' is not a number");
    p = WRITE("csv_trail.csv", "1,2\n3,4x\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 2, column 2: '4x'");
    p = WRITE("csv_huge.csv", "1,2\n1e999,4\n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 2, column 1: '1e999'");

    p = WRITE("csv_hole.csv", "x,y\n1,2\n3, \n");
    CHECK_STATUS(nnc_csv_read_file(p, NULL, &a, &names), NNC_ERR_FORMAT);
    CHECK_MSG("line 3, column 2: empty field (missing value)");
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

    nnc_csv_options opt = {0, ','};
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

int main(void)
{
    test_good();
    test_bad();
    return check_report("test_csv");
}
