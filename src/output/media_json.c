/* The `media` object of sip and dialog events: an SDP's connection, streams,
 * formats, codecs, direction and ptime, from the parsed SDP (sip events) or
 * from the dialog tracker's packed SDP (dialog events). */
#include "sipsleuth/media.h"
#include "text_memo.h"
#include "writers.h"

#define MAX_CODECS 16 /* codecs written per stream */

static void write_codec(sl_jw *w, unsigned pt, sl_slice name, uint32_t rate, unsigned channels)
{
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "pt", pt);
    sl_jw_kslice(w, "name", name);
    sl_jw_kuint(w, "rate", rate);
    if (channels)
        sl_jw_kuint(w, "channels", channels);
    sl_jw_obj_end(w);
}

/* formats: as written; codecs: each numeric format's rtpmap, or its static
 * payload type (RFC 3551) when it has none. */
static void write_formats_text(sl_jw *w, const sl_sdp_media *v)
{
    sl_jw_key(w, "formats");
    sl_jw_arr_begin(w);
    sl_slice rest = v->fmts;
    while (rest.len) {
        size_t i = 0;
        while (i < rest.len && rest.ptr[i] != ' ' && rest.ptr[i] != '\t')
            i++;
        if (i)
            sl_jw_slice(w, sl_slice_make(rest.ptr, i));
        rest = sl_slice_from(rest, i + 1);
    }
    sl_jw_arr_end(w);
    sl_jw_key(w, "codecs");
    sl_jw_arr_begin(w);
    rest = v->fmts;
    for (size_t k = 0; rest.len && k < MAX_CODECS;) {
        size_t i = 0;
        while (i < rest.len && rest.ptr[i] != ' ' && rest.ptr[i] != '\t')
            i++;
        uint64_t pt;
        if (i && sl_slice_to_u64(sl_slice_make(rest.ptr, i), 127, &pt)) {
            const sl_sdp_rtpmap *m = NULL;
            for (size_t j = 0; j < v->n_rtpmap && !m; j++)
                if (v->rtpmap[j].pt == pt)
                    m = &v->rtpmap[j];
            const char *name;
            uint32_t rate;
            if (m) {
                write_codec(w, (unsigned)pt, m->name, m->rate, m->channels);
                k++;
            } else if (sl_sdp_static_pt((unsigned)pt, &name, &rate)) {
                write_codec(w, (unsigned)pt, sl_slice_make(name, strlen(name)), rate, 0);
                k++;
            }
        }
        rest = sl_slice_from(rest, i + 1);
    }
    sl_jw_arr_end(w);
}

/* What formats and codecs are written from: the format list and every
 * rtpmap, one after the other. 0 when they do not fit in cap. */
static size_t codecs_key(const sl_sdp_media *v, uint8_t *key, size_t cap)
{
    size_t n = 2 + v->fmts.len;
    if (n > cap)
        return 0;
    key[0] = v->n_rtpmap;
    key[1] = (uint8_t)v->fmts.len; /* < cap */
    memcpy(key + 2, v->fmts.ptr, v->fmts.len);
    for (size_t i = 0; i < v->n_rtpmap; i++) {
        const sl_sdp_rtpmap *r = &v->rtpmap[i];
        if (cap - n < 7 + r->name.len)
            return 0;
        uint8_t *k = key + n;
        k[0] = r->pt;
        k[1] = r->channels;
        memcpy(k + 2, &r->rate, 4);
        k[6] = (uint8_t)r->name.len;
        memcpy(k + 7, r->name.ptr, r->name.len);
        n += 7 + r->name.len;
    }
    return n;
}

/* The formats and codecs members: the text written last time for the same
 * format list and rtpmaps when the memo has it. */
static void write_formats(sl_jw *w, sl_text_memo *memo, const sl_sdp_media *v)
{
    uint8_t key[SL_MEMO_KEY_MAX];
    size_t key_len = memo ? codecs_key(v, key, sizeof key) : 0;
    sl_memo_hit hit;
    if (key_len && sl_text_memo_find(memo, key, key_len, &hit)) {
        /* the members, and the comma before */
        sl_jw_raw(w, (const char *)hit.text.ptr, hit.text.len);
        return;
    }
    size_t mark = sl_jw_member_mark(w);
    write_formats_text(w, v);
    if (key_len)
        sl_text_memo_put(memo, key, key_len, sl_jw_text_since(w, mark), NULL, 0);
}

