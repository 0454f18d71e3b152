/* The learned routing table: a chained hash of normal-form URIs, an LRU list
 * (least recently used at the head), and a min-heap of expiry times for the
 * entries that have one. */
#include "sipsleuth/routes.h"

#include "hash.h"
#include "lru_table.h"
#include "sipsleuth/sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct entry {
    sl_lru_node node; /* first; the list: least recently used first */
    sl_route r;
    size_t heap_at; /* index in the expiry heap, or NO_HEAP */
    sl_time due;    /* when it expires (only when in the heap) */
    size_t mem;
} entry;

#define NO_HEAP SIZE_MAX

struct sl_routes {
    sl_routes_config cfg;
    sl_routes_notify notify;
    void *user;
    sl_lru routes; /* its bytes: the entries' */
    entry **heap;
    size_t heap_len, heap_cap;
    sl_time clock;
    uint64_t generation;
    uint64_t counters[SL_ROUTE__COUNT];
};

static const char *const action_names[SL_ROUTE__COUNT] = {
    "learned", "refreshed", "changed", "expired", "stale_use", "loop", "evicted",
};

const char *sl_route_action_name(sl_route_action a)
{
    return a < SL_ROUTE__COUNT ? action_names[a] : "unknown";
}

/* ---- normal form ---- */

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool over;
} sbuf;

static void put(sbuf *b, const uint8_t *s, size_t n, bool lower_case)
{
    for (size_t i = 0; i < n; i++) {
        /* Printable ASCII only: the table is written to files and events. */
        if (s[i] <= 0x20 || s[i] >= 0x7f || b->len + 1 >= b->cap) {
            b->over = true;
            return;
        }
        b->p[b->len++] = (char)(lower_case ? lower(s[i]) : s[i]);
    }
}

static void puts_(sbuf *b, const char *s)
{
    put(b, (const uint8_t *)s, strlen(s), false);
}

size_t sl_uri_normalize(sl_slice uri, char *out, size_t cap)
{
    sl_sip_uri u;
    if (cap == 0 || sl_sip_uri_parse(sl_slice_trim(uri), &u) != SL_OK)
        return 0;
    sbuf b = {out, 0, cap, false};
    switch (u.scheme) {
    case SL_URI_TEL:
        puts_(&b, "tel:");
        /* RFC 3966 5.1.1: visual separators do not count in comparisons. */
        for (size_t i = 0; i < u.user.len; i++) {
            uint8_t c = u.user.ptr[i];
            if (c != '-' && c != '.' && c != '(' && c != ')')
                put(&b, &c, 1, true);
        }
        break;
    case SL_URI_SIP:
    case SL_URI_SIPS:
        puts_(&b, u.scheme == SL_URI_SIP ? "sip:" : "sips:");
        if (u.user.len) {
            put(&b, u.user.ptr, u.user.len, false);
            puts_(&b, "@");
        }
        if (!u.host.len)
            return 0;
        put(&b, u.host.ptr, u.host.len, true);
        if (u.port >= 0) {
            char port[12];
            snprintf(port, sizeof port, ":%d", u.port);
            puts_(&b, port);
        }
        break;
    default: return 0;
    }
    if (b.over || b.len <= 4)
        return 0;
    out[b.len] = '\0';
    return b.len;
}

/* ---- table ---- */

void sl_routes_config_default(sl_routes_config *cfg)
{
    cfg->max_routes = 100000;
    cfg->hash_seed = 0;
}

static uint64_t hash_of(const sl_routes *t, const char *s)
{
    return sl_hash_bytes(t->cfg.hash_seed, (const uint8_t *)s, strlen(s));
}

sl_routes *sl_routes_new(const sl_routes_config *cfg, sl_routes_notify notify, void *user)
{
    sl_routes *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (cfg)
        t->cfg = *cfg;
    else
        sl_routes_config_default(&t->cfg);
    if (t->cfg.max_routes == 0)
        t->cfg.max_routes = 1;
    if (t->cfg.hash_seed == 0 && getrandom(&t->cfg.hash_seed, sizeof t->cfg.hash_seed,
                                           GRND_NONBLOCK) != (ssize_t)sizeof t->cfg.hash_seed)
        t->cfg.hash_seed = (uint64_t)(uintptr_t)t ^ UINT64_C(0x9e3779b97f4a7c15);
    t->notify = notify;
    t->user = user;
    if (!sl_lru_init(&t->routes, 64, t->cfg.max_routes, SIZE_MAX)) {
        free(t);
        return NULL;
    }
    t->clock = INT64_MIN;
    return t;
}

static void free_entry(entry *e)
{
    free(e->r.uri);
    free(e->r.target);
    free(e);
}

