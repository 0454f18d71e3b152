/* The analysis mode's command line: options → sl_cli (see cli.h). */
#include "sipsleuth/cli.h"

#include "sipsleuth/anomaly.h"
#include "sipsleuth/cli_limits.h"
#include "sipsleuth/sip_ports.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: sipsleuth [options] -r FILE [-r FILE ...]   analyze pcap/pcapng files (- = stdin)\n"
        "       sipsleuth [options] -i IFACE                 live capture\n"
        "       sipsleuth routes --routes FILE [list|lookup URI|export --format json|csv]\n"
        "       sipsleuth --help | --version | --list-anomalies\n"
        "\n"
        "  -r FILE               read a capture file; several are read in order as one stream\n"
        "  -i IFACE              capture live (promiscuous, immediate delivery); one\n"
        "                        interface only: for several use -i any (Linux)\n"
        "  -f, --filter BPF      capture filter (default none: SIP is found by content)\n"
        "      --sip-ports LIST  capture only these ports (5060,5080-5090), but keep every\n"
        "                        IP fragment, which \"port 5060\" would lose; and-ed with -f\n"
        "  -o, --output FILE     write events to FILE (default - = stdout); SIGHUP reopens it\n"
        "      --events LIST     event types to write, comma-separated: sip, dialog, redirect,\n"
        "                        route, identity, rejection, registration, anomaly, stats;\n"
        "                        \"all\", \"default\"; -TYPE removes one; \"none\".\n"
        "                        Default: all but sip (one per message)\n"
        "      --snaplen N       live: bytes kept per packet (default: whole packets)\n"
        "      --buffer-size N   live: kernel ring in bytes (default 32 MiB)\n"
        "      --user NAME       switch to this user once the capture is open\n"
        "      --stats-interval S  a stats event every S seconds of capture time\n"
        "                        (default: live 60, files 0 = only the final one)\n"
        "      --sip-raw         sip events carry the whole message text (sip.raw)\n"
        "      --no-sdp          do not parse SDP bodies: no media members, no holds\n"
        "      --workers N       threads: 1 (default), or 2 to parse on one and analyse on\n"
        "                        the other; the events are the same, in the same order\n"
        "      --dedup           drop packets a span port delivered twice: the same IP\n"
        "                        content (TTL and checksum aside) within 50 ms\n"
        "      --dedup-window MS the window for --dedup (implies it)\n"
        "      --routes FILE     the learned routing table: loaded at start if present,\n"
        "                        saved atomically at exit and every save interval\n"
        "      --routes-save-interval S  seconds of capture time between saves (default 60;\n"
        "                        0 = only at exit)\n"
        "      --cert URL=FILE   the certificate (PEM chain or DER) served at URL; repeatable\n"
        "      --cert-dir DIR    certificates by URL, named as secsipid caches them\n"
        "                        (\"://\" and \"/\" become \"_\")\n"
        "      --trust FILE      PEM trust anchors; repeatable. Without, chains are not checked\n"
        "      --iat-tolerance S PASSporT iat vs Date/capture time (default 60)\n"
        "      --tls-keylog FILE decrypt SIP over TLS with this NSS key log (SSLKEYLOGFILE,\n"
        "                        -keylogfile); re-read while it grows\n"
        "      --auth-fail-threshold N  failed authentications of one source (403, or\n"
        "                        401/407 to credentials) within the window that make an\n"
        "                        auth_failures anomaly (default 10)\n"
        "      --auth-fail-window S  seconds of that window (default 60)\n"
        "      --scanner-window S  seconds per scanner anomaly and source (default 60)\n"
        "      --extract CALL_ID copy every frame that carried a message of this call (all\n"
        "                        legs, fragments, TCP segments) to the -w file; repeatable\n"
        "  -w FILE               the pcap file --extract writes (the input's link type)\n"
        "      --extract-dir DIR one pcap file per call in DIR (with --extract: per one of\n"
        "                        those calls), named by Call-ID, and DIR/index.tsv; files\n"
        "                        only: the input is read twice\n"
        "      --summary         at the end, a report for people: calls by outcome with setup\n"
        "                        times, failure codes, redirects and routes, anomalies; on\n"
        "                        stderr, or on the output with --events none\n"
        "      --json            with --summary: the report as one JSON object\n"
        "                        (docs/summary.md), where the text would go\n"
        "  -q, --quiet           no progress line while reading files at a terminal\n"
        "  -h, --help            this text\n"
        "  -V, --version         the version\n"
        "      --list-anomalies  the anomaly kinds, one a line: name, layer, description\n"
        "                        (tab-separated)\n"
        "\n"
        "Resource limits: reaching one is a counted anomaly (README: Resource limits).\n"
        "SIZE is in bytes, or with a K, M or G suffix.\n");
    sl_limit_options_usage(f);
    fprintf(f, "\nExit status: 0 done, 1 runtime failure, 2 bad usage.\n");
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