/* Where an SDP object's own values went (dialog events): byte ranges in the
 * writer's buffer, in order: the session's address, then each stream's port
 * and address. The rest of the object is what calls with the same streams
 * share (sl_sdp_packed). */
typedef struct holes {
    size_t n;
    size_t from[SL_MEMO_HOLES], to[SL_MEMO_HOLES];
} holes;

static void hole(holes *h, const sl_jw *w, const char *from, const char *to)
{
    if (h && h->n < SL_MEMO_HOLES) {
        h->from[h->n] = (size_t)(from - w->buf);
        h->to[h->n++] = (size_t)(to - w->buf);
    }
}

/* A connection address as a JSON value: the string, or null. */
static char *conn_value(char *o, sl_slice conn)
{
    return conn.len ? sl_jwc_bytes(o, conn.ptr, conn.len) : SL_JWC_LIT(o, "null");
}

/* media, port, port_count, proto and connection_ip: one chunk of text. */
static void write_stream_head(sl_jw *w, const sl_sdp_media *v, sl_slice conn, holes *h)
{
    char *o = sl_jw_chunk_begin(w, 120 + 6 * (v->media.len + v->proto.len + conn.len));
    if (!o)
        return;
    o = SL_JWC_LIT(o, "\"media\":");
    o = sl_jwc_bytes(o, v->media.ptr, v->media.len);
    o = SL_JWC_LIT(o, ",\"port\":");
    char *at = o;
    o = sl_jwc_uint(o, v->port);
    hole(h, w, at, o);
    if (v->port_count) {
        o = SL_JWC_LIT(o, ",\"port_count\":");
        o = sl_jwc_uint(o, v->port_count);
    }
    o = SL_JWC_LIT(o, ",\"proto\":");
    o = sl_jwc_bytes(o, v->proto.ptr, v->proto.len);
    o = SL_JWC_LIT(o, ",\"connection_ip\":");
    at = o;
    o = conn_value(o, conn);
    hole(h, w, at, o);
    sl_jw_chunk_end(w, o);
}

/* direction and ptime: one chunk of text. */
static void write_stream_tail(sl_jw *w, const sl_sdp_media *v, sl_sdp_dir dir)
{
    const char *name = sl_sdp_dir_name(dir);
    char *o = sl_jw_chunk_begin(w, 64);
    if (!o)
        return;
    o = SL_JWC_LIT(o, "\"direction\":\"");
    o = sl_jwc_lit(o, name, strlen(name));
    o = SL_JWC_LIT(o, "\"");
    if (v->ptime)
        o = sl_jwc_uint(SL_JWC_LIT(o, ",\"ptime\":"), v->ptime);
    sl_jw_chunk_end(w, o);
}

static void write_stream(sl_jw *w, sl_text_memo *memo, const sl_sdp_media *v, sl_slice session_conn,
                         sl_sdp_dir session_dir, holes *h)
{
    sl_jw_obj_begin(w);
    write_stream_head(w, v, v->conn.len ? v->conn : session_conn, h);
    write_formats(w, memo, v);
    write_stream_tail(w, v, v->dir != SL_SDP_DIR_UNSET ? (sl_sdp_dir)v->dir : session_dir);
    sl_jw_obj_end(w);
}

static void write_sdp(sl_jw *w, sl_text_memo *codecs, const sl_sdp *sdp, holes *h)
{
    sl_jw_obj_begin(w);
    char *o = sl_jw_chunk_begin(w, 64 + 6 * sdp->conn.len);
    if (o) {
        o = SL_JWC_LIT(o, "\"connection_ip\":");
        char *at = o;
        o = conn_value(o, sdp->conn);
        hole(h, w, at, o);
        o = sl_sdp_is_hold(sdp) ? SL_JWC_LIT(o, ",\"hold\":true")
                                : SL_JWC_LIT(o, ",\"hold\":false");
        sl_jw_chunk_end(w, o);
    }
    sl_jw_key(w, "streams");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < sdp->n_media; i++)
        write_stream(w, codecs, &sdp->media[i], sdp->conn, (sl_sdp_dir)sdp->dir, h);
    sl_jw_arr_end(w);
    if (sdp->dropped)
        sl_jw_kbool(w, "truncated", true);
    sl_jw_obj_end(w);
}

