#include <criterion/criterion.h>

#include "../../src/lru_table.h"

typedef struct item {
    sl_lru_node node; /* first */
    int key;
    size_t size;
} item;

static uint64_t hash_of(int key)
{
    return (uint64_t)key * UINT64_C(0x9e3779b97f4a7c15);
}

static item *find(const sl_lru *t, int key)
{
    for (sl_lru_node *n = sl_lru_first(t, hash_of(key)); n; n = sl_lru_next(n))
        if (((item *)n)->key == key)
            return (item *)n;
    return NULL;
}

static void put(sl_lru *t, item *it, int key, size_t size)
{
    it->key = key;
    it->size = size;
    sl_lru_insert(t, &it->node, hash_of(key));
    sl_lru_charge(t, size);
}

static void drop(sl_lru *t, item *it)
{
    sl_lru_remove(t, &it->node);
    sl_lru_release(t, it->size);
}

/* The keys from oldest to newest, and back, must agree. */
static int order(const sl_lru *t, int *keys, int max)
{
    int n = 0;
    for (const sl_lru_node *e = t->oldest; e && n < max; e = e->newer)
        keys[n++] = ((const item *)e)->key;
    int back = n;
    for (const sl_lru_node *e = t->newest; e; e = e->older)
        cr_assert_eq(((const item *)e)->key, keys[--back]);
    cr_assert_eq(back, 0);
    return n;
}