enum {
    OPT_EVENTS = 256,
    OPT_SUMMARY,
    OPT_SNAPLEN,
    OPT_BUFSIZE,
    OPT_STATS,
    OPT_DEDUP,
    OPT_DEDUP_WINDOW,
    OPT_SIP_RAW,
    OPT_NO_SDP,
    OPT_WORKERS,
    OPT_SIP_PORTS,
    OPT_USER,
    OPT_ROUTES,
    OPT_ROUTES_SAVE,
    OPT_CERT,
    OPT_CERT_DIR,
    OPT_TRUST,
    OPT_IAT_TOLERANCE,
    OPT_TLS_KEYLOG,
    OPT_LIST_ANOMALIES,
    OPT_JSON,
    OPT_AUTH_FAIL_THRESHOLD,
    OPT_AUTH_FAIL_WINDOW,
    OPT_SCANNER_WINDOW,
    OPT_EXTRACT,
    OPT_EXTRACT_DIR,
    OPT_LIMIT /* + index in sl_limit_options */
};

static const struct option options[] = {
    {"filter", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
    {"buffer-size", required_argument, NULL, OPT_BUFSIZE},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"dedup", no_argument, NULL, OPT_DEDUP},
    {"sip-raw", no_argument, NULL, OPT_SIP_RAW},
    {"no-sdp", no_argument, NULL, OPT_NO_SDP},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"dedup-window", required_argument, NULL, OPT_DEDUP_WINDOW},
    {"sip-ports", required_argument, NULL, OPT_SIP_PORTS},
    {"user", required_argument, NULL, OPT_USER},
    {"routes", required_argument, NULL, OPT_ROUTES},
    {"routes-save-interval", required_argument, NULL, OPT_ROUTES_SAVE},
    {"cert", required_argument, NULL, OPT_CERT},
    {"cert-dir", required_argument, NULL, OPT_CERT_DIR},
    {"trust", required_argument, NULL, OPT_TRUST},
    {"iat-tolerance", required_argument, NULL, OPT_IAT_TOLERANCE},
    {"tls-keylog", required_argument, NULL, OPT_TLS_KEYLOG},
    {"summary", no_argument, NULL, OPT_SUMMARY},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"list-anomalies", no_argument, NULL, OPT_LIST_ANOMALIES},
    {"auth-fail-threshold", required_argument, NULL, OPT_AUTH_FAIL_THRESHOLD},
    {"auth-fail-window", required_argument, NULL, OPT_AUTH_FAIL_WINDOW},
    {"scanner-window", required_argument, NULL, OPT_SCANNER_WINDOW},
    {"extract", required_argument, NULL, OPT_EXTRACT},
    {"extract-dir", required_argument, NULL, OPT_EXTRACT_DIR},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

/* options, then one per resource limit, then the terminating zeros. */
static void build_longopts(struct option longopts[N_OPTIONS + SL_N_LIMIT_OPTIONS + 1])
{
    memcpy(longopts, options, sizeof options);
    for (int i = 0; i < SL_N_LIMIT_OPTIONS; i++)
        longopts[N_OPTIONS + i] =
            (struct option){sl_limit_options[i].name, required_argument, NULL, OPT_LIMIT + i};
    longopts[N_OPTIONS + SL_N_LIMIT_OPTIONS] = (struct option){0};
}

