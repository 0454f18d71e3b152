/* fopencookie(), to hand libpcap a standard input whose first bytes we have read. */
#define _GNU_SOURCE
#include "sipsleuth/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcap_fast.h"
#include "sipsleuth/pcapng.h"

/* A -f filter compiled for one link type of a pcapng file. */
typedef struct link_filter {
    int dlt;
    struct bpf_program prog;
} link_filter;

/* Distinct link types one pcapng file may filter on. */
#define MAX_LINK_FILTERS 32

struct sl_capture {
    pcap_t *pcap;       /* classic pcap files and live interfaces */
    sl_pcap_fast *fast; /* a classic file's records while they are plain */
    int fast_dlt;
    sl_pcapng *ng; /* pcapng files: our reader, a link type per interface */
    int ng_fd;     /* the descriptor it reads (-1: none to close) */
    bool live;
    bool nano; /* timestamps are in nanoseconds */
    int fd;    /* live: the descriptor to wait on */
    volatile sig_atomic_t stop;
    char *filter; /* pcapng: the -f text, compiled per link type as they appear */
    link_filter filters[MAX_LINK_FILTERS];
    size_t n_filters;
    char *stdio_buf; /* files: the FILE libpcap reads has this buffer */
    char name[256];
    char error[PCAP_ERRBUF_SIZE + 300];
};

/* libpcap reads a file through stdio, whose own buffer is one page: a read()
 * per 4 KiB, 135 000 of them for a 540 MB capture. With 256 KiB a libpcap
 * loop over it takes 0.15 s of CPU instead of 0.39 s; 64 KiB to 4 MiB
 * measured alike, within noise. */
#define FILE_BUFFER ((size_t)256 << 10)

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

/* A pipe for libpcap: the bytes we read to tell the format, then the rest. */
typedef struct replay {
    int fd;
    uint8_t head[4];
    size_t len, pos;
} replay;

static ssize_t replay_read(void *cookie, char *buf, size_t size)
{
    replay *r = cookie;
    if (r->pos < r->len) {
        size_t n = r->len - r->pos < size ? r->len - r->pos : size;
        memcpy(buf, r->head + r->pos, n);
        r->pos += n;
        return (ssize_t)n;
    }
    return read(r->fd, buf, size);
}

static int replay_close(void *cookie)
{
    replay *r = cookie;
    if (r->fd != STDIN_FILENO)
        close(r->fd);
    free(r);
    return 0;
}

/* Takes fd: closing the stream closes it (but standard input). */
static FILE *replay_stream(int fd, const uint8_t *head, size_t len)
{
    replay *r = calloc(1, sizeof *r);
    cookie_io_functions_t io = {.read = replay_read, .close = replay_close};
    FILE *f = r ? fopencookie(r, "r", io) : NULL;
    if (!f) {
        free(r);
        if (fd != STDIN_FILENO)
            close(fd);
        return NULL;
    }
    r->fd = fd;
    memcpy(r->head, head, len);
    r->len = len;
    return f;
}

