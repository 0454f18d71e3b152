/* Fuzzes the SDP parser, its memo and the multipart part finder. The input
 * is either an SDP body, or (first byte 'M') a Content-Type line, then a
 * multipart body. Every slice must lie inside the input, every count within
 * its array, and the memo must change nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipsleuth/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *lo, *hi;

static void check(sl_slice s)
{
    if (s.len && (s.ptr < lo || s.ptr + s.len > hi))
        abort();
}

static bool same(sl_slice a, sl_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Kept across inputs, as the pipeline keeps it across messages. */
static sl_sdp_memo memo;

static bool same_at(sl_slice a, sl_slice b)
{
    return a.len == b.len && (a.len == 0 || a.ptr == b.ptr);
}

/* A parse with the memo (twice: the second may find what the first kept)
 * gives what the parse without it gave, slice for slice. */
static void check_memo(sl_slice body, const sl_sdp *sdp, const sl_anomaly *an)
{
    for (int round = 0; round < 2; round++) {
        sl_sdp m;
        sl_anomaly am = {0};
        sl_sdp_parse_memo(body, &m, &memo, &am);
        if (am.kind != an->kind || am.offset != an->offset || m.n_media != sdp->n_media ||
            m.dir != sdp->dir || m.dropped != sdp->dropped || !same_at(m.conn, sdp->conn))
            abort();
        for (size_t i = 0; i < sdp->n_media; i++) {
            const sl_sdp_media *a = &sdp->media[i], *b = &m.media[i];
            if (a->port != b->port || a->port_count != b->port_count || a->dir != b->dir ||
                a->ptime != b->ptime || a->n_rtpmap != b->n_rtpmap ||
                !same_at(a->media, b->media) || !same_at(a->proto, b->proto) ||
                !same_at(a->fmts, b->fmts) || !same_at(a->conn, b->conn))
                abort();
            for (size_t k = 0; k < a->n_rtpmap; k++)
                if (a->rtpmap[k].pt != b->rtpmap[k].pt || a->rtpmap[k].rate != b->rtpmap[k].rate ||
                    a->rtpmap[k].channels != b->rtpmap[k].channels ||
                    !same_at(a->rtpmap[k].name, b->rtpmap[k].name))
                    abort();
        }
    }
}

static void check_sdp(sl_slice body)
{
    sl_sdp sdp;
    sl_anomaly an = {0};
    sl_sdp_parse(body, &sdp, &an);
    check_memo(body, &sdp, &an);
    if (sdp.n_media > SL_SDP_MAX_MEDIA || (an.kind && an.offset > body.len))
        abort();
    check(sdp.conn);
    for (size_t i = 0; i < sdp.n_media; i++) {
        const sl_sdp_media *m = &sdp.media[i];
        if (m->n_rtpmap > SL_SDP_MAX_RTPMAP || m->dir > SL_SDP_INACTIVE)
            abort();
        check(m->media);
        check(m->proto);
        check(m->fmts);
        check(m->conn);
        for (size_t j = 0; j < m->n_rtpmap; j++)
            check(m->rtpmap[j].name);
        check(sl_sdp_media_conn(&sdp, i));
        (void)sl_sdp_dir_name(sl_sdp_media_dir(&sdp, i));
    }
    /* What the dialog tracker keeps unpacks to the same fields. */
    uint8_t kept[SL_MEDIA_KEPT_MAX];
    bool cut;
    size_t n = sl_sdp_pack(&sdp, kept, sizeof kept, &cut);
    if (n > sizeof kept || (n == 0 && !cut))
        abort();
    if (n == 0)
        return; /* not even the session's address fitted: kept empty, cut */
    sl_sdp again;
    if (!sl_sdp_unpack(kept, n, &again) || again.n_media > sdp.n_media)
        abort();
    if (cut)
        return;
    if (again.n_media != sdp.n_media || sl_sdp_is_hold(&again) != sl_sdp_is_hold(&sdp) ||
        !same(again.conn, sdp.conn))
        abort();
    for (size_t i = 0; i < sdp.n_media; i++) {
        const sl_sdp_media *a = &sdp.media[i], *b = &again.media[i];
        if (a->port != b->port || a->n_rtpmap != b->n_rtpmap || a->ptime != b->ptime ||
            a->dir != b->dir || !same(a->fmts, b->fmts) || !same(a->conn, b->conn))
            abort();
        for (size_t k = 0; k < a->n_rtpmap; k++)
            if (a->rtpmap[k].rate != b->rtpmap[k].rate ||
                !same(a->rtpmap[k].name, b->rtpmap[k].name))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lo = data;
    hi = data + size;
    if (size && data[0] == 'M') {
        const uint8_t *nl = memchr(data, '\n', size);
        if (!nl)
            return 0;
        sl_slice ct = sl_slice_make(data + 1, (size_t)(nl - data) - 1);
        sl_slice body = sl_slice_make(nl + 1, size - (size_t)(nl + 1 - data));
        sl_slice part;
        size_t off;
        if (sl_multipart_find_sdp(ct, body, &part, &off)) {
            check(part);
            if (off > body.len || part.ptr != body.ptr + off)
                abort();
            check_sdp(part);
        }
        return 0;
    }
    check_sdp(sl_slice_make(data, size));
    return 0;
}
