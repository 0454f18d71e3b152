/* The application/sdp part of a multipart body (RFC 2046 5.1), in place:
 * SIP carries SDP next to ISUP (SIP-I), PIDF or a resource list this way. */
#include "sipsleuth/sdp.h"

#define MAX_PARTS 16 /* parts looked at */

/* The boundary parameter of a multipart/... Content-Type, quotes removed. */
static bool boundary_of(sl_slice ct, sl_slice *b)
{
    long semi = sl_slice_find(ct, ';');
    if (semi < 0)
        return false;
    sl_slice type = sl_slice_trim(sl_slice_make(ct.ptr, (size_t)semi));
    if (!sl_slice_istarts(type, "multipart/"))
        return false;
    if (!sl_sip_param_get(sl_slice_from(ct, (size_t)semi), "boundary", b))
        return false;
    if (b->len >= 2 && b->ptr[0] == '"' && b->ptr[b->len - 1] == '"')
        *b = sl_slice_make(b->ptr + 1, b->len - 2);
    return b->len > 0 && b->len <= 70; /* RFC 2046: 1 to 70 characters */
}

/* Offset of the next line at or after `from` that starts with "--" boundary,
 * or body.len. A delimiter starts the body or follows a line end. */
static size_t next_delimiter(sl_slice body, sl_slice b, size_t from)
{
    for (size_t i = from; i + 2 + b.len <= body.len; i++) {
        if ((i == 0 || body.ptr[i - 1] == '\n') && body.ptr[i] == '-' && body.ptr[i + 1] == '-' &&
            memcmp(body.ptr + i + 2, b.ptr, b.len) == 0)
            return i;
        const uint8_t *nl = memchr(body.ptr + i, '\n', body.len - i);
        if (!nl)
            break;
        i = (size_t)(nl - body.ptr); /* the loop's i++ steps past it */
    }
    return body.len;
}

/* A part (between two delimiters): is it application/sdp? Its headers end
 * at the first blank line; *content: what follows. */
static bool part_is_sdp(sl_slice part, sl_slice *content, size_t *content_off)
{
    size_t pos = 0;
    bool sdp = false;
    while (pos < part.len) {
        const uint8_t *nl = memchr(part.ptr + pos, '\n', part.len - pos);
        size_t end = nl ? (size_t)(nl - part.ptr) : part.len;
        sl_slice line = sl_slice_make(part.ptr + pos, end - pos);
        pos = nl ? end + 1 : part.len;
        if (line.len && line.ptr[line.len - 1] == '\r')
            line.len--;
        if (line.len == 0) {
            *content = sl_slice_from(part, pos);
            *content_off = pos;
            return sdp;
        }
        long colon = sl_slice_find(line, ':');
        if (colon > 0 &&
            sl_slice_ieq(sl_slice_trim(sl_slice_make(line.ptr, (size_t)colon)), "content-type"))
            sdp = sl_sdp_is_content_type(sl_slice_from(line, (size_t)colon + 1));
    }
    return false; /* no blank line: no content */
}

bool sl_multipart_find_sdp(sl_slice content_type, sl_slice body, sl_slice *sdp, size_t *off)
{
    sl_slice b;
    if (!boundary_of(content_type, &b))
        return false;
    size_t d = next_delimiter(body, b, 0);
    for (int n = 0; n < MAX_PARTS && d < body.len; n++) {
        size_t after = d + 2 + b.len;
        if (after + 2 <= body.len && body.ptr[after] == '-' && body.ptr[after + 1] == '-')
            return false; /* the close delimiter */
        const uint8_t *nl = memchr(body.ptr + after, '\n', body.len - after);
        if (!nl)
            return false;
        size_t start = (size_t)(nl - body.ptr) + 1;
        size_t next = next_delimiter(body, b, start);
        size_t end = next;
        /* the line end before a delimiter belongs to the delimiter */
        if (end > start && end < body.len && body.ptr[end - 1] == '\n')
            end--;
        if (end > start && end < body.len && body.ptr[end - 1] == '\r')
            end--;
        sl_slice content;
        size_t coff;
        if (part_is_sdp(sl_slice_make(body.ptr + start, end - start), &content, &coff)) {
            *sdp = content;
            *off = start + coff;
            return true;
        }
        d = next;
    }
    return false;
}
