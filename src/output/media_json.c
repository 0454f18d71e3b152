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
    sl_slice text;
    if (key_len && sl_text_memo_find(memo, key, key_len, &text)) {
        sl_jw_raw(w, (const char *)text.ptr, text.len); /* the members, and the comma before */
        return;
    }
    size_t mark = sl_jw_member_mark(w);
    write_formats_text(w, v);
    if (key_len)
        sl_text_memo_put(memo, key, key_len, sl_jw_text_since(w, mark));
}

/* "connection_ip": the address, or null. */
static char *conn_member(char *o, sl_slice conn)
{
    o = SL_JWC_LIT(o, "\"connection_ip\":");
    return conn.len ? sl_jwc_bytes(o, conn.ptr, conn.len) : SL_JWC_LIT(o, "null");
}

/* media, port, port_count, proto and connection_ip: one chunk of text. */
static void write_stream_head(sl_jw *w, const sl_sdp_media *v, sl_slice conn)
{
    char *o = sl_jw_chunk_begin(w, 120 + 6 * (v->media.len + v->proto.len + conn.len));
    if (!o)
        return;
    o = SL_JWC_LIT(o, "\"media\":");
    o = sl_jwc_bytes(o, v->media.ptr, v->media.len);
    o = SL_JWC_LIT(o, ",\"port\":");
    o = sl_jwc_uint(o, v->port);
    if (v->port_count) {
        o = SL_JWC_LIT(o, ",\"port_count\":");
        o = sl_jwc_uint(o, v->port_count);
    }
    o = SL_JWC_LIT(o, ",\"proto\":");
    o = sl_jwc_bytes(o, v->proto.ptr, v->proto.len);
    o = conn_member(SL_JWC_LIT(o, ","), conn);
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
                         sl_sdp_dir session_dir)
{
    sl_jw_obj_begin(w);
    write_stream_head(w, v, v->conn.len ? v->conn : session_conn);
    write_formats(w, memo, v);
    write_stream_tail(w, v, v->dir != SL_SDP_DIR_UNSET ? (sl_sdp_dir)v->dir : session_dir);
    sl_jw_obj_end(w);
}

void sl_json_sdp(sl_jw *w, sl_text_memo *memo, const sl_sdp *sdp)
{
    sl_jw_obj_begin(w);
    char *o = sl_jw_chunk_begin(w, 64 + 6 * sdp->conn.len);
    if (o) {
        o = conn_member(o, sdp->conn);
        o = sl_sdp_is_hold(sdp) ? SL_JWC_LIT(o, ",\"hold\":true")
                                : SL_JWC_LIT(o, ",\"hold\":false");
        sl_jw_chunk_end(w, o);
    }
    sl_jw_key(w, "streams");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < sdp->n_media; i++)
        write_stream(w, memo, &sdp->media[i], sdp->conn, (sl_sdp_dir)sdp->dir);
    sl_jw_arr_end(w);
    if (sdp->dropped)
        sl_jw_kbool(w, "truncated", true);
    sl_jw_obj_end(w);
}

/* A kept offer or answer. */
static void write_kept(sl_jw *w, sl_text_memo *memo, const char *key, sl_slice kept, bool cut)
{
    sl_sdp sdp;
    if (!sl_sdp_unpack(kept.ptr, kept.len, &sdp))
        return; /* cannot be: the dialog tracker packed it */
    sdp.dropped |= cut;
    sl_jw_key(w, key);
    sl_json_sdp(w, memo, &sdp);
}

void sl_json_dialog_media(sl_jw *w, sl_text_memo *memo, const sl_media_pair *p)
{
    sl_jw_key(w, "media");
    sl_jw_obj_begin(w);
    if (p->has_offer)
        write_kept(w, memo, "offer", sl_media_offer(p), p->offer_cut);
    if (p->has_answer)
        write_kept(w, memo, "answer", sl_media_answer(p), p->answer_cut);
    sl_jw_obj_end(w);
}
