/* An SDP packed into the few bytes the events report (media.h): its fields
 * one after the other, strings as a 16-bit length and the bytes, numbers
 * big-endian. What differs from call to call (the addresses and ports) comes
 * first; the rest, which the calls of a trunk share, follows in one piece
 * (sl_sdp_packed: the output writes that piece's text once). Unpacking is a
 * walk over the fields, with no parsing left to do.
 *
 *   n_media, session c=, each stream's port and c=  | hold, session direction,
 *   dropped, each stream's port count, ptime, direction, rtpmap count, media,
 *   proto, formats and rtpmaps (pt, channels, rate, name) */
#include "sipsleuth/media.h"

typedef struct out {
    uint8_t *p; /* the next byte; room was checked before */
} out;

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

static size_t rtpmap_size(const sl_sdp_rtpmap *r)
{
    return 6 + str_size(r->name);
}

/* What is kept of each stream: how many streams and how many of each one's
 * rtpmaps fit in cap, whole. */
typedef struct plan {
    uint8_t n_media;
    uint8_t n_rtpmap[SL_SDP_MAX_MEDIA];
    bool full; /* something was left out */
} plan;

static size_t plan_fit(const sl_sdp *sdp, size_t cap, plan *pl)
{
    size_t used = 1 + str_size(sdp->conn) + 3;
    pl->n_media = 0;
    pl->full = used > cap;
    for (size_t i = 0; i < sdp->n_media && !pl->full; i++) {
        const sl_sdp_media *m = &sdp->media[i];
        size_t need =
            2 + str_size(m->conn) + 6 + str_size(m->media) + str_size(m->proto) + str_size(m->fmts);
        if (cap - used < need) {
            pl->full = true;
            break;
        }
        used += need;
        uint8_t k = 0;
        while (k < m->n_rtpmap && cap - used >= rtpmap_size(&m->rtpmap[k]))
            used += rtpmap_size(&m->rtpmap[k++]);
        pl->full |= k < m->n_rtpmap;
        pl->n_rtpmap[i] = k;
        pl->n_media++;
    }
    return used;
}

static void pack_shared_media(out *o, const sl_sdp_media *m, uint8_t n_rtpmap)
{
    put_u16(o, m->port_count);
    put_u16(o, m->ptime);
    put_u8(o, m->dir);
    put_u8(o, n_rtpmap);
    put_str(o, m->media);
    put_str(o, m->proto);
    put_str(o, m->fmts);
    for (size_t k = 0; k < n_rtpmap; k++) {
        const sl_sdp_rtpmap *r = &m->rtpmap[k];
        put_u8(o, r->pt);
        put_u8(o, r->channels);
        put_u16(o, r->rate >> 16);
        put_u16(o, r->rate & 0xFFFF);
        put_str(o, r->name);
    }
}

/* NOLINTNEXTLINE(readability-non-const-parameter): buf is written through o.p */
size_t sl_sdp_pack(const sl_sdp *sdp, uint8_t *buf, size_t cap, bool *cut)
{
    plan pl;
    size_t len = plan_fit(sdp, cap, &pl);
    *cut = sdp->dropped || pl.full;
    if (len > cap)
        return 0;
    out o = {buf};
    put_u8(&o, pl.n_media);
    put_str(&o, sdp->conn);
    for (size_t i = 0; i < pl.n_media; i++) {
        put_u16(&o, sdp->media[i].port);
        put_str(&o, sdp->media[i].conn);
    }
    put_u8(&o, sl_sdp_is_hold(sdp));
    put_u8(&o, sdp->dir);
    put_u8(&o, sdp->dropped);
    for (size_t i = 0; i < pl.n_media; i++)
        pack_shared_media(&o, &sdp->media[i], pl.n_rtpmap[i]);
    return len;
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

/* The values of this call, from i; i then at the shared part. */
static bool get_own(in *i, sl_sdp_packed *pk)
{
    if (!get_u8(i, &pk->n_media) || pk->n_media > SL_SDP_MAX_MEDIA || !get_str(i, &pk->conn))
        return false;
    for (size_t k = 0; k < pk->n_media; k++)
        if (!get_u16(i, &pk->port[k]) || !get_str(i, &pk->media_conn[k]))
            return false;
    return true;
}

bool sl_sdp_packed_parts(const uint8_t *buf, size_t len, sl_sdp_packed *pk)
{
    in i = {buf, buf + len};
    if (!get_own(&i, pk))
        return false;
    pk->shared = sl_slice_make(i.p, (size_t)(i.end - i.p));
    return pk->shared.len >= 3;
}

bool sl_sdp_packed_own(const uint8_t *buf, size_t len, sl_sdp_packed *pk)
{
    in i = {buf, buf + len};
    return get_own(&i, pk) && i.p == i.end;
}

static bool unpack_media(in *i, sl_sdp_media *m)
{
    uint16_t hi, lo;
    if (!get_u16(i, &m->port_count) || !get_u16(i, &m->ptime) || !get_u8(i, &m->dir) ||
        !get_u8(i, &m->n_rtpmap) || m->n_rtpmap > SL_SDP_MAX_RTPMAP || !get_str(i, &m->media) ||
        !get_str(i, &m->proto) || !get_str(i, &m->fmts))
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

bool sl_sdp_unpack_parts(const sl_sdp_packed *pk, sl_sdp *sdp)
{
    if (pk->shared.len < 3)
        return false;
    in i = {pk->shared.ptr + 1, pk->shared.ptr + pk->shared.len}; /* after hold */
    uint8_t dropped;
    if (!get_u8(&i, &sdp->dir) || !get_u8(&i, &dropped))
        return false;
    sdp->n_media = pk->n_media;
    sdp->conn = pk->conn;
    sdp->dropped = dropped;
    for (size_t k = 0; k < sdp->n_media; k++) {
        sl_sdp_media *m = &sdp->media[k];
        m->port = pk->port[k];
        m->conn = pk->media_conn[k];
        if (!unpack_media(&i, m))
            return false;
    }
    return i.p == i.end;
}

bool sl_sdp_unpack(const uint8_t *buf, size_t len, sl_sdp *sdp)
{
    sl_sdp_packed pk = {0}; /* zeroed: the analyzer cannot tell its streams are all filled */
    return sl_sdp_packed_parts(buf, len, &pk) && sl_sdp_unpack_parts(&pk, sdp);
}
