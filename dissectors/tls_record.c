/* TLS record and hello parsing: see include/sipsleuth/tls_record.h. */
#include "sipsleuth/tls_record.h"

/* The ServerHello random that marks a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[SL_TLS_RANDOM_LEN] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

sl_status sl_tls_record_parse(const uint8_t *buf, size_t len, sl_tls_record *r, sl_anomaly *an)
{
    if (len < SL_TLS_RECORD_HEADER)
        return SL_PARTIAL;
    if (buf[0] < SL_TLS_CHANGE_CIPHER_SPEC || buf[0] > SL_TLS_HEARTBEAT) {
        sl_anomaly_set(an, SL_ANOM_TLS_BAD_CONTENT_TYPE, 0);
        return SL_INVALID;
    }
    if (buf[1] != 3 || buf[2] > 4) {
        sl_anomaly_set(an, SL_ANOM_TLS_BAD_VERSION, 1);
        return SL_INVALID;
    }
    size_t n = be16(buf + 3);
    if (n == 0 || n > SL_TLS_MAX_RECORD_BODY) {
        sl_anomaly_set(an, SL_ANOM_TLS_BAD_RECORD_LENGTH, 3);
        return SL_INVALID;
    }
    r->type = buf[0];
    r->version = be16(buf + 1);
    r->length = n;
    return SL_OK;
}

bool sl_tls_looks_like_handshake(const uint8_t *buf, size_t len)
{
    return len > 0 && buf[0] == SL_TLS_HANDSHAKE && (len < 2 || buf[1] == 3) &&
           (len < 3 || buf[2] <= 4);
}

bool sl_tls_looks_like_app_data(const uint8_t *buf, size_t len)
{
    return len >= 3 && buf[0] == SL_TLS_APPLICATION_DATA && buf[1] == 3 && buf[2] == 3;
}

sl_status sl_tls_handshake_parse(const uint8_t *buf, size_t len, uint8_t *type, sl_slice *body)
{
    if (len < 4)
        return SL_PARTIAL;
    size_t n = (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
    if (n > len - 4)
        return SL_PARTIAL;
    *type = buf[0];
    *body = sl_slice_make(buf + 4, n);
    return SL_OK;
}

/* A bounds-checked reader over one message body. */
typedef struct reader {
    const uint8_t *p;
    size_t len, off;
    bool bad;
} reader;

static const uint8_t *take(reader *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

static size_t take_len(reader *r, size_t width)
{
    const uint8_t *p = take(r, width);
    if (!p)
        return 0;
    return width == 1 ? p[0] : be16(p);
}

/* Skips a vector with a length prefix of `width` bytes. */
static void skip_vec(reader *r, size_t width)
{
    (void)take(r, take_len(r, width));
}

/* The ServerHello's extensions: supported_versions (43) sets the version. */
static void server_extensions(reader *r, sl_tls_hello *h)
{
    if (r->off == r->len)
        return; /* no extensions at all: legal before TLS 1.3 */
    size_t n = take_len(r, 2);
    const uint8_t *ext = take(r, n);
    if (!ext)
        return;
    reader e = {.p = ext, .len = n};
    while (!e.bad && e.off < e.len) {
        const uint8_t *t = take(&e, 2);
        size_t elen = take_len(&e, 2);
        const uint8_t *data = take(&e, elen);
        if (!t || !data)
            break;
        if (be16(t) == 43 && elen == 2)
            h->version = be16(data);
    }
    r->bad |= e.bad;
}

sl_status sl_tls_hello_parse(const uint8_t *body, size_t len, bool client, sl_tls_hello *h,
                             sl_anomaly *an)
{
    memset(h, 0, sizeof *h);
    reader r = {.p = body, .len = len};
    const uint8_t *v = take(&r, 2);
    const uint8_t *rnd = take(&r, SL_TLS_RANDOM_LEN);
    skip_vec(&r, 1); /* legacy_session_id */
    if (!v || !rnd || r.bad) {
        sl_anomaly_set(an, client ? SL_ANOM_TLS_BAD_CLIENT_HELLO : SL_ANOM_TLS_BAD_SERVER_HELLO,
                       r.off);
        return SL_INVALID;
    }
    h->legacy_version = h->version = be16(v);
    memcpy(h->random, rnd, SL_TLS_RANDOM_LEN);
    if (client) {
        skip_vec(&r, 2); /* cipher_suites */
        skip_vec(&r, 1); /* legacy_compression_methods */
    } else {
        const uint8_t *cs = take(&r, 2);
        (void)take(&r, 1); /* legacy_compression_method */
        if (cs)
            h->cipher_suite = be16(cs);
        server_extensions(&r, h);
        h->retry_request = memcmp(h->random, hrr_random, SL_TLS_RANDOM_LEN) == 0;
    }
    if (r.bad) {
        sl_anomaly_set(an, client ? SL_ANOM_TLS_BAD_CLIENT_HELLO : SL_ANOM_TLS_BAD_SERVER_HELLO,
                       r.off);
        return SL_INVALID;
    }
    return SL_OK;
}
