/* Fuzz target for the routing table file loader: the file is untrusted. A
 * document the loader accepts must hold only normal-form URIs, survive a
 * save and load back to the same table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipsleuth/routes_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(void *user, const sl_route *r)
{
    const sl_routes *other = user;
    char norm[SL_ROUTE_URI_MAX];
    if (sl_uri_normalize(sl_slice_make(r->uri, strlen(r->uri)), norm, sizeof norm) == 0 ||
        strcmp(norm, r->uri) != 0)
        abort();
    sl_route_resolution res;
    if (!sl_routes_resolve(other, r->uri, &res) || res.n_path < 2 ||
        res.n_path > SL_ROUTE_MAX_HOPS + 2)
        abort();
    const sl_route *o = sl_routes_get(other, r->uri);
    if (!o || strcmp(o->target, r->target) != 0 || o->times_seen != r->times_seen ||
        o->expires != r->expires)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_routes_config cfg;
    sl_routes_config_default(&cfg);
    cfg.max_routes = 64;
    cfg.hash_seed = 1;
    sl_routes *t = sl_routes_new(&cfg, NULL, NULL);
    if (!t)
        abort();
    char err[256];
    if (sl_routes_load_buffer(t, (const char *)data, size, err, sizeof err)) {
        char path[] = "/tmp/fuzz_routes_file.XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0)
            abort();
        close(fd);
        if (!sl_routes_save(t, path, err, sizeof err))
            abort();
        sl_routes *again = sl_routes_new(&cfg, NULL, NULL);
        bool missing;
        if (!again || !sl_routes_load(again, path, &missing, err, sizeof err) ||
            sl_routes_count(again) != sl_routes_count(t))
            abort();
        sl_routes_foreach(t, check_entry, again);
        sl_routes_free(again);
        unlink(path);
    } else if (!err[0]) {
        abort(); /* a refusal always says why */
    }
    sl_routes_free(t);
    return 0;
}
