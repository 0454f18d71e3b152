/* SDP parsed line by line, in place: see sdp.h. */
#include "sipsleuth/sdp.h"

#include "line_scan.h"

static const char *const dir_names[] = {"sendrecv", "sendrecv", "sendonly", "recvonly", "inactive"};

const char *sl_sdp_dir_name(sl_sdp_dir d)
{
    return (unsigned)d < sizeof dir_names / sizeof *dir_names ? dir_names[d] : "sendrecv";
}

/* Token separators: space, tab and a stray CR (a token never holds one). */
static const bool sep_byte[256] = {[' '] = true, ['\t'] = true, ['\r'] = true};

static inline bool is_sep(uint8_t c)
{
    return sep_byte[c];
}

/* s without its first i bytes (i <= s.len). */
static inline sl_slice after(sl_slice s, size_t i)
{
    return sl_slice_make(s.ptr + i, s.len - i);
}

/* The next space-separated token of *rest, or false at the end. */
static inline bool next_token(sl_slice *rest, sl_slice *tok)
{
    size_t i = 0;
    while (i < rest->len && is_sep(rest->ptr[i]))
        i++;
    size_t start = i;
    while (i < rest->len && !is_sep(rest->ptr[i]))
        i++;
    *tok = sl_slice_make(rest->ptr + start, i - start);
    *rest = after(*rest, i);
    return tok->len > 0;
}

/* Splits s at the first c: head before, *tail after (empty when no c).
 * A loop, not memchr: the fields are a few bytes long. */
static inline sl_slice split_at(sl_slice s, uint8_t c, sl_slice *tail)
{
    size_t i = 0;
    while (i < s.len && s.ptr[i] != c)
        i++;
    *tail =
        i < s.len ? sl_slice_make(s.ptr + i + 1, s.len - i - 1) : sl_slice_make(s.ptr + s.len, 0);
    return sl_slice_make(s.ptr, i);
}

