/* The NSS key log: see include/sipsleuth/tls_keylog.h.
 *
 * Entries live in one array used as a ring in the order they were first
 * seen (the oldest is evicted when the array is full), indexed by a chained
 * hash of the client random. The file is read in chunks from where the last
 * read stopped; an unfinished last line waits for the next read. */
#include "sipsleuth/tls_keylog.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "hash.h"

#define LINE_MAX_LEN 512 /* the longest label (31) + 64 + 96 hex + 2 spaces fits */
#define NONE UINT32_MAX

typedef struct entry {
    uint8_t random[SL_TLS_RANDOM_LEN];
    uint32_t next; /* hash chain */
    sl_tls_keys keys;
} entry;

struct sl_tls_keylog {
    char *path;
    entry *e;
    size_t cap, count, oldest; /* ring: e[oldest] is the oldest of count entries */
    uint32_t *buckets;
    size_t nbuckets;
    /* the file */
    dev_t dev;
    ino_t ino;
    off_t pos; /* bytes consumed (complete lines) */
    int64_t last_check_ms;
    sl_tls_keylog_stats st;
};

static const struct {
    const char *label;
    sl_tls_secret_kind kind;
} labels[] = {
    {"CLIENT_RANDOM", SL_TLS_MASTER_SECRET},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", SL_TLS_CLIENT_HS_SECRET},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", SL_TLS_SERVER_HS_SECRET},
    {"CLIENT_TRAFFIC_SECRET_0", SL_TLS_CLIENT_AP_SECRET},
    {"SERVER_TRAFFIC_SECRET_0", SL_TLS_SERVER_AP_SECRET},
};

/* A label sipsleuth does not use (EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET,
 * OpenSSL's CLIENT_TRAFFIC_SECRET_N after a KeyUpdate, RSA, ...): skipped, not
 * malformed, when it is spelt like one. */
