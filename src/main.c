/* sipsleuth: command line (cli.c) → configuration → capture loop. */
#include "sipsleuth/capture.h"
#include "sipsleuth/certstore.h"
#include "sipsleuth/cli.h"
#include "sipsleuth/decode.h"
#include "sipsleuth/output.h"
#include "sipsleuth/privileges.h"
#include "sipsleuth/progress.h"
#include "sipsleuth/routes_cli.h"
#include "sipsleuth/summary.h"
#include "sipsleuth/summary_json.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    (void)signal(SIGPIPE, SIG_IGN); /* cannot fail for a valid signal number */
}

/* The events' output as the capture loop sees it. It is written by the
 * pipeline's analysis, a thread of its own with --workers 2: the loop's
 * flushes and reopens are done there, in order with the events
 * (sl_pipeline_in_order), and a write error comes back in `failed`. */
typedef struct events_out {
    sl_output *out;
    bool threaded;
    atomic_bool failed;
} events_out;

static void note_error(events_out *e)
{
    if (sl_output_error(e->out))
        atomic_store(&e->failed, true);
}

static void flush_events(void *user)
{
    events_out *e = user;
    sl_output_flush(e->out);
    note_error(e);
}

static void reopen_events(void *user)
{
    events_out *e = user;
    sl_output_reopen(e->out);
    note_error(e);
}

static bool events_failed(events_out *e)
{
    return e->threaded ? atomic_load(&e->failed) : sl_output_error(e->out) != NULL;
}

/* What watches the frames besides the pipeline (each may be NULL). */
typedef struct watchers {
    sl_summary *summary;
    sl_progress *progress;
    int64_t base; /* bytes of the files before this one; -1 when a size is unknown */
} watchers;

/* Reads one capture to its end (or a stop request). Returns false on a read error. */
static bool run_capture(sl_capture *cap, sl_pipeline *p, events_out *e, const watchers *w)
{
    sl_frame f;
    struct timespec flushed, tick;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &flushed);
    while (!stop_requested && !events_failed(e)) {
        if (reopen_requested) {
            reopen_requested = 0;
            sl_pipeline_in_order(p, reopen_events, e);
        }
        /* Events reach the output within a second even on a line too busy
         * to ever be idle (idle moments flush below). */
        clock_gettime(CLOCK_MONOTONIC_COARSE, &tick);
        if (tick.tv_sec > flushed.tv_sec + 1 ||
            (tick.tv_sec == flushed.tv_sec + 1 && tick.tv_nsec >= flushed.tv_nsec)) {
            sl_pipeline_in_order(p, flush_events, e);
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
            sl_pipeline_in_order(p, flush_events, e);
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
static int64_t input_size(const sl_cli *o, int upto)
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

/* The --summary report (text, or one JSON object with --json): on stderr,
 * or where the events would go when there are none. False (after a line on
 * stderr naming where and why) when it could not be written. */
static bool write_summary(const sl_cli *o, sl_summary *s, const sl_pipeline *p)
{
    FILE *f = stderr;
    const char *name = "standard error";
    if (o->events == 0) {
        bool to_file = o->output && strcmp(o->output, "-") != 0;
        f = to_file ? fopen(o->output, "a") : stdout;
        name = to_file ? o->output : "standard output";
        if (!f) {
            fprintf(stderr, "sipsleuth: cannot write the summary to %s: %s\n", name,
                    strerror(errno));
            return false;
        }
    }
    sl_identity_counts ids;
    sl_identity_get_counts(sl_pipeline_identity(p), &ids);
    const sl_summary_report *rep =
        sl_summary_report_make(s, sl_pipeline_counters(p), sl_pipeline_routes(p), &ids);
    errno = 0;
    bool ok = o->summary_json ? sl_summary_write_json(rep, f) : sl_summary_write(rep, f);
    int err = errno;
    if (f != stderr && f != stdout && fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok)
        fprintf(stderr, "sipsleuth: cannot write the summary to %s: %s\n", name,
                err ? strerror(err) : "write error");
    return ok;
}

static void read_capture_stats(void *cap, sl_capture_stats *cs)
{
    sl_capture_read_stats(cap, cs);
}

/* NULL with err set when the input cannot be read; *bad_filter when it was
 * the -f filter that failed (bad usage, not a runtime failure). */
static sl_capture *open_input(const sl_cli *o, int index, char *err, size_t errlen,
                              bool *bad_filter)
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
        *bad_filter = true;
        sl_capture_close(cap);
        return NULL;
    }
    return cap;
}

