/* The members every event begins with: timestamp, event_type, call_id, the
 * flow with its community ID, and the layers it came in. */
#include "envelope.h"

#include "sipsleuth/community_id.h"

#include <arpa/inet.h>
#include <stdlib.h>

/* The flow members of recent flows' events, as JSON text:
 * `"src_ip":..,"src_port":..,"dest_ip":..,"dest_port":..,"proto":..,"community_id":..`.
 * Most events are about a flow seen moments before, and the text (with its
 * SHA-1 community ID) is the same every time, so it is copied rather than
 * formatted and hashed again. Four-way set associative, keyed by the flow,
 * ways replaced in turn: a busy site's flows all stay busy, and fewer ways
 * miss on every turn of a set (docs/performance.md). */
#define FLOW_SETS 4096
#define FLOW_WAYS 4
#define FLOW_TEXT_MAX 232 /* two IPv6 addresses fit */
typedef struct flow_key {
    uint64_t w[5]; /* src[16], dst[16], sport, dport, family, proto, zero padding */
} flow_key;
typedef struct flow_slot {
    flow_key key;
    uint8_t len; /* 0: empty */
    char text[FLOW_TEXT_MAX];
} flow_slot;
typedef struct flow_set {
    flow_slot way[FLOW_WAYS];
    uint8_t next; /* the way to replace on the next miss */
} flow_set;

/* The event's time as text, to the second: most events share their second
 * with the previous one, so only the microseconds are formatted again. */
typedef struct time_prefix {
    int64_t sec;
    bool valid;
    char text[SL_TIME_TEXT_LEN]; /* "YYYY-MM-DDTHH:MM:SS." */
} time_prefix;
#define TIME_PREFIX_LEN 20

struct sl_envelope {
    flow_set flows[FLOW_SETS];
    time_prefix time;
};

sl_envelope *sl_envelope_new(void)
{
    return calloc(1, sizeof(sl_envelope));
}

void sl_envelope_free(sl_envelope *e)
{
    free(e);
}

/* Each type's name, and the same as a JSON string: written raw, without
 * escaping, on every event. */
#define TYPE(s)                                                                                    \
    {                                                                                              \
        s, "\"" s "\"", sizeof(s) + 1                                                              \
    }
static const struct {
    const char *name, *json;
    size_t json_len;
} types[SL_EV__COUNT] = {
    TYPE("sip"),       TYPE("dialog"),       TYPE("redirect"), TYPE("route"), TYPE("identity"),
    TYPE("rejection"), TYPE("registration"), TYPE("anomaly"),  TYPE("stats"),
};
#define TYPE_JSON_MAX 14

const char *sl_event_type_name(sl_event_type t)
{
    return types[t].name;
}

/* Dotted quad without inet_ntop, which is general and slow for this. */
static size_t ipv4_text(const uint8_t *b, char *out)
{
    char *p = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = '.';
    }
    return (size_t)(p - out - 1);
}

void sl_json_addr(sl_jw *w, const char *key, const sl_addr *a)
{
    char text[INET6_ADDRSTRLEN];
    sl_jw_key(w, key);
    if (a->family == 4) {
        text[0] = '"';
        size_t n = ipv4_text(a->bytes, text + 1) + 1;
        text[n++] = '"';
        sl_jw_raw(w, text, n); /* digits and dots: nothing to escape */
        return;
    }
    if (a->family && inet_ntop(AF_INET6, a->bytes, text, sizeof text))
        sl_jw_str(w, text);
    else
        sl_jw_null(w);
}

static uint32_t flow_hash(const flow_key *k)
{
    uint64_t h = 0;
    for (int i = 0; i < 5; i++)
        h = (h ^ k->w[i]) * 0x9E3779B97F4A7C15ULL;
    /* the addresses of a site differ in a few low bits: fold the high bits
     * (which all the input reached) down to the ones the set index takes */
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return (uint32_t)(h ^ (h >> 32));
}

static bool flow_key_eq(const flow_key *a, const flow_key *b)
{
    return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) | (a->w[3] ^ b->w[3]) |
            (a->w[4] ^ b->w[4])) == 0;
}

