/* Case-insensitive comparison of a slice with a string literal, the lengths
 * compared inline first: the analyzers test every message's method or
 * header names this way, and most differ in length. Internal to src/. */
#ifndef SIPSLEUTH_SRC_SLICE_LIT_H
#define SIPSLEUTH_SRC_SLICE_LIT_H

#include "sipsleuth/slice.h"

static inline bool sl_ieq_lit_n(sl_slice s, const char *lit, size_t n)
{
    return s.len == n && sl_slice_ieq_slice(s, sl_slice_make(lit, n));
}

/* Same answer as sl_slice_ieq(s, lit); lit must be a string literal. */
#define SL_IEQ_LIT(s, lit) sl_ieq_lit_n((s), "" lit, sizeof(lit) - 1)

#endif