static bool label_like(const char *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((f[i] >= 'A' && f[i] <= 'Z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_'))
            return false;
    return n > 0 && n <= 64;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes exactly n hex digits into n/2 bytes. */
static bool unhex(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return n % 2 == 0;
}

/* The next field of line[*off..len) separated by spaces or tabs. */
static bool field(const char *line, size_t len, size_t *off, const char **f, size_t *flen)
{
    size_t i = *off;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t s = i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
    *off = i;
    *f = line + s;
    *flen = i - s;
    return i > s;
}

static bool is_label(const char *f, size_t n, const char *label)
{
    return strlen(label) == n && memcmp(f, label, n) == 0;
}

sl_status sl_tls_keylog_parse_line(const char *line, size_t len, sl_tls_secret_kind *kind,
                                   uint8_t random[SL_TLS_RANDOM_LEN],
                                   uint8_t secret[SL_TLS_MAX_SECRET], size_t *secret_len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    size_t off = 0;
    const char *lab, *rnd, *sec, *extra;
    size_t lab_n, rnd_n, sec_n, extra_n;
    if (!field(line, len, &off, &lab, &lab_n) || lab[0] == '#')
        return SL_PARTIAL; /* blank or comment */
    int found = -1;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (is_label(lab, lab_n, labels[i].label))
            found = (int)i;
    if (found < 0)
        return label_like(lab, lab_n) ? SL_PARTIAL : SL_INVALID;
    if (!field(line, len, &off, &rnd, &rnd_n) || !field(line, len, &off, &sec, &sec_n) ||
        field(line, len, &off, &extra, &extra_n))
        return SL_INVALID;
    *kind = labels[found].kind;
    bool master = *kind == SL_TLS_MASTER_SECRET;
    if (rnd_n != (size_t)2 * SL_TLS_RANDOM_LEN || !unhex(rnd, rnd_n, random))
        return SL_INVALID;
    /* a master secret is 48 bytes; traffic secrets are a hash long (32 or 48) */
    if (master ? sec_n != 96 : sec_n != 64 && sec_n != 96)
        return SL_INVALID;
    if (!unhex(sec, sec_n, secret))
        return SL_INVALID;
    *secret_len = sec_n / 2;
    return SL_OK;
}

/* ---- the table ---- */

static size_t bucket_of(const sl_tls_keylog *kl, const uint8_t *random)
{
    return (size_t)sl_hash_bytes(0, random, SL_TLS_RANDOM_LEN) & (kl->nbuckets - 1);
}

static entry *lookup(const sl_tls_keylog *kl, const uint8_t *random)
{
    for (uint32_t i = kl->buckets[bucket_of(kl, random)]; i != NONE; i = kl->e[i].next)
        if (memcmp(kl->e[i].random, random, SL_TLS_RANDOM_LEN) == 0)
            return &kl->e[i];
    return NULL;
}

static void unlink_entry(sl_tls_keylog *kl, uint32_t idx)
{
    uint32_t *pp = &kl->buckets[bucket_of(kl, kl->e[idx].random)];
    while (*pp != NONE && *pp != idx)
        pp = &kl->e[*pp].next;
    if (*pp == idx)
        *pp = kl->e[idx].next;
    OPENSSL_cleanse(&kl->e[idx], sizeof kl->e[idx]);
}

static void add(sl_tls_keylog *kl, sl_tls_secret_kind kind, const uint8_t *random,
                const uint8_t *secret, size_t n)
{
    entry *e = lookup(kl, random);
    if (!e) {
        uint32_t idx;
        if (kl->count == kl->cap) {
            idx = (uint32_t)kl->oldest; /* the oldest goes; its slot is the newest now */
            unlink_entry(kl, idx);
            kl->oldest = (kl->oldest + 1) % kl->cap;
            kl->st.evicted++;
        } else {
            idx = (uint32_t)((kl->oldest + kl->count) % kl->cap);
            kl->count++;
        }
        e = &kl->e[idx];
        memset(e, 0, sizeof *e);
        memcpy(e->random, random, SL_TLS_RANDOM_LEN);
        size_t b = bucket_of(kl, random);
        e->next = kl->buckets[b];
        kl->buckets[b] = idx;
    }
    memcpy(e->keys.secret[kind], secret, n);
    e->keys.len[kind] = (uint8_t)n;
}

static void take_line(sl_tls_keylog *kl, const char *line, size_t len)
{
    sl_tls_secret_kind kind;
    uint8_t random[SL_TLS_RANDOM_LEN], secret[SL_TLS_MAX_SECRET];
    size_t n = 0;
    sl_status st = len > LINE_MAX_LEN
                       ? SL_INVALID
                       : sl_tls_keylog_parse_line(line, len, &kind, random, secret, &n);
    if (st == SL_OK) {
        kl->st.lines++;
        add(kl, kind, random, secret, n);
    } else if (st == SL_INVALID) {
        kl->st.lines++;
        kl->st.malformed++;
    }
    OPENSSL_cleanse(secret, sizeof secret);
}

/* ---- the file ---- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads complete lines from kl->pos on. NULL, or why the file cannot be read. */
static const char *read_file(sl_tls_keylog *kl)
{
    FILE *f = fopen(kl->path, "rb");
    if (!f)
        return strerror(errno);
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        (void)fclose(f);
        return "not a regular file";
    }
    if (sb.st_dev != kl->dev || sb.st_ino != kl->ino || sb.st_size < kl->pos)
        kl->pos = 0; /* replaced or truncated: read it all again */
    kl->dev = sb.st_dev;
    kl->ino = sb.st_ino;
    if (sb.st_size == kl->pos || fseeko(f, kl->pos, SEEK_SET) != 0) {
        (void)fclose(f);
        return NULL;
    }
    kl->st.reads++;
    char buf[16384];
    size_t have = 0;       /* bytes of an unfinished line at the start of buf */
    bool skipping = false; /* inside a line longer than the buffer */
    for (;;) {
        size_t got = fread(buf + have, 1, sizeof buf - have, f);
        if (got == 0)
            break;
        size_t n = have + got, start = 0;
        for (;;) {
            const char *lf = memchr(buf + start, '\n', n - start);
            if (!lf)
                break;
            size_t end = (size_t)(lf - buf);
            if (skipping) {
                kl->st.lines++;
                kl->st.malformed++;
                skipping = false;
            } else {
                take_line(kl, buf + start, end - start);
            }
            kl->pos += (off_t)(end + 1 - start);
            start = end + 1;
        }
        have = n - start;
        if (have == sizeof buf) { /* a line that long is no key line */
            kl->pos += (off_t)have;
            have = 0;
            skipping = true;
        } else {
            memmove(buf, buf + start, have);
        }
    }
    OPENSSL_cleanse(buf, sizeof buf);
    (void)fclose(f);
    return NULL;
}

