/* The one hash table of the state-keeping modules (defrag, TCP, SCTP,
 * dialogs, numbering, routes, certificates): intrusive, chained, with every
 * entry also on one list from oldest to newest (creation or last use, as the
 * owner touches), an entry-count cap and a byte account with its memcap.
 * Internal to src/.
 *
 * An entry embeds an sl_lru_node as its first member. The owner hashes its
 * key with its own seed (bucket placement is the hash's low bits) and finds
 * entries by walking the hash's matches with its own equality:
 *     for (sl_lru_node *n = sl_lru_first(t, h); n; n = sl_lru_next(n))
 *         if (equal((entry *)n, key)) ...
 * Chains take new entries at their head; sl_lru_grow keeps today's order of
 * rehashing, so a walk sees entries of one hash in the same order as before.
 *
 * The caps are only kept here: the owner decides what to evict (usually
 * t->oldest) and what to report. Walking oldest to newest while removing the
 * current entry is safe when `newer` is read first; removing others is not.
 * Nothing here allocates but sl_lru_init and sl_lru_grow, nor charges the
 * byte account: the owner charges the buckets too (sl_lru_bucket_bytes),
 * wherever it keeps them counted. */
#ifndef SIPSLEUTH_SRC_LRU_TABLE_H
#define SIPSLEUTH_SRC_LRU_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_lru_node sl_lru_node;
struct sl_lru_node {
    sl_lru_node *chain; /* bucket */
    uint64_t hash;
    sl_lru_node *older, *newer;
};

typedef struct sl_lru {
    sl_lru_node **buckets;
    size_t mask; /* buckets - 1, a power of two less one */
    sl_lru_node *oldest, *newest;
    size_t count, max_count;
    size_t bytes, max_bytes; /* the owner's account and its memcap */
} sl_lru;

/* nbuckets: rounded up to a power of two (at least 1). False when out of
 * memory. The caps may be SIZE_MAX (none). */
bool sl_lru_init(sl_lru *t, size_t nbuckets, size_t max_count, size_t max_bytes);
/* Frees the buckets only: the owner frees its entries first. */
void sl_lru_free(sl_lru *t);

static inline size_t sl_lru_bucket_bytes(const sl_lru *t)
{
    return (t->mask + 1) * sizeof *t->buckets;
}

/* When the table holds more entries than buckets, doubles the buckets if the
 * added array takes at most `room` bytes. Returns the bytes added (0: not
 * grown, and the chains just get longer), for the owner to charge. */
size_t sl_lru_grow(sl_lru *t, size_t room);

/* ---- lookup ---- */

/* Where the chain of hash h starts (for a prefetch). */
static inline sl_lru_node *const *sl_lru_head(const sl_lru *t, uint64_t h)
{
    return &t->buckets[h & t->mask];
}

static inline sl_lru_node *sl_lru_match(sl_lru_node *n, uint64_t h)
{
    while (n && n->hash != h)
        n = n->chain;
    return n;
}

/* The newest-inserted entry of hash h, then the one inserted before it... */
static inline sl_lru_node *sl_lru_first(const sl_lru *t, uint64_t h)
{
    return sl_lru_match(t->buckets[h & t->mask], h);
}

static inline sl_lru_node *sl_lru_next(const sl_lru_node *n)
{
    return sl_lru_match(n->chain, n->hash);
}

/* ---- the list, oldest to newest ---- */

static inline void sl_lru_unlink_age(sl_lru *t, sl_lru_node *n)
{
    if (n->older)
        n->older->newer = n->newer;
    else
        t->oldest = n->newer;
    if (n->newer)
        n->newer->older = n->older;
    else
        t->newest = n->older;
}

/* Puts n (not on the list) right after `after` (NULL: as the oldest). */
static inline void sl_lru_link_age(sl_lru *t, sl_lru_node *n, sl_lru_node *after)
{
    n->older = after;
    n->newer = after ? after->newer : t->oldest;
    if (n->newer)
        n->newer->older = n;
    else
        t->newest = n;
    if (after)
        after->newer = n;
    else
        t->oldest = n;
}

/* Moves n right after `after` (NULL: makes it the oldest); `after` != n. */
static inline void sl_lru_place(sl_lru *t, sl_lru_node *n, sl_lru_node *after)
{
    sl_lru_unlink_age(t, n);
    sl_lru_link_age(t, n, after);
}

/* Makes n the most recent. */
static inline void sl_lru_touch(sl_lru *t, sl_lru_node *n)
{
    if (t->newest != n)
        sl_lru_place(t, n, t->newest);
}

/* ---- insert, remove ---- */

/* Adds n with hash h as the newest; no cap is checked (sl_lru_full). */
static inline void sl_lru_insert(sl_lru *t, sl_lru_node *n, uint64_t h)
{
    sl_lru_node **b = &t->buckets[h & t->mask];
    n->hash = h;
    n->chain = *b;
    *b = n;
    sl_lru_link_age(t, n, t->newest);
    t->count++;
}

static inline void sl_lru_remove(sl_lru *t, sl_lru_node *n)
{
    sl_lru_node **pp = &t->buckets[n->hash & t->mask];
    while (*pp != n)
        pp = &(*pp)->chain;
    *pp = n->chain;
    sl_lru_unlink_age(t, n);
    n->chain = n->older = n->newer = NULL;
    t->count--;
}

/* ---- caps ---- */

/* A new entry needs room first. */
static inline bool sl_lru_full(const sl_lru *t)
{
    return t->count >= t->max_count;
}

static inline void sl_lru_charge(sl_lru *t, size_t n)
{
    t->bytes += n;
}

static inline void sl_lru_release(sl_lru *t, size_t n)
{
    t->bytes -= n;
}

static inline bool sl_lru_over(const sl_lru *t)
{
    return t->bytes > t->max_bytes;
}

/* What the memcap has left. */
static inline size_t sl_lru_room(const sl_lru *t)
{
    return t->bytes <= t->max_bytes ? t->max_bytes - t->bytes : 0;
}

/* n more bytes stay within the memcap. */
static inline bool sl_lru_fits(const sl_lru *t, size_t n)
{
    return t->bytes <= t->max_bytes && n <= t->max_bytes - t->bytes;
}

#endif