void sl_routes_free(sl_routes *t)
{
    if (!t)
        return;
    for (sl_lru_node *e = t->routes.oldest, *n; e; e = n) {
        n = e->newer;
        free_entry((entry *)e);
    }
    sl_lru_free(&t->routes);
    free(t->heap);
    free(t);
}

static entry *find(const sl_routes *t, const char *uri, uint64_t h)
{
    for (sl_lru_node *n = sl_lru_first(&t->routes, h); n; n = sl_lru_next(n))
        if (strcmp(((entry *)n)->r.uri, uri) == 0)
            return (entry *)n;
    return NULL;
}

const sl_route *sl_routes_get(const sl_routes *t, const char *uri)
{
    entry *e = find(t, uri, hash_of(t, uri));
    return e ? &e->r : NULL;
}

/* Loaded entries arrive in any order: keep the list sorted by last_used.
 * e is the newest. */
static void lru_sort_in(sl_routes *t, entry *e)
{
    sl_lru_node *after = e->node.older;
    while (after && ((entry *)after)->r.last_used > e->r.last_used)
        after = after->older;
    if (after != e->node.older)
        sl_lru_place(&t->routes, &e->node, after);
}

/* ---- expiry heap ---- */

static void heap_set(sl_routes *t, size_t i, entry *e)
{
    t->heap[i] = e;
    e->heap_at = i;
}

static void heap_up(sl_routes *t, size_t i)
{
    entry *e = t->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (t->heap[parent]->due <= e->due)
            break;
        heap_set(t, i, t->heap[parent]);
        i = parent;
    }
    heap_set(t, i, e);
}

static void heap_down(sl_routes *t, size_t i)
{
    entry *e = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->heap_len)
            break;
        if (c + 1 < t->heap_len && t->heap[c + 1]->due < t->heap[c]->due)
            c++;
        if (t->heap[c]->due >= e->due)
            break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, e);
}

static void heap_remove(sl_routes *t, entry *e)
{
    size_t i = e->heap_at;
    if (i == NO_HEAP)
        return;
    e->heap_at = NO_HEAP;
    entry *last = t->heap[--t->heap_len];
    if (last == e)
        return;
    heap_set(t, i, last);
    heap_up(t, i);
    heap_down(t, last->heap_at);
}

/* Puts e in the heap at its due time, or takes it out when it never expires. */
static bool schedule(sl_routes *t, entry *e)
{
    heap_remove(t, e);
    if (e->r.expires < 0)
        return true;
    if (t->heap_len == t->heap_cap) {
        size_t cap = t->heap_cap ? t->heap_cap * 2 : 64;
        entry **h = realloc(t->heap, cap * sizeof *h);
        if (!h)
            return false;
        t->heap = h;
        t->heap_cap = cap;
    }
    int64_t max_s = INT64_MAX / SL_NS_PER_SEC / 2;
    e->due = e->r.last_seen + (e->r.expires > max_s ? max_s : e->r.expires) * SL_NS_PER_SEC;
    t->heap[t->heap_len] = e;
    e->heap_at = t->heap_len++;
    heap_up(t, e->heap_at);
    return true;
}

static void notify(sl_routes *t, sl_route_action a, const entry *e, const char *previous,
                   sl_time ts)
{
    t->counters[a]++;
    if (!t->notify)
        return;
    sl_route_note n = {.action = a, .route = &e->r, .previous = previous, .ts = ts};
    t->notify(t->user, &n);
}

static void unlink_entry(sl_routes *t, entry *e)
{
    sl_lru_remove(&t->routes, &e->node);
    heap_remove(t, e);
    sl_lru_release(&t->routes, e->mem);
    t->generation++;
}

static void remove_entry(sl_routes *t, entry *e, sl_route_action why, sl_time ts)
{
    unlink_entry(t, e);
    notify(t, why, e, NULL, ts);
    free_entry(e);
}

void sl_routes_advance(sl_routes *t, sl_time now)
{
    if (now > t->clock)
        t->clock = now;
    while (t->heap_len && t->heap[0]->due <= t->clock) {
        entry *e = t->heap[0];
        remove_entry(t, e, SL_ROUTE_EXPIRED, e->due);
    }
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void set_server(sl_route *r, const char *server)
{
    snprintf(r->server, sizeof r->server, "%s", server ? server : "");
}

/* A new entry, the most recently used. Makes room first by evicting the
 * least recently used. */
static entry *add_entry(sl_routes *t, const sl_route *src, sl_time ts)
{
    while (sl_lru_full(&t->routes) && t->routes.oldest) {
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): the head has no older: oldest moves on
        remove_entry(t, (entry *)t->routes.oldest, SL_ROUTE_EVICTED, ts);
    }
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->r = *src;
    e->r.uri = dup_str(src->uri);
    e->r.target = dup_str(src->target);
    e->heap_at = NO_HEAP;
    if (!e->r.uri || !e->r.target) {
        free_entry(e);
        return NULL;
    }
    if (!schedule(t, e)) {
        free_entry(e);
        return NULL;
    }
    sl_lru_insert(&t->routes, &e->node, hash_of(t, e->r.uri));
    sl_lru_grow(&t->routes, SIZE_MAX); /* sl_routes_memory counts the buckets */
    e->mem = sizeof *e + strlen(e->r.uri) + strlen(e->r.target) + 2;
    sl_lru_charge(&t->routes, e->mem);
    t->generation++;
    return e;
}

