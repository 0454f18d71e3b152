/* 3xx responses: `redirect` events, 301 learning, stale-use detection, and
 * the link from a redirect to the attempt that followed it. */
#include "sipsleuth/redirect.h"

#include "hash.h"
#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/redirect_event.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_CONTACTS 32
/* Redirects remembered to recognise the attempt that follows one. */
#define RECENT_MAX 1024
#define FOLLOW_WINDOW (64 * SL_NS_PER_SEC)

typedef sl_redirect_contact contact;

/* One recent redirect: its Call-ID, client, and the Contacts (normal form). */
typedef struct recent {
    sl_time ts;
    uint64_t call_h;
    sl_addr client;
    int status;
    uint32_t leg, attempt;
    char *call_id; /* owned */
    char *moved;   /* normal form of the redirected URI; "" when not normalisable */
    char *targets; /* NUL-separated normal forms, n_targets of them */
    size_t n_targets;
} recent;

struct sl_redirects {
    sl_sink sink;
    sl_routes *routes;
    const sl_sip_ctx *ctx; /* the message being processed, for route notes; or NULL */
    recent recent[RECENT_MAX];
    size_t recent_next;
    uint64_t by_class[4]; /* 300, 301, 302, other 3xx */
    uint64_t contacts, unlearnable, from_to_uri;
    char followed_target[SL_ROUTE_URI_MAX]; /* sl_redirects_followed's answer */
};

/* ---- helpers ---- */

static void addr_text(const sl_addr *a, char *out, size_t cap)
{
    out[0] = '\0';
    if (a->family == 4 || a->family == 6)
        inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, out, (socklen_t)cap);
}

/* q-value (RFC 3261 25.1): 0 to 1 with up to three decimals. */
static double parse_q(sl_slice v)
{
    if (v.len == 0 || v.len > 5 || (v.ptr[0] != '0' && v.ptr[0] != '1'))
        return -1;
    double q = v.ptr[0] - '0', scale = 0.1;
    if (v.len > 1) {
        if (v.ptr[1] != '.')
            return -1;
        for (size_t i = 2; i < v.len; i++) {
            if (v.ptr[i] < '0' || v.ptr[i] > '9')
                return -1;
            q += (v.ptr[i] - '0') * scale;
            scale /= 10;
        }
    }
    return q > 1.0 ? -1 : q;
}

static int64_t parse_expires(sl_slice v)
{
    uint64_t n;
    return sl_slice_to_u64(sl_slice_trim(v), UINT32_MAX, &n) ? (int64_t)n : -1;
}

/* The Contacts of a response; the Expires header stands in for a missing
 * expires parameter. Returns how many were found (at most MAX_CONTACTS). */
static size_t collect_contacts(const sl_sip_msg *msg, contact *c, bool *more)
{
    int64_t hdr_expires = -1;
    const sl_sip_header *eh = sl_sip_find(msg, SL_HDR_EXPIRES);
    if (eh)
        hdr_expires = parse_expires(eh->value);
    size_t n = 0;
    *more = false;
    for (const sl_sip_header *h = sl_sip_find(msg, SL_HDR_CONTACT); h;
         h = sl_sip_find_next(msg, h)) {
        sl_slice rest = h->value, elem;
        while (sl_sip_next_element(&rest, &elem)) {
            sl_sip_nameaddr na;
            if (sl_sip_nameaddr_parse(elem, &na) != SL_OK || na.star || na.uri.len == 0)
                continue;
            if (n == MAX_CONTACTS) {
                *more = true;
                return n;
            }
            sl_slice v;
            c[n].uri = na.uri;
            c[n].q = sl_sip_param_get(na.params, "q", &v) ? parse_q(sl_slice_trim(v)) : -1;
            c[n].expires =
                sl_sip_param_get(na.params, "expires", &v) ? parse_expires(v) : hdr_expires;
            n++;
        }
    }
    return n;
}

/* ---- route notes → events ---- */

