/* The SIP message dissector (RFC 3261 7 and 18.3): start line, header
 * lines, and the body framed by Content-Length. */
#include "sipsleuth/sip.h"

#include "byte_scan.h"
#include "line_scan.h"

/* A start line longer than this is not SIP (and a stream would buffer forever). */
#define MAX_START_LINE 8192
#define MAX_CONTENT_LENGTH (16u << 20)

_Static_assert(SL_HDR__COUNT <= 32, "sl_sip_msg.repeated has a bit per header id");

/* RFC 3261 token characters; controls and non-ASCII are not. */
/* clang-format off */
static const uint8_t tchar[256] = {
    [0x20] =   0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0,
    /* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    /* 0x40 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    /* 0x60 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
};
/* clang-format on */
#define IS_TCHAR(c) (tchar[(uint8_t)(c)])

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}
static inline bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* w (2, 4 or 8) bytes as a word. */
static inline uint64_t load_word(const void *p, size_t w)
{
    uint64_t x = 0;
    memcpy(&x, p, w);
    return x;
}

/* Whether the w name bytes in x are, case-insensitively, the literal's in
 * lit: OR-ing 0x20 into the bytes under a letter folds the case, and a byte
 * under a '-' must be '-' itself. Letters have bit 0x40 set and '-' has not,
 * so that mask is (lit & 0x40) >> 1 per byte. */
static inline bool word_matches(uint64_t x, uint64_t lit)
{
    return (x | (lit & 0x4040404040404040u) >> 1) == lit;
}

/* How many leading bytes of p[0..n) match the lower-case literal, case-insensitively;
 * a literal of 4 to 8 bytes that is all there is compared in two words first. */
static inline size_t match_ci(const uint8_t *p, size_t n, const char *lit, size_t litlen)
{
    if (n >= litlen && litlen >= 4 && litlen <= 8 &&
        word_matches(load_word(p, 4), load_word(lit, 4)) &&
        word_matches(load_word(p + (litlen - 4), 4), load_word(lit + (litlen - 4), 4)))
        return litlen;
    size_t i = 0;
    while (i < n && i < litlen && lower(p[i]) == (uint8_t)lit[i])
        i++;
    return i;
}

/* Checks the first line p[0..n), without its line end. When `eol` is false
 * the line may continue, and running out of bytes means SL_PARTIAL. With msg
 * NULL (the probe) a status line is accepted as soon as its code is seen.
 * On SL_INVALID, *bad is the offending offset. */
static sl_status scan_start_line(const uint8_t *p, size_t n, bool eol, sl_sip_msg *msg, size_t *bad)
{
    const sl_status more = eol ? SL_INVALID : SL_PARTIAL;
    size_t i, m;

    /* "SIP/" cannot begin a request: '/' is not a token character. */
    if (n >= 4 && match_ci(p, 4, "sip/", 4) == 4) {
        m = match_ci(p, n, "sip/2.0 ", 8);
        if (m < 8) {
            *bad = m;
            return m == n ? more : SL_INVALID;
        }
        for (i = 8; i < 11; i++) {
            if (i == n || !is_digit(p[i])) {
                *bad = i;
                return i == n ? more : SL_INVALID;
            }
        }
        if (!msg)
            return SL_OK;
        if (p[8] < '1' || p[8] > '6') {
            *bad = 8;
            return SL_INVALID;
        }
        if (i < n && p[i] != ' ') {
            *bad = i;
            return SL_INVALID;
        }
        /* Reason-Phrase: text, HTAB and UTF-8, but no other control byte. */
        for (size_t k = i + 1; k < n; k++) {
            if ((p[k] < ' ' && p[k] != '\t') || p[k] == 0x7f) {
                *bad = k;
                return SL_INVALID;
            }
        }
        msg->is_request = false;
        msg->version = sl_slice_make(p, 7);
        msg->status_code = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
        msg->reason = i < n ? sl_slice_make(p + i + 1, n - i - 1) : sl_slice_make(p + n, 0);
        return SL_OK;
    }

    for (i = 0; i < n && IS_TCHAR(p[i]); i++)
        ;
    if (i == n || i == 0 || p[i] != ' ') {
        *bad = i;
        return i == n ? more : SL_INVALID;
    }
    size_t uri = ++i;
    i += sl_scan_ctl_or_space(p + i, n - i);
    if (i == n || i == uri || p[i] != ' ') {
        *bad = i;
        return i == n ? more : SL_INVALID;
    }
    size_t ver = ++i;
    m = match_ci(p + ver, n - ver, "sip/2.0", 7);
    if (m < 7 || ver + 7 < n) {
        *bad = ver + m;
        return ver + m == n ? more : SL_INVALID;
    }
    if (!eol)
        return SL_PARTIAL; /* "SIP/2.0" must end the line */
    if (msg) {
        msg->is_request = true;
        msg->method = sl_slice_make(p, uri - 1);
        msg->request_uri = sl_slice_make(p + uri, ver - 1 - uri);
        msg->version = sl_slice_make(p + ver, 7);
    }
    return SL_OK;
}

