/* The redirect analyzer, driven with real SIP text through the dialog
 * tracker (for retransmissions and request matching) and checked on the
 * NDJSON it writes: Contact parsing (q, expires, the Expires header, '*'),
 * retransmitted 3xx, what counts as a stale use, and what is not learned. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sipsleuth/output.h"
#include "sipsleuth/redirect.h"

#define BASE_NS (INT64_C(1772359200) * SL_NS_PER_SEC)
#define MAXH 32

typedef struct harness {
    sl_output *out;
    sl_sink sink;
    sl_dialogs *d;
    sl_redirects *r;
    char path[64];
    json_t *events;
} harness;

static void start(harness *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->path, sizeof h->path, "/tmp/test_redirect.XXXXXX");
    int fd = mkstemp(h->path);
    cr_assert(fd >= 0);
    close(fd);
    h->out = sl_output_open(h->path, SL_EV_ALL);
    cr_assert(h->out);
    sl_routes_config rc;
    sl_routes_config_default(&rc);
    rc.hash_seed = 3;
    h->sink = sl_output_sink(h->out);
    h->r = sl_redirects_new(&rc, &h->sink);
    sl_dialog_config dc;
    sl_dialog_config_default(&dc);
    dc.hash_seed = 5;
    h->d = sl_dialogs_new(&dc, &h->sink);
    cr_assert(h->r && h->d);
}

/* Ends the run; h->events then holds the redirect, route and anomaly events. */
static void done(harness *h)
{
    sl_dialogs_free(h->d);
    sl_redirects_free(h->r);
    cr_assert(sl_output_close(h->out));
    FILE *f = fopen(h->path, "r");
    cr_assert(f);
    h->events = json_array();
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        json_t *ev = json_loads(line, 0, NULL);
        cr_assert(ev, "bad JSON: %s", line);
        const char *type = json_string_value(json_object_get(ev, "event_type"));
        if (!strcmp(type, "redirect") || !strcmp(type, "route") || !strcmp(type, "anomaly"))
            json_array_append(h->events, ev);
        json_decref(ev);
    }
    fclose(f);
    unlink(h->path);
}

static sl_addr ip4(const char *ip)
{
    sl_addr a = {.family = 4};
    cr_assert(inet_pton(AF_INET, ip, a.bytes) == 1);
    return a;
}

/* Sends `text` (\n line ends) from src to dst at BASE + ms. */
static void send_msg(harness *h, int ms, const char *src, const char *dst, const char *text)
{
    static char buf[4096];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            buf[n++] = '\r';
        buf[n++] = *p;
    }
    memcpy(buf + n, "Content-Length: 0\r\n\r\n", 21);
    n += 21;
    sl_sip_header hdrs[MAXH];
    sl_sip_msg msg = {.headers = hdrs, .max_headers = MAXH};
    sl_anomaly an = {0};
    cr_assert_eq(sl_sip_parse((const uint8_t *)buf, n, SL_SIP_DATAGRAM, &msg, &an), SL_OK);
    sl_flow f = {
        .src = ip4(src), .dst = ip4(dst), .sport = 5060, .dport = 5060, .proto = SL_IPPROTO_UDP};
    sl_sip_ctx ctx;
    sl_time ts = BASE_NS + (sl_time)ms * SL_NS_PER_MS;
    sl_sip_ctx_init(&ctx, &msg, ts, &f);
    sl_dialogs_advance(h->d, ts);
    sl_redirects_advance(h->r, ts);
    sl_txn_verdict v;
    sl_dialogs_on_message(h->d, &ctx, &v);
    sl_redirects_on_message(h->r, &ctx, &v);
}

static char mbuf[2048];

static const char *request(const char *method, const char *ruri, const char *call_id, int cseq,
                           const char *branch)
{
    snprintf(mbuf, sizeof mbuf,
             "%s %s SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK%s\nMax-Forwards: 70\n"
             "From: <sip:a@a.example>;tag=fa\nTo: <%s>\nCall-ID: %s\nCSeq: %d %s\n",
             method, ruri, branch, ruri, call_id, cseq, method);
    return mbuf;
}

static const char *response(int status, const char *to, const char *call_id, int cseq,
                            const char *branch, const char *extra)
{
    snprintf(mbuf, sizeof mbuf,
             "SIP/2.0 %d Moved\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK%s\n"
             "From: <sip:a@a.example>;tag=fa\nTo: <%s>;tag=s1\nCall-ID: %s\nCSeq: %d INVITE\n%s",
             status, branch, to, call_id, cseq, extra);
    return mbuf;
}

#define CLIENT "192.0.2.10"
#define CLIENT2 "10.0.3.2"
#define SERVER "198.51.100.9"

static json_t *ev(harness *h, size_t i, const char *type)
{
    json_t *e = json_array_get(h->events, i);
    cr_assert(e, "no event %zu", i);
    cr_assert_str_eq(json_string_value(json_object_get(e, "event_type")), type, "event %zu", i);
    return json_object_get(e, type);
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    cr_assert(json_is_string(v), "%s is not a string", k);
    return json_string_value(v);
}