/* What options other than sl_cli's fields need until the end of parsing. */
typedef struct parse_state {
    char **argv;
    int argc;
    const char *sip_ports;
} parse_state;

/* The option being parsed as typed, for messages. */
static const char *this_option(const parse_state *ps)
{
    return ps->argv[optind - 1];
}

/* --max-*: 0, or the exit status. */
static int limit_option(sl_cli *o, const sl_limit_option *l, const char *arg)
{
    if (!sl_limit_option_set(l, &o->cfg, arg)) {
        fprintf(stderr, "sipsleuth: --%s: not a valid number: \"%s\" (%zu to %zu%s)\n", l->name,
                arg, l->min, l->max, l->bytes ? ", or with K, M, G" : "");
        return 2;
    }
    return 0;
}

/* -r and -i: 0, or the exit status. */
static int input_option(sl_cli *o, int c, const char *arg)
{
    if (c == 'r') {
        if (o->n_files == SL_CLI_MAX_FILES) {
            fprintf(stderr, "sipsleuth: too many -r files (at most %d)\n", SL_CLI_MAX_FILES);
            return 2;
        }
        o->files[o->n_files++] = arg;
        return 0;
    }
    if (o->live.iface) {
        /* One pcap handle reads one interface; "any" reads them all. */
        fprintf(stderr, "sipsleuth: only one -i is supported; use -i any for all\n");
        return 2;
    }
    o->live.iface = arg;
    return 0;
}

/* --events: 0, or the exit status. */
static int events_option(sl_cli *o, const char *arg)
{
    const char *bad;
    size_t bad_len;
    if (strcmp(arg, "none") == 0)
        o->events = 0; /* e.g. only the --summary report */
    else if (!sl_event_mask_parse(arg, &o->events, &bad, &bad_len)) {
        fprintf(stderr, "sipsleuth: --events: unknown event type \"%.*s\"\n", (int)bad_len, bad);
        return 2;
    }
    return 0;
}

/* --workers N: the pipeline has two stages (parse, analysis), so more than
 * two threads would have nothing to do. 0, or the exit status. */
static int workers_option(sl_cli *o, const char *arg)
{
    unsigned long v;
    if (!parse_uint(arg, 2, &v) || v == 0) {
        fprintf(stderr, "sipsleuth: --workers: 1 or 2, not \"%s\"\n", arg);
        return 2;
    }
    o->cfg.workers = (unsigned)v;
    return 0;
}

/* The options taking a number of units (bytes, seconds, ms): 0, or the exit status. */
static int number_option(sl_cli *o, int c, const char *arg, const parse_state *ps)
{
    unsigned long v;
    bool positive = c == OPT_DEDUP_WINDOW || c == OPT_AUTH_FAIL_THRESHOLD ||
                    c == OPT_AUTH_FAIL_WINDOW || c == OPT_SCANNER_WINDOW;
    if (!parse_uint(arg, 0x7fffffff, &v) || (positive && v == 0)) {
        if (c == OPT_IAT_TOLERANCE)
            fprintf(stderr, "sipsleuth: --iat-tolerance: not a valid number: \"%s\"\n", arg);
        else
            fprintf(stderr, "sipsleuth: %s: not a valid number: \"%s\"\n", this_option(ps), arg);
        return 2;
    }
    switch (c) {
    case OPT_SNAPLEN: o->live.snaplen = (int)v; break;
    case OPT_BUFSIZE: o->live.buffer_size = (int)v; break;
    case OPT_DEDUP_WINDOW:
        o->cfg.dedup_enabled = true;
        o->cfg.dedup.window = (sl_time)v * SL_NS_PER_MS;
        break;
    case OPT_STATS:
        o->cfg.stats_interval = (sl_time)v * SL_NS_PER_SEC;
        o->stats_interval_set = true;
        break;
    case OPT_ROUTES_SAVE: o->cfg.routes_save_interval = (sl_time)v * SL_NS_PER_SEC; break;
    case OPT_AUTH_FAIL_THRESHOLD: o->cfg.registration.auth_fail_threshold = v; break;
    case OPT_AUTH_FAIL_WINDOW:
        o->cfg.registration.auth_fail_window = (sl_time)v * SL_NS_PER_SEC;
        break;
    case OPT_SCANNER_WINDOW: o->cfg.registration.scanner_window = (sl_time)v * SL_NS_PER_SEC; break;
    default: o->cfg.identity.iat_tolerance = (int64_t)v; break; /* OPT_IAT_TOLERANCE */
    }
    return 0;
}

