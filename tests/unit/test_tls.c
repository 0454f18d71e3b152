/* TLS: the record and hello parsers (every prefix, guarded), the key log
 * (lines, a growing file, replacement, the cap), and the key schedule
 * against RFC 8448 and an independent HKDF / P_SHA256 (Python hmac), and
 * record decryption round trips built with OpenSSL's encryption. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include "guarded.h"
#include "sipsleuth/tls_decrypt.h"
#include "sipsleuth/tls_keylog.h"
#include "sipsleuth/tls_record.h"

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    for (; s[0] && s[1]; s += 2) {
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* ---- records and hellos ---- */

Test(tls_record, header_every_prefix_and_faults)
{
    const uint8_t ok[] = {0x17, 0x03, 0x03, 0x40, 0x00};
    sl_tls_record r;
    sl_anomaly an = {0};
    sl_guarded g;
    for (size_t n = 0; n < sizeof ok; n++) {
        const uint8_t *p = sl_guard(&g, ok, n);
        cr_assert_eq(sl_tls_record_parse(p, n, &r, &an), SL_PARTIAL);
        cr_assert(sl_tls_looks_like_handshake(p, n) == (n > 0 && false));
        sl_guard_free(&g);
    }
    const uint8_t *p = sl_guard(&g, ok, sizeof ok);
    cr_assert_eq(sl_tls_record_parse(p, sizeof ok, &r, &an), SL_OK);
    cr_assert_eq(r.type, SL_TLS_APPLICATION_DATA);
    cr_assert_eq(r.version, 0x0303);
    cr_assert_eq(r.length, 16384);
    sl_guard_free(&g);
    const struct {
        uint8_t b[5];
        const char *kind;
    } bad[] = {
        {{0x19, 3, 3, 0, 1}, "tls_bad_content_type"},
        {{0x13, 3, 3, 0, 1}, "tls_bad_content_type"},
        {{0x17, 2, 0, 0, 1}, "tls_bad_version"},
        {{0x17, 3, 5, 0, 1}, "tls_bad_version"},
        {{0x17, 3, 3, 0, 0}, "tls_bad_record_length"},
        {{0x17, 3, 3, 0x48, 1}, "tls_bad_record_length"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_anomaly a = {0};
        cr_assert_eq(sl_tls_record_parse(bad[i].b, 5, &r, &a), SL_INVALID, "case %zu", i);
        cr_assert_str_eq(sl_anomaly_name(a.kind), bad[i].kind);
    }
    const uint8_t hs[] = {0x16, 0x03, 0x01};
    for (size_t n = 1; n <= 3; n++)
        cr_assert(sl_tls_looks_like_handshake(hs, n));
    cr_assert(!sl_tls_looks_like_handshake((const uint8_t *)"INV", 3));
    cr_assert(!sl_tls_looks_like_handshake((const uint8_t *)"\x16\x03\x05", 3));
    cr_assert(sl_tls_looks_like_app_data((const uint8_t *)"\x17\x03\x03", 3));
    cr_assert(!sl_tls_looks_like_app_data((const uint8_t *)"\x17\x03", 2));
    cr_assert(!sl_tls_looks_like_app_data((const uint8_t *)"\x17\x03\x01", 3));
}

/* A ClientHello body: version, random 0..31, a 32-byte session id, two
 * suites, null compression, and an extension block. */
static size_t client_hello(uint8_t *b)
{
    size_t n = 0;
    b[n++] = 3, b[n++] = 3;
    for (int i = 0; i < 32; i++)
        b[n++] = (uint8_t)i;
    b[n++] = 32;
    memset(b + n, 0xAA, 32), n += 32;
    b[n++] = 0, b[n++] = 4, b[n++] = 0x13, b[n++] = 0x01, b[n++] = 0xC0, b[n++] = 0x2F;
    b[n++] = 1, b[n++] = 0;
    b[n++] = 0, b[n++] = 4, b[n++] = 0, b[n++] = 0x17, b[n++] = 0, b[n++] = 0;
    return n;
}

/* A TLS 1.3 ServerHello body with supported_versions, or an HRR. */
static size_t server_hello(uint8_t *b, bool hrr)
{
    static const uint8_t hrr_random[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                           0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                           0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                           0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
    size_t n = 0;
    b[n++] = 3, b[n++] = 3;
    if (hrr)
        memcpy(b + n, hrr_random, 32);
    else
        memset(b + n, 0x55, 32);
    n += 32;
    b[n++] = 0;
    b[n++] = 0x13, b[n++] = 0x02, b[n++] = 0;
    b[n++] = 0, b[n++] = 10;
    b[n++] = 0, b[n++] = 0x33, b[n++] = 0, b[n++] = 0; /* an empty key_share */
    b[n++] = 0, b[n++] = 0x2B, b[n++] = 0, b[n++] = 2, b[n++] = 3, b[n++] = 4;
    return n;
}

Test(tls_record, hellos_and_every_truncation)
{
    uint8_t b[256];
    sl_tls_hello h;
    sl_guarded g;
    size_t n = client_hello(b);
    const uint8_t *p = sl_guard(&g, b, n);
    cr_assert_eq(sl_tls_hello_parse(p, n, true, &h, NULL), SL_OK);
    cr_assert_eq(h.random[0], 0);
    cr_assert_eq(h.random[31], 31);
    sl_guard_free(&g);
    /* cut before the compression methods end: invalid; extensions are not read */
    for (size_t k = 0; k < 2 + 32 + 1 + 32 + 2 + 4 + 2; k++) {
        sl_anomaly an = {0};
        p = sl_guard(&g, b, k);
        cr_assert_eq(sl_tls_hello_parse(p, k, true, &h, &an), SL_INVALID, "cut at %zu", k);
        cr_assert_str_eq(sl_anomaly_name(an.kind), "tls_bad_client_hello");
        sl_guard_free(&g);
    }
    n = server_hello(b, false);
    p = sl_guard(&g, b, n);
    cr_assert_eq(sl_tls_hello_parse(p, n, false, &h, NULL), SL_OK);
    cr_assert_eq(h.version, SL_TLS_VERSION_1_3);
    cr_assert_eq(h.legacy_version, 0x0303);
    cr_assert_eq(h.cipher_suite, 0x1302);
    cr_assert(!h.retry_request);
    sl_guard_free(&g);
    for (size_t k = 0; k < n; k++) {
        p = sl_guard(&g, b, k);
        sl_status st = sl_tls_hello_parse(p, k, false, &h, NULL);
        /* cut right after the compression method: no extensions, a TLS 1.2 hello */
        cr_assert_eq(st, k == 2 + 32 + 1 + 3 ? SL_OK : SL_INVALID, "cut at %zu", k);
        sl_guard_free(&g);
    }
    n = server_hello(b, true);
    cr_assert_eq(sl_tls_hello_parse(b, n, false, &h, NULL), SL_OK);
    cr_assert(h.retry_request);

    /* a handshake message header around it, every prefix partial */
    uint8_t m[300] = {SL_TLS_HS_SERVER_HELLO, 0, 0, (uint8_t)n};
    memcpy(m + 4, b, n);
    uint8_t type;
    sl_slice body;
    for (size_t k = 0; k < n + 4; k++) {
        p = sl_guard(&g, m, k);
        cr_assert_eq(sl_tls_handshake_parse(p, k, &type, &body), SL_PARTIAL);
        sl_guard_free(&g);
    }
    cr_assert_eq(sl_tls_handshake_parse(m, n + 4, &type, &body), SL_OK);
    cr_assert_eq(type, SL_TLS_HS_SERVER_HELLO);
    cr_assert_eq(body.len, n);
}

/* ---- the key log ---- */

#define RND "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define S32 "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
#define S48 S32 "0102030405060708090a0b0c0d0e0f10"

Test(tls_keylog, lines)
{
    struct {
        const char *line;
        sl_status st;
        sl_tls_secret_kind kind;
        size_t len;
    } cases[] = {
        {"CLIENT_RANDOM " RND " " S48, SL_OK, SL_TLS_MASTER_SECRET, 48},
        {"CLIENT_RANDOM " RND " " S48 "\r", SL_OK, SL_TLS_MASTER_SECRET, 48},
        {"CLIENT_HANDSHAKE_TRAFFIC_SECRET " RND " " S32, SL_OK, SL_TLS_CLIENT_HS_SECRET, 32},
        {"SERVER_HANDSHAKE_TRAFFIC_SECRET\t" RND "\t" S48, SL_OK, SL_TLS_SERVER_HS_SECRET, 48},
        {"CLIENT_TRAFFIC_SECRET_0 " RND " " S32, SL_OK, SL_TLS_CLIENT_AP_SECRET, 32},
        {"SERVER_TRAFFIC_SECRET_0 " RND " " S32, SL_OK, SL_TLS_SERVER_AP_SECRET, 32},
        {"", SL_PARTIAL, 0, 0},
        {"   ", SL_PARTIAL, 0, 0},
        {"# SSL/TLS secrets log file", SL_PARTIAL, 0, 0},
        {"EXPORTER_SECRET " RND " " S32, SL_PARTIAL, 0, 0},
        {"CLIENT_TRAFFIC_SECRET_N " RND " " S32, SL_PARTIAL, 0, 0},
        {"client_random " RND " " S48, SL_INVALID, 0, 0},
        {"CLIENT_RANDOM " RND " " S32, SL_INVALID, 0, 0}, /* a master secret is 48 bytes */
        {"CLIENT_RANDOM " RND, SL_INVALID, 0, 0},
        {"CLIENT_RANDOM " RND " " S48 " extra", SL_INVALID, 0, 0},
        {"CLIENT_RANDOM 0001 " S48, SL_INVALID, 0, 0},
        {"CLIENT_RANDOM " RND " " S48 "0", SL_INVALID, 0, 0},
        {"CLIENT_TRAFFIC_SECRET_0 " RND
         " zz7b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
         SL_INVALID, 0, 0},
        {"garbage!", SL_INVALID, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_tls_secret_kind kind = 0;
        uint8_t random[32], secret[48];
        size_t len = 0;
        sl_guarded g;
        size_t n = strlen(cases[i].line);
        const char *p = (const char *)sl_guard(&g, cases[i].line, n);
        sl_status st = sl_tls_keylog_parse_line(p, n, &kind, random, secret, &len);
        sl_guard_free(&g);
        cr_assert_eq(st, cases[i].st, "case %zu", i);
        if (st != SL_OK)
            continue;
        cr_assert_eq(kind, cases[i].kind, "case %zu", i);
        cr_assert_eq(len, cases[i].len, "case %zu", i);
        cr_assert_eq(random[1], 1);
        cr_assert_eq(secret[0], 0xb6);
    }
}

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "ab");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static void random_n(uint8_t *r, int n)
{
    memset(r, 0, 32);
    r[31] = (uint8_t)n;
}

static char *line_n(char *buf, size_t cap, int n)
{
    snprintf(buf, cap, "CLIENT_RANDOM %062x%02x %s\n", 0, n, S48);
    return buf;
}

Test(tls_keylog, a_growing_file_is_read_on)
{
    char path[] = "/tmp/test_tls_keylog_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    char err[256], line[256];
    append(path, "# a comment\nnot a key line\n");
    sl_tls_keylog *kl = sl_tls_keylog_open(path, 0, err, sizeof err);
    cr_assert(kl, "%s", err);
    uint8_t r[32];
    sl_tls_keys k;
    random_n(r, 1);
    cr_assert(!sl_tls_keylog_find(kl, r, &k));
    /* an endpoint writes a line in two parts: the half line waits */
    line_n(line, sizeof line, 1);
    char half[128];
    snprintf(half, sizeof half, "%.40s", line);
    append(path, half);
    cr_assert(!sl_tls_keylog_find(kl, r, &k));
    append(path, line + 40);
    cr_assert(sl_tls_keylog_find(kl, r, &k)); /* a miss reads what the file gained */
    cr_assert_eq(k.len[SL_TLS_MASTER_SECRET], 48);
    cr_assert_eq(k.secret[SL_TLS_MASTER_SECRET][0], 0xb6);
    sl_tls_keylog_stats st;
    sl_tls_keylog_get_stats(kl, &st);
    cr_assert_eq(st.malformed, 1);
    cr_assert_eq(st.entries, 1);

    /* replaced (rotated) by a shorter file: read from its start; old keys stay */
    char path2[sizeof path + 4];
    snprintf(path2, sizeof path2, "%s.new", path);
    append(path2, line_n(line, sizeof line, 2));
    cr_assert_eq(rename(path2, path), 0);
    random_n(r, 2);
    cr_assert(sl_tls_keylog_find(kl, r, &k));
    random_n(r, 1);
    cr_assert(sl_tls_keylog_find(kl, r, &k));
    sl_tls_keylog_free(kl);

    /* the cap: the oldest client random goes */
    kl = sl_tls_keylog_open(path, 2, err, sizeof err);
    cr_assert(kl);
    append(path, line_n(line, sizeof line, 3));
    append(path, line_n(line, sizeof line, 4));
    random_n(r, 4);
    cr_assert(sl_tls_keylog_find(kl, r, &k));
    sl_tls_keylog_get_stats(kl, &st);
    cr_assert_eq(st.entries, 2);
    cr_assert_eq(st.evicted, 1);
    random_n(r, 2);
    cr_assert(!sl_tls_keylog_find(kl, r, &k));
    random_n(r, 3);
    cr_assert(sl_tls_keylog_find(kl, r, &k));
    sl_tls_keylog_free(kl);
    unlink(path);
    cr_assert_null(sl_tls_keylog_open(path, 0, err, sizeof err));
    cr_assert(strstr(err, "No such file"), "%s", err);
}

/* ---- key schedule and records ---- */

Test(tls_decrypt, tls13_keys_rfc8448_and_key_update)
{
    uint8_t secret[32], key[16], iv[12];
    unhex(S32, secret);
    const sl_tls_suite *s = sl_tls_suite_find(0x1301, SL_TLS_VERSION_1_3);
    cr_assert(s);
    sl_tls_cipher c;
    cr_assert(sl_tls13_derive(s, secret, 32, &c));
    /* RFC 8448 3: the server's handshake write key and iv */
    unhex("3fce516009c21727d0f2e4e86ee403bc", key);
    unhex("5d313eb2671276ee13000b30", iv);
    cr_assert_arr_eq(c.key, key, 16);
    cr_assert_arr_eq(c.iv, iv, 12);
    c.seq = 7;
    cr_assert(sl_tls13_key_update(&c));
    unhex("69497cc3728d2b7df5ee0350054d6f6a", key); /* Python hmac, "traffic upd" */
    unhex("d2c180498c31595f913aacd9", iv);
    cr_assert_arr_eq(c.key, key, 16);
    cr_assert_arr_eq(c.iv, iv, 12);
    cr_assert_eq(c.seq, 0);
    cr_assert(!sl_tls13_derive(s, secret, 31, &c)); /* not a SHA-256 length */
    cr_assert_null(sl_tls_suite_find(0x1301, SL_TLS_VERSION_1_2));
    cr_assert_null(sl_tls_suite_find(0xC02F, 0x0302));
    cr_assert_null(sl_tls_suite_find(0x002F, SL_TLS_VERSION_1_2)); /* CBC */
}

Test(tls_decrypt, tls12_key_block)
{
    uint8_t ms[48], cr[32], sr[32], block[40];
    for (int i = 0; i < 48; i++)
        ms[i] = (uint8_t)i;
    memset(cr, 0x0c, 32);
    memset(sr, 0x05, 32);
    /* P_SHA256(ms, "key expansion" + server_random + client_random), Python hmac */
    unhex("2788e5124235e328dc1f37aeb3a8392ca18cad567f46e239e70ed4793d08017e767a5f45cc9977c4",
          block);
    sl_tls_cipher c, s;
    cr_assert(
        sl_tls12_derive(sl_tls_suite_find(0xC02F, SL_TLS_VERSION_1_2), ms, 48, cr, sr, &c, &s));
    cr_assert_arr_eq(c.key, block, 16);
    cr_assert_arr_eq(s.key, block + 16, 16);
    cr_assert_arr_eq(c.iv, block + 32, 4);
    cr_assert_arr_eq(s.iv, block + 36, 4);
}

/* Seals a record as the peer would (OpenSSL encryption): returns its length. */
static size_t seal(const sl_tls_cipher *c, uint8_t type, const uint8_t *pt, size_t n, size_t pad,
                   uint8_t *rec)
{
    const sl_tls_suite *s = c->suite;
    uint8_t inner[256], nonce[12], aad[13];
    size_t in_len = n, lead = s->explicit_nonce ? 8 : 0;
    memcpy(inner, pt, n);
    if (s->tls13) {
        inner[in_len++] = type;
        memset(inner + in_len, 0, pad);
        in_len += pad;
    }
    size_t body = lead + in_len + s->tag_len;
    rec[0] = s->tls13 ? SL_TLS_APPLICATION_DATA : type;
    rec[1] = 3, rec[2] = 3, rec[3] = (uint8_t)(body >> 8), rec[4] = (uint8_t)body;
    memcpy(nonce, c->iv, 12);
    if (s->explicit_nonce) {
        for (int i = 0; i < 8; i++)
            nonce[4 + i] = rec[5 + i] = (uint8_t)(c->seq >> (56 - 8 * i));
    } else {
        for (int i = 0; i < 8; i++)
            nonce[11 - i] ^= (uint8_t)(c->seq >> (8 * i));
    }
    size_t aad_len = 5;
    if (s->tls13) {
        memcpy(aad, rec, 5);
    } else {
        for (int i = 0; i < 8; i++)
            aad[i] = (uint8_t)(c->seq >> (56 - 8 * i));
        aad[8] = type, aad[9] = 3, aad[10] = 3, aad[11] = (uint8_t)(n >> 8), aad[12] = (uint8_t)n;
        aad_len = 13;
    }
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len;
    cr_assert(EVP_EncryptInit_ex(ctx, EVP_get_cipherbyname(s->cipher), NULL, NULL, NULL));
    cr_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL));
    if (s->ccm)
        cr_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, NULL));
    cr_assert(EVP_EncryptInit_ex(ctx, NULL, NULL, c->key, nonce));
    if (s->ccm)
        cr_assert(EVP_EncryptUpdate(ctx, NULL, &len, NULL, (int)in_len));
    cr_assert(EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len));
    cr_assert(EVP_EncryptUpdate(ctx, rec + 5 + lead, &len, inner, (int)in_len));
    cr_assert(EVP_EncryptFinal_ex(ctx, rec + 5 + lead + len, &len));
    cr_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, s->tag_len, rec + 5 + lead + in_len));
    EVP_CIPHER_CTX_free(ctx);
    return 5 + body;
}

