/* The SDP parser's memo of media sections: see sdp.h. A slot holds the text
 * that followed an m= line and what it set in that section, with slices into
 * the slot's copy; a hit moves them onto the same bytes of the new body. */
#include "sipsleuth/sdp.h"

/* s, which points into from, moved to the same offset in to; an empty s
 * (no c= line) stays the empty slice the parser leaves. */
static sl_slice moved(sl_slice s, const uint8_t *from, const uint8_t *to)
{
    return s.len ? sl_slice_make(to + (s.ptr - from), s.len) : sl_slice_make(NULL, 0);
}

static void copy_fields(sl_sdp_media *m, const sl_sdp_memo_slot *s, const uint8_t *from,
                        const uint8_t *to)
{
    m->conn = moved(s->conn, from, to);
    m->dir = s->dir;
    m->ptime = s->ptime;
    m->n_rtpmap = s->n_rtpmap;
    for (size_t i = 0; i < s->n_rtpmap; i++) {
        m->rtpmap[i] = s->rtpmap[i];
        m->rtpmap[i].name = moved(s->rtpmap[i].name, from, to);
    }
}

bool sl_sdp_memo_apply(const sl_sdp_memo *memo, sl_slice rest, sl_sdp_media *m)
{
    for (size_t i = 0; i < sizeof memo->slot / sizeof *memo->slot; i++) {
        const sl_sdp_memo_slot *s = &memo->slot[i];
        if (s->len == rest.len && rest.len && memcmp(s->text, rest.ptr, rest.len) == 0) {
            copy_fields(m, s, s->text, rest.ptr);
            return true;
        }
    }
    return false;
}

void sl_sdp_memo_keep(sl_sdp_memo *memo, sl_slice rest, const sl_sdp_media *m)
{
    if (!rest.len || rest.len > sizeof memo->slot[0].text)
        return;
    sl_sdp_memo_slot *s = &memo->slot[memo->next];
    memo->next = (memo->next + 1) % (sizeof memo->slot / sizeof *memo->slot);
    memcpy(s->text, rest.ptr, rest.len);
    s->len = (uint16_t)rest.len;
    /* the same fields, their slices moved from the body into the copy */
    s->conn = moved(m->conn, rest.ptr, s->text);
    s->dir = m->dir;
    s->ptime = m->ptime;
    s->n_rtpmap = m->n_rtpmap;
    for (size_t i = 0; i < m->n_rtpmap; i++) {
        s->rtpmap[i] = m->rtpmap[i];
        s->rtpmap[i].name = moved(m->rtpmap[i].name, rest.ptr, s->text);
    }
}
