/* SCTP common header, chunk walk and DATA/I-DATA fields: see
 * include/sipsleuth/sctp.h. Every length is checked before use. */
#include "sipsleuth/sctp.h"

#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_sctp_decode(sl_slice data, size_t stated, sl_packet *pkt, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data.ptr, data.len);
    if (stated < SL_SCTP_HEADER_LEN) {
        sl_anomaly_set(an, SL_ANOM_SCTP_TOO_SHORT, 0);
        return SL_INVALID;
    }
    /* ports, verification tag, checksum (not verified: see sctp.h) */
    if (!sl_rd_be16(&r, &pkt->sport) || !sl_rd_be16(&r, &pkt->dport) || !sl_rd_skip(&r, 8)) {
        sl_anomaly_set(an, SL_ANOM_SCTP_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    sl_slice rest = sl_rd_rest(&r);
    if (stated != SIZE_MAX) { /* SIZE_MAX: an incomplete datagram, already truncated */
        size_t chunks = stated - SL_SCTP_HEADER_LEN;
        if (rest.len > chunks)
            rest.len = chunks; /* IP may carry bytes after the packet */
        else if (rest.len < chunks)
            pkt->truncated = true;
    }
    pkt->payload = rest;
    return SL_OK;
}

void sl_sctp_iter_init(sl_sctp_iter *it, sl_slice chunks, size_t stated)
{
    it->data = chunks;
    it->stated = stated < chunks.len ? chunks.len : stated;
    it->off = 0;
    it->done = false;
}

bool sl_sctp_next_chunk(sl_sctp_iter *it, sl_sctp_chunk *c, sl_anomaly *an)
{
    if (it->done || it->off >= it->stated || it->off >= it->data.len) {
        it->done = true;
        return false;
    }
    const size_t at = SL_SCTP_HEADER_LEN + it->off;
    sl_reader r = sl_reader_make(it->data.ptr + it->off, it->data.len - it->off);
    size_t stated_left = it->stated - it->off;
    if (stated_left < 4) {
        /* fewer bytes than a chunk header: stray padding at most */
        sl_anomaly_set(an, SL_ANOM_SCTP_BAD_CHUNK_LENGTH, at);
        it->done = true;
        return false;
    }
    if (!sl_rd_u8(&r, &c->type) || !sl_rd_u8(&r, &c->flags) || !sl_rd_be16(&r, &c->length)) {
        it->done = true; /* the capture ends inside the chunk header */
        return false;
    }
    if (c->length < 4 || c->length > stated_left) {
        sl_anomaly_set(an, SL_ANOM_SCTP_BAD_CHUNK_LENGTH, at + 2);
        it->done = true;
        return false;
    }
    c->offset = at;
    size_t want = (size_t)c->length - 4;
    size_t have = sl_rd_left(&r);
    c->truncated = have < want;
    c->value = sl_slice_make(it->data.ptr + it->off + 4, c->truncated ? have : want);
    if (c->truncated) {
        it->done = true;
        return true;
    }
    size_t padded = ((size_t)c->length + 3) & ~(size_t)3;
    it->off += padded < stated_left ? padded : stated_left;
    return true;
}

sl_status sl_sctp_data_parse(const sl_sctp_chunk *c, sl_sctp_data *d, sl_anomaly *an)
{
    const bool idata = c->type == SL_SCTP_IDATA;
    const size_t hlen = idata ? 16 : 12; /* after the 4-byte chunk header */
    sl_reader r = sl_reader_make(c->value.ptr, c->value.len);
    if ((size_t)c->length - 4 < hlen) {
        sl_anomaly_set(an, SL_ANOM_SCTP_DATA_TOO_SHORT, c->offset + 2);
        return SL_INVALID;
    }
    d->idata = idata;
    d->begin = c->flags & SL_SCTP_FLAG_B;
    d->end = c->flags & SL_SCTP_FLAG_E;
    d->unordered = c->flags & SL_SCTP_FLAG_U;
    uint16_t ssn16 = 0;
    uint32_t word = 0;
    bool ok = sl_rd_be32(&r, &d->tsn) && sl_rd_be16(&r, &d->sid);
    if (idata)
        ok = ok && sl_rd_skip(&r, 2) && sl_rd_be32(&r, &d->ssn) && sl_rd_be32(&r, &word);
    else
        ok = ok && sl_rd_be16(&r, &ssn16) && sl_rd_be32(&r, &d->ppid);
    if (!ok)
        return SL_TRUNCATED;
    if (idata) {
        d->ppid = d->begin ? word : 0;
        d->fsn = d->begin ? 0 : word;
    } else {
        d->ssn = ssn16;
        d->fsn = 0;
    }
    if ((size_t)c->length - 4 == hlen) {
        sl_anomaly_set(an, SL_ANOM_SCTP_DATA_EMPTY, c->offset + 2);
        return SL_INVALID;
    }
    d->payload = sl_rd_rest(&r);
    d->truncated = c->truncated;
    return SL_OK;
}
