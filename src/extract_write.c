/* --extract, pass 2: the recorded frames copied from a second read of the
 * input into pcap files (extract.h). Files are written in batches of at most
 * SL_EXTRACT_OPEN_FILES open at once; each batch reads the input again. */
#include "extract_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sipsleuth/capture.h"

#define NAME_MAX_ID 96 /* bytes of a Call-ID kept in a file name */

typedef struct target {
    const sl_extract_call *call; /* NULL: -w, every call */
    char name[NAME_MAX_ID + 16]; /* --extract-dir: the file name in it */
    pcap_t *dead;
    pcap_dumper_t *dump;
    int dlt;
    uint64_t written;
} target;

typedef struct pair {
    uint64_t frame;
    size_t target;
} pair;

typedef struct job {
    const sl_extract_out *out;
    const char *const *files;
    int n_files;
    const char *filter;
    target *t;
    size_t n_t;
    pair *pairs;
    size_t n_pairs;
    int first_dlt; /* of the first input, for an empty file */
    int snaplen;
} job;

bool sl_extract_prepare(const sl_extract_out *out, char *err, size_t errlen)
{
    if (out->file) {
        FILE *f = fopen(out->file, "wb");
        if (!f) {
            snprintf(err, errlen, "-w %s: %s", out->file, strerror(errno));
            return false;
        }
        if (fclose(f) != 0) {
            snprintf(err, errlen, "-w %s: %s", out->file, strerror(errno));
            return false;
        }
        return true;
    }
    if (mkdir(out->dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--extract-dir %s: %s", out->dir, strerror(errno));
        return false;
    }
    struct stat st;
    if (stat(out->dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(out->dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "--extract-dir %s: not a writable directory", out->dir);
        return false;
    }
    return true;
}

/* A file name from packet bytes: letters, digits and @._+-= kept, anything
 * else (a slash above all) an underscore, never a leading dot, at most
 * NAME_MAX_ID bytes. Collisions get ~2, ~3... (assign_names). */
static void sanitize(const sl_extract_call *c, char *name)
{
    size_t i = 0;
    for (; i < c->id_len && i < NAME_MAX_ID; i++) {
        const char ch = c->id[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || (ch && strchr("@._+-=", ch));
        name[i] = ch;
        if (!ok || (i == 0 && ch == '.'))
            name[i] = '_';
    }
    name[i] = '\0';
}

static int by_name(const void *a, const void *b)
{
    const target *x = *(target *const *)a, *y = *(target *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x < y ? -1 : x > y);
}

/* Every call's file name, unique: the second of a name is NAME~2.pcap. */
static bool assign_names(target *t, size_t n)
{
    target **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return false;
    for (size_t i = 0; i < n; i++) {
        sanitize(t[i].call, t[i].name);
        order[i] = &t[i];
    }
    qsort(order, n, sizeof *order, by_name);
    size_t k = 1;
    for (size_t i = 0; i < n; i++) {
        k = i > 0 && strcmp(order[i]->name, order[i - 1]->name) == 0 ? k + 1 : 1;
        size_t len = strlen(order[i]->name);
        if (k > 1)
            snprintf(order[i]->name + len, sizeof order[i]->name - len, "~%zu", k);
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(t[i].name);
        snprintf(t[i].name + len, sizeof t[i].name - len, ".pcap");
    }
    free(order);
    return true;
}

static int by_frame(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return x->target < y->target ? -1 : x->target > y->target;
}

/* The (frame, target) pairs of the batch jb->t[0..n_t), sorted, without
 * repeats. A target without a call (-w) takes the frames of every call. */
static bool build_pairs(job *jb, const sl_extract *x)
{
    size_t total = 0;
    for (size_t i = 0; i < jb->n_t; i++)
        total += jb->t[i].call ? jb->t[i].call->n : x->records;
    free(jb->pairs);
    jb->pairs = malloc((total ? total : 1) * sizeof *jb->pairs);
    if (!jb->pairs)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < jb->n_t; i++) {
        const sl_extract_call *one = jb->t[i].call;
        for (size_t c = 0; c < (one ? 1 : x->n_calls); c++) {
            const sl_extract_call *call = one ? one : x->calls[c];
            for (size_t j = 0; j < call->n; j++)
                jb->pairs[k++] = (pair){call->frames[j], i};
        }
    }
    qsort(jb->pairs, k, sizeof *jb->pairs, by_frame);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || jb->pairs[u - 1].frame != jb->pairs[i].frame ||
            jb->pairs[u - 1].target != jb->pairs[i].target)
            jb->pairs[u++] = jb->pairs[i];
    jb->n_pairs = u;
    return true;
}

static FILE *open_target(const job *jb, const target *t)
{
    if (!jb->out->dir)
        return fopen(jb->out->file, "wb");
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", jb->out->dir, t->name) >= sizeof path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fd >= 0 && !f)
        close(fd);
    return f;
}

static const char *target_path(const job *jb, const target *t, char *buf, size_t len)
{
    if (!jb->out->dir)
        return jb->out->file;
    snprintf(buf, len, "%s/%s", jb->out->dir, t->name);
    return buf;
}

/* Opens t's file for frames of link type dlt; false after a line on stderr. */
static bool start_target(const job *jb, target *t, int dlt)
{
    t->dead = pcap_open_dead_with_tstamp_precision(dlt, jb->snaplen, PCAP_TSTAMP_PRECISION_NANO);
    FILE *f = t->dead ? open_target(jb, t) : NULL;
    t->dump = f ? pcap_dump_fopen(t->dead, f) : NULL;
    if (!t->dump) {
        char path[4200];
        fprintf(stderr, "sipsleuth: --extract: cannot write %s: %s\n",
                target_path(jb, t, path, sizeof path), f ? pcap_geterr(t->dead) : strerror(errno));
        if (f)
            (void)fclose(f);
        return false;
    }
    t->dlt = dlt;
    return true;
}

static bool write_frame(const job *jb, target *t, const sl_frame *fr)
{
    if (!t->dump && !start_target(jb, t, fr->dlt))
        return false;
    if (fr->dlt != t->dlt) {
        char path[4200];
        fprintf(stderr,
                "sipsleuth: --extract: %s: the call's frames have several link types (%d and %d); "
                "a pcap file holds one\n",
                target_path(jb, t, path, sizeof path), t->dlt, fr->dlt);
        return false;
    }
    struct pcap_pkthdr h = {.caplen = (bpf_u_int32)fr->caplen, .len = (bpf_u_int32)fr->wirelen};
    sl_time s = fr->ts / SL_NS_PER_SEC, ns = fr->ts % SL_NS_PER_SEC;
    if (ns < 0) {
        s--;
        ns += SL_NS_PER_SEC;
    }
    h.ts.tv_sec = (time_t)s;
    h.ts.tv_usec = (suseconds_t)ns; /* nanoseconds: the dumper's precision */
    pcap_dump((u_char *)t->dump, &h, fr->data);
    t->written++;
    return true;
}

/* One read of the inputs, writing the batch's pairs. False after a line on stderr. */
static bool copy_frames(job *jb)
{
    uint64_t no = 0;
    size_t i = 0;
    for (int k = 0; k < jb->n_files && i < jb->n_pairs; k++) {
        char err[1024];
        sl_capture *cap = sl_capture_open_file(jb->files[k], err, sizeof err);
        if (cap && jb->filter && !sl_capture_set_filter(cap, jb->filter, err, sizeof err)) {
            sl_capture_close(cap);
            cap = NULL;
        }
        if (!cap) {
            fprintf(stderr, "sipsleuth: --extract: %s\n", err);
            return false;
        }
        sl_frame f;
        sl_capture_result r = SL_CAPTURE_END;
        bool ok = true;
        while (ok && i < jb->n_pairs && (r = sl_capture_next(cap, &f)) == SL_CAPTURE_FRAME) {
            no++;
            for (; ok && i < jb->n_pairs && jb->pairs[i].frame == no; i++)
                ok = write_frame(jb, &jb->t[jb->pairs[i].target], &f);
        }
        if (ok && i < jb->n_pairs && r == SL_CAPTURE_ERROR) {
            fprintf(stderr, "sipsleuth: --extract: %s\n", sl_capture_error(cap));
            ok = false;
        }
        sl_capture_close(cap);
        if (!ok)
            return false;
    }
    return true;
}

/* Closes the batch's files; an empty -w file still gets its header. */
static bool finish_targets(const job *jb, target *t, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].dump && !jb->out->dir && !start_target(jb, &t[i], jb->first_dlt))
            ok = false;
        if (t[i].dump) {
            if (pcap_dump_flush(t[i].dump) != 0 || ferror(pcap_dump_file(t[i].dump))) {
                char path[4200];
                fprintf(stderr, "sipsleuth: --extract: cannot write %s\n",
                        target_path(jb, &t[i], path, sizeof path));
                ok = false;
            }
            pcap_dump_close(t[i].dump);
            t[i].dump = NULL;
        }
        if (t[i].dead)
            pcap_close(t[i].dead);
        t[i].dead = NULL;
    }
    return ok;
}

