/* --extract, pass 1: the frames of each call's messages (extract.h). */
#include "extract_internal.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sipsleuth/sip_context.h"

static uint64_t id_hash(const uint8_t *p, size_t n)
{
    return sl_mix64(sl_hash_bytes(n, p, n));
}

static sl_extract_call *find(const sl_extract *x, const uint8_t *id, size_t n, uint64_t h)
{
    for (sl_extract_call *c = x->buckets[h & (x->n_buckets - 1)]; c; c = c->next)
        if (c->id_len == n && memcmp(c->id, id, n) == 0)
            return c;
    return NULL;
}

static sl_extract_call *add_call(sl_extract *x, const uint8_t *id, size_t n, uint64_t h)
{
    if (x->n_calls == x->cap_calls) {
        size_t cap = x->cap_calls ? x->cap_calls * 2 : 64;
        sl_extract_call **nc = realloc(x->calls, cap * sizeof *nc);
        if (!nc)
            return NULL;
        x->calls = nc;
        x->cap_calls = cap;
    }
    sl_extract_call *c = calloc(1, sizeof *c);
    char *copy = malloc(n + 1);
    if (!c || !copy) {
        free(c);
        free(copy);
        return NULL;
    }
    memcpy(copy, id, n);
    copy[n] = '\0';
    c->id = copy;
    c->id_len = n;
    c->next = x->buckets[h & (x->n_buckets - 1)];
    x->buckets[h & (x->n_buckets - 1)] = c;
    x->calls[x->n_calls++] = c;
    return c;
}

sl_extract *sl_extract_new(const char *const *ids, size_t n)
{
    sl_extract *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->ids = ids;
    x->n_ids = n;
    size_t want = (n ? n : SL_EXTRACT_MAX_CALLS) * 2;
    x->n_buckets = 16;
    while (x->n_buckets < want)
        x->n_buckets *= 2;
    x->buckets = calloc(x->n_buckets, sizeof *x->buckets);
    if (!x->buckets) {
        sl_extract_free(x);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *id = (const uint8_t *)ids[i];
        size_t len = strlen(ids[i]);
        uint64_t h = id_hash(id, len);
        if (!find(x, id, len, h) && !add_call(x, id, len, h)) {
            sl_extract_free(x);
            return NULL;
        }
    }
    return x;
}

void sl_extract_free(sl_extract *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_calls; i++) {
        free(x->calls[i]->id);
        free(x->calls[i]->frames);
        free(x->calls[i]);
    }
    free(x->calls);
    free(x->buckets);
    free(x);
}

sl_frames *sl_extract_frames(sl_extract *x)
{
    return &x->frames;
}

uint64_t sl_extract_frame(sl_extract *x, uint64_t no)
{
    if (x)
        sl_frames_reset(&x->frames, no);
    return no;
}

static void record(sl_extract *x, sl_extract_call *c, uint64_t no)
{
    if (c->n > 0 && c->frames[c->n - 1] == no)
        return; /* the frame's previous message */
    if (x->records >= SL_EXTRACT_MAX_RECORDS) {
        x->records_dropped++;
        return;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        uint64_t *nf = realloc(c->frames, cap * sizeof *nf);
        if (!nf) {
            x->records_dropped++;
            return;
        }
        c->frames = nf;
        c->cap = cap;
    }
    c->frames[c->n++] = no;
    x->records++;
}

void sl_extract_message(sl_extract *x, const struct sl_sip_ctx *ctx)
{
    if (!x || ctx->call_id.len == 0)
        return;
    const sl_frames *fr = &x->frames;
    if (fr->n == 0)
        return; /* no frame of this input carried it */
    uint64_t h = id_hash(ctx->call_id.ptr, ctx->call_id.len);
    sl_extract_call *c = find(x, ctx->call_id.ptr, ctx->call_id.len, h);
    if (!c && x->n_ids == 0) {
        if (x->n_calls >= SL_EXTRACT_MAX_CALLS) {
            x->calls_dropped++;
            return;
        }
        c = add_call(x, ctx->call_id.ptr, ctx->call_id.len, h);
        if (!c) {
            x->calls_dropped++;
            return;
        }
    }
    if (!c)
        return;
    if (fr->overflow)
        x->incomplete++;
    for (uint32_t i = 0; i < fr->n; i++)
        record(x, c, fr->no[i]);
}
