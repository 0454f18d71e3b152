/* Fuzzes the SIP message parser in both framings, then every header helper
 * on every header, and checks the invariants callers rely on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipsleuth/sip.h"
#include "sipsleuth/sip_reason.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_slice(sl_slice s, const uint8_t *data, size_t size)
{
    CHECK(s.len == 0 || (s.ptr >= data && s.ptr + s.len <= data + size));
}

static void exercise_header(const sl_sip_header *h, const uint8_t *data, size_t size)
{
    check_slice(h->name, data, size);
    check_slice(h->value, data, size);
    CHECK(sl_sip_header_id(h->name) == h->id);

    uint8_t out[128];
    CHECK(sl_sip_unfold(h->value, out, sizeof out) <= sizeof out);

    sl_sip_cseq cs;
    if (sl_sip_cseq_parse(h->value, &cs) == SL_OK)
        check_slice(cs.method, data, size);

    sl_sip_uri uri;
    sl_sip_uri_parse(h->value, &uri);

    sl_slice reasons = h->value;
    sl_sip_reason r;
    while (sl_sip_reason_next(&reasons, &r)) {
        check_slice(r.protocol_text, data, size);
        check_slice(r.text, data, size);
        CHECK(r.protocol_text.len > 0);
        sl_q850_cause_name(r.cause);
    }

    sl_slice rest = h->value, elem, v;
    while (sl_sip_next_element(&rest, &elem)) {
        check_slice(elem, data, size);
        sl_sip_nameaddr na;
        if (sl_sip_nameaddr_parse(elem, &na) != SL_OK)
            continue;
        check_slice(na.display, data, size);
        check_slice(na.uri, data, size);
        check_slice(na.params, data, size);
        if (sl_sip_param_get(na.params, "tag", &v))
            check_slice(v, data, size);
        sl_sip_param_get(na.params, "expires", &v);
        sl_sip_param_get(elem, "branch", &v);
        if (sl_sip_uri_parse(na.uri, &uri) == SL_OK) {
            check_slice(uri.host, data, size);
            check_slice(uri.params, data, size);
            CHECK(uri.port >= -1 && uri.port <= 65535);
            sl_sip_param_get(uri.params, "transport", &v);
        }
    }
}

static void check_message(const sl_sip_msg *m, const uint8_t *data, size_t size)
{
    CHECK(m->length <= size);
    CHECK(m->n_headers <= m->max_headers && m->n_headers <= m->n_headers_seen);
    check_slice(m->body, data, m->length);
    check_slice(m->method, data, size);
    check_slice(m->request_uri, data, size);
    check_slice(m->reason, data, size);
    if (!m->is_request)
        CHECK(m->status_code >= 100 && m->status_code <= 699);
    for (int id = 0; id < SL_HDR__COUNT; id++) {
        const sl_sip_header *h = sl_sip_find(m, (sl_sip_hdr_id)id);
        for (; h; h = sl_sip_find_next(m, h))
            CHECK(h->id == (sl_sip_hdr_id)id);
    }
    for (size_t i = 0; i < m->n_headers; i++)
        exercise_header(&m->headers[i], data, size);
    sl_sip_uri uri;
    sl_sip_uri_parse(m->request_uri, &uri);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_sip_header headers[24];
    sl_sip_msg m = {.headers = headers, .max_headers = 24};
    sl_anomaly an = {0};

    sl_status probe = sl_sip_probe(data, size);
    size_t ka = sl_sip_skip_keepalive(data, size);
    CHECK(ka <= size);

    if (sl_sip_parse(data, size, SL_SIP_DATAGRAM, &m, &an) == SL_OK) {
        check_message(&m, data, size);
        CHECK(probe != SL_INVALID); /* PARTIAL: a datagram without any line end */
    } else {
        CHECK(an.kind && an.offset <= size);
    }

    memset(&an, 0, sizeof an);
    sl_status s = sl_sip_parse(data, size, SL_SIP_STREAM, &m, &an);
    if (s == SL_OK) {
        check_message(&m, data, size);
        CHECK(probe == SL_OK);
        /* The framed message alone parses the same way, and one byte less
         * is not yet a message. */
        size_t len = m.length;
        sl_sip_msg again = {.headers = headers, .max_headers = 24};
        CHECK(sl_sip_parse(data, len, SL_SIP_STREAM, &again, NULL) == SL_OK);
        CHECK(again.length == len);
        CHECK(sl_sip_parse(data, len - 1, SL_SIP_STREAM, &again, NULL) == SL_PARTIAL);
    } else if (s == SL_PARTIAL) {
        CHECK(probe != SL_INVALID);
    } else {
        CHECK(s == SL_INVALID && an.kind && an.offset <= size);
    }
    return 0;
}
