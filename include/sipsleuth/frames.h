/* Provenance for --extract: the numbers of the captured frames (the
 * pipeline's frame counter, 1-based, as tshark's frame.number) whose bytes
 * made up one delivered message. Fixed size: no allocation per message. The
 * layers that reassemble (defrag, TCP) fill it just before they deliver, and
 * only when given one (NULL: --extract is off, nothing is recorded). */
#ifndef SIPSLEUTH_FRAMES_H
#define SIPSLEUTH_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

/* A 256 KiB message (--max-message-bytes' default) in full-size TCP
 * segments takes ~180 frames; more are dropped from the list and reported. */
#define SL_FRAMES_MAX 256

typedef struct sl_frames {
    uint32_t n;
    bool overflow; /* frames were left out: the list is incomplete */
    uint64_t no[SL_FRAMES_MAX];
} sl_frames;

static inline void sl_frames_reset(sl_frames *f, uint64_t no)
{
    f->overflow = false;
    f->n = no ? 1 : 0;
    f->no[0] = no;
}

/* Adds no unless it is the last one added; false when the list is full. */
static inline bool sl_frames_add(sl_frames *f, uint64_t no)
{
    if (f->n > 0 && f->no[f->n - 1] == no)
        return true;
    if (f->n == SL_FRAMES_MAX) {
        f->overflow = true;
        return false;
    }
    f->no[f->n++] = no;
    return true;
}

#endif