/* Checks an unfinished first line (no LF yet): SL_PARTIAL, SL_INVALID, or
 * SL_OK for a status line already recognisable. */
static sl_status scan_open_line(const uint8_t *buf, size_t len, size_t *bad)
{
    if (len >= MAX_START_LINE) {
        *bad = MAX_START_LINE;
        return SL_INVALID;
    }
    /* A trailing CR can only be the start of the line end. */
    bool cr = len && buf[len - 1] == '\r';
    return scan_start_line(buf, cr ? len - 1 : len, cr, NULL, bad);
}

/* Finds the end of the start line in buf[0..n): LF or CRLF, or a lone CR
 * (one not followed by LF), which RFC 3261 does not allow but tshark and
 * others accept. Returns false when no line end is in sight (a CR at the very
 * end may be half a CRLF). Else *end is the line's length without its line
 * end, *next where the following line begins. */
static bool start_line_end(const uint8_t *buf, size_t n, size_t *end, size_t *next, bool *lone_cr)
{
    size_t c = sl_scan_any3(buf, n, '\r', '\n', '\n'); /* the first CR or LF */
    *lone_cr = c + 1 < n && buf[c] == '\r' && buf[c + 1] != '\n';
    if (*lone_cr) {
        *end = c;
        *next = c + 1;
        return true;
    }
    size_t lf = c < n && buf[c] == '\r' ? c + 1 : c;
    if (lf >= n)
        return false;
    *end = lf > 0 && buf[lf - 1] == '\r' ? lf - 1 : lf;
    *next = lf + 1;
    return true;
}

sl_status sl_sip_probe(const uint8_t *buf, size_t len)
{
    size_t n = len < MAX_START_LINE ? len : MAX_START_LINE, bad, end, next;
    bool lone_cr;
    if (!start_line_end(buf, n, &end, &next, &lone_cr))
        return scan_open_line(buf, len, &bad);
    return scan_start_line(buf, end, true, NULL, &bad);
}

size_t sl_sip_skip_keepalive(const uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i;
}

/* Remembers where a finding was first seen; every such offset is past the
 * start line's first byte, so 0 means not yet. */
static void flag_at(sl_sip_msg *msg, uint32_t flags, size_t offset)
{
    for (unsigned i = 0; i < SL_SIP_N_FLAGS; i++)
        if ((flags >> i & 1) && !msg->flag_offsets[i])
            msg->flag_offsets[i] = offset;
}

size_t sl_sip_flag_offset(const sl_sip_msg *msg, uint32_t flag)
{
    for (unsigned i = 0; i < SL_SIP_N_FLAGS; i++)
        if (flag >> i & 1)
            return msg->flag_offsets[i];
    return 0;
}

sl_anomaly_kind sl_sip_flag_kind(uint32_t flag)
{
    switch (flag) {
    case SL_SIP_F_HEADERS_DROPPED: return SL_ANOM_SIP_HEADERS_DROPPED;
    case SL_SIP_F_NO_CONTENT_LENGTH: return SL_ANOM_SIP_NO_CONTENT_LENGTH;
    case SL_SIP_F_BAD_CONTENT_LENGTH: return SL_ANOM_SIP_BAD_CONTENT_LENGTH;
    case SL_SIP_F_BODY_SHORT: return SL_ANOM_SIP_BODY_SHORT;
    case SL_SIP_F_NO_BLANK_LINE: return SL_ANOM_SIP_NO_BLANK_LINE;
    case SL_SIP_F_HEADER_NO_COLON: return SL_ANOM_SIP_HEADER_NO_COLON;
    case SL_SIP_F_DUP_CONTENT_LENGTH: return SL_ANOM_SIP_DUP_CONTENT_LENGTH;
    case SL_SIP_F_LONE_CR: return SL_ANOM_SIP_LONE_CR;
    default: return SL_ANOM_NONE; /* SL_SIP_F_BARE_LF: tolerated, never reported */
    }
}

