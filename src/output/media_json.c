/* The `media` object of sip and dialog events: an SDP's connection, streams,
 * formats, codecs, direction and ptime, from the parsed SDP (sip events) or
 * from the dialog tracker's compact copy (dialog events). */
#include "sipsleuth/media.h"
#include "writers.h"

/* One m= section as both sources give it. */
typedef struct stream_view {
    sl_slice media, proto, fmts, conn;
    uint16_t port, port_count, ptime;
    sl_sdp_dir dir;
    const sl_sdp_rtpmap *maps;
    size_t n_maps;
} stream_view;

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
static void write_formats(sl_jw *w, const stream_view *v)
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
            for (size_t j = 0; j < v->n_maps && !m; j++)
                if (v->maps[j].pt == pt)
                    m = &v->maps[j];
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

static void write_stream(sl_jw *w, const stream_view *v, sl_slice session_conn,
                         sl_sdp_dir session_dir)
{
    sl_jw_obj_begin(w);
    sl_jw_kslice(w, "media", v->media);
    sl_jw_kuint(w, "port", v->port);
    if (v->port_count)
        sl_jw_kuint(w, "port_count", v->port_count);
    sl_jw_kslice(w, "proto", v->proto);
    sl_jw_kslice_or_null(w, "connection", v->conn.len ? v->conn : session_conn);
    write_formats(w, v);
    sl_sdp_dir d = v->dir != SL_SDP_DIR_UNSET ? v->dir : session_dir;
    sl_jw_kstr(w, "direction", sl_sdp_dir_name(d));
    if (v->ptime)
        sl_jw_kuint(w, "ptime", v->ptime);
    sl_jw_obj_end(w);
}

void sl_json_sdp(sl_jw *w, const sl_sdp *sdp)
{
    sl_jw_obj_begin(w);
    sl_jw_kslice_or_null(w, "connection", sdp->conn);
    sl_jw_kbool(w, "hold", sl_sdp_is_hold(sdp));
    sl_jw_key(w, "streams");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < sdp->n_media; i++) {
        const sl_sdp_media *m = &sdp->media[i];
        stream_view v = {m->media, m->proto,        m->fmts,  m->conn,      m->port,
                         m->port_count, m->ptime, (sl_sdp_dir)m->dir, m->rtpmap, m->n_rtpmap};
        write_stream(w, &v, sdp->conn, (sl_sdp_dir)sdp->dir);
    }
    sl_jw_arr_end(w);
    if (sdp->dropped)
        sl_jw_kbool(w, "truncated", true);
    sl_jw_obj_end(w);
}

static sl_slice str(const char *s)
{
    return sl_slice_make(s, strlen(s));
}

static void write_desc(sl_jw *w, const sl_media_desc *d)
{
    sl_jw_obj_begin(w);
    sl_jw_kslice_or_null(w, "connection", str(d->conn));
    sl_jw_kbool(w, "hold", d->hold);
    sl_jw_key(w, "streams");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < d->n_streams && i < SL_MEDIA_STREAMS; i++) {
        const sl_media_stream *s = &d->streams[i];
        sl_sdp_rtpmap maps[SL_MEDIA_CODECS];
        size_t n = s->n_codecs < SL_MEDIA_CODECS ? s->n_codecs : SL_MEDIA_CODECS;
        for (size_t j = 0; j < n; j++)
            maps[j] = (sl_sdp_rtpmap){.pt = s->codecs[j].pt,
                                      .channels = s->codecs[j].channels,
                                      .rate = s->codecs[j].rate,
                                      .name = str(s->codecs[j].name)};
        stream_view v = {str(s->media), str(s->proto), str(s->fmts), str(s->conn),
                         s->port,       s->port_count, s->ptime,     (sl_sdp_dir)s->dir,
                         maps,          n};
        write_stream(w, &v, str(d->conn), (sl_sdp_dir)d->dir);
    }
    sl_jw_arr_end(w);
    if (d->cut)
        sl_jw_kbool(w, "truncated", true);
    sl_jw_obj_end(w);
}

void sl_json_dialog_media(sl_jw *w, const sl_media_pair *p)
{
    sl_jw_key(w, "media");
    sl_jw_obj_begin(w);
    if (p->has_offer) {
        sl_jw_key(w, "offer");
        write_desc(w, &p->offer);
    }
    if (p->has_answer) {
        sl_jw_key(w, "answer");
        write_desc(w, &p->answer);
    }
    sl_jw_obj_end(w);
}
