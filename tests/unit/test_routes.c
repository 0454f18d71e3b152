/* The routing table: normal form, learn/refresh/change, chains and loops,
 * expiry on capture time, and the LRU cap with its evictions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sipsleuth/routes.h"

#define S(x) ((sl_time)(x)*SL_NS_PER_SEC)

typedef struct notes {
    int n;
    sl_route_action action[32];
    char uri[32][64], target[32][64], previous[32][64];
    sl_time ts[32];
} notes;

static void record(void *user, const sl_route_note *n)
{
    notes *ns = user;
    cr_assert(ns->n < 32);
    int i = ns->n++;
    ns->action[i] = n->action;
    snprintf(ns->uri[i], 64, "%s", n->route->uri);
    snprintf(ns->target[i], 64, "%s", n->route->target);
    snprintf(ns->previous[i], 64, "%s", n->previous ? n->previous : "");
    ns->ts[i] = n->ts;
}

static sl_routes *table(size_t max, notes *ns)
{
    sl_routes_config cfg;
    sl_routes_config_default(&cfg);
    if (max)
        cfg.max_routes = max;
    cfg.hash_seed = 7;
    memset(ns, 0, sizeof *ns);
    sl_routes *t = sl_routes_new(&cfg, record, ns);
    cr_assert(t);
    return t;
}

static sl_route_action learn(sl_routes *t, const char *uri, const char *target, int64_t expires,
                             sl_time ts)
{
    sl_route_learn l = {.uri = uri,
                        .target = target,
                        .q = -1,
                        .expires = expires,
                        .server = "198.51.100.9",
                        .ts = ts};
    return sl_routes_learn(t, &l);
}

static void norm_is(const char *in, const char *want)
{
    char out[SL_ROUTE_URI_MAX];
    size_t n = sl_uri_normalize(sl_slice_make(in, strlen(in)), out, sizeof out);
    if (!want) {
        cr_expect_eq(n, 0, "%s normalised to %s", in, out);
        return;
    }
    cr_assert_neq(n, 0, "%s not normalised", in);
    cr_expect_str_eq(out, want);
    cr_expect_eq(n, strlen(want));
}

Test(routes, normal_form)
{
    norm_is("sip:Alice@Old.Example.COM", "sip:Alice@old.example.com");
    norm_is("SIP:alice@old.example.com:5060;transport=tcp?subject=x",
            "sip:alice@old.example.com:5060");
    norm_is("sips:alice:secret@[2001:DB8::1];lr", "sips:alice@[2001:db8::1]");
    norm_is("sip:old.example.com", "sip:old.example.com");
    norm_is("tel:+1-555-(010)-0199;phone-context=x", "tel:+15550100199");
    norm_is("  sip:bob@b.example  ", "sip:bob@b.example");
    norm_is("http://example.com/", NULL);
    norm_is("sip:", NULL);
    norm_is("garbage", NULL);
    char small[12];
    cr_expect_eq(sl_uri_normalize(SL_SLICE_LIT("sip:alice@old.example.com"), small, sizeof small),
                 0);
}

Test(routes, learn_refresh_change)
{
    notes ns;
    sl_routes *t = table(0, &ns);
    cr_expect_eq(learn(t, "sip:a@old", "sip:a@new", -1, S(10)), SL_ROUTE_LEARNED);
    cr_expect_eq(learn(t, "sip:a@old", "sip:a@new", -1, S(20)), SL_ROUTE_REFRESHED);
    cr_expect_eq(learn(t, "sip:a@old", "sip:a@newer", 60, S(30)), SL_ROUTE_CHANGED);
    cr_assert_eq(ns.n, 3);
    cr_expect_eq(ns.action[2], SL_ROUTE_CHANGED);
    cr_expect_str_eq(ns.previous[2], "sip:a@new");
    cr_expect_str_eq(ns.target[2], "sip:a@newer");
    const sl_route *r = sl_routes_get(t, "sip:a@old");
    cr_assert(r);
    cr_expect_eq(r->times_seen, 3);
    cr_expect_eq(r->first_seen, S(10));
    cr_expect_eq(r->last_seen, S(30));
    cr_expect_eq(r->expires, 60);
    cr_expect_str_eq(r->server, "198.51.100.9");
    cr_expect_eq(sl_routes_count(t), 1);
    sl_routes_free(t);
}

Test(routes, expiry_runs_on_capture_time)
{
    notes ns;
    sl_routes *t = table(0, &ns);
    learn(t, "sip:a@old", "sip:a@new", 60, S(100));
    learn(t, "sip:b@old", "sip:b@new", 30, S(100));
    learn(t, "sip:c@old", "sip:c@new", -1, S(100)); /* never expires */
    sl_routes_advance(t, S(129));
    cr_expect_eq(sl_routes_count(t), 3);
    sl_routes_advance(t, S(200));
    cr_expect_eq(sl_routes_count(t), 1);
    cr_assert_eq(ns.n, 5);
    cr_expect_eq(ns.action[3], SL_ROUTE_EXPIRED);
    cr_expect_str_eq(ns.uri[3], "sip:b@old");
    cr_expect_eq(ns.ts[3], S(130)); /* when it fell due, not when noticed */
    cr_expect_str_eq(ns.uri[4], "sip:a@old");
    /* a refresh moves the deadline */
    learn(t, "sip:d@old", "sip:d@new", 10, S(300));
    learn(t, "sip:d@old", "sip:d@new", 10, S(305));
    sl_routes_advance(t, S(312));
    cr_expect(sl_routes_get(t, "sip:d@old"));
    sl_routes_advance(t, S(315));
    cr_expect_null(sl_routes_get(t, "sip:d@old"));
    sl_routes_free(t);
}

