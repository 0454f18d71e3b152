/* The SDP parser's memo of media sections: see sdp.h. A slot holds the text
 * that followed an m= line and what it set in that section, with slices into
 * the slot's copy; a hit moves them onto the same bytes of the new body. */
#include "sipsleuth/sdp.h"

/* What the lines after an m= line set in its section, from src to dst, the
 * slices moved from the text at `from` to the same bytes at `to`. */
static void copy_rest(sl_sdp_media *dst, const sl_sdp_media *src, const uint8_t *from,
                      const uint8_t *to)
{
    dst->conn = sl_slice_moved(src->conn, from, to);
    dst->dir = src->dir;
    dst->ptime = src->ptime;
    dst->n_rtpmap = src->n_rtpmap;
    for (size_t i = 0; i < src->n_rtpmap; i++) {
        dst->rtpmap[i] = src->rtpmap[i];
        dst->rtpmap[i].name = sl_slice_moved(src->rtpmap[i].name, from, to);
    }
}

bool sl_sdp_memo_apply(const sl_sdp_memo *memo, sl_slice rest, sl_sdp_media *m)
{
    for (size_t i = 0; i < sizeof memo->slot / sizeof *memo->slot; i++) {
        const sl_sdp_memo_slot *s = &memo->slot[i];
        if (s->len == rest.len && rest.len && memcmp(s->text, rest.ptr, rest.len) == 0) {
            copy_rest(m, &s->section, s->text, rest.ptr);
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
    copy_rest(&s->section, m, rest.ptr, s->text);
}
