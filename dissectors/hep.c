/* HEP, the HOMER Encapsulation Protocol (sipcapture.org): version 3 as a run
 * of chunks, versions 1 and 2 as a fixed header before the payload. */
#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

enum {
    AF_V4 = 2,  /* AF_INET, as agents send it */
    AF_V6 = 10, /* Linux AF_INET6 */
    HEP3_HEADER = 6,
    CHUNK_HEADER = 6,
};

/* Generic chunk types (vendor 0x0000) of HEPv3. */
enum {
    C_FAMILY = 1,
    C_IP_PROTO = 2,
    C_SRC4 = 3,
    C_DST4 = 4,
    C_SRC6 = 5,
    C_DST6 = 6,
    C_SPORT = 7,
    C_DPORT = 8,
    C_TS_SEC = 9,
    C_TS_USEC = 10,
    C_PROTO_TYPE = 11,
    C_CAPTURE_ID = 12,
    C_PAYLOAD = 15,
    C_COMPRESSED = 16,
};

bool sl_hep3_probe(sl_slice data)
{
    return data.len >= 4 && memcmp(data.ptr, "HEP3", 4) == 0;
}

static uint8_t family_of(uint8_t af)
{
    return af == AF_V4 ? 4 : af == AF_V6 ? 6 : 0;
}

bool sl_hep2_probe(sl_slice data)
{
    if (data.len < 4 || (data.ptr[0] != 1 && data.ptr[0] != 2))
        return false;
    size_t want = data.ptr[0] == 2 ? 12 : 0; /* v2 adds time and capture id */
    switch (family_of(data.ptr[2])) {
    case 4: want += 16; break;
    case 6: want += 40; break;
    default: return false;
    }
    return data.ptr[1] == want;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* HEPv1/v2: version, header length, family, protocol, ports (network order),
 * addresses; v2 then the time (seconds, microseconds) and a 16-bit capture
 * id, which agents write in their own byte order: little-endian, as Kamailio's
 * and OpenSIPS's x86 builds send them. */
static sl_status decode_v2(sl_slice data, sl_hep *h, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data.ptr, data.len);
    uint8_t hlen, af;
    if (!sl_rd_u8(&r, &h->version) || !sl_rd_u8(&r, &hlen) || !sl_rd_u8(&r, &af) ||
        !sl_rd_u8(&r, &h->ip_proto) || !sl_rd_be16(&r, &h->sport) || !sl_rd_be16(&r, &h->dport))
        goto truncated;
    uint8_t fam = family_of(af);
    size_t alen = fam == 6 ? 16 : 4;
    if (fam == 0 || hlen != 8 + 2 * alen + (h->version == 2 ? 12 : 0)) {
        sl_anomaly_set(an, SL_ANOM_HEP_BAD_HEADER, 1);
        return SL_INVALID;
    }
    h->src.family = h->dst.family = fam;
    sl_slice a, b;
    if (!sl_rd_slice(&r, alen, &a) || !sl_rd_slice(&r, alen, &b))
        goto truncated;
    memcpy(h->src.bytes, a.ptr, alen);
    memcpy(h->dst.bytes, b.ptr, alen);
    if (h->version == 2) {
        sl_slice t;
        if (!sl_rd_slice(&r, 12, &t))
            goto truncated;
        h->has_time = true;
        h->ts_sec = le32(t.ptr);
        h->ts_usec = le32(t.ptr + 4);
        h->capture_id = (uint32_t)t.ptr[8] | (uint32_t)t.ptr[9] << 8;
    }
    h->proto_type = SL_HEP_PROTO_SIP;
    h->payload = sl_rd_rest(&r);
    return SL_OK;

truncated:
    sl_anomaly_set(an, SL_ANOM_HEP_TRUNCATED, r.off);
    return SL_TRUNCATED;
}

/* A fixed-size chunk's value: big-endian, of exactly `n` bytes. */
static bool chunk_uint(sl_slice v, size_t n, uint32_t *out)
{
    if (v.len != n)
        return false;
    uint32_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | v.ptr[i];
    *out = x;
    return true;
}

static bool chunk_addr(sl_slice v, uint8_t family, sl_addr *a)
{
    size_t n = family == 6 ? 16 : 4;
    if (v.len != n)
        return false;
    a->family = family;
    memcpy(a->bytes, v.ptr, n);
    return true;
}

