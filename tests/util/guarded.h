/* Test inputs placed right before an inaccessible page, so that reading even
 * one byte past the end crashes the test (the picohttpparser technique). */
#ifndef SL_TEST_GUARDED_H
#define SL_TEST_GUARDED_H

#include <stddef.h>
#include <stdint.h>

typedef struct sl_guarded {
    uint8_t *map;
    size_t map_len;
    uint8_t *data; /* len bytes, ending exactly at the guard page */
    size_t len;
} sl_guarded;

/* Copies len bytes of src into a fresh guarded buffer; aborts on failure. */
const uint8_t *sl_guard(sl_guarded *g, const void *src, size_t len);
void sl_guard_free(sl_guarded *g);

/* Reads a whole file into a malloc'd buffer; aborts on failure. */
uint8_t *sl_test_read_file(const char *path, size_t *len);

#endif
