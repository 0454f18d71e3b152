/* Leg and attempt numbers per Call-ID: see dialog_numbering.h.
 *
 * A chained hash table of entries, one per Call-ID, and a list of them by
 * last use: capture time only moves forward, so the list is also ordered by
 * expiry and its head is the one to forget first.
 *
 * An entry is found by the Call-ID's 64-bit seeded hash and length, without
 * a copy of the Call-ID: it is kept for every call of the last hours, so its
 * size is what counts (80 bytes, against about 150 with a copy). Two
 * Call-IDs that collided would share counters: their numbers would skip
 * values, never repeat, as (call_id, leg, attempt) still differs by the
 * Call-ID. */
#include "dialog_numbering.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "lru_table.h"

#define LEGS_INLINE 1
#define LEGS_MAX 16 /* legs remembered per Call-ID; later legs are numbered, not kept */

typedef struct leg {
    uint64_t key; /* the endpoint pair, either direction */
    uint32_t number, attempts;
} leg;

typedef struct entry entry;
struct entry {
    sl_lru_node node; /* first; the list is in order of last use */
    sl_time last;
    uint32_t id_len;    /* the Call-ID's length */
    uint32_t legs_seen; /* leg numbers given out */
    uint8_t n_legs, cap_legs;
    leg *legs; /* inl, or a heap array once there are more than LEGS_INLINE */
    leg inl[LEGS_INLINE];
};

static size_t entry_size(const entry *e)
{
    return sizeof *e + (e->legs == e->inl ? 0 : e->cap_legs * sizeof(leg));
}

/* The bytes are charged to the dialog tracker's account (the callers' mem),
 * not to the table's. */
struct sl_numbering {
    sl_lru entries;
    sl_time retain;
    uint64_t evicted;
};

sl_numbering *sl_numbering_new(size_t max_entries, sl_time retain, size_t *mem)
{
    sl_numbering *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    if (!sl_lru_init(&n->entries, 1024, max_entries ? max_entries : 1, SIZE_MAX)) {
        free(n);
        return NULL;
    }
    n->retain = retain;
    *mem += sizeof *n + sl_lru_bucket_bytes(&n->entries);
    return n;
}

static entry *oldest(const sl_numbering *n)
{
    return (entry *)n->entries.oldest;
}

static void free_entry(sl_numbering *n, entry *e, size_t *mem)
{
    sl_lru_remove(&n->entries, &e->node);
    *mem -= entry_size(e);
    if (e->legs != e->inl)
        free(e->legs);
    free(e);
}

void sl_numbering_free(sl_numbering *n, size_t *mem)
{
    if (!n)
        return;
    while (oldest(n))
        free_entry(n, oldest(n), mem);
    *mem -= sizeof *n + sl_lru_bucket_bytes(&n->entries);
    sl_lru_free(&n->entries);
    free(n);
}

void sl_numbering_expire(sl_numbering *n, sl_time now, size_t *mem)
{
    entry *e;
    while ((e = oldest(n)) && now - e->last >= n->retain)
        free_entry(n, e, mem);
}

bool sl_numbering_drop_oldest(sl_numbering *n, size_t *mem)
{
    if (!oldest(n))
        return false;
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): the head has no older: oldest moves on
    free_entry(n, oldest(n), mem);
    n->evicted++;
    return true;
}

size_t sl_numbering_entries(const sl_numbering *n)
{
    return n->entries.count;
}

uint64_t sl_numbering_evicted(const sl_numbering *n)
{
    return n->evicted;
}

static entry *find(const sl_numbering *n, uint64_t h, size_t id_len)
{
    for (sl_lru_node *e = sl_lru_first(&n->entries, h); e; e = sl_lru_next(e))
        if (((entry *)e)->id_len == id_len)
            return (entry *)e;
    return NULL;
}

static entry *create(sl_numbering *n, uint64_t h, size_t id_len, size_t *mem)
{
    while (sl_lru_full(&n->entries) && sl_numbering_drop_oldest(n, mem)) {
    }
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->id_len = (uint32_t)id_len;
    e->legs = e->inl;
    e->cap_legs = LEGS_INLINE;
    sl_lru_insert(&n->entries, &e->node, h);
    *mem += sizeof *e;
    /* longer chains when out of memory */
    *mem += sl_lru_grow(&n->entries, SIZE_MAX);
    return e;
}

/* Most recently used goes last: the list stays in order of expiry. */
static void touch(sl_numbering *n, entry *e, sl_time now)
{
    sl_lru_touch(&n->entries, &e->node);
    if (now > e->last)
        e->last = now;
}

/* The same for A->B and B->A: the ends are hashed in a fixed order. */
static uint64_t pair_key(const sl_flow *f)
{
    uint8_t a[19], b[19];
    a[0] = f->src.family;
    memcpy(a + 1, f->src.bytes, 16);
    memcpy(a + 17, &f->sport, 2);
    b[0] = f->dst.family;
    memcpy(b + 1, f->dst.bytes, 16);
    memcpy(b + 17, &f->dport, 2);
    const uint8_t *lo = a, *hi = b;
    if (memcmp(a, b, sizeof a) > 0) {
        lo = b;
        hi = a;
    }
    return sl_hash_bytes(sl_hash_bytes(0, lo, sizeof a), hi, sizeof b);
}

static leg *add_leg(entry *e, uint64_t key, size_t *mem)
{
    if (e->n_legs == e->cap_legs) {
        if (e->cap_legs == 0 || e->cap_legs >= LEGS_MAX)
            return NULL;
        size_t cap = (size_t)e->cap_legs * 2;
        leg *more = malloc(cap * sizeof *more);
        if (!more)
            return NULL;
        memcpy(more, e->legs, e->n_legs * sizeof *more);
        size_t was = entry_size(e);
        if (e->legs != e->inl)
            free(e->legs);
        e->legs = more;
        e->cap_legs = (uint8_t)cap;
        *mem += entry_size(e) - was;
    }
    leg *l = &e->legs[e->n_legs++];
    l->key = key;
    l->number = e->legs_seen;
    l->attempts = 0;
    return l;
}

void sl_numbering_next(sl_numbering *n, uint64_t h, sl_slice call_id, const sl_flow *flow,
                       sl_time now, size_t *mem, uint32_t *leg_no, uint32_t *attempt)
{
    *leg_no = 0;
    *attempt = 1;
    entry *e = find(n, h, call_id.len);
    if (!e)
        e = create(n, h, call_id.len, mem);
    if (!e)
        return;
    touch(n, e, now);
    uint64_t key = pair_key(flow);
    for (unsigned i = 0; i < e->n_legs; i++) {
        if (e->legs[i].key == key) {
            *leg_no = e->legs[i].number;
            *attempt = ++e->legs[i].attempts;
            return;
        }
    }
    leg *l = add_leg(e, key, mem);
    *leg_no = e->legs_seen++;
    if (l)
        *attempt = ++l->attempts;
}