/* The first input's link type (for an empty -w file) and the largest snap
 * length of the inputs (the output's: no frame is longer). */
static void input_params(job *jb)
{
    jb->first_dlt = -1;
    jb->snaplen = 0;
    for (int k = 0; k < jb->n_files; k++) {
        char err[1024];
        sl_capture *cap = sl_capture_open_file(jb->files[k], err, sizeof err);
        if (!cap)
            continue;
        if (k == 0)
            jb->first_dlt = sl_capture_datalink(cap);
        int s = sl_capture_snaplen(cap);
        if (s > jb->snaplen)
            jb->snaplen = s;
        sl_capture_close(cap);
    }
    if (jb->first_dlt < 0)
        jb->first_dlt = DLT_EN10MB;
    if (jb->snaplen <= 0)
        jb->snaplen = 262144;
}

/* DIR/index.tsv: file name, frames written, Call-ID (bytes outside
 * printable ASCII, the backslash and tab as \xHH). */
static bool write_index(const char *dir, const target *t, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index.tsv", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        fprintf(stderr, "sipsleuth: --extract-dir: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    fprintf(f, "file\tframes\tcall_id\n");
    for (size_t i = 0; i < n; i++) {
        if (!t[i].written)
            continue;
        fprintf(f, "%s\t%llu\t", t[i].name, (unsigned long long)t[i].written);
        for (size_t k = 0; k < t[i].call->id_len; k++) {
            unsigned char ch = (unsigned char)t[i].call->id[k];
            if (ch < 0x21 || ch > 0x7e || ch == '\\')
                fprintf(f, "\\x%02x", ch);
            else
                fputc(ch, f);
        }
        fputc('\n', f);
    }
    bool ok = !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "sipsleuth: --extract-dir: cannot write %s\n", path);
    return ok;
}