Test(tls_decrypt, round_trips_every_suite)
{
    static const struct {
        uint16_t id, version;
    } suites[] = {{0x1301, 0x0304}, {0x1302, 0x0304}, {0x1303, 0x0304}, {0x1304, 0x0304},
                  {0x1305, 0x0304}, {0xC02F, 0x0303}, {0xC030, 0x0303}, {0xCCA8, 0x0303}};
    uint8_t secret[48], ms[48], cr[32] = {1}, sr[32] = {2};
    unhex(S48, secret);
    unhex(S48, ms);
    void *ctx = sl_tls_ctx_new();
    const uint8_t msg[] = "OPTIONS sip:a@b SIP/2.0\r\n\r\n";
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        const sl_tls_suite *s = sl_tls_suite_find(suites[i].id, suites[i].version);
        cr_assert(s, "suite %04x", suites[i].id);
        sl_tls_cipher tx, rx, other;
        if (s->tls13) {
            size_t hl = strcmp(s->digest, "SHA384") == 0 ? 48 : 32;
            cr_assert(sl_tls13_derive(s, secret, hl, &tx));
        } else {
            cr_assert(sl_tls12_derive(s, ms, 48, cr, sr, &tx, &other));
        }
        rx = tx;
        uint8_t rec[512], out[512], type = 0;
        size_t out_len = 0;
        for (int k = 0; k < 3; k++) {
            size_t n = seal(&tx, SL_TLS_APPLICATION_DATA, msg, sizeof msg - 1, (size_t)k * 5, rec);
            tx.seq++;
            cr_assert(sl_tls_decrypt(&rx, ctx, rec, rec + 5, n - 5, out, &out_len, &type),
                      "suite %04x record %d", s->id, k);
            cr_assert_eq(type, SL_TLS_APPLICATION_DATA);
            cr_assert_eq(out_len, sizeof msg - 1);
            cr_assert_arr_eq(out, msg, out_len);
            cr_assert_eq(rx.seq, (uint64_t)k + 1);
        }
        /* a flipped tag bit, a record out of sequence: refused, nothing changes */
        size_t n = seal(&tx, SL_TLS_APPLICATION_DATA, msg, sizeof msg - 1, 0, rec);
        rec[n - 1] ^= 1;
        cr_assert(!sl_tls_decrypt(&rx, ctx, rec, rec + 5, n - 5, out, &out_len, &type));
        cr_assert_eq(rx.seq, 3);
        rec[n - 1] ^= 1;
        rx.seq = 4;
        cr_assert(!sl_tls_decrypt(&rx, ctx, rec, rec + 5, n - 5, out, &out_len, &type));
        rx.seq = 3;
        cr_assert(sl_tls_decrypt(&rx, ctx, rec, rec + 5, n - 5, out, &out_len, &type));
        cr_assert(!sl_tls_decrypt(&rx, ctx, rec, rec + 5, 3, out, &out_len, &type)); /* short */
        sl_tls_cipher_clear(&rx);
        cr_assert(!rx.ready);
    }
    sl_tls_ctx_free(ctx);
}
