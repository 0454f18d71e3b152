/* TLS (RFC 5246, RFC 8446) as sipsleuth needs it to decrypt SIP over TLS
 * with a key log: the record header, and the two handshake messages that
 * carry what the key schedule needs (the ClientHello's random; the
 * ServerHello's random, cipher suite and version). Pure parsers: bytes in,
 * a struct out, every length checked, no allocation. */
#ifndef SIPSLEUTH_TLS_RECORD_H
#define SIPSLEUTH_TLS_RECORD_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/slice.h"
#include "sipsleuth/status.h"

enum {
    SL_TLS_CHANGE_CIPHER_SPEC = 20,
    SL_TLS_ALERT = 21,
    SL_TLS_HANDSHAKE = 22,
    SL_TLS_APPLICATION_DATA = 23,
    SL_TLS_HEARTBEAT = 24,
};

enum {
    SL_TLS_HS_CLIENT_HELLO = 1,
    SL_TLS_HS_SERVER_HELLO = 2,
    SL_TLS_HS_NEW_SESSION_TICKET = 4,
    SL_TLS_HS_FINISHED = 20,
    SL_TLS_HS_KEY_UPDATE = 24,
};

#define SL_TLS_RECORD_HEADER 5
/* The longest record body any version allows: 2^14 + 2048 (TLS 1.2
 * ciphertext); TLS 1.3 allows 2^14 + 256. */
#define SL_TLS_MAX_RECORD_BODY (16384 + 2048)
#define SL_TLS_RANDOM_LEN 32

#define SL_TLS_VERSION_1_2 0x0303
#define SL_TLS_VERSION_1_3 0x0304

typedef struct sl_tls_record {
    uint8_t type;     /* SL_TLS_CHANGE_CIPHER_SPEC .. SL_TLS_HEARTBEAT */
    uint16_t version; /* legacy record version: 0x0300 .. 0x0304 */
    size_t length;    /* body bytes after the 5-byte header */
} sl_tls_record;

/* Parses the record header at the start of buf. SL_PARTIAL: fewer than 5
 * bytes. SL_INVALID: an unknown content type, a version not 3.x, or a length
 * of 0 or over SL_TLS_MAX_RECORD_BODY; `an` names the fault. The body need
 * not be in buf. */
sl_status sl_tls_record_parse(const uint8_t *buf, size_t len, sl_tls_record *r, sl_anomaly *an);

/* True when buf starts like a TLS handshake record (0x16 0x03 0x00..0x04),
 * as far as its bytes go (1 or 2 bytes: a prefix that could be one). */
bool sl_tls_looks_like_handshake(const uint8_t *buf, size_t len);
/* True when buf starts with a TLS 1.2/1.3 application data record header
 * (0x17 0x03 0x03): a capture that began after the handshake. */
bool sl_tls_looks_like_app_data(const uint8_t *buf, size_t len);

/* One handshake message at the start of buf (a handshake record's body, or
 * a decrypted one): type and body. SL_PARTIAL when its 4-byte header or its
 * body goes past len (a message spanning records). */
sl_status sl_tls_handshake_parse(const uint8_t *buf, size_t len, uint8_t *type, sl_slice *body);

typedef struct sl_tls_hello {
    uint8_t random[SL_TLS_RANDOM_LEN];
    uint16_t legacy_version;
    uint16_t version;      /* ServerHello: supported_versions if present, else legacy */
    uint16_t cipher_suite; /* ServerHello only */
    bool retry_request;    /* ServerHello that is a HelloRetryRequest (RFC 8446 4.1.3) */
} sl_tls_hello;

/* The body of a ClientHello (client) or ServerHello (!client): the random
 * and, for a ServerHello, the cipher suite and the negotiated version.
 * SL_INVALID with `an` set when a length runs past its container. */
sl_status sl_tls_hello_parse(const uint8_t *body, size_t len, bool client, sl_tls_hello *h,
                             sl_anomaly *an);

#endif
