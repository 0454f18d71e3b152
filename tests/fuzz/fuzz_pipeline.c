/* Whole-pipeline fuzz target: the input is a classic pcap file (either byte
 * order, µs or ns stamps), every record is fed to the pipeline as the capture
 * layer would, and the run ends with sl_pipeline_finish, so decode, dedup,
 * defrag, TCP/WebSocket reassembly, the dissector, dialogs, redirects, routes,
 * identity, registrations and the event writer all see the same hostile packet sequence.
 *
 * The records are walked here rather than through libpcap: libpcap's file
 * reader is not our code, and this keeps each execution free of file I/O.
 * The pcap header's thiszone field (ignored by readers) picks variants:
 *   bit 0 span-port dedup on, bit 1 --sip-raw, bit 2 tiny state caps (so that
 *   evictions happen within one input), bit 3 periodic stats every 10 s,
 *   bit 4 the input is run with --workers 1 and with --workers 2, into
 *   memory files, and the two outputs must be the same bytes.
 * Without bit 2 the tables are still sized for a few hundred flows rather than
 * a span port's defaults: an input holds at most a few hundred packets, and
 * zeroing megabytes of hash buckets per execution under ASan would cost more
 * than the packets themselves. Events go to /dev/null through the real writer. */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sipsleuth/event.h"
#include "sipsleuth/output.h"
#include "sipsleuth/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PCAP_HEADER 24
#define RECORD_HEADER 16

static uint32_t read32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return swap ? __builtin_bswap32(v) : v;
}

static void small_caps(sl_config *cfg)
{
    cfg->defrag.max_trains = 256;
    cfg->tcp.max_streams = 256;
    cfg->sctp.max_assocs = 256;
    cfg->dialog.max_dialogs = 1024;
    cfg->routes.max_routes = 256;
    cfg->identity.max_records = 256;
    cfg->dedup.entries = 256;
    cfg->registration.max_registrations = 256;
    cfg->registration.max_sources = 256;
}

static void tiny_caps(sl_config *cfg)
{
    cfg->max_headers = 8;
    cfg->defrag.max_trains = 2;
    cfg->defrag.max_frags = 4;
    cfg->defrag.max_bytes = 16 * 1024;
    cfg->tcp.max_streams = 2;
    cfg->tcp.max_bytes = 64 * 1024;
    cfg->tcp.max_message = 2048;
    cfg->tcp.max_ooo_bytes = 2048;
    cfg->tcp.max_ooo_segments = 4;
    cfg->sctp.max_assocs = 2;
    cfg->sctp.max_bytes = 64 * 1024;
    cfg->tcp.probe_limit = 512;
    cfg->dialog.max_dialogs = 4;
    cfg->routes.max_routes = 2;
    cfg->registration.max_registrations = 2;
    cfg->registration.max_sources = 2;
    cfg->registration.auth_fail_threshold = 2;
    cfg->identity.max_records = 2;
    cfg->dedup.entries = 4;
}

/* The records of the capture through a pipeline of cfg, events into path. */
static void replay(const uint8_t *data, size_t size, bool swap, bool nano, int dlt,
                   const sl_config *cfg, const char *path)
{
    sl_output *out = sl_output_open(path, SL_EV_ALL);
    if (!out)
        abort();
    sl_output_set_sip_detail(out, cfg->sip_raw, cfg->max_contacts);
    sl_sink sink = sl_output_sink(out);
    sl_pipeline *p = sl_pipeline_new(cfg, &sink);
    if (!p)
        abort();
    size_t off = PCAP_HEADER;
    while (size - off >= RECORD_HEADER) {
        const uint8_t *h = data + off;
        uint32_t sec = read32(h, swap), frac = read32(h + 4, swap);
        uint32_t caplen = read32(h + 8, swap), wirelen = read32(h + 12, swap);
        off += RECORD_HEADER;
        if (caplen > size - off)
            break; /* a torn last record, as the capture layer stops there */
        sl_time ts = (sl_time)sec * SL_NS_PER_SEC + (sl_time)frac * (nano ? 1 : 1000);
        sl_pipeline_frame(p, dlt, ts, data + off, caplen, wirelen);
        off += caplen;
    }
    sl_pipeline_finish(p, NULL);
    sl_pipeline_free(p);
    if (!sl_output_close(out))
        abort();
}

/* The two files hold the same bytes. */
static bool same_bytes(int a, int b)
{
    off_t la = lseek(a, 0, SEEK_END), lb = lseek(b, 0, SEEK_END);
    if (la != lb)
        return false;
    if (la == 0)
        return true;
    void *ma = mmap(NULL, (size_t)la, PROT_READ, MAP_PRIVATE, a, 0);
    void *mb = mmap(NULL, (size_t)lb, PROT_READ, MAP_PRIVATE, b, 0);
    if (ma == MAP_FAILED || mb == MAP_FAILED)
        abort();
    bool same = memcmp(ma, mb, (size_t)la) == 0;
    munmap(ma, (size_t)la);
    munmap(mb, (size_t)lb);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < PCAP_HEADER)
        return 0;
    uint32_t magic = read32(data, false);
    bool swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
    if (swap)
        magic = __builtin_bswap32(magic);
    if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du)
        return 0;
    bool nano = magic == 0xa1b23c4du;
    uint32_t variant = read32(data + 8, swap);
    int dlt = (int)(read32(data + 20, swap) & 0x0fffffff); /* upper bits: FCS flags */

    sl_config cfg;
    sl_config_defaults(&cfg);
    cfg.dedup_enabled = variant & 1;
    cfg.sip_raw = variant & 2;
    small_caps(&cfg);
    if (variant & 4)
        tiny_caps(&cfg);
    if (variant & 8)
        cfg.stats_interval = 10 * SL_NS_PER_SEC;
    cfg.dialog.hash_seed = cfg.routes.hash_seed = 1; /* reproducible runs */

    if (!(variant & 16)) {
        replay(data, size, swap, nano, dlt, &cfg, "/dev/null");
        return 0;
    }
    int one = memfd_create("workers1", 0), two = memfd_create("workers2", 0);
    if (one < 0 || two < 0)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", one);
    replay(data, size, swap, nano, dlt, &cfg, path);
    cfg.workers = 2;
    snprintf(path, sizeof path, "/proc/self/fd/%d", two);
    replay(data, size, swap, nano, dlt, &cfg, path);
    if (!same_bytes(one, two))
        abort(); /* --workers 2 wrote something else */
    close(one);
    close(two);
    return 0;
}
