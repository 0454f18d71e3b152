/* SIP over TLS in the TCP stream table: a connection whose first bytes in
 * either direction are a TLS handshake record (0x16 0x03 0x00..0x04), on
 * any port, is followed as TLS. Its records are reassembled from the byte
 * stream (one record may span segments: at most 5 + 2^14 + 2048 bytes are
 * held per direction), the ClientHello and ServerHello are read for the
 * randoms, version and suite, and with the secrets of the key log
 * (include/sipsleuth/tls_keylog.h) each direction's application data is
 * decrypted and goes to the SIP framing as if it were the TCP payload. The
 * flows of its messages and anomalies have `tls` set (proto "TLS").
 *
 * Nothing is guessed: without a key log, or without the secrets of the
 * session, the connection's bytes are dropped and it is one anomaly
 * "tls_no_key" (also when the capture began after the handshake); a version
 * or suite that cannot be decrypted (TLS 1.0/1.1, CBC) is "tls_unsupported",
 * and so is 0-RTT early data (skipped, said once); a record that fails
 * authentication is
 * "tls_decrypt_failed" and ends decryption of that direction; a record or
 * hello that does not parse is "tls_invalid". A TCP gap ends decryption of
 * that direction (the sequence of records is lost). TLS state is charged to
 * the table's memory cap and goes with the connection. */
#ifndef SIPSLEUTH_TCP_TLS_H
#define SIPSLEUTH_TCP_TLS_H

#include "sipsleuth/tcp_stream.h"
#include "sipsleuth/tls_keylog.h"

typedef struct sl_tls_stats {
    uint64_t connections;     /* connections found to carry TLS */
    uint64_t decrypted;       /* of which with their secrets found (keyed) */
    uint64_t no_key;          /* of which without secrets (tls_no_key) */
    uint64_t unsupported;     /* of which with a version or suite not decrypted */
    uint64_t records;         /* records decrypted */
    uint64_t plaintext_bytes; /* application data decrypted (to the SIP framing) */
    uint64_t decrypt_failed;  /* directions stopped by a record failing authentication */
    uint64_t invalid;         /* connections stopped by a record that does not parse */
    uint64_t dropped_bytes;   /* bytes of TLS connections not decrypted */
    uint64_t key_updates;     /* TLS 1.3 KeyUpdates followed */
} sl_tls_stats;

typedef struct sl_tcp_tls sl_tcp_tls;

/* TLS for a table: kl may be NULL (no --tls-keylog: every TLS connection
 * is then tls_no_key). The caller owns kl; NULL on allocation failure. */
sl_tcp_tls *sl_tcp_tls_new(sl_tls_keylog *kl);
/* After the tables it was attached to are destroyed. */
void sl_tcp_tls_free(sl_tcp_tls *x);
/* Turns TLS detection on for table t (before its first segment). */
void sl_tcp_attach_tls(sl_tcp_table *t, sl_tcp_tls *x);
void sl_tcp_tls_get_stats(const sl_tcp_tls *x, sl_tls_stats *out);

#endif
