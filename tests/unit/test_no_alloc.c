/* The hot path allocates nothing per message. This executable is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (tests/CMakeLists.txt), which
 * redirects the calls made by sipsleuth's own objects — not Criterion's or
 * libpcap's — through the counters below. */
#include "guarded.h"
#include "sipsleuth/decode.h"
#include "sipsleuth/output.h"
#include "sipsleuth/pipeline.h"
#include "sipsleuth/sip_context.h"

#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>

static size_t allocations;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    allocations++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    allocations++;
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    allocations++;
    return __real_realloc(p, n);
}

typedef struct frames {
    int dlt;
    size_t n;
    struct {
        uint8_t *data;
        size_t caplen, wirelen;
        sl_time ts;
    } f[64];
} frames;

static void load(const char *path, frames *fr)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    cr_assert_not_null(p, "%s", err);
    fr->dlt = pcap_datalink(p);
    fr->n = 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    while (fr->n < 64 && pcap_next_ex(p, &h, &d) == 1) {
        fr->f[fr->n].data = malloc(h->caplen);
        memcpy(fr->f[fr->n].data, d, h->caplen);
        fr->f[fr->n].caplen = h->caplen;
        fr->f[fr->n].wirelen = h->len;
        fr->f[fr->n].ts = (sl_time)h->ts.tv_sec * SL_NS_PER_SEC + h->ts.tv_usec * SL_NS_PER_US;
        fr->n++;
    }
    pcap_close(p);
}

/* Decoding and dissecting every message, with every helper the analyzers use. */
Test(no_alloc, decode_and_dissect)
{
    static const char *files[] = {"samples/basic-call.pcap", "samples/syntax-variety.pcap",
                                  "samples/hostile.pcap"};
    static sl_sip_header headers[SL_DEFAULT_MAX_HEADERS];
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        frames fr;
        load(files[k], &fr);
        size_t messages = 0;
        allocations = 0;
        for (size_t i = 0; i < fr.n; i++) {
            sl_packet pkt;
            sl_anomaly an = {0};
            if (sl_decode_frame(fr.dlt, fr.f[i].data, fr.f[i].caplen, &pkt, &an) != SL_DECODE_UDP)
                continue;
            sl_sip_msg msg = {.headers = headers, .max_headers = SL_DEFAULT_MAX_HEADERS};
            if (sl_sip_parse(pkt.payload.ptr, pkt.payload.len, SL_SIP_DATAGRAM, &msg, &an) != SL_OK)
                continue;
            sl_flow flow = sl_flow_from_packet(&pkt, SL_IPPROTO_UDP);
            sl_sip_ctx ctx;
            sl_sip_ctx_init(&ctx, &msg, fr.f[i].ts, &flow);
            for (const sl_sip_header *h = sl_sip_find(&msg, SL_HDR_CONTACT); h;
                 h = sl_sip_find_next(&msg, h)) {
                sl_slice rest = h->value, elem;
                sl_sip_nameaddr na;
                sl_sip_uri uri;
                while (sl_sip_next_element(&rest, &elem))
                    if (sl_sip_nameaddr_parse(elem, &na) == SL_OK)
                        (void)sl_sip_uri_parse(na.uri, &uri);
            }
            messages++;
        }
        cr_assert_gt(messages, 0, "%s: no SIP found", files[k]);
        cr_assert_eq(allocations, 0, "%s: %zu allocations for %zu messages", files[k], allocations,
                     messages);
        for (size_t i = 0; i < fr.n; i++)
            free(fr.f[i].data);
    }
}

/* The whole pipeline with one `sip` event per message: once its buffers have
 * grown to their working size (first passes), the same traffic again
 * allocates nothing. The output is flushed between passes as it is every
 * second in a real run. */
Test(no_alloc, pipeline_steady_state)
{
    frames fr;
    load("samples/basic-call.pcap", &fr);
    sl_output *out = sl_output_open("/dev/null", SL_EV_ALL);
    sl_config cfg;
    sl_config_defaults(&cfg);
    sl_sink sink = sl_output_sink(out);
    sl_pipeline *p = sl_pipeline_new(&cfg, &sink);
    for (int pass = 0; pass < 3; pass++) {
        sl_output_flush(out);
        allocations = 0;
        for (size_t i = 0; i < fr.n; i++)
            sl_pipeline_frame(p, fr.dlt, fr.f[i].ts, fr.f[i].data, fr.f[i].caplen, fr.f[i].wirelen);
    }
    cr_assert_eq(sl_output_count(out, SL_EV_SIP), 3 * fr.n);
    cr_assert_eq(allocations, 0, "%zu allocations in the second pass", allocations);
    sl_pipeline_free(p);
    sl_output_close(out);
    for (size_t i = 0; i < fr.n; i++)
        free(fr.f[i].data);
}
