/* sipsleuth: command line → configuration → capture loop. */
#include "sipsleuth/capture.h"
#include "sipsleuth/decode.h"
#include "sipsleuth/privileges.h"
#include "sipsleuth/progress.h"
#include "sipsleuth/sip_ports.h"
#include "sipsleuth/routes_cli.h"
#include "sipsleuth/summary.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 256

typedef struct options {
    const char *files[MAX_FILES];
    int n_files;
    sl_live_options live;
    const char *filter;
    char filter_built[16384]; /* -f and --sip-ports together */
    const char *user;
    const char *output;
    sl_event_mask events;
    sl_config cfg;
    bool stats_interval_set;
    bool summary; /* --summary */
    bool quiet;   /* -q: no progress line */
} options;

static volatile sig_atomic_t stop_requested, reopen_requested;
static sl_capture *active_capture;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (active_capture)
        sl_capture_break(active_capture);
}

static void on_hup(int sig)
{
    (void)sig;
    reopen_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A reopen must not cut a blocking read of a pipe (-r -) short: libpcap
     * would take EINTR for a read error and end the input. */
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    /* A closed output pipe is reported by write() as EPIPE, and stops us cleanly. */
    signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sipsleuth [options] -r FILE [-r FILE ...]   analyze pcap/pcapng files (- = stdin)\n"
            "       sipsleuth [options] -i IFACE                 live capture\n"
            "       sipsleuth routes --routes FILE [list|lookup URI|export --format json|csv]\n"
            "       sipsleuth --help | --version\n"
            "\n"
            "  -r FILE               read a capture file; several are read in order as one stream\n"
            "  -i IFACE              capture live (promiscuous, immediate delivery); one\n"
            "                        interface only: for several use -i any (Linux)\n"
            "  -f, --filter BPF      capture filter (default none: SIP is found by content)\n"
            "      --sip-ports LIST  capture only these ports (5060,5080-5090), but keep every\n"
            "                        IP fragment, which \"port 5060\" would lose; and-ed with -f\n"
            "  -o, --output FILE     write events to FILE (default - = stdout); SIGHUP reopens it\n"
            "      --events LIST     event types to write, comma-separated: sip, dialog, redirect,\n"
            "                        route, identity, rejection, anomaly, stats; \"all\", \"default\";\n"
            "                        -TYPE removes one; \"none\". Default: all but sip (one per message)\n"
            "      --snaplen N       live: bytes kept per packet (default: whole packets)\n"
            "      --buffer-size N   live: kernel ring in bytes (default 32 MiB)\n"
            "      --user NAME       switch to this user once the capture is open\n"
            "      --stats-interval S  a stats event every S seconds of capture time\n"
            "                        (default: live 60, files 0 = only the final one)\n"
            "      --max-headers N   headers kept per SIP message (default %d)\n"
            "      --sip-raw         sip events carry the whole message text (sip.raw)\n"
            "      --dedup           drop packets a span port delivered twice: the same IP\n"
            "                        content (TTL and checksum aside) within 50 ms\n"
            "      --dedup-window MS the window for --dedup (implies it)\n"
            "      --routes FILE     the learned routing table: loaded at start if present,\n"
            "                        saved atomically at exit and every save interval\n"
            "      --routes-save-interval S  seconds of capture time between saves (default 60;\n"
            "                        0 = only at exit)\n"
            "      --max-routes N    routing table entries kept (default 100000); the least\n"
            "                        recently seen is evicted first\n"
            "      --cert URL=FILE   the certificate (PEM chain or DER) served at URL; repeatable\n"
            "      --cert-dir DIR    certificates by URL, named as secsipid caches them\n"
            "                        (\"://\" and \"/\" become \"_\")\n"
            "      --trust FILE      PEM trust anchors; repeatable. Without, chains are not checked\n"
            "      --iat-tolerance S PASSporT iat vs Date/capture time (default 60)\n"
            "      --summary         at the end, a report for people: calls by outcome with setup\n"
            "                        times, failure codes, redirects and routes, anomalies; on\n"
            "                        stderr, or on the output with --events none\n"
            "  -q, --quiet           no progress line while reading files at a terminal\n"
            "  -h, --help            this text\n"
            "  -V, --version         the version\n"
            "\n"
            "Exit status: 0 done, 1 runtime failure, 2 bad usage.\n",
            SL_DEFAULT_MAX_HEADERS);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