/* ---- Header name → id ----
 * A header name is looked up by a hash of its length and its first and last
 * bytes (case folded) into a table where no two known names collide (the
 * multipliers were searched for that; a collision would be an initializer
 * override, an error under -Wextra -Werror), then compared a word at a time:
 * one candidate per name, not one comparison per name sharing its first
 * byte. */

#define NAME_SLOTS 64
#define NAME_HASH(first, last, n) ((((first) | 0x20) * 27u + ((last) | 0x20) * 10u + (n)) & 63u)

typedef struct known_name {
    char lit[22]; /* lower case, letters and '-' only; zero padded */
    uint8_t len;  /* 0: an empty slot */
    uint8_t id;
} known_name;

#define KNOWN(first, last, lit, id)                                                                \
    [NAME_HASH(first, last, sizeof(lit) - 1)] = {lit, sizeof(lit) - 1, id}

static const known_name known_names[NAME_SLOTS] = {
    KNOWN('v', 'a', "via", SL_HDR_VIA),
    KNOWN('f', 'm', "from", SL_HDR_FROM),
    KNOWN('t', 'o', "to", SL_HDR_TO),
    KNOWN('c', 'd', "call-id", SL_HDR_CALL_ID),
    KNOWN('c', 'q', "cseq", SL_HDR_CSEQ),
    KNOWN('c', 't', "contact", SL_HDR_CONTACT),
    KNOWN('c', 'h', "content-length", SL_HDR_CONTENT_LENGTH),
    KNOWN('c', 'e', "content-type", SL_HDR_CONTENT_TYPE),
    KNOWN('s', 'd', "supported", SL_HDR_SUPPORTED),
    KNOWN('s', 't', "subject", SL_HDR_SUBJECT),
    KNOWN('c', 'g', "content-encoding", SL_HDR_CONTENT_ENCODING),
    KNOWN('e', 't', "event", SL_HDR_EVENT),
    KNOWN('r', 'o', "refer-to", SL_HDR_REFER_TO),
    KNOWN('a', 's', "allow-events", SL_HDR_ALLOW_EVENTS),
    KNOWN('i', 'y', "identity", SL_HDR_IDENTITY),
    KNOWN('i', 'o', "identity-info", SL_HDR_IDENTITY_INFO),
    KNOWN('r', 'y', "referred-by", SL_HDR_REFERRED_BY),
    KNOWN('s', 's', "session-expires", SL_HDR_SESSION_EXPIRES),
    KNOWN('a', 't', "accept-contact", SL_HDR_ACCEPT_CONTACT),
    KNOWN('r', 't', "reject-contact", SL_HDR_REJECT_CONTACT),
    KNOWN('r', 'n', "request-disposition", SL_HDR_REQUEST_DISPOSITION),
    KNOWN('u', 't', "user-agent", SL_HDR_USER_AGENT),
    KNOWN('s', 'r', "server", SL_HDR_SERVER),
    KNOWN('e', 's', "expires", SL_HDR_EXPIRES),
    KNOWN('d', 'e', "date", SL_HDR_DATE),
    KNOWN('p', 'y', "p-asserted-identity", SL_HDR_P_ASSERTED_IDENTITY),
    KNOWN('r', 'n', "reason", SL_HDR_REASON),
    KNOWN('m', 's', "max-forwards", SL_HDR_MAX_FORWARDS),
    KNOWN('r', 'e', "route", SL_HDR_ROUTE),
    KNOWN('r', 'e', "record-route", SL_HDR_RECORD_ROUTE),
};
#undef KNOWN

/* The IANA compact forms (RFC 3261 7.3.3 and later registrations). */
static const uint8_t compact_ids[26] = {
    ['a' - 'a'] = SL_HDR_ACCEPT_CONTACT,
    ['b' - 'a'] = SL_HDR_REFERRED_BY,
    ['c' - 'a'] = SL_HDR_CONTENT_TYPE,
    ['d' - 'a'] = SL_HDR_REQUEST_DISPOSITION,
    ['e' - 'a'] = SL_HDR_CONTENT_ENCODING,
    ['f' - 'a'] = SL_HDR_FROM,
    ['i' - 'a'] = SL_HDR_CALL_ID,
    ['j' - 'a'] = SL_HDR_REJECT_CONTACT,
    ['k' - 'a'] = SL_HDR_SUPPORTED,
    ['l' - 'a'] = SL_HDR_CONTENT_LENGTH,
    ['m' - 'a'] = SL_HDR_CONTACT,
    ['n' - 'a'] = SL_HDR_IDENTITY_INFO,
    ['o' - 'a'] = SL_HDR_EVENT,
    ['r' - 'a'] = SL_HDR_REFER_TO,
    ['s' - 'a'] = SL_HDR_SUBJECT,
    ['t' - 'a'] = SL_HDR_TO,
    ['u' - 'a'] = SL_HDR_ALLOW_EVENTS,
    ['v' - 'a'] = SL_HDR_VIA,
    ['x' - 'a'] = SL_HDR_SESSION_EXPIRES,
    ['y' - 'a'] = SL_HDR_IDENTITY,
};

