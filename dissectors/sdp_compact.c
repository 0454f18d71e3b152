/* An SDP written back as the few lines the events report (media.h). */
#include "sipsleuth/media.h"

typedef struct out {
    char *p;
    size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len + n <= o->cap)
        memcpy(o->p + o->len, s, n);
    o->len += n; /* past cap: the line is dropped by the caller */
}

static void put_str(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_slice(out *o, sl_slice s)
{
    put(o, (const char *)s.ptr, s.len);
}

static void put_u(out *o, uint64_t v)
{
    char buf[20];
    size_t n = sizeof buf;
    do {
        buf[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, buf + n, sizeof buf - n);
}

/* Ends a line: kept when it fits, else dropped (back to `start`). */
static bool end_line(out *o, size_t start, bool *cut)
{
    put(o, "\n", 1);
    if (o->len <= o->cap)
        return true;
    o->len = start;
    *cut = true;
    return false;
}

static void conn_line(out *o, sl_slice addr, bool *cut)
{
    if (!addr.len)
        return;
    size_t start = o->len;
    put_str(o, "c=IN IP4 "); /* the address type is not reported */
    put_slice(o, addr);
    end_line(o, start, cut);
}

static void dir_line(out *o, uint8_t dir, bool *cut)
{
    if (dir == SL_SDP_DIR_UNSET)
        return;
    size_t start = o->len;
    put_str(o, "a=");
    put_str(o, sl_sdp_dir_name((sl_sdp_dir)dir));
    end_line(o, start, cut);
}

static bool media_lines(out *o, const sl_sdp_media *m, bool *cut)
{
    size_t start = o->len;
    put_str(o, "m=");
    put_slice(o, m->media);
    put_str(o, " ");
    put_u(o, m->port);
    if (m->port_count) {
        put_str(o, "/");
        put_u(o, m->port_count);
    }
    put_str(o, " ");
    put_slice(o, m->proto);
    if (m->fmts.len) {
        put_str(o, " ");
        put_slice(o, m->fmts);
    }
    if (!end_line(o, start, cut))
        return false; /* without its m= line, the section's lines would join another */
    conn_line(o, m->conn, cut);
    for (size_t i = 0; i < m->n_rtpmap; i++) {
        const sl_sdp_rtpmap *r = &m->rtpmap[i];
        start = o->len;
        put_str(o, "a=rtpmap:");
        put_u(o, r->pt);
        put_str(o, " ");
        put_slice(o, r->name);
        put_str(o, "/");
        put_u(o, r->rate);
        if (r->channels) {
            put_str(o, "/");
            put_u(o, r->channels);
        }
        end_line(o, start, cut);
    }
    if (m->ptime) {
        start = o->len;
        put_str(o, "a=ptime:");
        put_u(o, m->ptime);
        end_line(o, start, cut);
    }
    dir_line(o, m->dir, cut);
    return true;
}

/* NOLINTNEXTLINE(readability-non-const-parameter): buf is written through o.p */
size_t sl_sdp_compact(const sl_sdp *sdp, char *buf, size_t cap, bool *cut)
{
    out o = {buf, 0, cap};
    *cut = sdp->dropped;
    put_str(&o, "v=0");
    if (!end_line(&o, 0, cut))
        return 0;
    conn_line(&o, sdp->conn, cut);
    dir_line(&o, sdp->dir, cut);
    for (size_t i = 0; i < sdp->n_media; i++)
        if (!media_lines(&o, &sdp->media[i], cut))
            break;
    return o.len;
}