/* --cert URL=FILE, --cert-dir, --trust: recorded for sl_cli_load. 0, or the exit status. */
static int cert_option(sl_cli *o, int c, char *arg, const parse_state *ps)
{
    /* Each takes a value: there are fewer than argc of them. */
    if (!o->certs && !(o->certs = calloc((size_t)ps->argc, sizeof *o->certs))) {
        fprintf(stderr, "sipsleuth: out of memory\n");
        return 1;
    }
    sl_cli_cert *r = &o->certs[o->n_certs];
    r->arg = arg;
    if (c == OPT_CERT) {
        char *eq = strrchr(arg, '=');
        if (!eq || eq == arg || !eq[1]) {
            fprintf(stderr, "sipsleuth: --cert wants URL=FILE, not \"%s\"\n", arg);
            return 2;
        }
        *eq = '\0';
        r->kind = SL_CLI_CERT;
        r->file = eq + 1;
    } else {
        r->kind = c == OPT_CERT_DIR ? SL_CLI_CERT_DIR : SL_CLI_TRUST;
    }
    o->n_certs++;
    return 0;
}

/* --extract, -w, --extract-dir: 0, or the exit status. */
static int extract_option(sl_cli *o, int c, const char *arg, const parse_state *ps)
{
    if (c == OPT_EXTRACT) {
        if (!o->extract_ids && !(o->extract_ids = calloc((size_t)ps->argc, sizeof(char *)))) {
            fprintf(stderr, "sipsleuth: out of memory\n");
            return 1;
        }
        if (!arg[0]) {
            fprintf(stderr, "sipsleuth: --extract: an empty Call-ID\n");
            return 2;
        }
        o->extract_ids[o->n_extract++] = arg;
    } else if (c == 'w') {
        o->extract_out.file = arg;
    } else {
        o->extract_out.dir = arg;
    }
    return 0;
}

/* --extract's combinations: 0, or the exit status. */
static int check_extract(const sl_cli *o)
{
    const sl_extract_out *x = &o->extract_out;
    const char *why = NULL;
    if (x->file && x->dir)
        why = "give either -w FILE or --extract-dir DIR, not both";
    else if (o->n_extract > 0 && !x->file && !x->dir)
        why = "--extract needs -w FILE (or --extract-dir DIR)";
    else if (x->file && o->n_extract == 0)
        why = "-w needs --extract CALL_ID";
    else if ((x->file || x->dir) && o->live.iface)
        why = "--extract reads its input twice: files only, not -i";
    for (int i = 0; !why && (x->file || x->dir) && i < o->n_files; i++)
        if (strcmp(o->files[i], "-") == 0)
            why = "--extract reads its input twice: not from standard input (-r -)";
    if (!why)
        return 0;
    fprintf(stderr, "sipsleuth: %s\n", why);
    return 2;
}