static void write_flow_members(sl_jw *w, const sl_flow *flow)
{
    sl_json_addr(w, "src_ip", &flow->src);
    sl_jw_kuint(w, "src_port", flow->sport);
    sl_json_addr(w, "dest_ip", &flow->dst);
    sl_jw_kuint(w, "dest_port", flow->dport);
    sl_jw_key(w, "proto");
    if (flow->tls)
        sl_jw_raw(w, "\"TLS\"", 5);
    else if (flow->proto == SL_IPPROTO_SCTP)
        sl_jw_raw(w, "\"SCTP\"", 6);
    else
        sl_jw_raw(w, flow->proto == SL_IPPROTO_TCP ? "\"TCP\"" : "\"UDP\"", 5);
    char cid[SL_COMMUNITY_ID_LEN + 2];
    if (sl_community_id(&flow->src, &flow->dst, flow->proto, flow->sport, flow->dport, 0,
                        cid + 1)) { /* "1:" and base64: nothing to escape */
        size_t n = strlen(cid + 1) + 1;
        cid[0] = cid[n++] = '"';
        sl_jw_key(w, "community_id");
        sl_jw_raw(w, cid, n);
    }
}

static flow_key flow_key_of(const sl_flow *f)
{
    flow_key k;
    memset(&k, 0, sizeof k);
    uint8_t *b = (uint8_t *)k.w;
    size_t alen = f->src.family == 6 ? 16 : 4;
    memcpy(b, f->src.bytes, alen);
    memcpy(b + 16, f->dst.bytes, alen);
    memcpy(b + 32, &f->sport, 2);
    memcpy(b + 34, &f->dport, 2);
    b[36] = f->src.family;
    b[37] = f->proto;
    b[38] = f->tls;
    return k;
}

/* The flow's members: from the cache when the flow was seen recently. */
static void write_flow(sl_envelope *e, sl_jw *w, const sl_flow *f)
{
    if (f->src.family != f->dst.family) {
        write_flow_members(w, f); /* not cached: the key holds one family */
        return;
    }
    flow_key k = flow_key_of(f);
    flow_set *set = &e->flows[flow_hash(&k) % FLOW_SETS];
    for (int i = 0; i < FLOW_WAYS; i++) {
        flow_slot *s = &set->way[i];
        if (s->len && flow_key_eq(&s->key, &k)) {
            sl_jw_raw(w, s->text, s->len); /* members, with the comma before them */
            return;
        }
    }
    size_t mark = sl_jw_member_mark(w);
    write_flow_members(w, f);
    sl_slice text = sl_jw_text_since(w, mark);
    if (text.len == 0 || text.len > FLOW_TEXT_MAX)
        return;
    flow_slot *s = &set->way[set->next];
    set->next = (uint8_t)((set->next + 1) % FLOW_WAYS);
    s->key = k;
    s->len = (uint8_t)text.len;
    memcpy(s->text, text.ptr, text.len);
}

static const char *tunnel_name(sl_tunnel_kind k)
{
    switch (k) {
    case SL_TUNNEL_IPIP: return "ipip";
    case SL_TUNNEL_GRE: return "gre";
    case SL_TUNNEL_ERSPAN2: return "erspan2";
    case SL_TUNNEL_ERSPAN3: return "erspan3";
    case SL_TUNNEL_VXLAN: return "vxlan";
    case SL_TUNNEL_GTPU: return "gtp-u";
    case SL_TUNNEL_HEP: return "hep";
    }
    return "unknown";
}

/* GTP-U and HEP deliver the packet analysed (rather than wrap a copy of it):
 * they are the `encap` object, apart from the `tunnel` chain. */
static bool is_encap(sl_tunnel_kind k)
{
    return k == SL_TUNNEL_GTPU || k == SL_TUNNEL_HEP;
}

static void write_encap(sl_jw *w, const sl_tunnel *t)
{
    sl_jw_key(w, "encap");
    sl_jw_obj_begin(w);
    sl_jw_kstr(w, "type", tunnel_name(t->kind));
    if (t->kind == SL_TUNNEL_GTPU) {
        sl_jw_kuint(w, "teid", t->id);
    } else {
        sl_jw_kuint(w, "version", t->version);
        sl_jw_kuint(w, "capture_id", t->id);
    }
    sl_json_addr(w, "src_ip", &t->outer_src);
    sl_json_addr(w, "dest_ip", &t->outer_dst);
    sl_jw_obj_end(w);
}

/* vlan and mpls arrays, the tunnels as nested objects, outermost first, and
 * the innermost GTP-U or HEP encapsulation as `encap`. */
