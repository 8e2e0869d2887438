/* A minimal test harness: CHECK-style assertions that count failures and
 * report file:line; each test program returns non-zero if any failed. */
#ifndef NNC_TEST_CHECK_H
#define NNC_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnc.h"

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        check_count++;                                                              \
        if (!(cond)) {                                                              \
            check_failures++;                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                           \
    } while (0)

/* |got - want| <= tol, printing both values on failure. */
#define CHECK_NEAR(got, want, tol)                                                  \
    do {                                                                            \
        double g_ = (double)(got), w_ = (double)(want), t_ = (double)(tol);         \
        check_count++;                                                              \
        if (!(fabs(g_ - w_) <= t_)) {                                               \
            check_failures++;                                                       \
            fprintf(stderr, "%s:%d: %s = %.17g, want %.17g (tol %g)\n", __FILE__,   \
                    __LINE__, #got, g_, w_, t_);                                    \
        }                                                                           \
    } while (0)

/* A call that must return NNC_OK; prints the library's message otherwise. */
#define CHECK_OK(call)                                                              \
    do {                                                                            \
        nnc_status s_ = (call);                                                     \
        check_count++;                                                              \
        if (s_ != NNC_OK) {                                                         \
            check_failures++;                                                       \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,     \
                    nnc_strerror(s_), nnc_last_error());                            \
        }                                                                           \
    } while (0)

/* A call that must fail with `status`. */
#define CHECK_STATUS(call, status)                                                  \
    do {                                                                            \
        nnc_status s_ = (call);                                                     \
        check_count++;                                                              \
        if (s_ != (status)) {                                                       \
            check_failures++;                                                       \
            fprintf(stderr, "%s:%d: %s -> %s, want %s (%s)\n", __FILE__, __LINE__,  \
                    #call, nnc_strerror(s_), nnc_strerror(status), nnc_last_error()); \
        }                                                                           \
    } while (0)

/* The detail message of the last failure mentions `words`. */
#define CHECK_MSG(words)                                                            \
    do {                                                                            \
        check_count++;                                                              \
        if (!strstr(nnc_last_error(), (words))) {                                   \
            check_failures++;                                                       \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__,       \
                    __LINE__, nnc_last_error(), (words));                           \
        }                                                                           \
    } while (0)

static inline int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures != 0;
}

#endif
