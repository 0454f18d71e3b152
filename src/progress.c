#include "sipsleuth/progress.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define REDRAW_MS 250 /* at most 4 lines a second */

struct sl_progress {
    FILE *f;
    int64_t total;
    int64_t done; /* bytes consumed */
    uint64_t packets;
    int64_t start_ms, last_ms;
    bool drawn;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sl_progress *sl_progress_new(FILE *f, int64_t total)
{
    sl_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->f = f;
    p->total = total > 0 ? total : -1;
    p->start_ms = p->last_ms = now_ms();
    return p;
}

/* "12.3 MB": decimal units, as file managers and ls -h --si show them. */
static void size_text(int64_t bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void draw(sl_progress *p, int64_t now)
{
    double secs = (double)(now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? (double)p->packets / secs : 0;
    char done[32];
    size_text(p->done, done, sizeof done);
    /* \r and erase-to-end: the line is redrawn in place. */
    if (p->total > 0) {
        char total[32], eta[32] = "";
        size_text(p->total, total, sizeof total);
        double frac = (double)p->done / (double)p->total;
        if (frac > 1)
            frac = 1;
        if (frac > 0 && secs > 0) {
            int64_t left = (int64_t)(secs / frac - secs + 0.5);
            snprintf(eta, sizeof eta, ", ETA %lld:%02lld", (long long)(left / 60),
                     (long long)(left % 60));
        }
        fprintf(p->f, "\rsipsleuth: %s of %s (%.0f%%), %llu packets, %.0f packets/s%s\033[K", done,
                total, frac * 100, (unsigned long long)p->packets, rate, eta);
    } else {
        fprintf(p->f, "\rsipsleuth: %s read, %llu packets, %.0f packets/s\033[K", done,
                (unsigned long long)p->packets, rate);
    }
    (void)fflush(p->f); /* best effort: a progress line that fails to show changes nothing */
    p->drawn = true;
}

void sl_progress_frame(sl_progress *p, int64_t offset, size_t frame_bytes)
{
    p->packets++;
    p->done = offset >= 0 ? offset : p->done + (int64_t)frame_bytes;
    int64_t now = now_ms();
    if (now - p->last_ms < REDRAW_MS)
        return;
    p->last_ms = now;
    draw(p, now);
}

void sl_progress_free(sl_progress *p)
{
    if (!p)
        return;
    if (p->drawn) {
        fputs("\r\033[K", p->f);
        (void)fflush(p->f);
    }
    free(p);
}