void sl_json_sdp(sl_jw *w, sl_text_memo *codecs, const sl_sdp *sdp)
{
    write_sdp(w, codecs, sdp, NULL);
}

/* The SDP object written since mark, kept as a template: its text without
 * the values in h, and where they go. */
static void keep_template(sl_text_memo *m, sl_slice key, const sl_jw *w, size_t mark,
                          const holes *h)
{
    char text[SL_MEMO_TEXT_MAX];
    uint16_t at[SL_MEMO_HOLES];
    size_t n = 0, from = mark;
    for (size_t i = 0; i <= h->n; i++) {
        size_t to = i < h->n ? h->from[i] : w->len;
        if (w->failed || to < from || to - from > sizeof text - n)
            return;
        memcpy(text + n, w->buf + from, to - from);
        n += to - from;
        if (i < h->n) {
            at[i] = (uint16_t)n;
            from = h->to[i];
        }
    }
    sl_text_memo_put(m, key.ptr, key.len, sl_slice_make(text, n), at, h->n);
}

/* Hole i of a kept SDP's template: its session address, or a stream's port
 * or address. */
static char *hole_value(char *o, size_t i, const sl_sdp_packed *pk)
{
    if (i == 0)
        return conn_value(o, pk->conn);
    size_t k = (i - 1) / 2;
    if ((i - 1) % 2 == 0)
        return sl_jwc_uint(o, pk->port[k]);
    return conn_value(o, pk->media_conn[k].len ? pk->media_conn[k] : pk->conn);
}

static void write_template(sl_jw *w, const sl_memo_hit *t, const sl_sdp_packed *pk)
{
    size_t room = t->text.len + 6 * pk->conn.len + 8;
    for (size_t k = 0; k < pk->n_media; k++)
        room += 16 + 6 * (pk->media_conn[k].len + pk->conn.len);
    char *o = sl_jw_chunk_begin(w, room);
    if (!o)
        return;
    size_t from = 0;
    for (size_t i = 0; i < t->n_holes; i++) {
        o = sl_jwc_lit(o, (const char *)t->text.ptr + from, t->holes[i] - from);
        o = hole_value(o, i, pk);
        from = t->holes[i];
    }
    o = sl_jwc_lit(o, (const char *)t->text.ptr + from, t->text.len - from);
    sl_jw_chunk_end(w, o);
}

/* A kept offer or answer: from the template of the same streams when the
 * memo has it, else written in full (and kept as a template). */
static void write_kept(sl_jw *w, sl_media_memo *mm, const char *key, const sl_sdp_packed *pk,
                       bool cut)
{
    sl_memo_hit t;
    if (!cut && sl_text_memo_find(&mm->sdps, pk->shared.ptr, pk->shared.len, &t) &&
        t.n_holes == 1 + 2u * pk->n_media) {
        sl_jw_key(w, key);
        write_template(w, &t, pk);
        return;
    }
    sl_sdp sdp;
    if (!sl_sdp_unpack_parts(pk, &sdp))
        return; /* cannot be: the dialog tracker packed it */
    sdp.dropped |= cut;
    sl_jw_key(w, key);
    holes h = {0};
    size_t mark = w->len;
    write_sdp(w, &mm->codecs, &sdp, &h);
    if (!cut && h.n == 1 + 2u * sdp.n_media)
        keep_template(&mm->sdps, pk->shared, w, mark, &h);
}

void sl_json_dialog_media(sl_jw *w, sl_media_memo *mm, const sl_media_pair *p)
{
    sl_jw_key(w, "media");
    sl_jw_obj_begin(w);
    sl_sdp_packed pk = {0}; /* zeroed: the analyzer cannot tell its streams are all filled */
    if (sl_media_kept(p, false, &pk))
        write_kept(w, mm, "offer", &pk, p->offer_cut);
    if (sl_media_kept(p, true, &pk))
        write_kept(w, mm, "answer", &pk, p->answer_cut);
    sl_jw_obj_end(w);
}