/* Reads up to 4 bytes: what the file starts with tells pcapng from the rest. */
static size_t read_head(int fd, uint8_t head[4])
{
    size_t got = 0;
    while (got < 4) {
        ssize_t n = read(fd, head + got, 4 - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    return got;
}

static sl_capture *open_pcapng(int fd, const uint8_t head[4], const char *name, char *err,
                               size_t errlen)
{
    sl_capture *c = calloc(1, sizeof *c);
    if (c)
        c->ng = sl_pcapng_open_fd(fd, head, 4);
    if (!c || !c->ng) {
        free(c);
        if (fd != STDIN_FILENO)
            close(fd);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    c->ng_fd = fd == STDIN_FILENO ? -1 : fd;
    c->nano = true;
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* The stream libpcap reads, from its start: a regular file rewound, or a
 * pipe whose first bytes are replayed. Takes fd. */
static FILE *file_stream(int fd, const uint8_t *head, size_t got, char *err, size_t errlen)
{
    struct stat st;
    if (fd == STDIN_FILENO || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        FILE *f = replay_stream(fd, head, got);
        if (!f)
            snprintf(err, errlen, "out of memory");
        return f;
    }
    FILE *f = lseek(fd, 0, SEEK_SET) == 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
    }
    return f;
}

/* pcapng files are read by our reader; classic pcap (and whatever else
 * libpcap knows or refuses) by libpcap. */
sl_capture *sl_capture_open_file(const char *path, char *err, size_t errlen)
{
    bool std_in = strcmp(path, "-") == 0;
    const char *name = std_in ? "standard input" : path;
    int fd = std_in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno));
        return NULL;
    }
    uint8_t head[4];
    size_t got = read_head(fd, head);
    if (got == 4 && sl_pcapng_magic(head))
        return open_pcapng(fd, head, name, err, errlen);

    char errbuf[PCAP_ERRBUF_SIZE] = "";
    FILE *f = file_stream(fd, head, got, errbuf, sizeof errbuf);
    if (!f) {
        snprintf(err, errlen, "%s: %s", name, errbuf);
        return NULL;
    }
    char *buf = malloc(FILE_BUFFER);
    if (buf && setvbuf(f, buf, _IOFBF, FILE_BUFFER) != 0) {
        free(buf); /* stdio's own buffer does, as without the allocation */
        buf = NULL;
    }
    /* Ask for nanoseconds: libpcap scales microsecond files up, so no precision is lost. */
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        (void)fclose(f); /* only read from: nothing to lose */
        free(buf);
        snprintf(err, errlen, "%s: %s", name, errbuf);
        return NULL;
    }
    sl_capture *c = wrap(p, name, false);
    if (!c) {
        free(buf);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    c->stdio_buf = buf;
    if (got == 4 && (c->fast = sl_pcap_fast_open(p, head)) != NULL)
        c->fast_dlt = pcap_datalink(p);
    return c;
}

/* From here on libpcap reads the file. */
static void leave_fast(sl_capture *c)
{
    (void)sl_pcap_fast_close(c->fast);
    c->fast = NULL;
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

/* LINKTYPE_ values in pcapng files are libpcap DLT_ values, but for raw IP. */
static int linktype_to_dlt(uint16_t linktype)
{
    return linktype == 101 ? DLT_RAW : linktype;
}

/* The -f program for one link type of a pcapng file, compiled on first use;
 * NULL with the reason in err. */
static const struct bpf_program *filter_for(sl_capture *c, int dlt, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->n_filters; i++)
        if (c->filters[i].dlt == dlt)
            return &c->filters[i].prog;
    if (c->n_filters == MAX_LINK_FILTERS) {
        snprintf(err, errlen, "filter \"%s\": more than %d link types", c->filter,
                 MAX_LINK_FILTERS);
        return NULL;
    }
    pcap_t *dead = pcap_open_dead(dlt, 262144);
    if (!dead) {
        snprintf(err, errlen, "filter \"%s\": out of memory", c->filter);
        return NULL;
    }
    link_filter *lf = &c->filters[c->n_filters];
    bool ok = pcap_compile(dead, &lf->prog, c->filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!ok)
        snprintf(err, errlen, "filter \"%s\" on link type %d: %s", c->filter, dlt,
                 pcap_geterr(dead));
    pcap_close(dead);
    if (!ok)
        return NULL;
    lf->dlt = dlt;
    c->n_filters++;
    return &lf->prog;
}

/* pcapng: the filter is compiled now for the interfaces described before the
 * first packet (so a bad one is refused at once), later for other link types. */
static bool set_pcapng_filter(sl_capture *c, const char *bpf, char *err, size_t errlen)
{
    c->filter = strdup(bpf);
    if (!c->filter) {
        snprintf(err, errlen, "filter \"%s\": out of memory", bpf);
        return false;
    }
    uint32_t n = sl_pcapng_interfaces(c->ng);
    for (uint32_t i = 0; i < n; i++) {
        if (!filter_for(c, linktype_to_dlt(sl_pcapng_linktype(c->ng, i)), err, errlen))
            return false;
    }
    return true;
}