void sl_tls_keylog_refresh(sl_tls_keylog *kl, bool force)
{
    int64_t now = wall_ms();
    if (!force && now - kl->last_check_ms < 1000)
        return;
    kl->last_check_ms = now;
    struct stat sb;
    if (stat(kl->path, &sb) != 0)
        return; /* gone for now (being rotated): keep what was read */
    if (sb.st_dev == kl->dev && sb.st_ino == kl->ino && sb.st_size == kl->pos)
        return;
    (void)read_file(kl);
}

sl_tls_keylog *sl_tls_keylog_open(const char *path, size_t max_entries, char *err, size_t errlen)
{
    sl_tls_keylog *kl = calloc(1, sizeof *kl);
    if (!kl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    kl->cap = max_entries ? max_entries : SL_TLS_DEFAULT_MAX_KEYS;
    kl->nbuckets = 16;
    while (kl->nbuckets < kl->cap)
        kl->nbuckets <<= 1;
    kl->path = strdup(path);
    kl->e = calloc(kl->cap, sizeof *kl->e);
    kl->buckets = malloc(kl->nbuckets * sizeof *kl->buckets);
    if (!kl->path || !kl->e || !kl->buckets) {
        sl_tls_keylog_free(kl);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memset(kl->buckets, 0xff, kl->nbuckets * sizeof *kl->buckets);
    const char *why = read_file(kl);
    if (why) {
        snprintf(err, errlen, "--tls-keylog %s: %s", path, why);
        sl_tls_keylog_free(kl);
        return NULL;
    }
    kl->last_check_ms = wall_ms();
    return kl;
}

void sl_tls_keylog_free(sl_tls_keylog *kl)
{
    if (!kl)
        return;
    if (kl->e) {
        /* only the entries in use: the rest were never touched (nor made resident) */
        for (size_t i = 0; i < kl->count; i++)
            OPENSSL_cleanse(&kl->e[(kl->oldest + i) % kl->cap], sizeof *kl->e);
        free(kl->e);
    }
    free(kl->buckets);
    free(kl->path);
    free(kl);
}

bool sl_tls_keylog_find(sl_tls_keylog *kl, const uint8_t random[SL_TLS_RANDOM_LEN],
                        sl_tls_keys *out)
{
    const entry *e = lookup(kl, random);
    if (!e) {
        sl_tls_keylog_refresh(kl, true);
        e = lookup(kl, random);
    } else {
        sl_tls_keylog_refresh(kl, false);
        e = lookup(kl, random); /* a refresh may have moved nothing, but look again */
    }
    if (!e)
        return false;
    *out = e->keys;
    return true;
}

void sl_tls_keylog_get_stats(const sl_tls_keylog *kl, sl_tls_keylog_stats *out)
{
    *out = kl->st;
    out->entries = kl->count;
}

size_t sl_tls_keylog_memory(const sl_tls_keylog *kl)
{
    return sizeof *kl + kl->cap * sizeof *kl->e + kl->nbuckets * sizeof *kl->buckets;
}