Test(routes, chains_resolve_and_loops_are_found)
{
    notes ns;
    sl_routes *t = table(0, &ns);
    learn(t, "sip:a@x", "sip:b@x", -1, S(1));
    learn(t, "sip:b@x", "sip:c@x", -1, S(2));
    sl_route_resolution res;
    cr_assert(sl_routes_resolve(t, "sip:a@x", &res));
    cr_expect_str_eq(res.target, "sip:c@x");
    cr_expect_eq(res.n_path, 3);
    cr_expect_not(res.loop);
    cr_expect_not(sl_routes_resolve(t, "sip:c@x", &res));
    int before = ns.n;
    learn(t, "sip:c@x", "sip:a@x", -1, S(3));
    cr_assert_eq(ns.n, before + 2);
    cr_expect_eq(ns.action[before + 1], SL_ROUTE_LOOP);
    cr_expect_str_eq(ns.uri[before + 1], "sip:c@x");
    cr_assert(sl_routes_resolve(t, "sip:a@x", &res));
    cr_expect(res.loop);
    cr_expect_eq(res.n_path, 4);
    cr_expect_str_eq(res.path[3], "sip:a@x");
    /* a URI redirected to itself */
    learn(t, "sip:self@x", "sip:self@x", -1, S(4));
    cr_expect_eq(ns.action[ns.n - 1], SL_ROUTE_LOOP);
    sl_routes_free(t);
}

Test(routes, lru_cap_evicts_least_recently_seen)
{
    notes ns;
    sl_routes *t = table(3, &ns);
    learn(t, "sip:1@x", "sip:1@y", -1, S(1));
    learn(t, "sip:2@x", "sip:2@y", -1, S(2));
    learn(t, "sip:3@x", "sip:3@y", -1, S(3));
    sl_routes_used(t, "sip:1@x", S(4)); /* 1 is now more recent than 2 */
    learn(t, "sip:4@x", "sip:4@y", -1, S(5));
    cr_expect_eq(sl_routes_count(t), 3);
    cr_expect_null(sl_routes_get(t, "sip:2@x"));
    cr_expect(sl_routes_get(t, "sip:1@x"));
    cr_expect_eq(sl_routes_counter(t, SL_ROUTE_EVICTED), 1);
    cr_expect_eq(sl_routes_counter(t, SL_ROUTE_STALE_USE), 1);
    bool evicted_seen = false;
    for (int i = 0; i < ns.n; i++)
        if (ns.action[i] == SL_ROUTE_EVICTED)
            evicted_seen = !strcmp(ns.uri[i], "sip:2@x");
    cr_expect(evicted_seen);
    sl_routes_free(t);
}

static void collect(void *user, const sl_route *r)
{
    char *out = user;
    strcat(out, r->uri);
    strcat(out, " ");
}

Test(routes, insert_keeps_lru_order_and_rejects_duplicates)
{
    notes ns;
    sl_routes *t = table(0, &ns);
    sl_route r = {.uri = "sip:b@x",
                  .target = "sip:b@y",
                  .q = 0.5,
                  .expires = -1,
                  .first_seen = S(1),
                  .last_seen = S(1),
                  .last_used = S(20),
                  .times_seen = 2};
    cr_expect(sl_routes_insert(t, &r));
    r.uri = "sip:a@x";
    r.last_used = S(10);
    cr_expect(sl_routes_insert(t, &r));
    cr_expect_not(sl_routes_insert(t, &r));
    char order[128] = "";
    sl_routes_foreach(t, collect, order);
    cr_expect_str_eq(order, "sip:a@x sip:b@x ");
    cr_expect_eq(ns.n, 0);
    sl_routes_free(t);
}

Test(routes, many_entries_grow_the_table)
{
    notes ns;
    sl_routes *t = table(0, &ns);
    sl_routes_free(t);
    sl_routes_config cfg;
    sl_routes_config_default(&cfg);
    t = sl_routes_new(&cfg, NULL, NULL);
    char u[64], v[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(u, sizeof u, "sip:%d@old", i);
        snprintf(v, sizeof v, "sip:%d@new", i);
        learn(t, u, v, i % 2 ? 100 : -1, S(i));
    }
    cr_expect_eq(sl_routes_count(t), 5000);
    cr_expect(sl_routes_get(t, "sip:4321@old"));
    sl_routes_advance(t, S(100000));
    cr_expect_eq(sl_routes_count(t), 2500);
    sl_routes_free(t);
}