static void on_route_note(void *user, const sl_route_note *n)
{
    sl_redirects *r = user;
    const sl_route *rt = n->route;
    sl_slice call_id = r->ctx ? r->ctx->call_id : sl_slice_make(NULL, 0);
    if (n->action == SL_ROUTE_EVICTED) {
        sl_anomaly_event ev = sl_anomaly_event_make(SL_ANOM_ROUTE_EVICTED, n->ts, call_id, NULL);
        ev.layer = sl_anomaly_layer(ev.kind);
        ev.uri = rt->uri;
        ev.target = rt->target;
        ev.has_last_used = true;
        ev.last_used = rt->last_used;
        sl_sink_emit_anomaly(&r->sink, &ev);
        return;
    }
    if (!sl_sink_wants(&r->sink, SL_EV_ROUTE))
        return;
    bool stale = n->action == SL_ROUTE_STALE_USE;
    sl_route_resolution res;
    bool resolved = n->action != SL_ROUTE_EXPIRED && sl_routes_resolve(r->routes, rt->uri, &res);
    sl_route_event ev = {
        /* Only a stale use is about the packet (its src_ip names the client). */
        .head = {.type = SL_EV_ROUTE,
                 .ts = n->ts,
                 .call_id = call_id,
                 .flow = stale && r->ctx ? &r->ctx->flow : NULL},
        .action = n->action,
        .route = rt,
        /* A stale use says where the URI lives now, chains followed. */
        .target = stale && resolved ? res.target : rt->target,
        .previous = n->action == SL_ROUTE_CHANGED ? n->previous : NULL,
        .resolved = resolved ? &res : NULL,
        .with_path = n->action == SL_ROUTE_LOOP,
        .has_method = stale && r->ctx,
        .method = stale && r->ctx ? r->ctx->msg->method : sl_slice_make(NULL, 0),
    };
    sl_sink_emit(&r->sink, &ev.head);
}

/* ---- life cycle ---- */

sl_redirects *sl_redirects_new(const sl_routes_config *cfg, const sl_sink *sink)
{
    sl_redirects *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->sink = *sink;
    r->routes = sl_routes_new(cfg, on_route_note, r);
    if (!r->routes) {
        free(r);
        return NULL;
    }
    return r;
}

static void recent_clear(recent *e)
{
    free(e->call_id);
    free(e->moved);
    free(e->targets);
    memset(e, 0, sizeof *e);
}

void sl_redirects_free(sl_redirects *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < RECENT_MAX; i++)
        recent_clear(&r->recent[i]);
    sl_routes_free(r->routes);
    free(r);
}

sl_routes *sl_redirects_routes(sl_redirects *r)
{
    return r->routes;
}

void sl_redirects_advance(sl_redirects *r, sl_time now)
{
    sl_routes_advance(r->routes, now);
}

/* ---- messages ---- */

static uint64_t call_hash(sl_slice call_id)
{
    return sl_hash_bytes(0x243f6a8885a308d3u, call_id.ptr, call_id.len);
}

static void remember(sl_redirects *r, const sl_sip_ctx *ctx, const char *moved, const contact *c,
                     size_t n, uint32_t leg, uint32_t attempt)
{
    recent *e = &r->recent[r->recent_next];
    recent_clear(e);
    size_t cap = n * SL_ROUTE_URI_MAX + 1, len = 0;
    const size_t moved_size = strlen(moved) + 1;
    e->targets = malloc(cap);
    e->call_id = malloc(ctx->call_id.len + 1);
    e->moved = malloc(moved_size);
    if (!e->targets || !e->call_id || !e->moved) {
        recent_clear(e);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = sl_uri_normalize(c[i].uri, e->targets + len, cap - len);
        if (k) {
            len += k + 1;
            e->n_targets++;
        }
    }
    char *fit = realloc(e->targets, len + 1); /* give back the unused room */
    if (fit)
        e->targets = fit;
    if (ctx->call_id.len) /* a message without Call-ID has a NULL slice */
        memcpy(e->call_id, ctx->call_id.ptr, ctx->call_id.len);
    e->call_id[ctx->call_id.len] = '\0';
    memcpy(e->moved, moved, moved_size);
    e->ts = ctx->ts;
    e->call_h = call_hash(ctx->call_id);
    e->client = ctx->flow.dst;
    e->status = ctx->msg->status_code;
    e->leg = leg;
    e->attempt = attempt;
    r->recent_next = (r->recent_next + 1) % RECENT_MAX;
}

static void on_redirect(sl_redirects *r, const sl_sip_ctx *ctx, const sl_txn_verdict *v)
{
    const sl_sip_msg *msg = ctx->msg;
    int st = msg->status_code;
    r->by_class[st == 300 ? 0 : st == 301 ? 1 : st == 302 ? 2 : 3]++;

    /* The Request-URI of the redirected request, or the To URI without it. */
    const sl_dialog_request *req = &v->request;
    sl_slice ruri = ctx->to.uri;
    bool captured = v->has_request;
    bool from_request = captured && req->request_uri.len > 0;
    if (from_request)
        ruri = req->request_uri;
    else
        r->from_to_uri++;

    contact c[MAX_CONTACTS];
    bool more;
    size_t n = collect_contacts(msg, c, &more);
    r->contacts += n;
    char server[SL_ROUTE_SERVER_MAX];
    addr_text(&ctx->flow.src, server, sizeof server);

    if (sl_sink_wants(&r->sink, SL_EV_REDIRECT)) {
        sl_redirect_event ev = {
            .head = {.type = SL_EV_REDIRECT,
                     .ts = ctx->ts,
                     .call_id = ctx->call_id,
                     .flow = &ctx->flow},
            .status_code = st,
            .reason = msg->reason,
            .request_uri = ruri,
            .request_uri_from_request = from_request,
            .contacts = c,
            .n_contacts = n,
            .contacts_truncated = more,
            .server_ip = server,
        };
        sl_sink_emit(&r->sink, &ev.head);
    }

    char moved[SL_ROUTE_URI_MAX];
    if (!sl_uri_normalize(ruri, moved, sizeof moved))
        moved[0] = '\0';
    remember(r, ctx, moved, c, n, captured ? req->leg : 0, captured ? req->attempt : 0);
    if (st != 301 || n == 0)
        return;
    /* The best Contact: highest q, a missing q counting as 1 (RFC 3840), first on ties. */
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if ((c[i].q < 0 ? 1.0 : c[i].q) > (c[best].q < 0 ? 1.0 : c[best].q))
            best = i;
    char target[SL_ROUTE_URI_MAX];
    if (!moved[0] || !sl_uri_normalize(c[best].uri, target, sizeof target)) {
        r->unlearnable++;
        return;
    }
    sl_route_learn l = {.uri = moved,
                        .target = target,
                        .q = c[best].q,
                        .expires = c[best].expires,
                        .server = server,
                        .ts = ctx->ts};
    sl_routes_learn(r->routes, &l);
}