/* p[0..n) against lit, both n bytes (2 to 19), in words of w bytes: at the
 * start, after it, and at the end (overlapping), never reading outside p[0..n). */
static inline bool name_matches(const uint8_t *p, const char *lit, size_t n, size_t w)
{
    if (!word_matches(load_word(p, w), load_word(lit, w)))
        return false;
    if (n > 2 * w && !word_matches(load_word(p + w, w), load_word(lit + w, w)))
        return false;
    return word_matches(load_word(p + n - w, w), load_word(lit + n - w, w));
}

/* Inlined into the header loop: it runs for every header. */
static inline __attribute__((always_inline)) sl_sip_hdr_id header_id(const uint8_t *p, size_t n)
{
    if (n < 2) {
        uint8_t c = n ? (uint8_t)(p[0] | 0x20) : 0;
        return (c >= 'a' && c <= 'z') ? (sl_sip_hdr_id)compact_ids[c - 'a'] : SL_HDR_OTHER;
    }
    const known_name *k = &known_names[NAME_HASH(p[0], p[n - 1], n)];
    if (k->len != n)
        return SL_HDR_OTHER;
    size_t w = n >= 8 ? 8 : n >= 4 ? 4 : 2;
    bool match = w == 8   ? name_matches(p, k->lit, n, 8)
                 : w == 4 ? name_matches(p, k->lit, n, 4)
                          : name_matches(p, k->lit, n, 2);
    return match ? (sl_sip_hdr_id)k->id : SL_HDR_OTHER;
}

sl_sip_hdr_id sl_sip_header_id(sl_slice name)
{
    return header_id(name.ptr, name.len);
}

/* The first Content-Length value, against which later ones are compared. */
typedef struct first_length {
    bool seen;
    sl_slice raw;
} first_length;

/* Returns the SL_SIP_F_* bits this Content-Length value raises. */
static uint32_t on_content_length(first_length *cl, sl_sip_msg *msg, sl_slice value)
{
    uint64_t v;
    bool ok = sl_slice_to_u64(value, MAX_CONTENT_LENGTH, &v);
    if (!cl->seen) {
        cl->seen = true;
        cl->raw = value;
        if (!ok)
            return SL_SIP_F_BAD_CONTENT_LENGTH;
        msg->has_content_length = true;
        msg->content_length = v;
        return 0;
    }
    bool same = ok == msg->has_content_length &&
                (ok ? v == msg->content_length : sl_slice_ieq_slice(value, cl->raw));
    return same ? 0 : SL_SIP_F_DUP_CONTENT_LENGTH;
}

/* The header loop's running state, kept in registers rather than in *msg
 * (whose fields the compiler must reload after every byte store through
 * the header array) and written back by headers_done(). */
typedef struct header_state {
    const uint8_t *buf;
    sl_sip_header *headers;
    size_t cap; /* usable entries of headers */
    size_t n, seen;
    uint32_t flags, repeated;
    first_length cl;
} header_state;

/* One complete header: name buf[ns..ne) with its id, value buf[vs..ve) before trimming.
 * Inlined: it runs for every header. */
static inline __attribute__((always_inline)) void add_header(header_state *st, sl_sip_msg *msg,
                                                             sl_sip_hdr_id id, size_t ns, size_t ne,
                                                             size_t vs, size_t ve)
{
    const uint8_t *b = st->buf;
    if (vs < ve && b[vs] == ' ')
        vs++; /* the usual single space */
    while (vs < ve && sl_is_lws(b[vs]))
        vs++;
    while (ve > vs && sl_is_lws(b[ve - 1]))
        ve--;
    sl_slice name = sl_slice_make(b + ns, ne - ns), value = sl_slice_make(b + vs, ve - vs);
    st->seen++;
    if (id == SL_HDR_CONTENT_LENGTH) {
        uint32_t f = on_content_length(&st->cl, msg, value);
        if (f) {
            st->flags |= f;
            flag_at(msg, f, vs);
        }
    }
    if (st->n == st->cap) {
        st->flags |= SL_SIP_F_HEADERS_DROPPED;
        flag_at(msg, SL_SIP_F_HEADERS_DROPPED, ns);
        return;
    }
    /* Field by field: building a struct and copying it stalls on store forwarding. */
    sl_sip_header *h = &st->headers[st->n++];
    h->name = name;
    h->value = value;
    h->id = id;
    if (msg->first[id] != 0)
        st->repeated |= 1u << id;
    else if (st->n <= UINT16_MAX)
        msg->first[id] = (uint16_t)st->n;
}