/* Files written later need a writable directory: the routes file is saved
 * as FILE.tmp renamed over FILE, and -o is created anew when SIGHUP reopens
 * it after a rotation. Checked before any packet is read (and again as
 * --user), so neither fails at the end or at a rotation for a reason known
 * at the start. */
static bool dir_writable(const char *option, const char *file, char *err, size_t errlen)
{
    char dir[4096];
    const char *slash = strrchr(file, '/');
    size_t n = slash ? (size_t)(slash - file) : 0;
    if (n >= sizeof dir)
        n = sizeof dir - 1;
    memcpy(dir, file, n);
    dir[n] = '\0';
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (n == 0)
        snprintf(dir, sizeof dir, "/");
    if (access(dir, W_OK | X_OK) == 0)
        return true;
    snprintf(err, errlen, "%s %s: cannot write in %s: %s", option, file, dir, strerror(errno));
    return false;
}

/* -o (unless stdout) and --routes, checked with dir_writable, and --cert-dir,
 * whose files are read when a signature first names them. */
static bool paths_usable(const sl_cli *o, char *err, size_t errlen)
{
    if (o->output && strcmp(o->output, "-") != 0 && !dir_writable("-o", o->output, err, errlen))
        return false;
    if (o->cfg.routes_file && !dir_writable("--routes", o->cfg.routes_file, err, errlen))
        return false;
    return !o->cfg.certs || sl_certstore_dir_readable(o->cfg.certs, err, errlen);
}

/* What a run holds from setup to teardown. */
typedef struct run {
    sl_output *out;
    events_out ev; /* the same output, for the capture loop */
    sl_pipeline *p;
    watchers w;
} run;

/* Output, summary and pipeline with its routes: 0, or the exit status
 * (after a line on stderr, with nothing left open). */
static int setup(sl_cli *o, run *r)
{
    r->out = sl_output_open(o->output, o->events);
    if (!r->out) {
        fprintf(stderr, "sipsleuth: cannot open output %s: %s\n", o->output, strerror(errno));
        return 1;
    }
    sl_output_set_sip_detail(r->out, o->cfg.sip_raw, o->cfg.max_contacts);
    r->ev.out = r->out;
    r->ev.threaded = o->cfg.workers > 1;
    atomic_init(&r->ev.failed, false);
    r->w = (watchers){.base = -1};
    sl_sink sink = sl_output_sink(r->out);
    if (o->summary) {
        /* The summary sees every event it reads, whatever --events writes. */
        r->w.summary = sl_summary_new();
        if (r->w.summary)
            sink = sl_summary_tee(r->w.summary, &sink);
    }
    r->p = (o->summary && !r->w.summary) ? NULL : sl_pipeline_new(&o->cfg, &sink);
    if (!r->p) {
        fprintf(stderr, "sipsleuth: out of memory\n");
        sl_summary_free(r->w.summary);
        return 1;
    }
    char routes_err[600];
    if (!sl_pipeline_load_routes(r->p, routes_err, sizeof routes_err) ||
        !paths_usable(o, routes_err, sizeof routes_err)) {
        fprintf(stderr, "sipsleuth: %s\n", routes_err);
        sl_pipeline_free(r->p);
        sl_summary_free(r->w.summary);
        sl_output_close(r->out);
        return 1;
    }
    return 0;
}

/* Reads the inputs in order (the interface when live) into the pipeline;
 * *opened counts those that could be opened, *cs has the last one's
 * capture statistics. Returns the exit status so far. */
