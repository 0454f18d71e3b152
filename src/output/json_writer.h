/* A streaming JSON writer into a growable buffer: fast enough for one event
 * per SIP message, and safe for untrusted bytes — strings are escaped so that
 * every line is valid UTF-8 JSON whatever the packet held (control bytes and
 * NUL become \u00XX, invalid UTF-8 bytes become U+FFFD).
 *
 * Commas between members are placed automatically. Misuse (a value without a
 * key inside an object) is a programming error and is caught by assertions. */
#ifndef SIPSLEUTH_JSON_WRITER_H
#define SIPSLEUTH_JSON_WRITER_H

#include "sipsleuth/slice.h"
#include "sipsleuth/sltime.h"

#include <string.h>

#define SL_JW_MAX_DEPTH 16

typedef struct sl_jw {
    char *buf;
    size_t len, cap;
    bool failed; /* an allocation failed; the content is unusable */
    int depth;
    bool need_comma[SL_JW_MAX_DEPTH + 1];
} sl_jw;

void sl_jw_init(sl_jw *w);
void sl_jw_free(sl_jw *w);
void sl_jw_reset(sl_jw *w); /* empties the buffer, keeps its memory */

void sl_jw_obj_begin(sl_jw *w);
void sl_jw_obj_end(sl_jw *w);
void sl_jw_arr_begin(sl_jw *w);
void sl_jw_arr_end(sl_jw *w);
void sl_jw_key_untrusted(sl_jw *w, const char *key); /* key from a packet: escaped */

void sl_jw_str(sl_jw *w, const char *s);             /* NUL-terminated, escaped */
void sl_jw_bytes(sl_jw *w, const void *p, size_t n); /* untrusted bytes, escaped */
void sl_jw_slice(sl_jw *w, sl_slice s);              /* as sl_jw_bytes; empty → "" */
/* Writes the n bytes as a string if none needs escaping (no control byte,
 * quote, backslash, DEL or byte >= 0x80) and returns true; otherwise writes
 * nothing and returns false. For callers with their own slow path. */
bool sl_jw_plain(sl_jw *w, const void *p, size_t n);
void sl_jw_int(sl_jw *w, int64_t v);
void sl_jw_uint(sl_jw *w, uint64_t v);
void sl_jw_double(sl_jw *w, double v, int decimals); /* non-finite → null */
void sl_jw_bool(sl_jw *w, bool v);
void sl_jw_null(sl_jw *w);
void sl_jw_time(sl_jw *w, sl_time t);                 /* RFC 3339 string */
void sl_jw_raw(sl_jw *w, const char *json, size_t n); /* pre-formatted JSON value */
/* Where the next member's text begins (at its comma, if it has one), and the
 * text written since such a mark: lets a caller copy members it wrote, to
 * write the same ones again later with sl_jw_raw. */
static inline size_t sl_jw_member_mark(const sl_jw *w)
{
    return w->len + (w->need_comma[w->depth] ? 1 : 0);
}
static inline sl_slice sl_jw_text_since(const sl_jw *w, size_t mark)
{
    return w->failed || mark > w->len ? sl_slice_make(NULL, 0)
                                      : sl_slice_make(w->buf + mark, w->len - mark);
}

/* Several members written as one piece of text, for a few short ones in a
 * row (one room check instead of one each): sl_jw_chunk_begin() returns
 * where to write, with room for `room` bytes and a comma already put when a
 * member came before (NULL when out of memory); the sl_jwc_* helpers write
 * there and return the next byte (the caller writes the commas and keys
 * between members, as literals); sl_jw_chunk_end() takes the text up to end. */
char *sl_jw_chunk_begin(sl_jw *w, size_t room);
void sl_jw_chunk_end(sl_jw *w, const char *end);
/* A literal (a key with its quotes and colon, a comma): n bytes. */
static inline char *sl_jwc_lit(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}
#define SL_JWC_LIT(o, lit) sl_jwc_lit((o), (lit), sizeof(lit) - 1)
char *sl_jwc_uint(char *o, uint64_t v); /* at most 20 bytes */
/* An escaped string: room for 6 * n + 2 bytes. */
char *sl_jwc_bytes(char *o, const void *p, size_t n);

/* Bytes outside the JSON structure (the newline between documents); resets
 * the writer for the next document. */
void sl_jw_end_document(sl_jw *w, const char *text, size_t n);

/* Keys are trusted ASCII. The calls taking a key are inline wrappers that
 * pass its length: for a literal key the compiler folds the strlen. */
void sl_jw_key_n(sl_jw *w, const char *key, size_t key_len);
void sl_jw_kbytes_n(sl_jw *w, const char *key, size_t key_len, const void *p, size_t n);
void sl_jw_kslice_or_null_n(sl_jw *w, const char *key, size_t key_len, sl_slice s);
void sl_jw_kint_n(sl_jw *w, const char *key, size_t key_len, int64_t v);
void sl_jw_kuint_n(sl_jw *w, const char *key, size_t key_len, uint64_t v);
/* key and a pre-formatted JSON value */
void sl_jw_kraw_n(sl_jw *w, const char *key, size_t key_len, const char *json, size_t n);

static inline void sl_jw_key(sl_jw *w, const char *key)
{
    sl_jw_key_n(w, key, strlen(key));
}

/* key + value in one call */
static inline void sl_jw_kstr(sl_jw *w, const char *key, const char *s)
{
    sl_jw_kbytes_n(w, key, strlen(key), s, strlen(s));
}
static inline void sl_jw_kslice(sl_jw *w, const char *key, sl_slice s)
{
    sl_jw_kbytes_n(w, key, strlen(key), s.len ? s.ptr : (const uint8_t *)"", s.len);
}
static inline void sl_jw_kslice_or_null(sl_jw *w, const char *key, sl_slice s) /* empty → null */
{
    sl_jw_kslice_or_null_n(w, key, strlen(key), s);
}
static inline void sl_jw_kint(sl_jw *w, const char *key, int64_t v)
{
    sl_jw_kint_n(w, key, strlen(key), v);
}
static inline void sl_jw_kuint(sl_jw *w, const char *key, uint64_t v)
{
    sl_jw_kuint_n(w, key, strlen(key), v);
}
static inline void sl_jw_kbool(sl_jw *w, const char *key, bool v)
{
    if (v)
        sl_jw_kraw_n(w, key, strlen(key), "true", 4);
    else
        sl_jw_kraw_n(w, key, strlen(key), "false", 5);
}
static inline void sl_jw_knull(sl_jw *w, const char *key)
{
    sl_jw_kraw_n(w, key, strlen(key), "null", 4);
}
static inline void sl_jw_kms(sl_jw *w, const char *key, double ms) /* milliseconds, 1 decimal */
{
    sl_jw_key(w, key);
    sl_jw_double(w, ms, 1);
}

#endif