static void write_outer(sl_jw *w, const sl_packet *pkt)
{
    if (pkt->n_vlan) {
        sl_jw_key(w, "vlan");
        sl_jw_arr_begin(w);
        for (int i = 0; i < pkt->n_vlan; i++)
            sl_jw_uint(w, pkt->vlan[i]);
        sl_jw_arr_end(w);
    }
    if (pkt->n_mpls) {
        sl_jw_key(w, "mpls");
        sl_jw_arr_begin(w);
        for (int i = 0; i < pkt->n_mpls; i++)
            sl_jw_uint(w, pkt->mpls[i]);
        sl_jw_arr_end(w);
    }
    int open = 0;
    const sl_tunnel *encap = NULL;
    for (int i = 0; i < pkt->n_tunnels; i++) {
        const sl_tunnel *t = &pkt->tunnels[i];
        if (is_encap(t->kind)) {
            encap = t;
            continue;
        }
        sl_jw_key(w, open == 0 ? "tunnel" : "inner");
        sl_jw_obj_begin(w);
        open++;
        sl_jw_kstr(w, "type", tunnel_name(t->kind));
        sl_json_addr(w, "src_ip", &t->outer_src);
        sl_json_addr(w, "dest_ip", &t->outer_dst);
        if (t->id)
            sl_jw_kuint(w, "id", t->id);
    }
    for (int i = 0; i < open; i++)
        sl_jw_obj_end(w);
    if (encap)
        write_encap(w, encap);
}

/* Types always about one SIP message or call: they carry call_id even when null. */
static bool about_a_call(sl_event_type t)
{
    return t == SL_EV_SIP || t == SL_EV_DIALOG || t == SL_EV_REDIRECT || t == SL_EV_IDENTITY ||
           t == SL_EV_REJECTION || t == SL_EV_REGISTRATION;
}

/* "YYYY-MM-DDTHH:MM:SS." of ts, from the previous event's when in the same
 * second (most are): only the microseconds change. */
static const char *time_prefix_of(time_prefix *tp, int64_t sec, sl_time ts)
{
    if (!tp->valid || tp->sec != sec) {
        sl_time_format(ts, tp->text);
        tp->sec = sec;
        tp->valid = true;
    }
    return tp->text;
}

/* `"timestamp":"...","event_type":"..."` in one piece: the first members of
 * every event. The text is sl_time_format's: its seconds from the cache, its
 * microseconds (truncated, as there) formatted here. */
static size_t event_head(sl_envelope *e, sl_event_type type, sl_time ts, char *out)
{
    int64_t sec = ts / SL_NS_PER_SEC, ns = ts % SL_NS_PER_SEC;
    if (ns < 0) {
        ns += SL_NS_PER_SEC;
        sec--;
    }
    char *p = out;
    memcpy(p, "\"timestamp\":\"", 13); // NOLINT(bugprone-not-null-terminated-result): JSON text
    p += 13;
    memcpy(p, time_prefix_of(&e->time, sec, ts), TIME_PREFIX_LEN);
    p += TIME_PREFIX_LEN;
    unsigned us = (unsigned)(ns / 1000);
    for (int i = 5; i >= 0; i--, us /= 10)
        p[i] = (char)('0' + us % 10);
    p += 6;
    memcpy(p, "Z\",\"event_type\":", 16); // NOLINT(bugprone-not-null-terminated-result): JSON text
    p += 16;
    memcpy(p, types[type].json, types[type].json_len);
    return (size_t)(p + types[type].json_len - out);
}

void sl_envelope_write(sl_envelope *e, sl_jw *w, const sl_event *ev)
{
    char text[13 + TIME_PREFIX_LEN + 6 + 16 + TYPE_JSON_MAX];
    sl_jw_raw(w, text, event_head(e, ev->type, ev->ts, text)); /* members: nothing to escape */
    if (about_a_call(ev->type))
        sl_jw_kslice_or_null(w, "call_id", ev->call_id); /* null: the message had none */
    else if (ev->call_id.len)
        sl_jw_kslice(w, "call_id", ev->call_id);
    const sl_flow *flow = ev->flow;
    if (flow && flow->proto) {
        write_flow(e, w, flow);
        if (flow->outer)
            write_outer(w, flow->outer);
    }
}
