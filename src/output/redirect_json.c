#include "writers.h"

void sl_json_q(sl_jw *w, const char *key, double q)
{
    sl_jw_key(w, key);
    if (q >= 0)
        sl_jw_double(w, q, 3);
    else
        sl_jw_null(w);
}

void sl_json_expires(sl_jw *w, const char *key, int64_t e)
{
    if (e >= 0)
        sl_jw_kint(w, key, e);
    else
        sl_jw_knull(w, key);
}

void sl_json_redirect(sl_jw *w, const sl_redirect_event *ev)
{
    sl_jw_kint(w, "status_code", ev->status_code);
    sl_jw_kslice(w, "reason_phrase", ev->reason);
    sl_jw_kbool(w, "permanent", ev->status_code == 301);
    sl_jw_kslice_or_null(w, "request_uri", ev->request_uri);
    sl_jw_kstr(w, "request_uri_from", ev->request_uri_from_request ? "request" : "to");
    sl_jw_key(w, "contacts");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < ev->n_contacts; i++) {
        const sl_redirect_contact *c = &ev->contacts[i];
        sl_jw_obj_begin(w);
        sl_jw_kslice(w, "uri", c->uri);
        sl_json_q(w, "q", c->q);
        sl_json_expires(w, "expires", c->expires);
        sl_jw_obj_end(w);
    }
    sl_jw_arr_end(w);
    if (ev->contacts_truncated)
        sl_jw_kbool(w, "contacts_truncated", true);
    if (ev->server_ip[0])
        sl_jw_kstr(w, "server_ip", ev->server_ip);
    else
        sl_jw_knull(w, "server_ip");
}

void sl_json_route(sl_jw *w, const sl_route_event *ev)
{
    const sl_route *rt = ev->route;
    const sl_route_resolution *res = ev->resolved;
    sl_jw_kstr(w, "action", sl_route_action_name(ev->action));
    sl_jw_kstr(w, "uri", rt->uri);
    sl_jw_kstr(w, "target", ev->target);
    if (ev->previous)
        sl_jw_kstr(w, "previous", ev->previous);
    if (res) {
        sl_jw_kstr(w, "resolved", res->target);
        sl_jw_kuint(w, "hops", res->n_path - 1);
        sl_jw_kbool(w, "loop", res->loop);
        if (ev->with_path) {
            sl_jw_key(w, "path");
            sl_jw_arr_begin(w);
            for (size_t i = 0; i < res->n_path; i++)
                sl_jw_str(w, res->path[i]);
            sl_jw_arr_end(w);
        }
    }
    if (ev->has_method)
        sl_jw_kslice(w, "method", ev->method);
    sl_json_q(w, "q", rt->q);
    sl_json_expires(w, "expires", rt->expires);
    sl_jw_kuint(w, "times_seen", rt->times_seen);
    sl_jw_kstr(w, "server_ip", rt->server);
}