static inline void headers_done(const header_state *st, sl_sip_msg *msg)
{
    msg->n_headers = st->n;
    msg->n_headers_seen = st->seen;
    msg->flags |= st->flags;
    msg->repeated = st->repeated;
}

static sl_status invalid(sl_anomaly *an, sl_anomaly_kind kind, size_t offset)
{
    sl_anomaly_set(an, kind, offset);
    return SL_INVALID;
}

/* The start line, ending at *pos (past its line end). A datagram's end
 * also ends its line. */
static inline sl_status parse_start_line(const uint8_t *buf, size_t len, bool stream,
                                         sl_sip_msg *msg, sl_anomaly *an, size_t *pos)
{
    size_t scan = len < MAX_START_LINE ? len : MAX_START_LINE;
    size_t end, bad = 0;
    bool lone_cr;
    if (start_line_end(buf, scan, &end, pos, &lone_cr)) {
        msg->start_line_ended = true;
        if (lone_cr) {
            msg->flags |= SL_SIP_F_LONE_CR;
            flag_at(msg, SL_SIP_F_LONE_CR, end);
        } else if (end + 1 == *pos)
            msg->flags |= SL_SIP_F_BARE_LF;
    } else {
        if (stream || len >= MAX_START_LINE) {
            sl_status s = scan_open_line(buf, len, &bad);
            if (s == SL_INVALID)
                return invalid(an, SL_ANOM_SIP_BAD_START_LINE, bad);
            return SL_PARTIAL;
        }
        end = *pos = len; /* len > 0: the caller returned on an empty buffer */
        if (buf[end - 1] == '\r')
            end--;
    }
    if (scan_start_line(buf, end, true, msg, &bad) != SL_OK)
        return invalid(an, SL_ANOM_SIP_BAD_START_LINE, bad);
    return SL_OK;
}

/* The id of a header name buf[pos..colon) less trailing SP/HT (*ne is its
 * end); false when it is empty or not a token. A known name is a token by
 * its match: only other names need the byte check. */
