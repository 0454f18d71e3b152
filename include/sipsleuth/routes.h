/* The learned routing table: moved URI → where it now lives, learned from
 * 301 Moved Permanently (see redirect.h), kept across runs by routes_file.c.
 *
 * Keys and targets are in the contract's normal form (sl_uri_normalize).
 * An entry maps one URI to one target; chains (A→B, B→C) stay separate
 * entries and are followed by sl_routes_resolve(), which also finds loops.
 * Expiry runs on capture time. The table holds at most max_routes entries;
 * a new one beyond that evicts the least recently seen (a 301 or a use),
 * and the eviction is reported through the notify callback. */
#ifndef SIPSLEUTH_ROUTES_H
#define SIPSLEUTH_ROUTES_H

#include "sipsleuth/slice.h"
#include "sipsleuth/sltime.h"

/* Longest normal-form URI kept (longer URIs are not learned). */
#define SL_ROUTE_URI_MAX 512
/* Most hops sl_routes_resolve() follows. */
#define SL_ROUTE_MAX_HOPS 16
#define SL_ROUTE_SERVER_MAX 46 /* an IPv6 address as text, NUL included */

/* The normal form of a sip:, sips: or tel: URI: lower-case scheme, the user
 * part as written (tel: the number without visual separators), lower-case
 * host, ":port" only when given; password, parameters and headers dropped.
 * Writes a NUL-terminated string; returns its length, or 0 when the URI does
 * not parse, has another scheme, or needs more than cap - 1 bytes. */
size_t sl_uri_normalize(sl_slice uri, char *out, size_t cap);

typedef struct sl_route {
    char *uri;           /* normal form, owned by the table */
    char *target;        /* normal form */
    double q;            /* the Contact's q when learned; < 0 when none was given */
    int64_t expires;     /* seconds it was learned with; < 0: none (never expires) */
    sl_time first_seen;  /* first 301 for this URI */
    sl_time last_seen;   /* latest 301 (learned, refreshed, changed): expiry counts from it */
    sl_time last_used;   /* latest 301 or request still sent to uri: the LRU order */
    uint64_t times_seen; /* 301s seen for this URI */
    char server[SL_ROUTE_SERVER_MAX]; /* IP of the server that answered the latest 301 */
} sl_route;

typedef enum sl_route_action {
    SL_ROUTE_LEARNED,
    SL_ROUTE_REFRESHED,
    SL_ROUTE_CHANGED,
    SL_ROUTE_EXPIRED,
    SL_ROUTE_STALE_USE,
    SL_ROUTE_LOOP,
    SL_ROUTE_EVICTED, /* reported as an anomaly, not a `route` action */
    SL_ROUTE__COUNT
} sl_route_action;

const char *sl_route_action_name(sl_route_action a);

/* What changed, handed to the notify callback. route is valid only during
 * the callback (an expired or evicted entry is freed after it). */
typedef struct sl_route_note {
    sl_route_action action;
    const sl_route *route;
    const char *previous; /* changed: the former target; else NULL */
    sl_time ts;           /* capture time: of the 301, or when the expiry fell due */
} sl_route_note;

typedef void (*sl_routes_notify)(void *user, const sl_route_note *n);

typedef struct sl_routes_config {
    size_t max_routes;  /* entries kept; default 100 000 */
    uint64_t hash_seed; /* 0: a random seed */
} sl_routes_config;

void sl_routes_config_default(sl_routes_config *cfg);

typedef struct sl_routes sl_routes;

/* notify may be NULL. NULL when out of memory. */
sl_routes *sl_routes_new(const sl_routes_config *cfg, sl_routes_notify notify, void *user);
void sl_routes_free(sl_routes *t);

/* One 301 Contact to learn. */
typedef struct sl_route_learn {
    const char *uri, *target; /* normal form */
    double q;                 /* < 0: none */
    int64_t expires;          /* < 0: none */
    const char *server;       /* may be NULL */
    sl_time ts;
} sl_route_learn;

/* Learns uri → target: `learned`, `refreshed` or `changed` (a new entry may
 * evict the least recently seen first), then `loop` when following targets
 * from uri comes back to a URI already on the path. Returns the action, or
 * SL_ROUTE__COUNT when out of memory. */
sl_route_action sl_routes_learn(sl_routes *t, const sl_route_learn *l);

/* The entry for a normal-form URI, or NULL. */
const sl_route *sl_routes_get(const sl_routes *t, const char *uri);

/* A request was still sent to uri (an entry): counts as a use for the LRU
 * order and notifies `stale_use`. */
void sl_routes_used(sl_routes *t, const char *uri, sl_time ts);

typedef struct sl_route_resolution {
    const char *path[SL_ROUTE_MAX_HOPS + 2]; /* uri, its target, ... (the table's strings) */
    size_t n_path;
    const char *target; /* the last URI reached: where uri now lives */
    bool loop;          /* the path came back to a URI on it (path ends with the repeat) */
    bool too_long;      /* stopped after SL_ROUTE_MAX_HOPS */
} sl_route_resolution;

/* Follows targets from uri. False when uri is not in the table. Strings
 * stay valid until the table next changes. */
bool sl_routes_resolve(const sl_routes *t, const char *uri, sl_route_resolution *out);

/* Runs expiry up to capture time now (earlier times are ignored). Cheap when
 * nothing is due. */
void sl_routes_advance(sl_routes *t, sl_time now);

/* Inserts a loaded entry as is (no learned/refreshed note); when the table
 * is full the least recently used goes first, noted as evicted. False on a duplicate uri or when
 * out of memory. */
bool sl_routes_insert(sl_routes *t, const sl_route *r);

/* Entries from least to most recently used. */
void sl_routes_foreach(const sl_routes *t, void (*fn)(void *user, const sl_route *r), void *user);

size_t sl_routes_count(const sl_routes *t);
size_t sl_routes_memory(const sl_routes *t);
/* Bumped by every change: a saver compares it with the one it last wrote. */
uint64_t sl_routes_generation(const sl_routes *t);
/* Notifications so far per action (loaded entries not counted). */
uint64_t sl_routes_counter(const sl_routes *t, sl_route_action a);

#endif