Test(lru_table, insert_lookup_remove)
{
    sl_lru t;
    cr_assert(sl_lru_init(&t, 5, SIZE_MAX, SIZE_MAX));
    cr_assert_eq(t.mask, 7); /* rounded up to a power of two */
    item it[4];
    for (int i = 0; i < 4; i++)
        put(&t, &it[i], 10 + i, 1);
    cr_assert_eq(t.count, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(find(&t, 10 + i), &it[i]);
    cr_assert_null(find(&t, 99));
    drop(&t, &it[1]);
    cr_assert_null(find(&t, 11));
    cr_assert_eq(find(&t, 12), &it[2]);
    cr_assert_eq(t.count, 3);
    int keys[8];
    cr_assert_eq(order(&t, keys, 8), 3);
    cr_assert(keys[0] == 10 && keys[1] == 12 && keys[2] == 13);
    drop(&t, &it[0]);
    drop(&t, &it[3]);
    drop(&t, &it[2]);
    cr_assert_null(t.oldest);
    cr_assert_null(t.newest);
    cr_assert_eq(t.count, 0);
    sl_lru_free(&t);
}

Test(lru_table, touch_and_oldest)
{
    sl_lru t;
    cr_assert(sl_lru_init(&t, 16, SIZE_MAX, SIZE_MAX));
    item it[3];
    for (int i = 0; i < 3; i++)
        put(&t, &it[i], i, 1);
    cr_assert_eq(t.oldest, &it[0].node);
    sl_lru_touch(&t, &it[0].node);
    sl_lru_touch(&t, &it[0].node); /* already the newest */
    int keys[4];
    cr_assert_eq(order(&t, keys, 4), 3);
    cr_assert(keys[0] == 1 && keys[1] == 2 && keys[2] == 0);
    sl_lru_touch(&t, &it[2].node); /* from the middle */
    cr_assert_eq(order(&t, keys, 4), 3);
    cr_assert(keys[0] == 1 && keys[1] == 0 && keys[2] == 2);
    sl_lru_place(&t, &it[2].node, NULL); /* back to the oldest end */
    cr_assert_eq(order(&t, keys, 4), 3);
    cr_assert(keys[0] == 2 && keys[1] == 1 && keys[2] == 0);
    sl_lru_place(&t, &it[1].node, &it[0].node);
    cr_assert_eq(order(&t, keys, 4), 3);
    cr_assert(keys[0] == 2 && keys[1] == 0 && keys[2] == 1);
    sl_lru_free(&t);
}

Test(lru_table, walk_removing_the_current_entry)
{
    sl_lru t;
    cr_assert(sl_lru_init(&t, 4, SIZE_MAX, SIZE_MAX));
    item it[6];
    for (int i = 0; i < 6; i++)
        put(&t, &it[i], i, 1);
    int seen = 0;
    for (sl_lru_node *n = t.oldest, *next; n; n = next) {
        next = n->newer;
        cr_assert_eq(((item *)n)->key, seen++);
        if (((item *)n)->key % 2)
            drop(&t, (item *)n);
    }
    cr_assert_eq(seen, 6);
    cr_assert_eq(t.count, 3);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(find(&t, i), i % 2 ? NULL : &it[i]);
    sl_lru_free(&t);
}

Test(lru_table, collisions_keep_the_newest_first)
{
    /* one bucket: every entry collides; two keys share a full hash too */
    sl_lru t;
    cr_assert(sl_lru_init(&t, 1, SIZE_MAX, SIZE_MAX));
    item it[4];
    for (int i = 0; i < 4; i++) {
        it[i].key = i;
        it[i].size = 0;
        sl_lru_insert(&t, &it[i].node, i < 2 ? 42 : (uint64_t)i);
    }
    sl_lru_node *n = sl_lru_first(&t, 42);
    cr_assert_eq(n, &it[1].node);
    n = sl_lru_next(n);
    cr_assert_eq(n, &it[0].node);
    cr_assert_null(sl_lru_next(n));
    cr_assert_eq(sl_lru_first(&t, 3), &it[3].node);
    cr_assert_null(sl_lru_first(&t, 7));
    sl_lru_remove(&t, &it[1].node); /* the middle of the chain */
    cr_assert_eq(sl_lru_first(&t, 42), &it[0].node);
    cr_assert_eq(sl_lru_first(&t, 2), &it[2].node);
    sl_lru_free(&t);
}

Test(lru_table, grow_keeps_every_entry_and_the_order_of_a_hash)
{
    sl_lru t;
    cr_assert(sl_lru_init(&t, 2, SIZE_MAX, SIZE_MAX));
    item it[40];
    cr_assert_eq(sl_lru_grow(&t, SIZE_MAX), 0); /* not more entries than buckets */
    for (int i = 0; i < 40; i++) {
        it[i].key = i;
        it[i].size = 0;
        sl_lru_insert(&t, &it[i].node, i < 3 ? 5 : hash_of(i));
        cr_assert_eq(sl_lru_grow(&t, 0), 0); /* no room */
    }
    size_t before = sl_lru_bucket_bytes(&t);
    size_t added = sl_lru_grow(&t, SIZE_MAX);
    cr_assert_eq(added, before);
    cr_assert_eq(sl_lru_bucket_bytes(&t), 2 * before);
    while (sl_lru_grow(&t, SIZE_MAX))
        ;
    cr_assert_eq(t.mask, 63);
    for (int i = 3; i < 40; i++)
        cr_assert_eq(find(&t, i), &it[i]);
    /* the same hash: each rehash reverses their chain, as the tables did */
    sl_lru_node *n = sl_lru_first(&t, 5);
    int got[3];
    for (int k = 0; k < 3; k++, n = sl_lru_next(n))
        got[k] = ((item *)n)->key;
    cr_assert_null(n);
    cr_assert(got[0] == 0 && got[1] == 1 && got[2] == 2, "%d %d %d", got[0], got[1], got[2]);
    sl_lru_free(&t);
}

Test(lru_table, count_cap_and_memcap)
{
    sl_lru t;
    cr_assert(sl_lru_init(&t, 8, 2, 100));
    item it[3];
    cr_assert_not(sl_lru_full(&t));
    put(&t, &it[0], 0, 40);
    put(&t, &it[1], 1, 50);
    cr_assert(sl_lru_full(&t));
    cr_assert_eq(t.bytes, 90);
    cr_assert(sl_lru_fits(&t, 10));
    cr_assert_not(sl_lru_fits(&t, 11));
    cr_assert_not(sl_lru_over(&t));
    sl_lru_charge(&t, 11);
    cr_assert(sl_lru_over(&t));
    cr_assert_not(sl_lru_fits(&t, 0));
    sl_lru_release(&t, 11);
    /* the owner evicts the oldest to make room */
    while (sl_lru_full(&t) || !sl_lru_fits(&t, 30))
        drop(&t, (item *)t.oldest);
    cr_assert_eq(t.count, 1);
    cr_assert_eq(t.oldest, &it[1].node);
    cr_assert_eq(t.bytes, 50);
    put(&t, &it[2], 2, 30);
    cr_assert_eq(t.bytes, 80);
    drop(&t, &it[1]);
    drop(&t, &it[2]);
    cr_assert_eq(t.bytes, 0);
    sl_lru_free(&t);
}