static inline __attribute__((always_inline)) bool
header_name(const uint8_t *buf, size_t pos, size_t colon, size_t *ne, sl_sip_hdr_id *id)
{
    size_t e = colon;
    while (e > pos && buf[e - 1] <= ' ' && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
        e--; /* rare: blanks before the colon */
    *ne = e;
    if (e == pos)
        return false;
    *id = header_id(buf + pos, e - pos);
    if (*id != SL_HDR_OTHER)
        return true;
    for (size_t i = pos; i < e; i++)
        if (!IS_TCHAR(buf[i]))
            return false;
    return true;
}

/* The header lines from *pos; *pos ends past the blank line, if any (then
 * *blank is set). A header is completed by the next line that does not
 * begin with whitespace (folding), so it is added one line late. Returns
 * SL_PARTIAL when a stream's line is cut, after headers_done(). */
static inline sl_status parse_headers(header_state *st, sl_sip_msg *msg, size_t len, bool stream,
                                      size_t *pos_io, bool *blank)
{
    const uint8_t *buf = st->buf;
    bool pending = false, skipping = false;
    size_t pos = *pos_io, end, next, ns = 0, ne = 0, vs = 0, ve = 0;
    sl_sip_hdr_id id = SL_HDR_OTHER;
    sl_line_masks m = {.base = pos};
    if (pos < len)
        sl_line_masks_at(&m, buf, len, pos);
    while (pos < len) {
        bool lf = sl_line_next(&m, buf, len, pos, &end, &next);
        if (!lf && stream) {
            headers_done(st, msg);
            return SL_PARTIAL;
        }
        if (lf && (end == next - 1))
            st->flags |= SL_SIP_F_BARE_LF;
        if (end == pos) {
            *blank = true;
            pos = next;
            break;
        }
        uint8_t c = buf[pos];
        if (c == ' ' || c == '\t') {
            if (pending)
                ve = end;
            else if (!skipping) {
                st->flags |= SL_SIP_F_HEADER_NO_COLON; /* a fold with nothing to continue */
                flag_at(msg, SL_SIP_F_HEADER_NO_COLON, pos);
            }
            skipping = !pending;
            pos = next;
            continue;
        }
        if (pending)
            add_header(st, msg, id, ns, ne, vs, ve);
        size_t colon = sl_line_colon(buf, len, pos, end);
        pending = colon < end && header_name(buf, pos, colon, &ne, &id);
        skipping = !pending; /* a line without a name: its continuation lines go with it */
        if (pending) {
            ns = pos;
            vs = colon + 1;
            ve = end;
        } else {
            st->flags |= SL_SIP_F_HEADER_NO_COLON;
            flag_at(msg, SL_SIP_F_HEADER_NO_COLON, pos);
        }
        pos = next;
    }
    if (pending)
        add_header(st, msg, id, ns, ne, vs, ve);
    headers_done(st, msg);
    *pos_io = pos;
    return SL_OK;
}

/* The body from pos (RFC 3261 18.3), framed by Content-Length. */
static inline sl_status parse_body(const header_state *st, sl_sip_msg *msg, size_t len, bool stream,
                                   size_t pos, sl_anomaly *an)
{
    size_t left = len - pos;
    size_t body_len;
    if (!st->cl.seen) {
        msg->flags |= SL_SIP_F_NO_CONTENT_LENGTH;
        flag_at(msg, SL_SIP_F_NO_CONTENT_LENGTH, pos);
        body_len = stream ? 0 : left; /* a stream message without one has no body */
    } else if (!msg->has_content_length) {
        if (stream)
            return invalid(an, SL_ANOM_SIP_BAD_CONTENT_LENGTH, (size_t)(st->cl.raw.ptr - st->buf));
        body_len = left;
    } else if (msg->content_length > left) {
        if (stream)
            return SL_PARTIAL;
        msg->flags |= SL_SIP_F_BODY_SHORT;
        flag_at(msg, SL_SIP_F_BODY_SHORT, len);
        body_len = left;
    } else {
        body_len = (size_t)msg->content_length;
    }
    msg->body = sl_slice_make(st->buf + pos, body_len);
    msg->length = pos + body_len;
    return SL_OK;
}

sl_status sl_sip_parse(const uint8_t *buf, size_t len, sl_sip_framing framing, sl_sip_msg *msg,
                       sl_anomaly *an)
{
    sl_sip_header *headers = msg->headers;
    size_t max_headers = msg->max_headers;
    memset(msg, 0, sizeof *msg);
    msg->headers = headers;
    msg->max_headers = max_headers;
    header_state st = {.buf = buf, .headers = headers, .cap = headers ? max_headers : 0};
    const bool stream = framing == SL_SIP_STREAM;

    if (len == 0)
        return stream ? SL_PARTIAL : invalid(an, SL_ANOM_SIP_EMPTY, 0);
    size_t pos;
    sl_status s = parse_start_line(buf, len, stream, msg, an, &pos);
    if (s != SL_OK)
        return s;
    bool blank = false;
    if (parse_headers(&st, msg, len, stream, &pos, &blank) != SL_OK)
        return SL_PARTIAL;
    if (!blank) {
        if (stream)
            return SL_PARTIAL;
        msg->flags |= SL_SIP_F_NO_BLANK_LINE;
        flag_at(msg, SL_SIP_F_NO_BLANK_LINE, len);
        pos = len;
    }
    return parse_body(&st, msg, len, stream, pos, an);
}

void sl_sip_msg_move(sl_sip_msg *msg, sl_sip_header *headers, const uint8_t *from,
                     const uint8_t *to)
{
    for (size_t i = 0; i < msg->n_headers; i++) {
        headers[i].name = sl_slice_moved(msg->headers[i].name, from, to);
        headers[i].value = sl_slice_moved(msg->headers[i].value, from, to);
        headers[i].id = msg->headers[i].id;
    }
    msg->headers = headers;
    msg->max_headers = msg->n_headers;
    msg->method = sl_slice_moved(msg->method, from, to);
    msg->request_uri = sl_slice_moved(msg->request_uri, from, to);
    msg->reason = sl_slice_moved(msg->reason, from, to);
    msg->version = sl_slice_moved(msg->version, from, to);
    msg->body = sl_slice_moved(msg->body, from, to);
}