/* A decimal number filling s, at most max. */
static inline bool to_uint(sl_slice s, uint32_t max, uint32_t *out)
{
    if (s.len == 0 || s.len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* c=<nettype> <addrtype> <address>[/ttl][/n]: the address. */
static bool parse_conn(sl_slice v, sl_slice *addr)
{
    sl_slice net, type, a, rest = v, ignored;
    if (!next_token(&rest, &net) || !next_token(&rest, &type) || !next_token(&rest, &a))
        return false;
    *addr = split_at(a, '/', &ignored);
    return addr->len > 0;
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
static bool parse_m(sl_slice v, sl_sdp_media *m)
{
    sl_slice rest = v, port, count;
    memset(m, 0, offsetof(sl_sdp_media, rtpmap));
    if (!next_token(&rest, &m->media) || !next_token(&rest, &port) || !next_token(&rest, &m->proto))
        return false;
    port = split_at(port, '/', &count);
    uint32_t n;
    if (!to_uint(port, 65535, &n))
        return false;
    m->port = (uint16_t)n;
    if (count.len) {
        if (!to_uint(count, 65535, &n))
            return false;
        m->port_count = (uint16_t)n;
    }
    m->fmts = sl_slice_trim(rest);
    return true;
}

/* Digits of s from *i: their value (at most max, at most 10 digits) and
 * *i past them; false when there are none or too many. */
static inline bool digits(sl_slice s, size_t *i, uint32_t max, uint32_t *out)
{
    size_t start = *i;
    uint64_t v = 0;
    while (*i < s.len && s.ptr[*i] >= '0' && s.ptr[*i] <= '9' && *i - start < 11)
        v = v * 10 + (uint64_t)(s.ptr[(*i)++] - '0');
    if (*i == start || *i - start > 10 || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* rtpmap:<pt> <name>/<rate>[/<channels>], in one pass: each of pt, rate
 * and channels all digits, nothing but a separator after the encoding. */
static bool parse_rtpmap(sl_slice v, sl_sdp_rtpmap *r)
{
    size_t i = 0;
    uint32_t n;
    while (i < v.len && is_sep(v.ptr[i]))
        i++;
    if (!digits(v, &i, 127, &n) || i == v.len || !is_sep(v.ptr[i]))
        return false;
    r->pt = (uint8_t)n;
    while (i < v.len && is_sep(v.ptr[i]))
        i++;
    size_t name = i;
    while (i < v.len && v.ptr[i] != '/' && !is_sep(v.ptr[i]))
        i++;
    if (i == name || i == v.len || v.ptr[i] != '/')
        return false;
    r->name = sl_slice_make(v.ptr + name, i - name);
    i++;
    if (!digits(v, &i, UINT32_MAX, &r->rate))
        return false;
    r->channels = 0;
    if (i < v.len && v.ptr[i] == '/') {
        i++;
        if (i < v.len && !is_sep(v.ptr[i])) {
            if (!digits(v, &i, 255, &n))
                return false;
            r->channels = (uint8_t)n;
        }
    }
    return i == v.len || is_sep(v.ptr[i]);
}

typedef struct state {
    sl_sdp *sdp;
    sl_sdp_media *cur; /* NULL: session level, or a dropped m= section */
    bool in_media;     /* after the first m= line */
    sl_anomaly *an;
    size_t off;        /* of the current line in the body */
    unsigned findings; /* bad lines and drops so far */
} state;

static void bad(state *s)
{
    s->findings++;
    sl_anomaly_set(s->an, SL_ANOM_SDP_MALFORMED, s->off);
}

static void too_many(state *s)
{
    s->findings++;
    s->sdp->dropped = true;
    sl_anomaly_set(s->an, SL_ANOM_SDP_TOO_MANY_MEDIA, s->off);
}

static inline bool is(sl_slice s, const char *lit, size_t n)
{
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

/* Is attribute v the name (n bytes) alone or followed by ':' (RFC 8866 5.13)?
 * *value: what follows the ':'. */
static inline bool attr_is(sl_slice v, const char *name, size_t n, sl_slice *value)
{
    if (v.len < n || memcmp(v.ptr, name, n) != 0 || (v.len > n && v.ptr[n] != ':'))
        return false;
    *value = after(v, v.len > n ? n + 1 : n);
    return true;
}

/* A direction attribute: its sl_sdp_dir, else 0 (SL_SDP_DIR_UNSET). */
static uint8_t dir_of(sl_slice v)
{
    sl_slice ignored;
    if (attr_is(v, "sendrecv", 8, &ignored))
        return SL_SDP_SENDRECV;
    if (attr_is(v, "sendonly", 8, &ignored))
        return SL_SDP_SENDONLY;
    if (attr_is(v, "recvonly", 8, &ignored))
        return SL_SDP_RECVONLY;
    if (attr_is(v, "inactive", 8, &ignored))
        return SL_SDP_INACTIVE;
    return SL_SDP_DIR_UNSET;
}

static void on_rtpmap(state *s, sl_slice value)
{
    if (s->cur->n_rtpmap == SL_SDP_MAX_RTPMAP) {
        too_many(s);
        return;
    }
    if (parse_rtpmap(value, &s->cur->rtpmap[s->cur->n_rtpmap]))
        s->cur->n_rtpmap++;
    else
        bad(s);
}

static void on_ptime(state *s, sl_slice value)
{
    sl_slice frac, whole = split_at(sl_slice_trim(value), '.', &frac);
    uint32_t n;
    if (to_uint(whole, 65535, &n))
        s->cur->ptime = (uint16_t)n;
    else
        bad(s);
}

/* Only a direction (sendrecv, sendonly, recvonly, inactive), rtpmap and
 * ptime matter: the others (fmtp, candidate...) are passed by their first
 * byte. */
static void on_attribute(state *s, sl_slice v)
{
    if (!v.len || (v.ptr[0] != 's' && v.ptr[0] != 'r' && v.ptr[0] != 'i' && v.ptr[0] != 'p'))
        return;
    sl_slice value;
    if (s->cur && attr_is(v, "rtpmap", 6, &value)) {
        on_rtpmap(s, value);
        return;
    }
    uint8_t dir = dir_of(v);
    if (dir != SL_SDP_DIR_UNSET) {
        if (!s->in_media)
            s->sdp->dir = dir;
        else if (s->cur)
            s->cur->dir = dir;
    } else if (s->cur && attr_is(v, "ptime", 5, &value)) {
        on_ptime(s, value); /* rtpmap and ptime are media-level attributes */
    }
}

static void on_line(state *s, uint8_t type, sl_slice v)
{
    sl_sdp *sdp = s->sdp;
    switch (type) {
    case 'm':
        s->in_media = true;
        s->cur = NULL;
        if (sdp->n_media == SL_SDP_MAX_MEDIA) {
            too_many(s);
            return;
        }
        if (parse_m(v, &sdp->media[sdp->n_media]))
            s->cur = &sdp->media[sdp->n_media++];
        else
            bad(s);
        return;
    case 'c': {
        sl_slice addr;
        if (!parse_conn(v, &addr))
            bad(s);
        else if (!s->in_media)
            sdp->conn = addr;
        else if (s->cur)
            s->cur->conn = addr;
        return;
    }
    case 'a': on_attribute(s, v); return;
    default: return;
    }
}

/* The memo's part in a parse: the section whose rest, to the end of the
 * body, may be kept once it has parsed without a finding. */
typedef struct memo_use {
    sl_sdp_memo *memo; /* NULL: none */
    sl_sdp_media *section;
    sl_slice rest;
    unsigned findings; /* state.findings at its m= line */
} memo_use;

/* After a good m= line, its rest from next: true when the memo gave it. */
static bool memo_at_section(memo_use *u, const state *s, sl_slice body, size_t next)
{
    sl_slice rest = sl_slice_make(body.ptr + next, body.len - next);
    if (sl_sdp_memo_apply(u->memo, rest, s->cur))
        return true;
    u->section = s->cur;
    u->rest = rest;
    u->findings = s->findings;
    return false;
}

void sl_sdp_parse_memo(sl_slice body, sl_sdp *sdp, sl_sdp_memo *memo, sl_anomaly *an)
{
    sdp->conn = sl_slice_make(body.ptr, 0);
    sdp->dir = SL_SDP_DIR_UNSET;
    sdp->n_media = 0;
    sdp->dropped = false;
    state s = {.sdp = sdp, .an = an};
    memo_use u = {.memo = memo};
    const uint8_t *b = body.ptr;
    size_t len = body.len, pos = 0, end, next;
    bool first = true;
    sl_line_masks lines;
    if (len)
        sl_line_masks_at(&lines, b, len, 0);
    for (; pos < len; pos = next) {
        sl_line_next(&lines, b, len, pos, &end, &next);
        if (end == pos)
            continue; /* a blank line (often a trailing one) */
        s.off = pos;
        sl_slice line = sl_slice_make(b + pos, end - pos);
        bool shaped =
            line.len >= 2 && line.ptr[1] == '=' && line.ptr[0] >= 'a' && line.ptr[0] <= 'z';
        if (first && !(shaped && line.ptr[0] == 'v'))
            bad(&s);
        first = false;
        if (!shaped) {
            bad(&s);
            continue;
        }
        on_line(&s, line.ptr[0], after(line, 2));
        if (line.ptr[0] == 'm' && memo) {
            u.section = NULL; /* a rest with an m= line is not kept */
            if (s.cur && memo_at_section(&u, &s, body, next))
                return;
        }
    }
    if (first)
        bad(&s); /* empty */
    if (u.section && s.findings == u.findings)
        sl_sdp_memo_keep(memo, u.rest, u.section);
}

void sl_sdp_parse(sl_slice body, sl_sdp *sdp, sl_anomaly *an)
{
    sl_sdp_parse_memo(body, sdp, NULL, an);
}

sl_sdp_dir sl_sdp_media_dir(const sl_sdp *sdp, size_t i)
{
    if (i < sdp->n_media && sdp->media[i].dir != SL_SDP_DIR_UNSET)
        return (sl_sdp_dir)sdp->media[i].dir;
    return sdp->dir != SL_SDP_DIR_UNSET ? (sl_sdp_dir)sdp->dir : SL_SDP_SENDRECV;
}

sl_slice sl_sdp_media_conn(const sl_sdp *sdp, size_t i)
{
    if (i < sdp->n_media && sdp->media[i].conn.len)
        return sdp->media[i].conn;
    return sdp->conn;
}

bool sl_sdp_is_hold(const sl_sdp *sdp)
{
    for (size_t i = 0; i < sdp->n_media; i++) {
        if (sdp->media[i].port == 0)
            continue; /* a rejected or disabled stream */
        sl_sdp_dir d = sl_sdp_media_dir(sdp, i);
        if (d == SL_SDP_SENDONLY || d == SL_SDP_INACTIVE ||
            is(sl_sdp_media_conn(sdp, i), "0.0.0.0", 7))
            return true;
    }
    return false;
}

bool sl_sdp_static_pt(unsigned pt, const char **name, uint32_t *rate)
{
    static const struct {
        uint8_t pt;
        uint32_t rate;
        const char *name;
    } table[] = {
        {0, 8000, "PCMU"},   {3, 8000, "GSM"},    {4, 8000, "G723"},   {5, 8000, "DVI4"},
        {6, 16000, "DVI4"},  {7, 8000, "LPC"},    {8, 8000, "PCMA"},   {9, 8000, "G722"},
        {10, 44100, "L16"},  {11, 44100, "L16"},  {12, 8000, "QCELP"}, {13, 8000, "CN"},
        {14, 90000, "MPA"},  {15, 8000, "G728"},  {16, 11025, "DVI4"}, {17, 22050, "DVI4"},
        {18, 8000, "G729"},  {25, 90000, "CelB"}, {26, 90000, "JPEG"}, {28, 90000, "nv"},
        {31, 90000, "H261"}, {32, 90000, "MPV"},  {33, 90000, "MP2T"}, {34, 90000, "H263"},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (table[i].pt == pt) {
            *name = table[i].name;
            *rate = table[i].rate;
            return true;
        }
    return false;
}

/* Bytes b (8 of them) equal to the lowercase letters of want, any case. */
static inline bool ieq8(const uint8_t *b, const char *want)
{
    uint64_t x, y;
    memcpy(&x, b, 8);
    memcpy(&y, want, 8);
    return (x | 0x2020202020202020ULL) == y;
}

bool sl_sdp_is_content_type(sl_slice ct)
{
    size_t i = 0;
    while (i < ct.len && sl_is_lws(ct.ptr[i]))
        i++;
    /* "application/sdp" in any case: the letters compared 8 at a time with
     * their case bit set, the '/' exactly; then space, and ';' or the end */
    sl_slice type = after(ct, i);
    if (type.len < 15 || !ieq8(type.ptr, "applicat") || !ieq8(type.ptr + 7, "tion/sdp") ||
        type.ptr[11] != '/')
        return false;
    size_t j = 15;
    while (j < type.len && sl_is_lws(type.ptr[j]))
        j++;
    return j == type.len || type.ptr[j] == ';';
}

bool sl_sdp_of_message(const sl_sip_msg *msg, size_t body_off, sl_sdp *sdp, sl_sdp_memo *memo,
                       sl_anomaly *an)
{
    if (!msg->body.len)
        return false;
    const sl_sip_header *h = sl_sip_find(msg, SL_HDR_CONTENT_TYPE);
    if (!h)
        return false;
    sl_slice body = msg->body;
    size_t off = 0;
    if (!sl_sdp_is_content_type(h->value) &&
        !sl_multipart_find_sdp(h->value, msg->body, &body, &off))
        return false;
    sl_anomaly found = {0};
    sl_sdp_parse_memo(body, sdp, memo, &found);
    if (found.kind)
        sl_anomaly_set(an, found.kind, body_off + off + found.offset);
    return true;
}