/* --cert URL=FILE ('c'), --cert-dir ('d'), --trust ('t'): 0, or the exit status. */
static int cert_option(options *o, char which, char *arg)
{
    if (!o->cfg.certs && !(o->cfg.certs = sl_certstore_new())) {
        fprintf(stderr, "sipsleuth: out of memory\n");
        return 1;
    }
    char err[600];
    bool ok;
    if (which == 'c') {
        char *eq = strrchr(arg, '=');
        if (!eq || eq == arg || !eq[1]) {
            fprintf(stderr, "sipsleuth: --cert wants URL=FILE, not \"%s\"\n", arg);
            return 2;
        }
        *eq = '\0';
        ok = sl_certstore_add_file(o->cfg.certs, arg, eq + 1, err, sizeof err);
    } else if (which == 'd') {
        ok = sl_certstore_set_dir(o->cfg.certs, arg, err, sizeof err);
    } else {
        ok = sl_certstore_add_trust(o->cfg.certs, arg, err, sizeof err);
    }
    if (!ok) {
        fprintf(stderr, "sipsleuth: %s\n", err);
        return 1;
    }
    return 0;
}

/* Returns 0 to run, or the exit status (after printing what is needed). */
static int parse_args(int argc, char **argv, options *o)
{
    enum { OPT_EVENTS = 256, OPT_SUMMARY, OPT_SNAPLEN, OPT_BUFSIZE, OPT_STATS, OPT_MAXHDR, OPT_DEDUP,
           OPT_DEDUP_WINDOW, OPT_SIP_RAW, OPT_SIP_PORTS, OPT_USER, OPT_ROUTES, OPT_ROUTES_SAVE, OPT_MAX_ROUTES,
           OPT_CERT, OPT_CERT_DIR, OPT_TRUST, OPT_IAT_TOLERANCE };
    static const struct option longopts[] = {
        {"filter", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"snaplen", required_argument, NULL, OPT_SNAPLEN},
        {"buffer-size", required_argument, NULL, OPT_BUFSIZE},
        {"stats-interval", required_argument, NULL, OPT_STATS},
        {"max-headers", required_argument, NULL, OPT_MAXHDR},
        {"dedup", no_argument, NULL, OPT_DEDUP},
        {"sip-raw", no_argument, NULL, OPT_SIP_RAW},
        {"dedup-window", required_argument, NULL, OPT_DEDUP_WINDOW},
        {"sip-ports", required_argument, NULL, OPT_SIP_PORTS},
        {"user", required_argument, NULL, OPT_USER},
        {"routes", required_argument, NULL, OPT_ROUTES},
        {"routes-save-interval", required_argument, NULL, OPT_ROUTES_SAVE},
        {"max-routes", required_argument, NULL, OPT_MAX_ROUTES},
        {"cert", required_argument, NULL, OPT_CERT},
        {"cert-dir", required_argument, NULL, OPT_CERT_DIR},
        {"trust", required_argument, NULL, OPT_TRUST},
        {"iat-tolerance", required_argument, NULL, OPT_IAT_TOLERANCE},
        {"summary", no_argument, NULL, OPT_SUMMARY},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    o->events = SL_EV_DEFAULT;
    o->live.promiscuous = true;
    sl_config_defaults(&o->cfg);
    int c;
    unsigned long v;
    const char *sip_ports = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:i:f:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (o->n_files == MAX_FILES) {
                fprintf(stderr, "sipsleuth: too many -r files (at most %d)\n", MAX_FILES);
                return 2;
            }
            o->files[o->n_files++] = optarg;
            break;
        case 'i':
            if (o->live.iface) {
                /* One pcap handle reads one interface; "any" reads them all. */
                fprintf(stderr, "sipsleuth: only one -i is supported; use -i any for all\n");
                return 2;
            }
            o->live.iface = optarg;
            break;
        case 'f': o->filter = optarg; break;
        case 'o': o->output = optarg; break;
        case OPT_SIP_PORTS: sip_ports = optarg; break;
        case OPT_USER: o->user = optarg; break;
        case OPT_EVENTS: {
            const char *bad;
            size_t bad_len;
            if (strcmp(optarg, "none") == 0)
                o->events = 0; /* e.g. only the --summary report */
            else if (!sl_event_mask_parse(optarg, &o->events, &bad, &bad_len)) {
                fprintf(stderr, "sipsleuth: --events: unknown event type \"%.*s\"\n",
                        (int)bad_len, bad);
                return 2;
            }
            break;
        }
        case OPT_DEDUP: o->cfg.dedup_enabled = true; break;
        case OPT_ROUTES: o->cfg.routes_file = optarg; break;
        case OPT_ROUTES_SAVE:
        case OPT_MAX_ROUTES:
            if (!parse_uint(optarg, 0x7fffffff, &v) || (c == OPT_MAX_ROUTES && v == 0)) {
                fprintf(stderr, "sipsleuth: %s: not a valid number: \"%s\"\n", argv[optind - 1],
                        optarg);
                return 2;
            }
            if (c == OPT_MAX_ROUTES)
                o->cfg.routes.max_routes = v;
            else
                o->cfg.routes_save_interval = (sl_time)v * SL_NS_PER_SEC;
            break;
        case OPT_SIP_RAW: o->cfg.sip_raw = true; break;
        case OPT_SNAPLEN:
        case OPT_BUFSIZE:
        case OPT_STATS:
        case OPT_MAXHDR:
        case OPT_DEDUP_WINDOW:
            if (!parse_uint(optarg, c == OPT_MAXHDR ? 65535 : 0x7fffffff, &v) ||
                ((c == OPT_MAXHDR || c == OPT_DEDUP_WINDOW) && v == 0)) {
                fprintf(stderr, "sipsleuth: %s: not a valid number: \"%s\"\n", argv[optind - 1],
                        optarg);
                return 2;
            }
            if (c == OPT_SNAPLEN)
                o->live.snaplen = (int)v;
            else if (c == OPT_BUFSIZE)
                o->live.buffer_size = (int)v;
            else if (c == OPT_MAXHDR)
                o->cfg.max_headers = v;
            else if (c == OPT_DEDUP_WINDOW) {
                o->cfg.dedup_enabled = true;
                o->cfg.dedup.window = (sl_time)v * SL_NS_PER_MS;
            }
            else {
                o->cfg.stats_interval = (sl_time)v * SL_NS_PER_SEC;
                o->stats_interval_set = true;
            }
            break;
        case OPT_CERT:
        case OPT_CERT_DIR:
        case OPT_TRUST: {
            int st = cert_option(o, c == OPT_CERT ? 'c' : c == OPT_CERT_DIR ? 'd' : 't', optarg);
            if (st)
                return st;
            break;
        }
        case OPT_IAT_TOLERANCE:
            if (!parse_uint(optarg, 0x7fffffff, &v)) {
                fprintf(stderr, "sipsleuth: --iat-tolerance: not a valid number: \"%s\"\n", optarg);
                return 2;
            }
            o->cfg.identity.iat_tolerance = (int64_t)v;
            break;
        case OPT_SUMMARY: o->summary = true; break;
        case 'q': o->quiet = true; break;
        case 'h': usage(stdout); return -1;
        case 'V': printf("sipsleuth %s\n", SL_VERSION); return -1;
        case ':':
            fprintf(stderr, "sipsleuth: option %s needs a value\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "sipsleuth: unknown option %s (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sipsleuth: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return 2;
    }
    if ((o->n_files > 0) == (o->live.iface != NULL)) {
        fprintf(stderr, "sipsleuth: give either -r FILE or -i IFACE (see --help)\n");
        return 2;
    }
    if (sip_ports) {
        char ports[4096], err[256];
        if (!sl_sip_ports_filter(sip_ports, ports, sizeof ports, err, sizeof err)) {
            fprintf(stderr, "sipsleuth: %s\n", err);
            return 2;
        }
        /* -f goes first: it is read on untagged offsets, which the `vlan` in
         * the ports filter shifts for whatever follows it. */
        size_t cap = sizeof o->filter_built;
        if ((size_t)(o->filter ? snprintf(o->filter_built, cap, "(%s) and (%s)", o->filter, ports)
                               : snprintf(o->filter_built, cap, "%s", ports)) >= cap) {
            fprintf(stderr, "sipsleuth: -f with --sip-ports: the filter is too long\n");
            return 2;
        }
        o->filter = o->filter_built;
    }
    if (o->live.iface && !o->stats_interval_set)
        o->cfg.stats_interval = 60 * SL_NS_PER_SEC;
    return 0;
}

static void service_signals(sl_output *out)
{
    if (reopen_requested) {
        reopen_requested = 0;
        sl_output_reopen(out);
    }
}

/* What watches the frames besides the pipeline (each may be NULL). */
typedef struct watchers {
    sl_summary *summary;
    sl_progress *progress;
    int64_t base; /* bytes of the files before this one; -1 when a size is unknown */
} watchers;

/* Reads one capture to its end (or a stop request). Returns false on a read error. */
static bool run_capture(sl_capture *cap, sl_pipeline *p, sl_output *out, const watchers *w)
{
    sl_frame f;
    struct timespec flushed, tick;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &flushed);
    while (!stop_requested && !sl_output_error(out)) {
        service_signals(out);
        /* Events reach the output within a second even on a line too busy
         * to ever be idle (idle moments flush below). */
        clock_gettime(CLOCK_MONOTONIC_COARSE, &tick);
        if (tick.tv_sec > flushed.tv_sec + 1 ||
            (tick.tv_sec == flushed.tv_sec + 1 && tick.tv_nsec >= flushed.tv_nsec)) {
            sl_output_flush(out);
            flushed = tick;
        }
        switch (sl_capture_next(cap, &f)) {
        case SL_CAPTURE_FRAME:
            sl_pipeline_frame(p, f.dlt, f.ts, f.data, f.caplen, f.wirelen);
            if (w->summary)
                sl_summary_frame(w->summary, f.ts);
            if (w->progress) {
                int64_t at = w->base >= 0 ? sl_capture_offset(cap) : -1;
                /* Without a position, count a pcap record: its 16-byte header and data. */
                sl_progress_frame(w->progress, at >= 0 ? w->base + at : -1, 16 + f.caplen);
            }
            break;
        case SL_CAPTURE_TIMEOUT: {
            /* An idle line (live only): capture time moves on with the wall
             * clock, which is the clock the kernel stamps packets with, so
             * timers run even before the first packet. */
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            sl_pipeline_advance(p, (sl_time)now.tv_sec * SL_NS_PER_SEC + now.tv_nsec);
            sl_output_flush(out);
            break;
        }
        case SL_CAPTURE_END: return true;
        case SL_CAPTURE_ERROR:
            if (stop_requested)
                return true; /* SIGINT/SIGTERM cut a blocking read short: a clean stop */
            fprintf(stderr, "sipsleuth: %s\n", sl_capture_error(cap));
            return false;
        }
    }
    return true;
}

/* Bytes of all the input files, or -1 when one is not a regular file (stdin, a pipe). */
static int64_t input_size(const options *o, int upto)
{
    int64_t total = 0;
    for (int i = 0; i < upto; i++) {
        struct stat st;
        if (strcmp(o->files[i], "-") == 0 || stat(o->files[i], &st) != 0 || !S_ISREG(st.st_mode))
            return -1;
        total += st.st_size;
    }
    return total;
}

/* The --summary report: on stderr, or where the events would go when there are none. */
static void write_summary(const options *o, sl_summary *s, const sl_pipeline *p)
{
    FILE *f = stderr;
    if (o->events == 0) {
        bool to_file = o->output && strcmp(o->output, "-") != 0;
        f = to_file ? fopen(o->output, "a") : stdout;
        if (!f) {
            fprintf(stderr, "sipsleuth: cannot write the summary to %s: %s\n", o->output,
                    strerror(errno));
            return;
        }
    }
    sl_identity_counts ids;
    sl_identity_get_counts(sl_pipeline_identity(p), &ids);
    sl_summary_write(s, sl_pipeline_counters(p), sl_pipeline_routes(p), &ids, f);
    if (f != stderr && f != stdout)
        fclose(f);
}

static void read_capture_stats(void *cap, sl_capture_stats *cs) { sl_capture_read_stats(cap, cs); }

static sl_capture *open_input(const options *o, int index, char *err, size_t errlen)
{
    sl_capture *cap = o->live.iface ? sl_capture_open_live(&o->live, err, errlen)
                                    : sl_capture_open_file(o->files[index], err, errlen);
    if (!cap)
        return NULL;
    /* -1: pcapng, a link type per interface; frames of one we cannot decode are counted. */
    int dlt = sl_capture_datalink(cap);
    if (dlt >= 0 && !sl_decode_link_supported(dlt)) {
        snprintf(err, errlen, "%s: link type %d is not supported", sl_capture_name(cap), dlt);
        sl_capture_close(cap);
        return NULL;
    }
    if (o->filter && !sl_capture_set_filter(cap, o->filter, err, errlen)) {
        sl_capture_close(cap);
        return NULL;
    }
    return cap;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "routes") == 0)
        return sl_routes_cli(argc - 1, argv + 1);
    options o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;

    sl_output *out = sl_output_open(o.output, o.events);
    if (!out) {
        fprintf(stderr, "sipsleuth: cannot open output %s: %s\n", o.output, strerror(errno));
        return 1;
    }
    watchers w = {.base = -1};
    if (o.summary) {
        w.summary = sl_summary_new();
        o.cfg.dialog.on_end = sl_summary_on_dialog;
        o.cfg.dialog.user = w.summary;
    }
    sl_pipeline *p = (o.summary && !w.summary) ? NULL : sl_pipeline_new(&o.cfg, out);
    if (!p) {
        fprintf(stderr, "sipsleuth: out of memory\n");
        sl_summary_free(w.summary);
        return 1;
    }
    char routes_err[600];
    if (!sl_pipeline_load_routes(p, routes_err, sizeof routes_err)) {
        fprintf(stderr, "sipsleuth: %s\n", routes_err);
        sl_pipeline_free(p);
        sl_summary_free(w.summary);
        sl_output_close(out);
        return 1;
    }
    install_signals();
    /* The progress line only for a person watching: files, at a terminal. */
    if (!o.live.iface && !o.quiet && isatty(STDERR_FILENO))
        w.progress = sl_progress_new(stderr, input_size(&o, o.n_files));

    int status = 0;
    sl_capture_stats cs = {0};
    int inputs = o.live.iface ? 1 : o.n_files;
    for (int i = 0; i < inputs && !stop_requested && !sl_output_error(out); i++) {
        char err[1024];
        sl_capture *cap = open_input(&o, i, err, sizeof err);
        if (!cap) {
            fprintf(stderr, "sipsleuth: %s\n", err);
            status = 1;
            continue;
        }
        if (o.user && i == 0 && !sl_drop_privileges(o.user, err, sizeof err)) {
            fprintf(stderr, "sipsleuth: %s\n", err);
            sl_capture_close(cap);
            status = 1;
            break;
        }
        active_capture = cap;
        if (o.live.iface)
            sl_pipeline_set_capture_stats(p, read_capture_stats, cap);
        if (!o.live.iface)
            w.base = input_size(&o, i);
        if (!run_capture(cap, p, out, &w))
            status = 1;
        sl_capture_read_stats(cap, &cs);
        sl_pipeline_set_capture_stats(p, NULL, NULL);
        active_capture = NULL;
        sl_capture_close(cap);
    }
    sl_progress_free(w.progress);
    sl_pipeline_finish(p, &cs);
    if (w.summary)
        write_summary(&o, w.summary, p);
    if (sl_pipeline_routes_error(p)) {
        fprintf(stderr, "sipsleuth: --routes %s: %s\n", o.cfg.routes_file,
                sl_pipeline_routes_error(p));
        status = 1;
    }
    sl_pipeline_free(p);
    sl_summary_free(w.summary);
    const char *out_err = sl_output_error(out);
    if (out_err)
        fprintf(stderr, "sipsleuth: %s\n", out_err);
    if (!sl_output_close(out) || out_err) {
        if (!out_err)
            fprintf(stderr, "sipsleuth: cannot finish writing events\n");
        status = 1;
    }
    return status;
}
