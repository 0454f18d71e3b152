#include "sipsleuth/routes_json.h"

#include "sipsleuth/routes_file.h"
#include "writers.h"

#include <jansson.h>

static json_t *time_json(sl_time t)
{
    char buf[SL_TIME_TEXT_LEN];
    sl_time_format(t, buf);
    return json_string(buf);
}

static void add_entry(void *user, const sl_route *r)
{
    json_t *arr = user;
    json_t *e = json_object();
    if (!e)
        return;
    json_object_set_new(e, "uri", json_string(r->uri));
    json_object_set_new(e, "target", json_string(r->target));
    json_object_set_new(e, "q", r->q >= 0 ? json_real(r->q) : json_null());
    json_object_set_new(e, "expires", r->expires >= 0 ? json_integer(r->expires) : json_null());
    json_object_set_new(e, "first_seen", time_json(r->first_seen));
    json_object_set_new(e, "last_seen", time_json(r->last_seen));
    json_object_set_new(e, "last_used", time_json(r->last_used));
    json_object_set_new(e, "times_seen", json_integer((json_int_t)r->times_seen));
    json_object_set_new(e, "server", json_string(r->server));
    json_array_append_new(arr, e);
}

char *sl_routes_file_text(const sl_routes *t)
{
    json_t *doc = json_object(), *arr = json_array();
    if (!doc || !arr) {
        json_decref(doc);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(doc, "version", json_integer(SL_ROUTES_FILE_VERSION));
    json_object_set_new(doc, "generator", json_string("sipsleuth " SL_VERSION));
    sl_routes_foreach(t, add_entry, arr);
    bool complete = json_array_size(arr) == sl_routes_count(t);
    json_object_set_new(doc, "routes", arr);
    char *text =
        complete ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))
                 : NULL;
    json_decref(doc);
    return text;
}

/* The writer's document and a newline; a failed write is caught by the
 * caller's ferror() check at the end. */
static void flush_line(sl_jw *w, FILE *out)
{
    sl_jw_end_document(w, "\n", 1);
    (void)fwrite(w->buf, 1, w->len, out);
    sl_jw_reset(w);
}

void sl_json_route_lookup(FILE *out, const char *uri, bool moved, const sl_route_resolution *res)
{
    sl_jw w;
    sl_jw_init(&w);
    sl_jw_obj_begin(&w);
    sl_jw_kstr(&w, "uri", uri);
    sl_jw_kbool(&w, "moved", moved);
    /* The same members whether or not it moved: a URI that never moved is
     * its own target, zero hops, its path itself alone. */
    sl_jw_kstr(&w, "target", moved ? res->target : uri);
    sl_jw_kuint(&w, "hops", moved ? res->n_path - 1 : 0);
    sl_jw_kbool(&w, "loop", moved && res->loop);
    sl_jw_kbool(&w, "too_long", moved && res->too_long);
    sl_jw_key(&w, "path");
    sl_jw_arr_begin(&w);
    if (moved)
        for (size_t i = 0; i < res->n_path; i++)
            sl_jw_str(&w, res->path[i]);
    else
        sl_jw_str(&w, uri);
    sl_jw_arr_end(&w);
    sl_jw_obj_end(&w);
    flush_line(&w, out);
    sl_jw_free(&w);
}

typedef struct exporter {
    const sl_routes *t;
    sl_jw w;
} exporter;

static void export_one(void *user, const sl_route *r)
{
    exporter *x = user;
    sl_route_resolution res;
    sl_routes_resolve(x->t, r->uri, &res);
    char first[SL_TIME_TEXT_LEN], last[SL_TIME_TEXT_LEN];
    sl_time_format(r->first_seen, first);
    sl_time_format(r->last_seen, last);
    sl_jw *w = &x->w;
    sl_jw_obj_begin(w);
    sl_jw_kstr(w, "uri", r->uri);
    sl_jw_kstr(w, "target", r->target);
    sl_jw_kstr(w, "resolved", res.target);
    sl_jw_kuint(w, "hops", res.n_path - 1);
    sl_jw_kbool(w, "loop", res.loop);
    sl_json_q(w, "q", r->q);
    sl_json_expires(w, "expires", r->expires);
    sl_jw_kstr(w, "first_seen", first);
    sl_jw_kstr(w, "last_seen", last);
    sl_jw_kuint(w, "times_seen", r->times_seen);
    sl_jw_kstr(w, "server", r->server);
    sl_jw_obj_end(w);
}

bool sl_json_routes_export(FILE *out, const sl_routes *t)
{
    exporter x = {.t = t};
    sl_jw_init(&x.w);
    sl_jw_arr_begin(&x.w);
    sl_routes_foreach(t, export_one, &x);
    sl_jw_arr_end(&x.w);
    bool ok = !x.w.failed;
    if (ok)
        flush_line(&x.w, out);
    sl_jw_free(&x.w);
    return ok;
}