bool sl_routes_resolve(const sl_routes *t, const char *uri, sl_route_resolution *out)
{
    memset(out, 0, sizeof *out);
    entry *e = find(t, uri, hash_of(t, uri));
    if (!e)
        return false;
    out->path[out->n_path++] = e->r.uri;
    while (e) {
        const char *next = e->r.target;
        for (size_t i = 0; i < out->n_path; i++) {
            if (strcmp(out->path[i], next) == 0) {
                out->loop = true;
                break;
            }
        }
        out->path[out->n_path++] = next;
        if (out->loop)
            break;
        if (out->n_path > SL_ROUTE_MAX_HOPS) {
            out->too_long = true;
            break;
        }
        e = find(t, next, hash_of(t, next));
    }
    out->target = out->path[out->n_path - 1];
    return true;
}

sl_route_action sl_routes_learn(sl_routes *t, const sl_route_learn *l)
{
    uint64_t h = hash_of(t, l->uri);
    entry *e = find(t, l->uri, h);
    sl_route_action a;
    char *previous = NULL;
    if (!e) {
        sl_route r = {.uri = (char *)l->uri,
                      .target = (char *)l->target,
                      .q = l->q,
                      .expires = l->expires,
                      .first_seen = l->ts,
                      .last_seen = l->ts,
                      .last_used = l->ts,
                      .times_seen = 1};
        set_server(&r, l->server);
        e = add_entry(t, &r, l->ts);
        if (!e)
            return SL_ROUTE__COUNT;
        a = SL_ROUTE_LEARNED;
    } else {
        a = SL_ROUTE_REFRESHED;
        if (strcmp(e->r.target, l->target) != 0) {
            char *target = dup_str(l->target);
            if (!target)
                return SL_ROUTE__COUNT;
            previous = e->r.target;
            sl_lru_charge(&t->routes, strlen(target));
            sl_lru_release(&t->routes, strlen(previous));
            e->mem = e->mem + strlen(target) - strlen(previous);
            e->r.target = target;
            a = SL_ROUTE_CHANGED;
        }
        e->r.q = l->q;
        e->r.expires = l->expires;
        e->r.last_seen = l->ts;
        e->r.last_used = l->ts;
        e->r.times_seen++;
        set_server(&e->r, l->server);
        sl_lru_touch(&t->routes, &e->node);
        schedule(t, e); /* on failure the entry keeps its former due time */
        t->generation++;
    }
    notify(t, a, e, previous, l->ts);
    free(previous);
    sl_route_resolution res;
    if (sl_routes_resolve(t, e->r.uri, &res) && res.loop)
        notify(t, SL_ROUTE_LOOP, e, NULL, l->ts);
    return a;
}

void sl_routes_used(sl_routes *t, const char *uri, sl_time ts)
{
    entry *e = find(t, uri, hash_of(t, uri));
    /* A request from before the route was learned was not sent to a moved
     * URI (a capture analysed again with the routes file it produced). */
    if (!e || ts < e->r.first_seen)
        return;
    if (ts > e->r.last_used)
        e->r.last_used = ts;
    sl_lru_touch(&t->routes, &e->node);
    t->generation++;
    notify(t, SL_ROUTE_STALE_USE, e, NULL, ts);
}

bool sl_routes_insert(sl_routes *t, const sl_route *r)
{
    if (find(t, r->uri, hash_of(t, r->uri)))
        return false;
    entry *e = add_entry(t, r, r->last_used);
    if (!e)
        return false;
    lru_sort_in(t, e);
    return true;
}

void sl_routes_foreach(const sl_routes *t, void (*fn)(void *user, const sl_route *r), void *user)
{
    for (const sl_lru_node *e = t->routes.oldest; e; e = e->newer)
        fn(user, &((const entry *)e)->r);
}

size_t sl_routes_count(const sl_routes *t)
{
    return t->routes.count;
}

size_t sl_routes_memory(const sl_routes *t)
{
    return t->routes.bytes + sizeof *t + sl_lru_bucket_bytes(&t->routes) +
           t->heap_cap * sizeof *t->heap;
}

uint64_t sl_routes_generation(const sl_routes *t)
{
    return t->generation;
}

uint64_t sl_routes_counter(const sl_routes *t, sl_route_action a)
{
    return a < SL_ROUTE__COUNT ? t->counters[a] : 0;
}
