#include "sipsleuth/transaction.h"

#include <stdlib.h>

#include "hash.h"

static const char *const method_names[SL_M__COUNT] = {
    "INVITE", "ACK",     "BYE",  "CANCEL", "REGISTER", "OPTIONS", "PRACK", "SUBSCRIBE",
    "NOTIFY", "PUBLISH", "INFO", "REFER",  "MESSAGE",  "UPDATE",  "other",
};

/* a[0..n) == b[0..n) for 3 <= n <= 9, b being n bytes long: two overlapping
 * compares of a fixed width, which the compiler makes two loads each rather
 * than a memcmp call. */
static bool name_eq(const uint8_t *a, const char *b, size_t n)
{
    if (n >= 8)
        return memcmp(a, b, 8) == 0 && memcmp(a + n - 8, b + n - 8, 8) == 0;
    if (n >= 4)
        return memcmp(a, b, 4) == 0 && memcmp(a + n - 4, b + n - 4, 4) == 0;
    return a[0] == (uint8_t)b[0] && a[1] == (uint8_t)b[1] && a[2] == (uint8_t)b[2];
}

/* The one candidate for a length and first byte, then one compare, rather
 * than a compare with each name: every message's method (or CSeq method) is
 * looked up. */
sl_method sl_method_of(sl_slice name)
{
    if (name.len < 3 || name.len > 9)
        return SL_M_OTHER;
    sl_method m = SL_M_OTHER;
    uint8_t c = name.ptr[0];
    switch (name.len) {
    case 3: m = c == 'A' ? SL_M_ACK : c == 'B' ? SL_M_BYE : SL_M_OTHER; break;
    case 4: m = c == 'I' ? SL_M_INFO : SL_M_OTHER; break;
    case 5: m = c == 'P' ? SL_M_PRACK : c == 'R' ? SL_M_REFER : SL_M_OTHER; break;
    case 6:
        m = c == 'I'   ? SL_M_INVITE
            : c == 'C' ? SL_M_CANCEL
            : c == 'N' ? SL_M_NOTIFY
            : c == 'U' ? SL_M_UPDATE
                       : SL_M_OTHER;
        break;
    case 7:
        m = c == 'O'   ? SL_M_OPTIONS
            : c == 'P' ? SL_M_PUBLISH
            : c == 'M' ? SL_M_MESSAGE
                       : SL_M_OTHER;
        break;
    case 8: m = c == 'R' ? SL_M_REGISTER : SL_M_OTHER; break;
    case 9: m = c == 'S' ? SL_M_SUBSCRIBE : SL_M_OTHER; break;
    }
    /* each candidate's name is name.len long */
    if (m == SL_M_OTHER || !name_eq(name.ptr, method_names[m], name.len))
        return SL_M_OTHER;
    return m;
}

const char *sl_method_name(sl_method m)
{
    return (unsigned)m < SL_M__COUNT ? method_names[m] : "other";
}

static uint64_t hash_slice(uint64_t seed, sl_slice s)
{
    return sl_hash_bytes(seed, s.ptr, s.len);
}

uint64_t sl_txn_key(uint64_t seed, const sl_sip_ctx *ctx)
{
    uint64_t h = hash_slice(seed, ctx->via_sent_by);
    sl_slice branch = ctx->via_branch;
    h = hash_slice(h, branch);
    /* The cookie is case-sensitive (RFC 3261 8.1.1.7). */
    if (branch.len >= 7 && memcmp(branch.ptr, "z9hG4bK", 7) == 0)
        return h;
    /* RFC 2543: the request is identified by its CSeq number and the From
     * tag; the Call-ID is already the record's key. */
    uint32_t cseq = ctx->has_cseq ? ctx->cseq.number : 0;
    h = hash_slice(h, ctx->from_tag);
    return sl_mix64(h ^ cseq);
}

uint32_t sl_txn_response_sig(uint64_t to_tag_hash, int status, uint32_t rseq)
{
    return (uint32_t)sl_mix64(to_tag_hash + (uint64_t)status + ((uint64_t)rseq << 16));
}

bool sl_txn_response_seen(sl_txn *t, uint32_t sig)
{
    unsigned known = t->n_resp < SL_TXN_RESPONSES ? t->n_resp : SL_TXN_RESPONSES;
    /* n_resp grows with every response a transaction sees */
    // cppcheck-suppress knownConditionTrueFalse
    for (unsigned i = 0; i < known; i++)
        if (t->resp[i] == sig)
            return true;
    t->resp[t->n_resp % SL_TXN_RESPONSES] = sig;
    /* On wrap-around keep "ring full" and the ring position (256 is a
     * multiple of the ring size). */
    if (++t->n_resp == 0)
        t->n_resp = SL_TXN_RESPONSES;
    return false;
}

const sl_txn *sl_txn_set_cat(const sl_txn_set *s, int i)
{
    return i < SL_TXN_INLINE ? &s->inl[i] : &s->more[i - SL_TXN_INLINE];
}

sl_txn *sl_txn_set_at(sl_txn_set *s, int i)
{
    return i < SL_TXN_INLINE ? &s->inl[i] : &s->more[i - SL_TXN_INLINE];
}

int sl_txn_set_find(const sl_txn_set *s, uint64_t key, sl_method m, unsigned skip_flags)
{
    /* Newest first: retransmissions and responses hit recent transactions. */
    for (int i = (int)s->n - 1; i >= 0; i--) {
        const sl_txn *t = sl_txn_set_cat(s, i);
        if (t->key == key && t->method == m && !(t->flags & skip_flags))
            return i;
    }
    return -1;
}

int sl_txn_set_find_cseq(const sl_txn_set *s, uint32_t cseq, sl_method m)
{
    for (int i = (int)s->n - 1; i >= 0; i--) {
        const sl_txn *t = sl_txn_set_cat(s, i);
        if (t->cseq == cseq && t->method == m)
            return i;
    }
    return -1;
}

sl_txn *sl_txn_set_add(sl_txn_set *s, size_t *mem, size_t mem_cap, bool *reused, int *index)
{
    *reused = false;
    if (s->n < SL_TXN_INLINE) {
        *index = s->n++;
        return &s->inl[*index];
    }
    if (s->n < SL_TXN_MAX) {
        size_t need = (size_t)(s->n - SL_TXN_INLINE) + 1;
        if (need <= s->cap_more) {
            *index = s->n++;
            return &s->more[*index - SL_TXN_INLINE];
        }
        size_t cap = s->cap_more ? (size_t)s->cap_more * 2 : 4;
        if (cap > SL_TXN_MAX - SL_TXN_INLINE)
            cap = SL_TXN_MAX - SL_TXN_INLINE;
        size_t grow = (cap - s->cap_more) * sizeof(sl_txn);
        if (*mem + grow <= mem_cap) {
            sl_txn *more = realloc(s->more, cap * sizeof(sl_txn));
            if (more) {
                s->more = more;
                s->cap_more = (uint16_t)cap;
                *mem += grow;
                *index = s->n++;
                return &s->more[*index - SL_TXN_INLINE];
            }
        }
    }
    if (s->n < 2)
        return NULL;
    /* Full: reuse the oldest slot after the first, round robin. */
    *index = 1 + s->ring++ % (s->n - 1);
    *reused = true;
    return sl_txn_set_at(s, *index);
}

void sl_txn_set_free(sl_txn_set *s, size_t *mem)
{
    *mem -= (size_t)s->cap_more * sizeof(sl_txn);
    free(s->more);
    s->more = NULL;
    s->cap_more = 0;
    s->n = 0;
}
