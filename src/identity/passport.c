/* PASSporT JSON: the header and payload of a JWS, read with jansson. */
#include "sipsleuth/passport.h"

#include "sipsleuth/base64.h"

#include <jansson.h>
#include <stdio.h>

#define MAX_PART 8192

static bool copy_str(const json_t *v, char *out, size_t cap)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= cap)
        return false;
    memcpy(out, s, strlen(s) + 1);
    return true;
}

/* A string member: absent is fine (empty), anything but a string is not. */
static bool opt_str(json_t *obj, const char *key, char *out, size_t cap, sl_passport *pp,
                    const char *what)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    if (copy_str(v, out, cap))
        return true;
    snprintf(pp->error, sizeof pp->error, "%s %s is not a string", what, key);
    return false;
}

static bool decode_header(json_t *h, sl_passport *pp)
{
    if (!json_is_string(json_object_get(h, "alg"))) {
        snprintf(pp->error, sizeof pp->error, "header alg is missing or not a string");
        return false;
    }
    return opt_str(h, "alg", pp->alg, sizeof pp->alg, pp, "header") &&
           opt_str(h, "ppt", pp->ppt, sizeof pp->ppt, pp, "header") &&
           opt_str(h, "typ", pp->typ, sizeof pp->typ, pp, "header") &&
           opt_str(h, "x5u", pp->x5u, sizeof pp->x5u, pp, "header");
}

static bool decode_payload(json_t *p, sl_passport *pp)
{
    json_t *iat = json_object_get(p, "iat");
    if (!json_is_integer(iat)) {
        snprintf(pp->error, sizeof pp->error, "iat is %s, not an integer",
                 iat ? (json_is_string(iat) ? "a string" : "not a number") : "missing");
        return false;
    }
    pp->iat = (int64_t)json_integer_value(iat);
    json_t *orig = json_object_get(p, "orig");
    if (!json_is_object(orig)) {
        snprintf(pp->error, sizeof pp->error, "orig is missing or not an object");
        return false;
    }
    json_t *otn = json_object_get(orig, "tn");
    if (otn && !copy_str(otn, pp->orig_tn, sizeof pp->orig_tn)) {
        snprintf(pp->error, sizeof pp->error, "orig.tn is not a string");
        return false;
    }
    json_t *dest = json_object_get(p, "dest");
    if (!json_is_object(dest)) {
        snprintf(pp->error, sizeof pp->error, "dest is missing or not an object");
        return false;
    }
    json_t *dtn = json_object_get(dest, "tn");
    if (dtn && !json_is_array(dtn)) {
        snprintf(pp->error, sizeof pp->error, "dest.tn is not an array");
        return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(dtn, i, e)
    {
        if (pp->n_dest == SL_PASSPORT_MAX_DEST)
            break;
        if (!copy_str(e, pp->dest_tn[pp->n_dest], SL_TN_MAX)) {
            snprintf(pp->error, sizeof pp->error, "dest.tn[%zu] is not a string", i);
            return false;
        }
        pp->n_dest++;
    }
    return opt_str(p, "attest", pp->attest, sizeof pp->attest, pp, "payload") &&
           opt_str(p, "origid", pp->origid, sizeof pp->origid, pp, "payload");
}

typedef bool (*claims_fn)(json_t *obj, sl_passport *pp);

/* One base64url part. */
static bool decode_part(sl_slice b64, const char *what, sl_passport *pp, claims_fn claims)
{
    static const size_t cap = MAX_PART;
    uint8_t buf[MAX_PART];
    size_t n;
    if (b64.len > cap || sl_base64url_decode(b64, buf, cap, &n) != SL_OK) {
        snprintf(pp->error, sizeof pp->error, "%s is not base64url", what);
        return false;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j)) {
        snprintf(pp->error, sizeof pp->error, "%s is not a JSON object", what);
        json_decref(j);
        return false;
    }
    bool ok = claims(j, pp);
    json_decref(j);
    return ok;
}

bool sl_passport_decode(sl_slice header_b64, sl_slice payload_b64, sl_passport *pp)
{
    memset(pp, 0, sizeof *pp);
    return decode_part(header_b64, "header", pp, decode_header) &&
           decode_part(payload_b64, "payload", pp, decode_payload);
}

size_t sl_base64url_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        size_t chars = i + 2 < n ? 4 : i + 1 < n ? 3 : 2;
        for (size_t k = 0; k < chars && o + 1 < cap; k++)
            out[o++] = alphabet[(v >> (18 - 6 * k)) & 63];
    }
    if (cap)
        out[o] = '\0';
    return o;
}
