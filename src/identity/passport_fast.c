/* PASSporT JSON without allocation, for the common case: a small object of
 * plain strings (printable ASCII, no escapes), integers, literals, arrays
 * and objects, with claims of the expected types. It only ever accepts:
 * anything else (another form, invalid JSON, a wrong claim) is left to the
 * jansson decoder, whose verdicts and messages stay the reference. On that
 * subset jansson reads the same bytes as the same values, so the claims
 * are the same; fuzz_jws checks it. */
#include "sipsleuth/passport.h"

#define MAX_NODES 64
#define MAX_DEPTH 16

enum kind { K_OBJ, K_ARR, K_STR, K_INT, K_LIT };

typedef struct node {
    uint8_t kind;
    uint8_t end;  /* index after this node's subtree */
    sl_slice key; /* in an object */
    sl_slice str;
    int64_t num;
} node;

typedef struct doc {
    const uint8_t *p, *e;
    node nodes[MAX_NODES];
    int n;
} doc;

static void ws(doc *d)
{
    while (d->p < d->e && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
        d->p++;
}

static bool string(doc *d, sl_slice *out)
{
    if (d->p == d->e || *d->p != '"')
        return false;
    const uint8_t *s = ++d->p;
    while (d->p < d->e && *d->p != '"') {
        if (*d->p < 0x20 || *d->p > 0x7e || *d->p == '\\')
            return false;
        d->p++;
    }
    if (d->p == d->e)
        return false;
    *out = sl_slice_make(s, (size_t)(d->p++ - s));
    return true;
}

/* -?(0|[1-9][0-9]*), at most 18 digits (fits int64), no fraction or exponent. */
static bool integer(doc *d, int64_t *out)
{
    bool neg = d->p < d->e && *d->p == '-';
    d->p += neg;
    const uint8_t *s = d->p;
    int64_t v = 0;
    while (d->p < d->e && *d->p >= '0' && *d->p <= '9' && d->p - s < 18)
        v = v * 10 + (*d->p++ - '0');
    if (d->p == s || (*s == '0' && d->p - s > 1))
        return false;
    if (d->p < d->e &&
        ((*d->p >= '0' && *d->p <= '9') || *d->p == '.' || *d->p == 'e' || *d->p == 'E'))
        return false;
    *out = neg ? -v : v;
    return true;
}

static bool literal(doc *d)
{
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(d->e - d->p) >= n && memcmp(d->p, words[i], n) == 0) {
            d->p += n;
            return d->p == d->e ||
                   !((*d->p >= 'a' && *d->p <= 'z') || (*d->p >= 'A' && *d->p <= 'Z'));
        }
    }
    return false;
}

/* NOLINTBEGIN(misc-no-recursion): value() and container() recurse once per nesting
 * level, and value() stops at MAX_DEPTH. */
static bool value(doc *d, int depth, sl_slice key);

/* Members or elements up to the closing bracket; keys unique in an object. */
static bool container(doc *d, int depth, int self, uint8_t close)
{
    ws(d);
    if (d->p < d->e && *d->p == close) {
        d->p++;
        return true;
    }
    for (;;) {
        sl_slice key = {0};
        if (close == '}') {
            if (!string(d, &key))
                return false;
            for (int c = self + 1; c < d->n; c = d->nodes[c].end)
                if (d->nodes[c].key.len == key.len &&
                    memcmp(d->nodes[c].key.ptr, key.ptr, key.len) == 0)
                    return false;
            ws(d);
            if (d->p == d->e || *d->p++ != ':')
                return false;
            ws(d);
        }
        if (!value(d, depth + 1, key))
            return false;
        ws(d);
        if (d->p == d->e)
            return false;
        uint8_t c = *d->p++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
        ws(d);
    }
}