/* One generic chunk into h; false when its length does not fit its type. */
static bool take_chunk(sl_hep *h, uint16_t type, sl_slice v, uint8_t *af, bool *have_payload)
{
    uint32_t x = 0;
    bool ok = true;
    switch (type) {
    case C_FAMILY:
        ok = chunk_uint(v, 1, &x);
        *af = (uint8_t)x;
        break;
    case C_IP_PROTO:
        ok = chunk_uint(v, 1, &x);
        h->ip_proto = (uint8_t)x;
        break;
    case C_SRC4: ok = chunk_addr(v, 4, &h->src); break;
    case C_DST4: ok = chunk_addr(v, 4, &h->dst); break;
    case C_SRC6: ok = chunk_addr(v, 6, &h->src); break;
    case C_DST6: ok = chunk_addr(v, 6, &h->dst); break;
    case C_SPORT:
        ok = chunk_uint(v, 2, &x);
        h->sport = (uint16_t)x;
        break;
    case C_DPORT:
        ok = chunk_uint(v, 2, &x);
        h->dport = (uint16_t)x;
        break;
    case C_TS_SEC:
        ok = chunk_uint(v, 4, &h->ts_sec);
        h->has_time = ok;
        break;
    case C_TS_USEC: ok = chunk_uint(v, 4, &h->ts_usec); break;
    case C_PROTO_TYPE:
        ok = chunk_uint(v, 1, &x);
        h->proto_type = (uint8_t)x;
        break;
    case C_CAPTURE_ID: ok = chunk_uint(v, 4, &h->capture_id); break;
    case C_PAYLOAD:
    case C_COMPRESSED:
        h->payload = v;
        h->compressed = type == C_COMPRESSED;
        *have_payload = true;
        break;
    default: break; /* keep-alive timer, auth key, correlation id, vlan, ...: not needed */
    }
    return ok;
}

static sl_status decode_v3(sl_slice data, sl_hep *h, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data.ptr, data.len);
    uint16_t total;
    if (!sl_rd_skip(&r, 4) || !sl_rd_be16(&r, &total))
        goto truncated;
    h->version = 3;
    if (total < HEP3_HEADER) {
        sl_anomaly_set(an, SL_ANOM_HEP_BAD_LENGTH, 4);
        return SL_INVALID;
    }
    if (total > data.len)
        goto truncated;
    r.len = total; /* bytes after the stated total (padding) are not HEP's */
    uint8_t af = 0;
    bool have_payload = false;
    /* Each chunk is at least 6 bytes, so at most 65535 / 6 turns. */
    while (sl_rd_left(&r) > 0) {
        size_t at = r.off;
        uint16_t vendor, type, clen;
        if (!sl_rd_be16(&r, &vendor) || !sl_rd_be16(&r, &type) || !sl_rd_be16(&r, &clen) ||
            clen < CHUNK_HEADER) {
            sl_anomaly_set(an, SL_ANOM_HEP_BAD_CHUNK, at);
            return SL_INVALID;
        }
        sl_slice v;
        if (!sl_rd_slice(&r, clen - CHUNK_HEADER, &v)) {
            sl_anomaly_set(an, SL_ANOM_HEP_BAD_CHUNK, at);
            return SL_INVALID;
        }
        if (vendor == 0 && !take_chunk(h, type, v, &af, &have_payload)) {
            sl_anomaly_set(an, SL_ANOM_HEP_BAD_CHUNK, at);
            return SL_INVALID;
        }
    }
    uint8_t fam = family_of(af);
    if (!have_payload || fam == 0 || h->src.family != fam || h->dst.family != fam) {
        sl_anomaly_set(an, SL_ANOM_HEP_MISSING_CHUNK, 0);
        return SL_INVALID;
    }
    return SL_OK;

truncated:
    sl_anomaly_set(an, SL_ANOM_HEP_TRUNCATED, r.off);
    return SL_TRUNCATED;
}

sl_status sl_hep_decode(sl_slice data, sl_hep *h, sl_anomaly *an)
{
    *h = (sl_hep){0};
    if (sl_hep3_probe(data))
        return decode_v3(data, h, an);
    if (data.len >= 1 && (data.ptr[0] == 1 || data.ptr[0] == 2))
        return decode_v2(data, h, an);
    if (data.len < 4) {
        sl_anomaly_set(an, SL_ANOM_HEP_TRUNCATED, 0);
        return SL_TRUNCATED;
    }
    sl_anomaly_set(an, SL_ANOM_HEP_BAD_VERSION, 0);
    return SL_INVALID;
}
