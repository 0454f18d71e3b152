/* Duplicate suppression: see include/sipsleuth/dedup.h. Open addressing over
 * a fixed array; a lookup probes a few slots and the entry for a new packet
 * goes to the first free or expired one, else over the oldest probed.
 * Not on lru_table: a time window over 16-byte slots needs no allocation or
 * list per packet, and which slot is overwritten shows in the stats. */
#include "sipsleuth/dedup.h"

#include <stdlib.h>

#include "hash.h"

#define PROBES 8

typedef struct entry {
    uint64_t hash; /* 0 = never used */
    sl_time ts;
} entry;

struct sl_dedup {
    sl_dedup_config cfg;
    entry *slots;
    size_t mask;
    sl_dedup_stats st;
};

void sl_dedup_config_default(sl_dedup_config *cfg)
{
    cfg->window = 50 * SL_NS_PER_MS;
    cfg->entries = 16384;
    cfg->seed = 0;
}

sl_dedup *sl_dedup_new(const sl_dedup_config *cfg)
{
    sl_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (cfg)
        d->cfg = *cfg;
    else
        sl_dedup_config_default(&d->cfg);
    size_t n = PROBES;
    while (n < d->cfg.entries && n < ((size_t)1 << 26))
        n <<= 1;
    d->slots = calloc(n, sizeof *d->slots);
    if (!d->slots) {
        free(d);
        return NULL;
    }
    d->cfg.entries = n;
    d->mask = n - 1;
    return d;
}

void sl_dedup_free(sl_dedup *d)
{
    if (!d)
        return;
    free(d->slots);
    free(d);
}

static bool fresh(const sl_dedup *d, const entry *e, sl_time ts)
{
    /* either order: the copy may carry an earlier timestamp than the original */
    sl_time age = ts > e->ts ? ts - e->ts : e->ts - ts;
    return e->hash != 0 && age <= d->cfg.window;
}

static bool seen(sl_dedup *d, uint64_t h, sl_time ts)
{
    d->st.checked++;
    if (h == 0)
        h = 1;
    entry *victim = NULL;
    for (size_t i = 0; i < PROBES; i++) {
        entry *e = &d->slots[(h + i) & d->mask];
        if (fresh(d, e, ts)) {
            if (e->hash == h) {
                d->st.duplicates++;
                return true;
            }
            if (!victim || (fresh(d, victim, ts) && e->ts < victim->ts))
                victim = e;
        } else if (!victim || fresh(d, victim, ts)) {
            victim = e;
        }
    }
    if (fresh(d, victim, ts))
        d->st.overwrites++;
    victim->hash = h;
    victim->ts = ts;
    return false;
}

bool sl_dedup_packet(sl_dedup *d, const sl_packet *pkt, sl_time ts)
{
    uint8_t key[64];
    size_t n = 0, alen = pkt->src.family == 6 ? 16 : 4;
    key[n++] = pkt->src.family;
    key[n++] = pkt->ip_proto;
    key[n++] = (uint8_t)((pkt->frag.is_fragment ? 1 : 0) | (pkt->frag.more ? 2 : 0) |
                         (pkt->truncated ? 4 : 0));
    memcpy(key + n, pkt->src.bytes, alen);
    n += alen;
    memcpy(key + n, pkt->dst.bytes, alen);
    n += alen;
    memcpy(key + n, &pkt->frag.id, 4);
    n += 4;
    memcpy(key + n, &pkt->frag.offset, 4);
    n += 4;
    /* the L4 fields too, in case a decoder left ip_payload empty */
    memcpy(key + n, &pkt->sport, 2);
    n += 2;
    memcpy(key + n, &pkt->dport, 2);
    n += 2;
    memcpy(key + n, &pkt->tcp.seq, 4);
    n += 4;
    uint64_t h = sl_hash_bytes(d->cfg.seed, key, n);
    h = sl_hash_bytes(h, pkt->ip_payload.ptr, pkt->ip_payload.len);
    h = sl_hash_bytes(h, pkt->payload.ptr, pkt->ip_payload.len ? 0 : pkt->payload.len);
    return seen(d, h, ts);
}

bool sl_dedup_l3(sl_dedup *d, const uint8_t *ip, size_t len, sl_time ts)
{
    uint64_t h = d->cfg.seed;
    if (len >= 20 && ip[0] >> 4 == 4) {
        /* skip TTL (byte 8) and the header checksum (bytes 10-11) */
        h = sl_hash_bytes(h, ip, 8);
        h = sl_hash_bytes(h, ip + 9, 1);
        h = sl_hash_bytes(h, ip + 12, len - 12);
    } else if (len >= 40 && ip[0] >> 4 == 6) {
        /* skip the hop limit (byte 7) */
        h = sl_hash_bytes(h, ip, 7);
        h = sl_hash_bytes(h, ip + 8, len - 8);
    } else {
        h = sl_hash_bytes(h, ip, len);
    }
    return seen(d, h, ts);
}

void sl_dedup_get_stats(const sl_dedup *d, sl_dedup_stats *out)
{
    *out = d->st;
}

size_t sl_dedup_memory(const sl_dedup *d)
{
    return sizeof *d + (d->mask + 1) * sizeof *d->slots;
}
