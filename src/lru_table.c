/* The state tables' hash table and age list: see lru_table.h. */
#include "lru_table.h"

#include <stdlib.h>
#include <string.h>

bool sl_lru_init(sl_lru *t, size_t nbuckets, size_t max_count, size_t max_bytes)
{
    memset(t, 0, sizeof *t);
    size_t n = 1;
    while (n < nbuckets)
        n <<= 1;
    t->buckets = calloc(n, sizeof *t->buckets);
    if (!t->buckets)
        return false;
    t->mask = n - 1;
    t->max_count = max_count;
    t->max_bytes = max_bytes;
    return true;
}

void sl_lru_free(sl_lru *t)
{
    free(t->buckets);
    t->buckets = NULL;
}

size_t sl_lru_grow(sl_lru *t, size_t room)
{
    size_t old = t->mask + 1, n = old * 2, added = old * sizeof *t->buckets;
    if (t->count <= old || added > room)
        return 0;
    sl_lru_node **b = calloc(n, sizeof *b);
    if (!b)
        return 0;
    for (size_t i = 0; i < old; i++) {
        for (sl_lru_node *e = t->buckets[i], *next; e; e = next) {
            next = e->chain;
            e->chain = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->mask = n - 1;
    return added;
}
