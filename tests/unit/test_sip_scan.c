/* The SIP header block scan (64-byte windows of LF and colon bits, see
 * dissectors/line_scan.h) against a line-by-line reference. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guarded.h"
#include "sipsleuth/sip.h"

#define MAXH 64
static sl_sip_header hdrs[MAXH];

/* The header block scan (64-byte windows of LF and colon bits) against a
 * line-by-line reference: random lines from 0 to 300 bytes, names known and
 * unknown, bad bytes in names, spaces before the colon, colons far into the
 * line or absent, folds and bare LFs, in guarded buffers so that a read past
 * the end crashes. */
typedef struct ref_header {
    size_t ns, ne, vs, ve;
} ref_header;

static bool ref_tchar(uint8_t c)
{
    /* RFC 3261 25.1 token */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-.!%*_+`'~", c));
}

/* Headers of the block that starts at buf[pos]; returns how many, and sets
 * *no_colon when a line (or a fold with nothing to continue) had no name. */
static size_t ref_headers(const uint8_t *b, size_t len, size_t pos, ref_header *out, size_t cap,
                          bool *no_colon)
{
    size_t n = 0;
    bool pending = false;
    *no_colon = false;
    while (pos < len) {
        const uint8_t *lf = memchr(b + pos, '\n', len - pos);
        size_t end = lf ? (size_t)(lf - b) : len, next = lf ? end + 1 : len;
        if (end > pos && b[end - 1] == '\r')
            end--;
        if (end == pos)
            break;
        if (b[pos] == ' ' || b[pos] == '\t') {
            if (pending)
                out[n - 1].ve = end;
            else
                *no_colon = true;
            pos = next;
            continue;
        }
        size_t i = pos;
        while (i < end && ref_tchar(b[i]))
            i++;
        size_t name_end = i;
        while (i < end && (b[i] == ' ' || b[i] == '\t'))
            i++;
        pending = name_end > pos && i < end && b[i] == ':' && n < cap;
        if (pending)
            out[n++] = (ref_header){pos, name_end, i + 1, end};
        else
            *no_colon = true;
        pos = next;
    }
    return n;
}

static size_t random_line(char *p, unsigned *seed)
{
    static const char *const names[] = {"Via",
                                        "From",
                                        "t",
                                        "Call-ID",
                                        "CSeq",
                                        "Contact",
                                        "Content-Length",
                                        "X-Long-Unknown-Header-Name",
                                        "Record-Route",
                                        "P-Asserted-Identity",
                                        "Allow",
                                        "Q"};
    size_t n = 0, want = (size_t)(rand_r(seed) % 300);
    unsigned kind = (unsigned)rand_r(seed) % 10;
    if (kind == 0) {
        p[n++] = rand_r(seed) % 2 ? ' ' : '\t'; /* a fold */
    } else if (kind == 1) {
        p[n++] = (char)(rand_r(seed) % 128); /* any byte first */
    } else {
        const char *name = names[(unsigned)rand_r(seed) % 12];
        memcpy(p, name, strlen(name));
        n = strlen(name);
        if (kind == 2)
            p[(unsigned)rand_r(seed) % n] = "\"@ ,\x01\x80"[(unsigned)rand_r(seed) % 6];
        for (unsigned s = (unsigned)rand_r(seed) % 4; s < 2; s++)
            p[n++] = ' ';
        if (kind != 3)
            p[n++] = ':';
    }
    while (n < want) {
        unsigned r = (unsigned)rand_r(seed) % 40;
        p[n++] = r == 0 ? ':' : r == 1 ? '\r' : r == 2 ? ' ' : (char)('a' + r % 26);
    }
    if (rand_r(seed) % 8)
        p[n++] = '\r';
    p[n++] = '\n';
    return n;
}

Test(sip, header_scan_matches_reference)
{
    static char text[40000];
    static ref_header ref[MAXH];
    unsigned seed = 21;
    for (unsigned round = 0; round < 3000; round++) {
        size_t n = (size_t)snprintf(text, sizeof text, "OPTIONS sip:a@b SIP/2.0\r\n");
        size_t start = n;
        unsigned lines = 1 + (unsigned)rand_r(&seed) % 30;
        for (unsigned l = 0; l < lines; l++)
            n += random_line(text + n, &seed);
        if (rand_r(&seed) % 2)
            n += (size_t)snprintf(text + n, sizeof text - n, "\r\nbody");
        sl_guarded g;
        const uint8_t *buf = sl_guard(&g, text, n);
        sl_sip_msg m = {.headers = hdrs, .max_headers = MAXH};
        sl_anomaly an = {0};
        cr_assert_eq(sl_sip_parse(buf, n, SL_SIP_DATAGRAM, &m, &an), SL_OK, "round %u", round);
        bool no_colon;
        size_t want = ref_headers(buf, n, start, ref, MAXH, &no_colon);
        cr_assert_eq(m.n_headers, want, "round %u: %zu headers, want %zu", round, m.n_headers,
                     want);
        cr_assert_eq(!!(m.flags & SL_SIP_F_HEADER_NO_COLON), no_colon, "round %u", round);
        for (size_t i = 0; i < want; i++) {
            sl_slice name = sl_slice_make(buf + ref[i].ns, ref[i].ne - ref[i].ns);
            sl_slice value = sl_slice_trim(sl_slice_make(buf + ref[i].vs, ref[i].ve - ref[i].vs));
            cr_assert(m.headers[i].name.ptr == name.ptr && m.headers[i].name.len == name.len,
                      "round %u header %zu name", round, i);
            cr_assert(m.headers[i].value.ptr == value.ptr && m.headers[i].value.len == value.len,
                      "round %u header %zu value", round, i);
            cr_assert_eq(m.headers[i].id, sl_sip_header_id(name), "round %u header %zu id", round,
                         i);
        }
        sl_guard_free(&g);
    }
}