/* What pass 1 could not record, and the Call-IDs asked for but not seen. */
static void notes(const sl_extract *x)
{
    for (size_t i = 0; i < x->n_ids && i < x->n_calls; i++)
        if (x->calls[i]->n == 0)
            fprintf(stderr, "sipsleuth: --extract: no message with Call-ID \"%s\"\n",
                    x->calls[i]->id);
    if (x->calls_dropped)
        fprintf(stderr,
                "sipsleuth: --extract-dir: %llu messages of calls past the first %d not written\n",
                (unsigned long long)x->calls_dropped, SL_EXTRACT_MAX_CALLS);
    if (x->records_dropped)
        fprintf(stderr, "sipsleuth: --extract: %llu frames not recorded (at most %u)\n",
                (unsigned long long)x->records_dropped, SL_EXTRACT_MAX_RECORDS);
    if (x->incomplete)
        fprintf(stderr,
                "sipsleuth: --extract: %llu messages in more than %d frames: only %d written "
                "(anomaly extract_frames_overflow)\n",
                (unsigned long long)x->incomplete, SL_FRAMES_MAX, SL_FRAMES_MAX);
}

int sl_extract_write(const sl_extract *x, const sl_extract_out *out, const char *const *files,
                     int n, const char *filter)
{
    notes(x);
    size_t n_all = out->dir ? x->n_calls : 1;
    target *all = calloc(n_all ? n_all : 1, sizeof *all);
    if (!all) {
        fprintf(stderr, "sipsleuth: --extract: out of memory\n");
        return 1;
    }
    job jb = {.out = out, .files = files, .n_files = n, .filter = filter};
    input_params(&jb);
    bool ok = true;
    if (out->dir) {
        for (size_t i = 0; i < n_all; i++)
            all[i].call = x->calls[i];
        ok = assign_names(all, n_all);
    }
    for (size_t b = 0; ok && b < n_all; b += SL_EXTRACT_OPEN_FILES) {
        jb.t = all + b;
        jb.n_t = n_all - b < SL_EXTRACT_OPEN_FILES ? n_all - b : SL_EXTRACT_OPEN_FILES;
        ok = build_pairs(&jb, x);
        if (!ok)
            fprintf(stderr, "sipsleuth: --extract: out of memory\n");
        if (ok)
            ok = copy_frames(&jb);
        if (!finish_targets(&jb, jb.t, jb.n_t))
            ok = false;
    }
    if (ok && out->dir)
        ok = write_index(out->dir, all, n_all);
    if (!ok && out->file)
        unlink(out->file);
    free(jb.pairs);
    free(all);
    return ok ? 0 : 1;
}