/* One option from getopt_long: 0, -1 when the run is done, or the exit status. */
static int parse_option(sl_cli *o, int c, char *arg, parse_state *ps)
{
    if (c >= OPT_LIMIT && c < OPT_LIMIT + SL_N_LIMIT_OPTIONS)
        return limit_option(o, &sl_limit_options[c - OPT_LIMIT], arg);
    switch (c) {
    case 'r':
    case 'i': return input_option(o, c, arg);
    case 'f': o->filter = arg; break;
    case 'o': o->output = arg; break;
    case OPT_SIP_PORTS: ps->sip_ports = arg; break;
    case OPT_USER: o->user = arg; break;
    case OPT_TLS_KEYLOG: o->tls_keylog = arg; break;
    case OPT_EVENTS: return events_option(o, arg);
    case OPT_DEDUP: o->cfg.dedup_enabled = true; break;
    case OPT_ROUTES: o->cfg.routes_file = arg; break;
    case OPT_SIP_RAW: o->cfg.sip_raw = true; break;
    case OPT_NO_SDP: o->cfg.no_sdp = true; break;
    case OPT_WORKERS: return workers_option(o, arg);
    case OPT_SNAPLEN:
    case OPT_BUFSIZE:
    case OPT_STATS:
    case OPT_DEDUP_WINDOW:
    case OPT_ROUTES_SAVE:
    case OPT_AUTH_FAIL_THRESHOLD:
    case OPT_AUTH_FAIL_WINDOW:
    case OPT_SCANNER_WINDOW:
    case OPT_IAT_TOLERANCE: return number_option(o, c, arg, ps);
    case OPT_CERT:
    case OPT_CERT_DIR:
    case OPT_TRUST: return cert_option(o, c, arg, ps);
    case OPT_EXTRACT:
    case OPT_EXTRACT_DIR:
    case 'w': return extract_option(o, c, arg, ps);
    case OPT_SUMMARY: o->summary = true; break;
    case OPT_JSON: o->summary_json = true; break;
    case 'q': o->quiet = true; break;
    case 'h': usage(stdout); return -1;
    case 'V': printf("sipsleuth %s\n", SL_VERSION); return -1;
    case OPT_LIST_ANOMALIES: sl_anomaly_list(stdout); return -1;
    case ':': fprintf(stderr, "sipsleuth: option %s needs a value\n", this_option(ps)); return 2;
    default:
        fprintf(stderr, "sipsleuth: unknown option %s (see --help)\n", this_option(ps));
        return 2;
    }
    return 0;
}

/* --sip-ports, and-ed with -f: 0, or the exit status. */
static int add_sip_ports_filter(sl_cli *o, const char *sip_ports)
{
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
    return 0;
}

/* What no single option decides: 0, or the exit status. */
static int check_combinations(sl_cli *o, const parse_state *ps)
{
    if (optind < ps->argc) {
        fprintf(stderr, "sipsleuth: unexpected argument \"%s\" (see --help)\n", ps->argv[optind]);
        return 2;
    }
    if ((o->n_files > 0) == (o->live.iface != NULL)) {
        fprintf(stderr, "sipsleuth: give either -r FILE or -i IFACE (see --help)\n");
        return 2;
    }
    if (o->summary_json && !o->summary) {
        fprintf(stderr, "sipsleuth: --json is the format of --summary: give both\n");
        return 2;
    }
    if (ps->sip_ports) {
        int st = add_sip_ports_filter(o, ps->sip_ports);
        if (st)
            return st;
    }
    int xs = check_extract(o);
    if (xs)
        return xs;
    if (o->live.iface && !o->stats_interval_set)
        o->cfg.stats_interval = 60 * SL_NS_PER_SEC;
    return 0;
}

int sl_cli_parse(int argc, char **argv, sl_cli *o)
{
    struct option longopts[N_OPTIONS + SL_N_LIMIT_OPTIONS + 1];
    build_longopts(longopts);
    o->events = SL_EV_DEFAULT;
    o->live.promiscuous = true;
    sl_config_defaults(&o->cfg);
    parse_state ps = {.argv = argv, .argc = argc};
    int c, st = 0;
    opterr = 0;
    while (!st && (c = getopt_long(argc, argv, ":r:i:f:o:w:qhV", longopts, NULL)) != -1)
        st = parse_option(o, c, optarg, &ps);
    if (!st)
        st = check_combinations(o, &ps);
    if (st) {
        free(o->certs);
        o->certs = NULL;
        o->n_certs = 0;
        free(o->extract_ids);
        o->extract_ids = NULL;
    }
    return st;
}
