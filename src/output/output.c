/* The JSON output: each record handed to the sink becomes one NDJSON line,
 * built in one buffer and written in large writes — flushed when the buffer
 * fills, when a second of wall time has passed since the last flush, and at
 * close. */
#include "sipsleuth/output.h"

#include "envelope.h"
#include "writers.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_BYTES ((size_t)256 << 10)

struct sl_output {
    sl_envelope *envelope;
    char *path; /* NULL for stdout */
    int fd;
    sl_event_mask mask;
    bool sip_raw;
    size_t max_contacts;
    sl_jw w;
    sl_media_memo media; /* recent SDPs' text, to copy */
    int64_t last_flush_ms;
    uint64_t counts[SL_EV__COUNT];
    char error[512];
    bool failed;
};

bool sl_event_mask_parse(const char *list, sl_event_mask *mask, const char **bad, size_t *bad_len)
{
    /* A list that starts by taking a type away takes it from the default:
     * "-stats" is the default without stats. */
    sl_event_mask m = list[0] == '-' ? SL_EV_DEFAULT : 0;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool neg = n > 0 && p[0] == '-';
        sl_slice name = sl_slice_make(p + neg, n - neg);
        sl_event_mask bits = 0;
        if (sl_slice_eq(name, "all"))
            bits = SL_EV_ALL;
        else if (sl_slice_eq(name, "default"))
            bits = SL_EV_DEFAULT;
        else
            for (int t = 0; t < SL_EV__COUNT; t++)
                if (sl_slice_eq(name, sl_event_type_name((sl_event_type)t)))
                    bits = 1u << t;
        if (!bits) {
            *bad = p;
            *bad_len = n;
            return false;
        }
        m = neg ? (m & ~bits) : (m | bits);
        if (!e)
            break;
        p = e + 1;
    }
    *mask = m;
    return true;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

sl_output *sl_output_open(const char *path, sl_event_mask mask)
{
    sl_output *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->mask = mask;
    o->fd = STDOUT_FILENO;
    if (path && strcmp(path, "-") != 0) {
        o->path = strdup(path);
        o->fd = o->path ? open_path(path) : -1;
        if (o->fd < 0) {
            int err = errno;
            free(o->path);
            free(o);
            errno = err;
            return NULL;
        }
    }
    o->envelope = sl_envelope_new();
    if (!o->envelope) {
        if (o->path)
            close(o->fd);
        free(o->path);
        free(o);
        errno = ENOMEM;
        return NULL;
    }
    o->max_contacts = SIZE_MAX;
    sl_jw_init(&o->w);
    o->last_flush_ms = wall_ms();
    return o;
}

bool sl_output_reopen(sl_output *o)
{
    if (!o->path)
        return true;
    if (!sl_output_flush(o))
        return false;
    int fd = open_path(o->path);
    if (fd < 0) {
        snprintf(o->error, sizeof o->error, "cannot reopen output %s: %s", o->path,
                 strerror(errno));
        o->failed = true;
        return false;
    }
    close(o->fd);
    o->fd = fd;
    return true;
}

const char *sl_output_error(const sl_output *o)
{
    return o->failed ? o->error : NULL;
}
bool sl_output_wants(const sl_output *o, sl_event_type t)
{
    return o->mask & (1u << t);
}
uint64_t sl_output_count(const sl_output *o, sl_event_type t)
{
    return o->counts[t];
}

bool sl_output_flush(sl_output *o)
{
    o->last_flush_ms = wall_ms();
    if (o->failed) {
        sl_jw_reset(&o->w);
        return false;
    }
    if (o->w.failed) {
        snprintf(o->error, sizeof o->error, "out of memory buffering events");
        o->failed = true;
        return false;
    }
    size_t off = 0;
    while (off < o->w.len) {
        ssize_t n = write(o->fd, o->w.buf + off, o->w.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const char *what = o->path ? o->path : "standard output";
            if (n < 0 && errno == EPIPE)
                snprintf(o->error, sizeof o->error, "output %s closed by its reader", what);
            else
                snprintf(o->error, sizeof o->error, "cannot write events to %s: %s", what,
                         n < 0 ? strerror(errno) : "nothing written");
            o->failed = true;
            sl_jw_reset(&o->w);
            return false;
        }
        off += (size_t)n;
    }
    sl_jw_reset(&o->w);
    return true;
}

bool sl_output_close(sl_output *o)
{
    if (!o)
        return true;
    bool ok = sl_output_flush(o);
    if (o->path && close(o->fd) != 0 && ok) {
        snprintf(o->error, sizeof o->error, "cannot close %s: %s", o->path, strerror(errno));
        ok = false;
    }
    sl_jw_free(&o->w);
    sl_envelope_free(o->envelope);
    free(o->path);
    free(o);
    return ok;
}

void sl_output_set_sip_detail(sl_output *o, bool raw, size_t max_contacts)
{
    o->sip_raw = raw;
    o->max_contacts = max_contacts;
}

static void write_detail(sl_output *o, sl_jw *w, const sl_event *ev)
{
    switch (ev->type) {
    case SL_EV_SIP:
        sl_json_sip(w, (const sl_sip_event *)ev, o->sip_raw, o->max_contacts, &o->media.codecs);
        break;
    case SL_EV_ANOMALY: sl_json_anomaly(w, (const sl_anomaly_event *)ev); break;
    case SL_EV_DIALOG: sl_json_dialog(w, (const sl_dialog_event *)ev, &o->media); break;
    case SL_EV_REDIRECT: sl_json_redirect(w, (const sl_redirect_event *)ev); break;
    case SL_EV_ROUTE: sl_json_route(w, (const sl_route_event *)ev); break;
    case SL_EV_IDENTITY: sl_json_identity(w, (const sl_identity_event *)ev); break;
    case SL_EV_REJECTION: sl_json_rejection(w, (const sl_rejection_event *)ev); break;
    case SL_EV_REGISTRATION: sl_json_registration(w, (const sl_registration_event *)ev); break;
    case SL_EV_STATS: sl_json_stats(w, (const sl_stats_event *)ev); break;
    case SL_EV__COUNT: break;
    }
}

static void end_event(sl_output *o)
{
    sl_jw *w = &o->w;
    assert(w->depth == 2);            /* inside the detail object */
    sl_jw_end_document(w, "}}\n", 3); /* closes it and the event */
    if (w->len >= FLUSH_BYTES || wall_ms() - o->last_flush_ms >= 1000)
        sl_output_flush(o);
}

static void begin_event(sl_output *o, const sl_event *ev)
{
    sl_jw *w = &o->w;
    sl_jw_obj_begin(w);
    sl_envelope_write(o->envelope, w, ev);
    sl_jw_key(w, sl_event_type_name(ev->type));
    sl_jw_obj_begin(w);
    o->counts[ev->type]++;
}

static void emit(void *self, const sl_event *ev)
{
    sl_output *o = self;
    if (!sl_output_wants(o, ev->type))
        return;
    begin_event(o, ev);
    write_detail(o, &o->w, ev);
    end_event(o);
}

static bool wants(void *self, sl_event_type type)
{
    return sl_output_wants(self, type);
}

sl_sink sl_output_sink(sl_output *o)
{
    return (sl_sink){.wants = wants, .emit = emit, .self = o};
}
