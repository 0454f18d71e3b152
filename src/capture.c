#include "sipsleuth/capture.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

struct sl_capture {
    pcap_t *pcap;
    bool live;
    bool nano; /* timestamps are in nanoseconds */
    int fd;    /* live: the descriptor to wait on */
    char name[256];
    char error[PCAP_ERRBUF_SIZE + 300];
};

/* Live reads return at least this often, so idle timers and signals are served.
 * libpcap's own read timeout cannot promise that: on Linux with TPACKET_V3 the
 * kernel retires a ring block only once it holds a packet, so a blocking read
 * on an idle interface never returns. Live handles are therefore non-blocking
 * and the wait is our own poll() with this timeout (a signal cuts it short). */
#define LIVE_READ_TIMEOUT_MS 200

/* Immediate mode gives every packet its own ring slot, sized by the MTU (about
 * 64 KiB on loopback): libpcap's 2 MiB default then holds only ~32 packets,
 * which a burst overruns. 32 MiB holds ~500 such packets, ~16 000 at MTU 1500. */
#define LIVE_DEFAULT_BUFFER (32 * 1024 * 1024)

static sl_capture *wrap(pcap_t *pcap, const char *name, bool live)
{
    sl_capture *c = calloc(1, sizeof *c);
    if (!c) {
        pcap_close(pcap);
        return NULL;
    }
    c->pcap = pcap;
    c->live = live;
    c->nano = pcap_get_tstamp_precision(pcap) == PCAP_TSTAMP_PRECISION_NANO;
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

sl_capture *sl_capture_open_file(const char *path, char *err, size_t errlen)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    /* Ask for nanoseconds: libpcap scales microsecond files up, so no precision is lost. */
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        snprintf(err, errlen, "%s: %s", strcmp(path, "-") ? path : "standard input", errbuf);
        return NULL;
    }
    sl_capture *c = wrap(p, strcmp(path, "-") ? path : "standard input", false);
    if (!c)
        snprintf(err, errlen, "%s: out of memory", path);
    return c;
}

sl_capture *sl_capture_open_live(const sl_live_options *opt, char *err, size_t errlen)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(opt->iface, errbuf);
    if (!p) {
        snprintf(err, errlen, "%s: %s", opt->iface, errbuf);
        return NULL;
    }
    pcap_set_snaplen(p, opt->snaplen > 0 ? opt->snaplen : 262144);
    pcap_set_promisc(p, opt->promiscuous);
    pcap_set_immediate_mode(p, 1); /* deliver each packet now, not in batches */
    pcap_set_timeout(p, LIVE_READ_TIMEOUT_MS);
    pcap_set_buffer_size(p, opt->buffer_size > 0 ? opt->buffer_size : LIVE_DEFAULT_BUFFER);
    /* Nanosecond stamps where the platform has them; microseconds otherwise. */
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(p);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", opt->iface,
                 rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
        pcap_close(p);
        return NULL;
    }
    int fd = pcap_get_selectable_fd(p);
    if (fd < 0 || pcap_setnonblock(p, 1, errbuf) != 0) {
        snprintf(err, errlen, "%s: cannot wait for packets: %s", opt->iface,
                 fd < 0 ? "no selectable descriptor" : errbuf);
        pcap_close(p);
        return NULL;
    }
    sl_capture *c = wrap(p, opt->iface, true);
    if (!c) {
        snprintf(err, errlen, "%s: out of memory", opt->iface);
        return NULL;
    }
    c->fd = fd;
    return c;
}

bool sl_capture_set_filter(sl_capture *c, const char *bpf, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (pcap_compile(c->pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "filter \"%s\": %s", bpf, pcap_geterr(c->pcap));
        return false;
    }
    int rc = pcap_setfilter(c->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, errlen, "filter \"%s\": %s", bpf, pcap_geterr(c->pcap));
        return false;
    }
    return true;
}

int sl_capture_datalink(const sl_capture *c) { return pcap_datalink(c->pcap); }
const char *sl_capture_name(const sl_capture *c) { return c->name; }
const char *sl_capture_error(const sl_capture *c) { return c->error; }

int64_t sl_capture_offset(const sl_capture *c)
{
    if (c->live)
        return -1;
    FILE *f = pcap_file(c->pcap);
    return f ? (int64_t)ftell(f) : -1; /* -1 for a pipe (ESPIPE) */
}

sl_capture_result sl_capture_next(sl_capture *c, sl_frame *f)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(c->pcap, &h, &data);
    if (rc == 0 && c->live) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (poll(&pfd, 1, LIVE_READ_TIMEOUT_MS) > 0)
            rc = pcap_next_ex(c->pcap, &h, &data);
    }
    if (rc == 1) {
        int64_t sub = h->ts.tv_usec; /* nanoseconds when c->nano */
        f->ts = (sl_time)h->ts.tv_sec * SL_NS_PER_SEC + (c->nano ? sub : sub * SL_NS_PER_US);
        f->data = data;
        f->caplen = h->caplen;
        f->wirelen = h->len;
        return SL_CAPTURE_FRAME;
    }
    if (rc == 0)
        return SL_CAPTURE_TIMEOUT;
    if (rc == PCAP_ERROR_BREAK)
        return c->live ? SL_CAPTURE_TIMEOUT : SL_CAPTURE_END;
    if (rc == PCAP_ERROR) {
        snprintf(c->error, sizeof c->error, "%s: %s", c->name, pcap_geterr(c->pcap));
        return SL_CAPTURE_ERROR;
    }
    return SL_CAPTURE_END;
}

void sl_capture_read_stats(sl_capture *c, sl_capture_stats *cs)
{
    memset(cs, 0, sizeof *cs);
    cs->live = c->live;
    struct pcap_stat st;
    if (c->live && pcap_stats(c->pcap, &st) == 0) {
        cs->received = st.ps_recv;
        cs->dropped = st.ps_drop;
        cs->if_dropped = st.ps_ifdrop;
    }
}

void sl_capture_break(sl_capture *c) { pcap_breakloop(c->pcap); }

void sl_capture_close(sl_capture *c)
{
    if (!c)
        return;
    pcap_close(c->pcap);
    free(c);
}
