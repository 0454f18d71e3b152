/* The NSS key log (SSLKEYLOGFILE, OpenSSL's -keylogfile, Kamailio,
 * FreeSWITCH, Asterisk): secrets by client random, for decrypting SIP over
 * TLS. Lines: "LABEL <client random, 64 hex> <secret, hex>"; CLIENT_RANDOM
 * (TLS 1.2 master secret) and the TLS 1.3 CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET
 * and CLIENT/SERVER_TRAFFIC_SECRET_0 are kept; comments, blank lines and
 * other labels are skipped; malformed lines are skipped and counted.
 *
 * The table holds at most max_entries client randoms; a new one beyond
 * that evicts the oldest (counted). A file that keeps growing (a live
 * endpoint) is read on from where it was left: at most once a second of
 * wall time, and whenever a session's key is missing. A file replaced or
 * truncated is read again from the start. Secrets are never printed. */
#ifndef SIPSLEUTH_TLS_KEYLOG_H
#define SIPSLEUTH_TLS_KEYLOG_H

#include "sipsleuth/status.h"
#include "sipsleuth/tls_record.h"

typedef enum sl_tls_secret_kind {
    SL_TLS_MASTER_SECRET,    /* CLIENT_RANDOM (48 bytes) */
    SL_TLS_CLIENT_HS_SECRET, /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    SL_TLS_SERVER_HS_SECRET, /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    SL_TLS_CLIENT_AP_SECRET, /* CLIENT_TRAFFIC_SECRET_0 */
    SL_TLS_SERVER_AP_SECRET, /* SERVER_TRAFFIC_SECRET_0 */
    SL_TLS_SECRET__COUNT
} sl_tls_secret_kind;

#define SL_TLS_MAX_SECRET 48

typedef struct sl_tls_keys {
    uint8_t len[SL_TLS_SECRET__COUNT]; /* 0: not in the log */
    uint8_t secret[SL_TLS_SECRET__COUNT][SL_TLS_MAX_SECRET];
} sl_tls_keys;

typedef struct sl_tls_keylog_stats {
    uint64_t lines;     /* key lines read (kept or not) */
    uint64_t malformed; /* lines skipped as malformed */
    uint64_t evicted;   /* client randoms dropped for the cap */
    uint64_t reads;     /* times the file was read (the first one included) */
    size_t entries;     /* client randoms held now */
} sl_tls_keylog_stats;

typedef struct sl_tls_keylog sl_tls_keylog;

#define SL_TLS_DEFAULT_MAX_KEYS 16384

/* Opens and reads the file. NULL with the reason in err when it cannot be
 * opened or on allocation failure. max_entries 0 = the default. */
sl_tls_keylog *sl_tls_keylog_open(const char *path, size_t max_entries, char *err, size_t errlen);
void sl_tls_keylog_free(sl_tls_keylog *kl);

/* Parses one line (without its end of line). SL_OK: a kept label, with
 * kind, random and secret (secret_len bytes) filled. SL_PARTIAL: a line
 * to skip silently (blank, comment, a label that is not kept). SL_INVALID:
 * malformed (bad hex, wrong lengths, missing fields). Pure. */
sl_status sl_tls_keylog_parse_line(const char *line, size_t len, sl_tls_secret_kind *kind,
                                   uint8_t random[SL_TLS_RANDOM_LEN],
                                   uint8_t secret[SL_TLS_MAX_SECRET], size_t *secret_len);

/* Reads what the file gained since the last read: when `force`, now; else
 * only when a second of wall time passed since the last check. */
void sl_tls_keylog_refresh(sl_tls_keylog *kl, bool force);

/* The secrets logged for this client random. False when there are none
 * (after reading what the file gained). *out is the caller's copy: wipe it
 * (OPENSSL_cleanse) when done. */
bool sl_tls_keylog_find(sl_tls_keylog *kl, const uint8_t random[SL_TLS_RANDOM_LEN],
                        sl_tls_keys *out);

void sl_tls_keylog_get_stats(const sl_tls_keylog *kl, sl_tls_keylog_stats *out);
/* Bytes allocated by the table. */
size_t sl_tls_keylog_memory(const sl_tls_keylog *kl);

#endif
