/* Loading and saving the routing table file (see routes_file.h). */
#include "sipsleuth/routes_file.h"

#include "sipsleuth/routes_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger files are refused rather than read into memory. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- RFC 3339 times ("2026-03-01T10:00:00.123456Z") ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool num(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* UTC only, as sipsleuth writes it; 0 to 9 fraction digits. */
static bool parse_time(const char *s, sl_time *out)
{
    unsigned y, mo, d, h, mi, se;
    size_t n = strlen(s);
    if (n < 20 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) || s[7] != '-' ||
        !num(s + 8, 2, &d) || s[10] != 'T' || !num(s + 11, 2, &h) || s[13] != ':' ||
        !num(s + 14, 2, &mi) || s[16] != ':' || !num(s + 17, 2, &se))
        return false;
    if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (s[i] == '.') {
        int digits = 0;
        for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
            if (++digits > 9)
                return false;
            frac = frac * 10 + (s[i] - '0');
        }
        if (digits == 0)
            return false;
        for (; digits < 9; digits++)
            frac *= 10;
    }
    if (s[i] != 'Z' || s[i + 1] != '\0')
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se;
    *out = secs * SL_NS_PER_SEC + frac;
    return true;
}

/* ---- load ---- */

static bool get_uri(json_t *e, const char *key, size_t i, char *err, size_t errlen,
                    const char **out)
{
    json_t *v = json_object_get(e, key);
    if (!json_is_string(v))
        return fail(err, errlen, "route %zu: \"%s\" is missing or not a string", i, key);
    const char *s = json_string_value(v);
    char norm[SL_ROUTE_URI_MAX];
    size_t n = json_string_length(v);
    /* 0 is the normaliser's "not a URI": an empty string must not pass as its own normal form */
    size_t got = sl_uri_normalize(sl_slice_make(s, n), norm, sizeof norm);
    if (got == 0 || got != n || memcmp(norm, s, n) != 0)
        return fail(err, errlen, "route %zu: \"%s\" is not a URI in normal form", i, key);
    *out = s;
    return true;
}

static bool get_time(json_t *e, const char *key, size_t i, char *err, size_t errlen, sl_time *out)
{
    json_t *v = json_object_get(e, key);
    if (!json_is_string(v) || !parse_time(json_string_value(v), out))
        return fail(err, errlen, "route %zu: \"%s\" is missing or not an RFC 3339 UTC time", i,
                    key);
    return true;
}

static bool load_entry(sl_routes *t, json_t *e, size_t i, char *err, size_t errlen)
{
    if (!json_is_object(e))
        return fail(err, errlen, "route %zu is not an object", i);
    sl_route r = {0};
    const char *uri = NULL, *target = NULL;
    if (!get_uri(e, "uri", i, err, errlen, &uri) || !get_uri(e, "target", i, err, errlen, &target))
        return false;
    r.uri = (char *)uri;
    r.target = (char *)target;

    json_t *q = json_object_get(e, "q");
    if (json_is_null(q))
        r.q = -1;
    else if (json_is_number(q) && json_number_value(q) >= 0 && json_number_value(q) <= 1)
        r.q = json_number_value(q);
    else
        return fail(err, errlen, "route %zu: \"q\" must be null or a number from 0 to 1", i);

    json_t *ex = json_object_get(e, "expires");
    if (json_is_null(ex))
        r.expires = -1;
    else if (json_is_integer(ex) && json_integer_value(ex) >= 0 &&
             json_integer_value(ex) <= (json_int_t)UINT32_MAX)
        r.expires = json_integer_value(ex);
    else
        return fail(err, errlen, "route %zu: \"expires\" must be null or seconds (0 to 2^32-1)", i);

    if (!get_time(e, "first_seen", i, err, errlen, &r.first_seen) ||
        !get_time(e, "last_seen", i, err, errlen, &r.last_seen))
        return false;
    if (json_object_get(e, "last_used")) {
        if (!get_time(e, "last_used", i, err, errlen, &r.last_used))
            return false;
    } else {
        r.last_used = r.last_seen;
    }
    if (r.last_seen < r.first_seen || r.last_used < r.last_seen)
        return fail(err, errlen,
                    "route %zu: times out of order (first_seen <= last_seen <= "
                    "last_used)",
                    i);

    json_t *n = json_object_get(e, "times_seen");
    if (!json_is_integer(n) || json_integer_value(n) < 1)
        return fail(err, errlen, "route %zu: \"times_seen\" must be a positive integer", i);
    r.times_seen = (uint64_t)json_integer_value(n);

    json_t *sv = json_object_get(e, "server");
    if (!json_is_string(sv) && !json_is_null(sv))
        return fail(err, errlen, "route %zu: \"server\" must be an IP address, \"\" or null", i);
    const char *server = json_is_string(sv) ? json_string_value(sv) : "";
    uint8_t buf[16];
    if (server[0] && inet_pton(AF_INET, server, buf) != 1 && inet_pton(AF_INET6, server, buf) != 1)
        return fail(err, errlen, "route %zu: \"server\" is not an IP address", i);
    snprintf(r.server, sizeof r.server, "%s", server);

    if (sl_routes_get(t, uri))
        return fail(err, errlen, "route %zu: \"%s\" appears twice", i, uri);
    if (!sl_routes_insert(t, &r))
        return fail(err, errlen, "route %zu: out of memory", i);
    return true;
}