bool sl_capture_set_filter(sl_capture *c, const char *bpf, char *err, size_t errlen)
{
    if (c->ng)
        return set_pcapng_filter(c, bpf, err, errlen);
    if (c->fast)
        leave_fast(c); /* libpcap applies the filter as it reads */
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

int sl_capture_datalink(const sl_capture *c)
{
    return c->ng ? -1 : pcap_datalink(c->pcap);
}
const char *sl_capture_name(const sl_capture *c)
{
    return c->name;
}
const char *sl_capture_error(const sl_capture *c)
{
    return c->error;
}

int sl_capture_snaplen(const sl_capture *c)
{
    return c->ng ? 262144 : pcap_snapshot(c->pcap);
}

int64_t sl_capture_offset(const sl_capture *c)
{
    if (c->ng)
        return (int64_t)sl_pcapng_offset(c->ng);
    if (c->live)
        return -1;
    if (c->fast)
        return sl_pcap_fast_offset(c->fast);
    FILE *f = pcap_file(c->pcap);
    return f ? (int64_t)ftell(f) : -1; /* -1 for a pipe (ESPIPE) */
}

static sl_capture_result next_pcapng(sl_capture *c, sl_frame *f)
{
    sl_pcapng_packet pkt;
    while (!c->stop) {
        sl_pcapng_result res = sl_pcapng_next(c->ng, &pkt);
        if (res == SL_PCAPNG_END)
            return SL_CAPTURE_END;
        if (res == SL_PCAPNG_ERROR) {
            snprintf(c->error, sizeof c->error, "%s: %s", c->name, sl_pcapng_error(c->ng));
            return SL_CAPTURE_ERROR;
        }
        int dlt = linktype_to_dlt(pkt.linktype);
        if (c->filter) {
            char why[280];
            const struct bpf_program *prog = filter_for(c, dlt, why, sizeof why);
            if (!prog) {
                snprintf(c->error, sizeof c->error, "%.255s: %s", c->name, why);
                return SL_CAPTURE_ERROR;
            }
            struct pcap_pkthdr h = {.caplen = pkt.caplen, .len = pkt.wirelen};
            if (!pcap_offline_filter(prog, &h, pkt.data))
                continue;
        }
        *f = (sl_frame){.dlt = dlt,
                        .ts = pkt.ts,
                        .data = pkt.data,
                        .caplen = pkt.caplen,
                        .wirelen = pkt.wirelen};
        return SL_CAPTURE_FRAME;
    }
    return SL_CAPTURE_END; /* asked to stop */
}

static sl_capture_result next_pcap(sl_capture *c, sl_frame *f);

/* A break ends the read once, as pcap_breakloop does for a file. */
static sl_capture_result next_fast(sl_capture *c, sl_frame *f)
{
    if (c->stop) {
        c->stop = 0;
        return SL_CAPTURE_END;
    }
    struct pcap_pkthdr h;
    const uint8_t *data;
    if (!sl_pcap_fast_next(c->fast, &h, &data)) {
        leave_fast(c);
        return next_pcap(c, f);
    }
    int64_t sub = h.ts.tv_usec; /* nanoseconds (c->nano) */
    f->ts = (sl_time)h.ts.tv_sec * SL_NS_PER_SEC + (c->nano ? sub : sub * SL_NS_PER_US);
    f->dlt = c->fast_dlt;
    f->data = data;
    f->caplen = h.caplen;
    f->wirelen = h.len;
    return SL_CAPTURE_FRAME;
}

sl_capture_result sl_capture_next(sl_capture *c, sl_frame *f)
{
    if (c->ng)
        return next_pcapng(c, f);
    if (c->fast)
        return next_fast(c, f);
    return next_pcap(c, f);
}

static sl_capture_result next_pcap(sl_capture *c, sl_frame *f)
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
        f->dlt = pcap_datalink(c->pcap);
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

void sl_capture_break(sl_capture *c)
{
    if (c->ng) {
        c->stop = 1;
        sl_pcapng_break(c->ng);
    } else if (c->fast) {
        c->stop = 1;
    } else {
        pcap_breakloop(c->pcap);
    }
}

void sl_capture_close(sl_capture *c)
{
    if (!c)
        return;
    if (c->ng) {
        sl_pcapng_close(c->ng);
        if (c->ng_fd >= 0)
            close(c->ng_fd);
        for (size_t i = 0; i < c->n_filters; i++)
            pcap_freecode(&c->filters[i].prog);
        free(c->filter);
    } else {
        (void)sl_pcap_fast_close(c->fast);
        pcap_close(c->pcap);
        free(c->stdio_buf); /* after the FILE using it is closed */
    }
    free(c);
}
