#include "handoff.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Enough for the producer to fill one batch while the consumer reads
 * another and a third waits: more only adds memory the caches lose. */
#define BATCHES 4
#define ALIGN 16u

typedef struct record_head {
    uint32_t kind;
    uint32_t size; /* of the record, this head included, a multiple of ALIGN */
} record_head;

/* The producer writes a record at a time and the consumer reads them on
 * another core: what each writes often is on cache lines of its own, or
 * every record would move a line between the cores. */
#define LINE 64
#define PREFETCH 4096 /* bytes of records read ahead by the consumer */

// NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding): the lines are kept apart on purpose
struct sl_handoff {
    /* Set at creation. */
    sl_handoff_consume_fn fn;
    void *user;
    size_t batch_bytes;
    uint8_t *mem[BATCHES];

    /* The producer's own. */
    _Alignas(LINE) int cur; /* the batch being filled, or -1 */
    size_t fill;            /* bytes of records in it */
    size_t reserved_at;     /* where the reserved record's head goes in it */

    _Alignas(LINE) pthread_t thread;
    pthread_mutex_t lock;   /* guards what follows */
    pthread_cond_t filled;  /* a batch was handed over, or stop */
    pthread_cond_t emptied; /* a batch came back, or the consumer went idle */
    size_t used[BATCHES];   /* of a batch handed over: its bytes of records */
    unsigned full[BATCHES]; /* handed over, oldest first from full_head */
    unsigned full_head, full_n;
    unsigned free_list[BATCHES];
    unsigned free_n;
    bool busy; /* the consumer is reading a batch */
    bool stop;
};

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static void consume(sl_handoff *h, uint8_t *mem, size_t used)
{
    size_t off = 0, ahead = 0;
    while (off < used) {
        /* The records were written on the other core: ask for the next few
         * KiB while this one is analysed. */
        for (; ahead < used && ahead < off + PREFETCH; ahead += LINE)
            __builtin_prefetch(mem + ahead);
        const record_head *r = (const record_head *)(void *)(mem + off);
        h->fn(h->user, r->kind, mem + off + ALIGN);
        off += r->size;
    }
}

static void *consumer(void *arg)
{
    sl_handoff *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (h->full_n == 0 && !h->stop)
            pthread_cond_wait(&h->filled, &h->lock);
        if (h->full_n == 0)
            break; /* stopped with nothing left */
        unsigned i = h->full[h->full_head];
        h->full_head = (h->full_head + 1) % BATCHES;
        h->full_n--;
        h->busy = true;
        size_t used = h->used[i];
        pthread_mutex_unlock(&h->lock);
        consume(h, h->mem[i], used);
        pthread_mutex_lock(&h->lock);
        h->free_list[h->free_n++] = i;
        h->busy = false;
        pthread_cond_signal(&h->emptied);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

sl_handoff *sl_handoff_new(size_t batch_bytes, sl_handoff_consume_fn fn, void *user)
{
    sl_handoff *h = aligned_alloc(LINE, sizeof *h); /* a multiple of LINE, as it is aligned */
    if (!h)
        return NULL;
    memset(h, 0, sizeof *h);
    h->fn = fn;
    h->user = user;
    h->batch_bytes = (batch_bytes + LINE - 1) & ~(size_t)(LINE - 1); /* aligned_alloc wants it */
    h->cur = -1;
    for (unsigned i = 0; i < BATCHES; i++) {
        h->mem[i] = aligned_alloc(LINE, h->batch_bytes);
        h->free_list[h->free_n++] = i;
        if (!h->mem[i])
            goto fail;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->filled, NULL);
    pthread_cond_init(&h->emptied, NULL);
    /* Signals (stop, reopen) are the capture loop's: the consumer thread
     * starts with them blocked, so that they interrupt the loop's reads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int started = pthread_create(&h->thread, NULL, consumer, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        pthread_cond_destroy(&h->emptied);
        pthread_cond_destroy(&h->filled);
        pthread_mutex_destroy(&h->lock);
        goto fail;
    }
    return h;
fail:
    for (unsigned i = 0; i < BATCHES; i++)
        free(h->mem[i]);
    free(h);
    return NULL;
}

void sl_handoff_flush(sl_handoff *h)
{
    if (h->cur < 0 || h->fill == 0)
        return;
    pthread_mutex_lock(&h->lock);
    h->used[h->cur] = h->fill;
    h->full[(h->full_head + h->full_n) % BATCHES] = (unsigned)h->cur;
    h->full_n++;
    pthread_cond_signal(&h->filled);
    pthread_mutex_unlock(&h->lock);
    h->cur = -1;
}

void sl_handoff_drain(sl_handoff *h)
{
    sl_handoff_flush(h);
    pthread_mutex_lock(&h->lock);
    while (h->full_n > 0 || h->busy)
        pthread_cond_wait(&h->emptied, &h->lock);
    pthread_mutex_unlock(&h->lock);
}

void sl_handoff_free(sl_handoff *h)
{
    if (!h)
        return;
    sl_handoff_drain(h);
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_cond_signal(&h->filled);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->emptied);
    pthread_cond_destroy(&h->filled);
    pthread_mutex_destroy(&h->lock);
    for (unsigned i = 0; i < BATCHES; i++)
        free(h->mem[i]);
    free(h);
}

/* A batch to fill, waiting for the consumer to give one back if need be. */
static void take_free_batch(sl_handoff *h)
{
    pthread_mutex_lock(&h->lock);
    while (h->free_n == 0)
        pthread_cond_wait(&h->emptied, &h->lock);
    h->cur = (int)h->free_list[--h->free_n];
    pthread_mutex_unlock(&h->lock);
    h->fill = 0;
}

void *sl_handoff_reserve(sl_handoff *h, size_t max)
{
    size_t need = ALIGN + round_up(max);
    if (max > h->batch_bytes || need > h->batch_bytes)
        return NULL;
    if (h->cur >= 0 && h->fill + need > h->batch_bytes)
        sl_handoff_flush(h);
    if (h->cur < 0)
        take_free_batch(h);
    h->reserved_at = h->fill;
    return h->mem[h->cur] + h->reserved_at + ALIGN;
}

void sl_handoff_commit(sl_handoff *h, uint32_t kind, size_t used)
{
    record_head *r = (record_head *)(void *)(h->mem[h->cur] + h->reserved_at);
    r->kind = kind;
    r->size = (uint32_t)(ALIGN + round_up(used));
    h->fill = h->reserved_at + r->size;
}