bool sl_routes_load_buffer(sl_routes *t, const char *data, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return fail(err, errlen, "not valid JSON (line %d: %s)", je.line, je.text);
    bool ok = false;
    json_t *ver = json_object_get(doc, "version");
    json_t *routes = json_object_get(doc, "routes");
    if (!json_is_object(doc))
        fail(err, errlen, "not a JSON object");
    else if (!json_is_integer(ver) || json_integer_value(ver) != SL_ROUTES_FILE_VERSION)
        fail(err, errlen, "\"version\" is missing or not %d", SL_ROUTES_FILE_VERSION);
    else if (!json_is_array(routes))
        fail(err, errlen, "\"routes\" is missing or not an array");
    else {
        ok = true;
        for (size_t i = 0; ok && i < json_array_size(routes); i++)
            ok = load_entry(t, json_array_get(routes, i), i, err, errlen);
    }
    json_decref(doc);
    return ok;
}

bool sl_routes_load(sl_routes *t, const char *path, bool *missing, char *err, size_t errlen)
{
    *missing = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = true;
            return true;
        }
        return fail(err, errlen, "%s", strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE_BYTES) {
        close(fd);
        return fail(err, errlen, "not a regular file of at most 1 GiB");
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *data = malloc(size ? size : 1);
    if (!data) {
        close(fd);
        return fail(err, errlen, "out of memory");
    }
    while (got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    int read_errno = errno;
    close(fd);
    bool ok = got == size ? sl_routes_load_buffer(t, data, size, err, errlen)
                          : fail(err, errlen, "read failed: %s", strerror(read_errno));
    free(data);
    return ok;
}

/* ---- save ---- */

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The directory holding path, so that the rename itself is made durable. */
static int open_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir)
        return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    return fd;
}

bool sl_routes_save(const sl_routes *t, const char *path, char *err, size_t errlen)
{
    char *text = sl_routes_file_text(t);
    if (!text)
        return fail(err, errlen, "out of memory");

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp) {
        free(text);
        return fail(err, errlen, "out of memory");
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    bool ok = false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fail(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    } else {
        bool written =
            write_all(fd, text, strlen(text)) && write_all(fd, "\n", 1) && fsync(fd) == 0;
        int werr = errno;
        if (close(fd) != 0 && written) {
            written = false;
            werr = errno;
        }
        if (!written)
            fail(err, errlen, "cannot write %s: %s", tmp, strerror(werr));
        else if (rename(tmp, path) != 0)
            fail(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        else
            ok = true;
        if (!ok)
            unlink(tmp);
    }
    if (ok) {
        int dfd = open_dir_of(path);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(tmp);
    free(text);
    return ok;
}