static int read_inputs(const sl_cli *o, run *r, int *opened, sl_capture_stats *cs)
{
    int status = 0;
    bool bad_filter = false;
    int inputs = o->live.iface ? 1 : o->n_files;
    for (int i = 0; i < inputs && !stop_requested && !events_failed(&r->ev); i++) {
        char err[1024];
        sl_capture *cap = open_input(o, i, err, sizeof err, &bad_filter);
        if (!cap) {
            fprintf(stderr, "sipsleuth: %s\n", err);
            status = bad_filter ? 2 : 1;
            if (bad_filter)
                break;
            continue;
        }
        if (o->user && i == 0 &&
            (!sl_drop_privileges(o->user, err, sizeof err) || !paths_usable(o, err, sizeof err))) {
            fprintf(stderr, "sipsleuth: %s\n", err);
            sl_capture_close(cap);
            status = 1;
            break;
        }
        (*opened)++;
        active_capture = cap;
        if (o->live.iface)
            sl_pipeline_set_capture_stats(r->p, read_capture_stats, cap);
        if (!o->live.iface)
            r->w.base = input_size(o, i);
        if (!run_capture(cap, r->p, &r->ev, &r->w))
            status = 1;
        sl_capture_read_stats(cap, cs);
        sl_pipeline_set_capture_stats(r->p, NULL, NULL);
        active_capture = NULL;
        sl_capture_close(cap);
    }
    return status;
}

/* The final state, the summary and the errors known at the end; frees the
 * run. Returns the exit status, given the one so far. */
static int finish(const sl_cli *o, run *r, int opened, const sl_capture_stats *cs, int status)
{
    /* Nothing was read (no input could be opened): no final state to report,
     * rather than a stats event of zeros stamped 1970. */
    if (opened) {
        sl_pipeline_finish(r->p, cs);
        sl_output_flush(r->out);
    }
    if (opened && r->w.summary && !write_summary(o, r->w.summary, r->p))
        status = 1;
    if (sl_pipeline_routes_error(r->p)) {
        fprintf(stderr, "sipsleuth: --routes %s: %s\n", o->cfg.routes_file,
                sl_pipeline_routes_error(r->p));
        status = 1;
    }
    sl_pipeline_free(r->p);
    sl_summary_free(r->w.summary);
    const char *out_err = sl_output_error(r->out);
    if (out_err)
        fprintf(stderr, "sipsleuth: %s\n", out_err);
    if (!sl_output_close(r->out) || out_err) {
        if (!out_err)
            fprintf(stderr, "sipsleuth: cannot finish writing events\n");
        status = 1;
    }
    return status;
}

/* --extract: the record of pass 1, and its output checked before any packet
 * is read. 0, or the exit status after a line on stderr. */
static int extract_setup(sl_cli *o, sl_extract **x)
{
    char err[4200];
    if (!sl_extract_prepare(&o->extract_out, err, sizeof err)) {
        fprintf(stderr, "sipsleuth: %s\n", err);
        return 1;
    }
    *x = sl_extract_new(o->extract_ids, (size_t)o->n_extract);
    if (!*x) {
        fprintf(stderr, "sipsleuth: out of memory\n");
        return 1;
    }
    o->cfg.extract = *x;
    o->cfg.defrag.frames = o->cfg.tcp.frames = o->cfg.sctp.frames = sl_extract_frames(*x);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "routes") == 0)
        return sl_routes_cli(argc - 1, argv + 1);
    sl_cli o = {0};
    int rc = sl_cli_parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = sl_cli_load(&o);
    if (rc) {
        free(o.extract_ids);
        return rc;
    }
    sl_extract *x = NULL;
    run r;
    rc = o.extract_out.file || o.extract_out.dir ? extract_setup(&o, &x) : 0;
    if (!rc)
        rc = setup(&o, &r);
    if (rc) {
        sl_extract_free(x);
        free(o.extract_ids);
        return rc;
    }
    install_signals();
    /* The progress line only for a person watching: files, at a terminal. */
    if (!o.live.iface && !o.quiet && isatty(STDERR_FILENO))
        r.w.progress = sl_progress_new(stderr, input_size(&o, o.n_files));
    int opened = 0;
    sl_capture_stats cs = {0};
    int status = read_inputs(&o, &r, &opened, &cs);
    sl_progress_free(r.w.progress);
    r.w.progress = NULL;
    status = finish(&o, &r, opened, &cs, status);
    if (x && status == 0) /* pass 2: the frames recorded, copied from a second read */
        status = sl_extract_write(x, &o.extract_out, o.files, o.n_files, o.filter);
    sl_extract_free(x);
    free(o.extract_ids);
    return status;
}