Test(redirect, contacts_q_expires_and_star)
{
    harness h;
    start(&h);
    send_msg(&h, 0, CLIENT, SERVER, request("INVITE", "sip:x@old.example", "c1", 1, "b1"));
    send_msg(
        &h, 10, SERVER, CLIENT,
        response(301, "sip:x@old.example", "c1", 1, "b1",
                 "Contact: *\nContact: <sip:x@one.example>;q=0.5;expires=10, "
                 "sip:x@two.example;q=bogus\nContact: <tel:+1-555-0100>;q=1.0\nExpires: 99\n"));
    done(&h);
    cr_assert_eq(json_array_size(h.events), 2);
    json_t *r = ev(&h, 0, "redirect");
    json_t *c = json_object_get(r, "contacts");
    cr_assert_eq(json_array_size(c), 3);
    cr_expect_str_eq(str(json_array_get(c, 0), "uri"), "sip:x@one.example");
    cr_expect_float_eq(json_number_value(json_object_get(json_array_get(c, 0), "q")), 0.5, 1e-9);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(c, 0), "expires")), 10);
    cr_expect(json_is_null(json_object_get(json_array_get(c, 1), "q")));
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(c, 1), "expires")), 99);
    json_t *route = ev(&h, 1, "route");
    /* an invalid q counts as none (1, RFC 3840) and ties with q=1.0: the first wins */
    cr_expect_str_eq(str(route, "target"), "sip:x@two.example");
    json_decref(h.events);
}

Test(redirect, retransmitted_3xx_is_one_event)
{
    harness h;
    start(&h);
    send_msg(&h, 0, CLIENT, SERVER, request("INVITE", "sip:x@old.example", "c1", 1, "b1"));
    const char *extra = "Contact: <sip:x@new.example>\n";
    send_msg(&h, 10, SERVER, CLIENT, response(301, "sip:x@old.example", "c1", 1, "b1", extra));
    send_msg(&h, 510, SERVER, CLIENT, response(301, "sip:x@old.example", "c1", 1, "b1", extra));
    done(&h);
    cr_expect_eq(json_array_size(h.events), 2); /* one redirect, one learned */
    json_decref(h.events);
}

Test(redirect, stale_use_skips_ack_cancel_and_retransmissions)
{
    harness h;
    start(&h);
    send_msg(&h, 0, CLIENT, SERVER, request("INVITE", "sip:x@old.example", "c1", 1, "b1"));
    send_msg(&h, 10, SERVER, CLIENT,
             response(301, "sip:x@old.example", "c1", 1, "b1", "Contact: <sip:x@new.example>\n"));
    send_msg(&h, 20, CLIENT, SERVER, request("ACK", "sip:x@old.example", "c1", 1, "b1"));
    send_msg(&h, 1000, CLIENT2, SERVER,
             request("INVITE", "sip:x@OLD.example;user=phone", "c2", 1, "b2"));
    send_msg(&h, 1500, CLIENT2, SERVER, request("INVITE", "sip:x@old.example", "c2", 1, "b2"));
    send_msg(&h, 1600, CLIENT2, SERVER, request("CANCEL", "sip:x@old.example", "c2", 1, "b2"));
    send_msg(&h, 2000, CLIENT2, SERVER, request("MESSAGE", "sip:x@old.example", "c3", 1, "b3"));
    done(&h);
    cr_assert_eq(json_array_size(h.events), 4, "%zu events", json_array_size(h.events));
    json_t *use = ev(&h, 2, "route");
    cr_expect_str_eq(str(use, "action"), "stale_use");
    cr_expect_str_eq(str(use, "method"), "INVITE");
    cr_expect_str_eq(str(json_array_get(h.events, 2), "src_ip"), CLIENT2);
    cr_expect_str_eq(str(ev(&h, 3, "route"), "method"), "MESSAGE");
    json_decref(h.events);
}

Test(redirect, not_learned_without_usable_contact_or_from_302)
{
    harness h;
    start(&h);
    send_msg(&h, 0, CLIENT, SERVER, request("INVITE", "sip:x@old.example", "c1", 1, "b1"));
    send_msg(&h, 10, SERVER, CLIENT, response(301, "sip:x@old.example", "c1", 1, "b1", ""));
    send_msg(&h, 100, CLIENT, SERVER, request("INVITE", "sip:y@old.example", "c2", 1, "b2"));
    send_msg(&h, 110, SERVER, CLIENT,
             response(301, "sip:y@old.example", "c2", 1, "b2", "Contact: <http://web.example/>\n"));
    send_msg(&h, 200, CLIENT, SERVER, request("INVITE", "sip:z@old.example", "c3", 1, "b3"));
    send_msg(&h, 210, SERVER, CLIENT,
             response(305, "sip:z@old.example", "c3", 1, "b3", "Contact: <sip:proxy.example>\n"));
    done(&h);
    cr_assert_eq(json_array_size(h.events), 3);
    for (size_t i = 0; i < 3; i++)
        ev(&h, i, "redirect");
    cr_expect(json_is_false(json_object_get(ev(&h, 2, "redirect"), "permanent")));
    json_decref(h.events);
}

/* Found by the mutation test: a 3xx without Call-ID (a NULL slice). */
Test(redirect, no_call_id)
{
    harness h;
    start(&h);
    send_msg(&h, 0, SERVER, CLIENT,
             "SIP/2.0 301 Moved\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKx\n"
             "From: <sip:a@a.example>;tag=fa\nTo: <sip:x@old.example>\nCSeq: 1 INVITE\n"
             "Contact: <sip:x@new.example>\n");
    send_msg(&h, 100, CLIENT, SERVER,
             "INVITE sip:x@new.example SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKy\n"
             "From: <sip:a@a.example>;tag=fa\nTo: <sip:x@old.example>\nCSeq: 2 INVITE\n");
    done(&h);
    cr_expect_eq(json_array_size(h.events), 2);
    json_decref(h.events);
}