void sl_redirects_on_message(sl_redirects *r, const sl_sip_ctx *ctx, const sl_txn_verdict *v)
{
    const sl_sip_msg *msg = ctx->msg;
    if (v->retransmission)
        return;
    r->ctx = ctx;
    if (!msg->is_request) {
        if (msg->status_code >= 300 && msg->status_code < 400)
            on_redirect(r, ctx, v);
    } else if (!sl_slice_ieq(msg->method, "ACK") && !sl_slice_ieq(msg->method, "CANCEL") &&
               sl_routes_count(r->routes) > 0) {
        /* ACK and CANCEL belong to the transaction that was redirected. */
        char uri[SL_ROUTE_URI_MAX];
        if (sl_uri_normalize(msg->request_uri, uri, sizeof uri) && sl_routes_get(r->routes, uri))
            sl_routes_used(r->routes, uri, ctx->ts);
    }
    r->ctx = NULL;
}

/* ---- dialogs that follow a redirect ---- */

static bool has_target(const recent *e, const char *uri)
{
    const char *t = e->targets;
    for (size_t i = 0; i < e->n_targets; i++, t += strlen(t) + 1)
        if (strcmp(t, uri) == 0)
            return true;
    return false;
}

bool sl_redirects_followed(sl_redirects *r, const sl_dialog_event *s, sl_redirect_followed *out)
{
    if (s->start == SL_DIALOG_NO_TIME)
        return false;
    /* The Request-URI's normal form and the Call-ID hash are worked out at
     * the first redirect in the window: most attempts follow none. */
    char *uri = r->followed_target;
    bool known = false;
    uint64_t h = 0;
    /* Newest first: the redirect this attempt most likely answers. */
    for (size_t k = 1; k <= RECENT_MAX; k++) {
        const recent *e = &r->recent[(r->recent_next + RECENT_MAX - k) % RECENT_MAX];
        if (!e->targets)
            break;
        if (e->ts > s->start || s->start - e->ts > FOLLOW_WINDOW)
            continue;
        if (!known) {
            if (!sl_uri_normalize(s->request_uri, uri, sizeof r->followed_target))
                return false;
            h = call_hash(s->head.call_id);
            known = true;
        }
        bool same_call = e->call_h == h && strlen(e->call_id) == s->head.call_id.len &&
                         (s->head.call_id.len == 0 ||
                          memcmp(e->call_id, s->head.call_id.ptr, s->head.call_id.len) == 0);
        bool same_client = memcmp(&e->client, &s->flow.src, sizeof e->client) == 0;
        if ((!same_call && !same_client) || !has_target(e, uri))
            continue;
        *out = (sl_redirect_followed){
            .status_code = e->status,
            .request_uri = e->moved[0] ? e->moved : NULL,
            .target = uri,
            .time = e->ts,
            .same_call_id = same_call,
            .leg = e->leg,
            .attempt = e->attempt,
        };
        return true;
    }
    return false;
}

/* ---- stats ---- */

void sl_redirects_get_stats(const sl_redirects *r, sl_redirect_stats *out)
{
    *out = (sl_redirect_stats){
        .multiple_choices_300 = r->by_class[0],
        .moved_permanently_301 = r->by_class[1],
        .moved_temporarily_302 = r->by_class[2],
        .other_3xx = r->by_class[3],
        .contacts = r->contacts,
        .request_not_captured = r->from_to_uri,
        .unlearnable = r->unlearnable,
        .route_entries = sl_routes_count(r->routes),
        .routes_memory = sl_routes_memory(r->routes),
    };
    for (int a = 0; a < SL_ROUTE__COUNT; a++)
        out->route_actions[a] = sl_routes_counter(r->routes, (sl_route_action)a);
}