static bool value(doc *d, int depth, sl_slice key)
{
    if (d->n == MAX_NODES || depth > MAX_DEPTH || d->p == d->e)
        return false;
    int i = d->n++;
    node *nd = &d->nodes[i];
    memset(nd, 0, sizeof *nd);
    nd->key = key;
    bool ok;
    uint8_t c = *d->p;
    if (c == '{' || c == '[') {
        d->p++;
        nd->kind = c == '{' ? K_OBJ : K_ARR;
        ok = container(d, depth, i, c == '{' ? '}' : ']');
    } else if (c == '"') {
        nd->kind = K_STR;
        ok = string(d, &nd->str);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        nd->kind = K_INT;
        ok = integer(d, &nd->num);
    } else {
        nd->kind = K_LIT;
        ok = literal(d);
    }
    d->nodes[i].end = (uint8_t)d->n;
    return ok;
}
/* NOLINTEND(misc-no-recursion) */

static bool parse(doc *d, const uint8_t *json, size_t n)
{
    d->p = json;
    d->e = json + n;
    d->n = 0;
    ws(d);
    if (!value(d, 0, sl_slice_make(NULL, 0)) || d->nodes[0].kind != K_OBJ)
        return false;
    ws(d);
    return d->p == d->e;
}

/* The member `key` of object node obj, or -1. */
static int member(const doc *d, int obj, const char *key)
{
    for (int c = obj + 1; c < d->nodes[obj].end; c = d->nodes[c].end)
        if (sl_slice_eq(d->nodes[c].key, key))
            return c;
    return -1;
}

/* Absent (-1) or a string that fits cap with its NUL. */
static bool fits(const doc *d, int i, size_t cap)
{
    return i < 0 || (d->nodes[i].kind == K_STR && d->nodes[i].str.len < cap);
}

static void copy(const doc *d, int i, char *out)
{
    if (i < 0)
        return;
    memcpy(out, d->nodes[i].str.ptr, d->nodes[i].str.len);
    out[d->nodes[i].str.len] = '\0';
}

bool sl_passport_fast_header(const uint8_t *json, size_t n, sl_passport *pp)
{
    doc d;
    if (!parse(&d, json, n))
        return false;
    int alg = member(&d, 0, "alg"), ppt = member(&d, 0, "ppt"), typ = member(&d, 0, "typ"),
        x5u = member(&d, 0, "x5u");
    if (alg < 0 || !fits(&d, alg, sizeof pp->alg) || !fits(&d, ppt, sizeof pp->ppt) ||
        !fits(&d, typ, sizeof pp->typ) || !fits(&d, x5u, sizeof pp->x5u))
        return false;
    copy(&d, alg, pp->alg);
    copy(&d, ppt, pp->ppt);
    copy(&d, typ, pp->typ);
    copy(&d, x5u, pp->x5u);
    return true;
}

bool sl_passport_fast_payload(const uint8_t *json, size_t n, sl_passport *pp)
{
    doc d;
    if (!parse(&d, json, n))
        return false;
    int iat = member(&d, 0, "iat"), orig = member(&d, 0, "orig"), dest = member(&d, 0, "dest");
    int attest = member(&d, 0, "attest"), origid = member(&d, 0, "origid");
    if (iat < 0 || d.nodes[iat].kind != K_INT || orig < 0 || d.nodes[orig].kind != K_OBJ ||
        dest < 0 || d.nodes[dest].kind != K_OBJ || !fits(&d, attest, sizeof pp->attest) ||
        !fits(&d, origid, sizeof pp->origid))
        return false;
    int otn = member(&d, orig, "tn"), dtn = member(&d, dest, "tn");
    if (!fits(&d, otn, SL_TN_MAX) || (dtn >= 0 && d.nodes[dtn].kind != K_ARR))
        return false;
    size_t n_dest = 0;
    for (int c = dtn + 1; dtn >= 0 && c < d.nodes[dtn].end && n_dest < SL_PASSPORT_MAX_DEST;
         c = d.nodes[c].end, n_dest++)
        if (!fits(&d, c, SL_TN_MAX))
            return false;
    pp->iat = d.nodes[iat].num;
    copy(&d, otn, pp->orig_tn);
    for (int c = dtn + 1, k = 0; dtn >= 0 && (size_t)k < n_dest; c = d.nodes[c].end, k++)
        copy(&d, c, pp->dest_tn[k]);
    pp->n_dest = n_dest;
    copy(&d, attest, pp->attest);
    copy(&d, origid, pp->origid);
    return true;
}
