/* An SDP packed into the few bytes the events report (media.h): its fields
 * one after the other, strings as a 16-bit length and the bytes, numbers
 * big-endian. Unpacking is a walk over them, with no parsing left to do. */
#include "sipsleuth/media.h"

typedef struct out {
    uint8_t *p, *end; /* the next byte; the end of the buffer */
    bool full;        /* something did not fit: the rest is dropped */
} out;

static bool room(out *o, size_t n)
{
    if (!o->full && (size_t)(o->end - o->p) >= n)
        return true;
    o->full = true;
    return false;
}

static inline void put_u8(out *o, unsigned v)
{
    *o->p++ = (uint8_t)v;
}

static inline void put_u16(out *o, unsigned v)
{
    put_u8(o, v >> 8);
    put_u8(o, v & 0xFF);
}

static inline void put_str(out *o, sl_slice s)
{
    put_u16(o, (unsigned)s.len);
    if (s.len) /* an empty slice may have no pointer */
        memcpy(o->p, s.ptr, s.len);
    o->p += s.len;
}

static size_t str_size(sl_slice s)
{
    return 2 + s.len;
}

static bool pack_rtpmap(out *o, const sl_sdp_rtpmap *r)
{
    if (!room(o, 6 + str_size(r->name)))
        return false;
    put_u8(o, r->pt);
    put_u8(o, r->channels);
    put_u16(o, r->rate >> 16);
    put_u16(o, r->rate & 0xFFFF);
    put_str(o, r->name);
    return true;
}

/* A media section: its m= fields, c= and attributes, then as many of its
 * rtpmaps as fit. False when the section itself does not fit. */
static bool pack_media(out *o, const sl_sdp_media *m)
{
    size_t need =
        8 + str_size(m->media) + str_size(m->proto) + str_size(m->fmts) + str_size(m->conn);
    if (!room(o, need))
        return false;
    put_u16(o, m->port);
    put_u16(o, m->port_count);
    put_u16(o, m->ptime);
    put_u8(o, m->dir);
    uint8_t *count = o->p;
    put_u8(o, 0);
    put_str(o, m->media);
    put_str(o, m->proto);
    put_str(o, m->fmts);
    put_str(o, m->conn);
    uint8_t n = 0;
    while (n < m->n_rtpmap && pack_rtpmap(o, &m->rtpmap[n]))
        n++;
    *count = n;
    return true;
}

size_t sl_sdp_pack(const sl_sdp *sdp, uint8_t *buf, size_t cap, bool *cut)
{
    out o = {buf, buf + cap, false};
    if (!room(&o, 3 + str_size(sdp->conn))) {
        *cut = true;
        return 0;
    }
    put_u8(&o, sdp->dir);
    uint8_t *count = o.p;
    put_u8(&o, 0);
    put_u8(&o, sdp->dropped);
    put_str(&o, sdp->conn);
    uint8_t n = 0;
    while (n < sdp->n_media && pack_media(&o, &sdp->media[n]))
        n++;
    *count = n;
    *cut = sdp->dropped || o.full;
    return (size_t)(o.p - buf);
}

typedef struct in {
    const uint8_t *p, *end;
} in;

static bool get_u8(in *i, uint8_t *v)
{
    if (i->p == i->end)
        return false;
    *v = *i->p++;
    return true;
}

static bool get_u16(in *i, uint16_t *v)
{
    if (i->end - i->p < 2)
        return false;
    *v = (uint16_t)(i->p[0] << 8 | i->p[1]);
    i->p += 2;
    return true;
}

static bool get_str(in *i, sl_slice *s)
{
    uint16_t n;
    if (!get_u16(i, &n) || (size_t)(i->end - i->p) < n)
        return false;
    *s = sl_slice_make(i->p, n);
    i->p += n;
    return true;
}

static bool unpack_media(in *i, sl_sdp_media *m)
{
    uint16_t hi, lo;
    if (!get_u16(i, &m->port) || !get_u16(i, &m->port_count) || !get_u16(i, &m->ptime) ||
        !get_u8(i, &m->dir) || !get_u8(i, &m->n_rtpmap) || m->n_rtpmap > SL_SDP_MAX_RTPMAP ||
        !get_str(i, &m->media) || !get_str(i, &m->proto) || !get_str(i, &m->fmts) ||
        !get_str(i, &m->conn))
        return false;
    for (size_t k = 0; k < m->n_rtpmap; k++) {
        sl_sdp_rtpmap *r = &m->rtpmap[k];
        if (!get_u8(i, &r->pt) || !get_u8(i, &r->channels) || !get_u16(i, &hi) ||
            !get_u16(i, &lo) || !get_str(i, &r->name))
            return false;
        r->rate = (uint32_t)hi << 16 | lo;
    }
    return true;
}

bool sl_sdp_unpack(const uint8_t *buf, size_t len, sl_sdp *sdp)
{
    in i = {buf, buf + len};
    uint8_t dropped;
    if (!get_u8(&i, &sdp->dir) || !get_u8(&i, &sdp->n_media) || sdp->n_media > SL_SDP_MAX_MEDIA ||
        !get_u8(&i, &dropped) || !get_str(&i, &sdp->conn))
        return false;
    sdp->dropped = dropped;
    for (size_t k = 0; k < sdp->n_media; k++)
        if (!unpack_media(&i, &sdp->media[k]))
            return false;
    return i.p == i.end;
}
