/* Fuzz target for SIP over TLS: the TCP stream table with TLS on and a key
 * log holding the secrets of the sessions in samples/tls{13-aes128gcm,
 * 12-aes128gcm,13-chacha20,13-aes128ccm8,12-aes256gcm,13-keyupdate}.pcap, whose streams
 * seed the corpus (scripts/gen/gen_tls.py --corpus), so that mutations reach
 * the hellos, key schedule, decryption, KeyUpdate and the framing of the
 * plaintext. The input is a sequence of segments, each a 6-byte header then
 * its payload, as in fuzz_tcp_stream.c:
 *   flags   bit 0 direction (0: the client), bit 3 SYN, bit 4 FIN, bit 5 RST
 *   delta   big-endian signed 16 bits: seq = where this direction's previous
 *           segment ended + delta (0 continues in order)
 *   length  big-endian 16 bits, cut to the bytes left
 * The whole input is also given to the pure parsers (record header, hellos,
 * a key log line). Besides the sanitizers it checks that memory stays under
 * the cap and that messages and anomalies of the connection say TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipsleuth/sip.h"
#include "sipsleuth/tcp_stream.h"
#include "sipsleuth/tcp_tls.h"
#include "sipsleuth/tls_keylog.h"
#include "sipsleuth/tls_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char keys[] =
    "# the secrets of the seed sessions\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "6fdf46668281f18c59d7ea24cd02d5e34e3fcbad2cb474d0863b4b64cc3b87a8 "
    "05cf6ab6140b60c2958f32a4b1d5636dfe38f80b75fd7e2f334ed94ad95d672a\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "6fdf46668281f18c59d7ea24cd02d5e34e3fcbad2cb474d0863b4b64cc3b87a8 "
    "39bd1c120f63d7211e3ff991635089ea92267e41f6fd48e07d4153e8878d3153\n"
    "EXPORTER_SECRET 6fdf46668281f18c59d7ea24cd02d5e34e3fcbad2cb474d0863b4b64cc3b87a8 "
    "0ed375d5ce589d2494066afa53b8f52d72ed71704cbb2060e06b5fdb2a527ebf\n"
    "SERVER_TRAFFIC_SECRET_0 6fdf46668281f18c59d7ea24cd02d5e34e3fcbad2cb474d0863b4b64cc3b87a8 "
    "f31907b2dc77b2b4c73d0b951bb20d0ea7e70bd4beda683dff04324de7bfcfe5\n"
    "CLIENT_TRAFFIC_SECRET_0 6fdf46668281f18c59d7ea24cd02d5e34e3fcbad2cb474d0863b4b64cc3b87a8 "
    "de0e112986d4c15bc87fe086719be3f493ac1f327d8ab2530c1b4c92131d10a4\n"
    "CLIENT_RANDOM b8d0c1ad9f6145768e5ad3f222a1cd21f2ede05ce92ff678dc2ab14d4baaddba "
    "1ff79b92de9cc7c424bfff6936b734c1b4e28c20bdf32246ab5425e21e82e2261e514d60cfd38138efa02e95739bb3"
    "ab\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "d8dcffd2bfe41939680e7fdbcedf013ba63614bbf86b120c187cfbd1338c724a "
    "a718413d1aa31c5beed7c2bf043f6a7eb3a0ed4cd7a9c9c8e639e9d2803e7a94\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "d8dcffd2bfe41939680e7fdbcedf013ba63614bbf86b120c187cfbd1338c724a "
    "9f9aa10ee1d8164215b27154924df962328a883c62bb266a8dbd121be598150f\n"
    "EXPORTER_SECRET d8dcffd2bfe41939680e7fdbcedf013ba63614bbf86b120c187cfbd1338c724a "
    "b78fbb857b4b7e009e1b1dd9734bc5cf3718b5445a11f66d2c55b32bbff83fec\n"
    "SERVER_TRAFFIC_SECRET_0 d8dcffd2bfe41939680e7fdbcedf013ba63614bbf86b120c187cfbd1338c724a "
    "82dcc968e613e71b12d788f8d07e5ec8c6cbf23d60d5cb5d1a630844ebbe91b5\n"
    "CLIENT_TRAFFIC_SECRET_0 d8dcffd2bfe41939680e7fdbcedf013ba63614bbf86b120c187cfbd1338c724a "
    "85fc2cf54f9f5c45507de4eb63b6446fe51fe599ca5397e790f1f667e0fddc5b\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "49f762bddece3a2188a587a11013f883c21ae0acf0c308850f4d2a4ca655ab1b "
    "1e62e3374e93e2b888ca695c25a6d33e84a7413f45070e19fdc16e935cb28b00\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "49f762bddece3a2188a587a11013f883c21ae0acf0c308850f4d2a4ca655ab1b "
    "bf3cf27cf2bcd137fcbe52141aa580c7335f58343ffbd7e71e3306fd442bd91a\n"
    "EXPORTER_SECRET 49f762bddece3a2188a587a11013f883c21ae0acf0c308850f4d2a4ca655ab1b "
    "2d3bd166cc5ddb2a790221b4c488c9e6aa35cfef0fab66110555295a8882f94b\n"
    "SERVER_TRAFFIC_SECRET_0 49f762bddece3a2188a587a11013f883c21ae0acf0c308850f4d2a4ca655ab1b "
    "37abe8d8bcbb413fd1505f2c31437d7a5beb2f4bbe798124028c2e300011b82e\n"
    "CLIENT_TRAFFIC_SECRET_0 49f762bddece3a2188a587a11013f883c21ae0acf0c308850f4d2a4ca655ab1b "
    "a42d5cc1939559afdf0abc7bf5c366c02eb15f32dcb77dac85c23fd4597bb13b\n"
    "CLIENT_RANDOM 98b97dacf93ebd33feee9f2d57346ba7d4289b87296b87ff05d8841a16cac606 "
    "ad48b745a984ef727795ce21372eac98d56881319b8c3cbc5fafb2b1fe32581c061bcde560fca7973e1405f54ecc30"
    "00\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "43837699644e656a1e093feef5f458895f7e9790ffba8b47270827d2a76afc6d\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "10eaeb239dd44ebc64fb26735369792abfd5e7f815339b9eb3361678e4452630\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "43837699644e656a1e093feef5f458895f7e9790ffba8b47270827d2a76afc6d\n"
    "EXPORTER_SECRET e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "54d8f7eb15f0f92721dbc0822025bff69bb06be63bfa109cfd601cc305d20683\n"
    "SERVER_TRAFFIC_SECRET_0 e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "8ade1b99778960088ff966fe227462437ba5336ce3886fe2daf66fe2d496122d\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "10eaeb239dd44ebc64fb26735369792abfd5e7f815339b9eb3361678e4452630\n"
    "CLIENT_TRAFFIC_SECRET_0 e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "90e10e7c88508b3c4cd60b886f49b96d43783f893ef6caee6ef6970330be6811\n"
    "EXPORTER_SECRET e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "54d8f7eb15f0f92721dbc0822025bff69bb06be63bfa109cfd601cc305d20683\n"
    "SERVER_TRAFFIC_SECRET_0 e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "8ade1b99778960088ff966fe227462437ba5336ce3886fe2daf66fe2d496122d\n"
    "CLIENT_TRAFFIC_SECRET_0 e3c21b78b8fe73f9de2c117139aed0ddb2f8540e7893ed430b3b53b14b703d68 "
    "90e10e7c88508b3c4cd60b886f49b96d43783f893ef6caee6ef6970330be6811\n";

static sl_tls_keylog *keylog(void)
{
    static sl_tls_keylog *kl;
    if (kl)
        return kl;
    char path[] = "/tmp/fuzz_tls_keylog_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    if (write(fd, keys, sizeof keys - 1) != (ssize_t)(sizeof keys - 1))
        abort();
    close(fd);
    char err[256];
    kl = sl_tls_keylog_open(path, 8, err, sizeof err);
    unlink(path); /* read once: a refresh finds it gone and keeps the table */
    if (!kl)
        abort();
    return kl;
}

static void on_message(void *user, const uint8_t *msg, size_t len, sl_time ts, const sl_flow *flow)
{
    (void)user;
    (void)ts;
    if (len == 0 || !flow || flow->proto != SL_IPPROTO_TCP)
        abort();
    sl_sip_header headers[16];
    sl_sip_msg m = {.headers = headers, .max_headers = 16};
    sl_anomaly an = {0};
    sl_sip_parse(msg, len, SL_SIP_DATAGRAM, &m, &an);
}

static void on_sip(void *user, const sl_sip_msg *msg, const uint8_t *data, sl_time ts,
                   const sl_flow *flow)
{
    (void)user;
    (void)ts;
    (void)data;
    /* only a TLS connection's plaintext can be SIP here: the seeds carry nothing else */
    if (msg->length == 0 || !flow || flow->proto != SL_IPPROTO_TCP || !flow->tls)
        abort();
}

static void on_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail)
{
    (void)user;
    (void)ts;
    if (!kind || !detail || !flow)
        abort();
    if (strncmp(sl_anomaly_name(kind), "tls_", 4) == 0 && !flow->tls)
        abort();
}

static void parsers(const uint8_t *data, size_t size)
{
    sl_tls_record r;
    sl_anomaly an = {0};
    if ((sl_tls_record_parse(data, size, &r, &an) == SL_INVALID) != (an.kind != SL_ANOM_NONE))
        abort();
    sl_tls_hello h;
    (void)sl_tls_hello_parse(data, size, true, &h, NULL);
    (void)sl_tls_hello_parse(data, size, false, &h, NULL);
    uint8_t type;
    sl_slice body;
    if (sl_tls_handshake_parse(data, size, &type, &body) == SL_OK &&
        (body.ptr != data + 4 || body.len > size - 4))
        abort();
    sl_tls_secret_kind kind;
    uint8_t random[SL_TLS_RANDOM_LEN], secret[SL_TLS_MAX_SECRET];
    size_t n = 0;
    if (sl_tls_keylog_parse_line((const char *)data, size, &kind, random, secret, &n) == SL_OK &&
        (n != 32 && n != 48))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parsers(data, size);
    sl_tcp_config cfg;
    sl_tcp_config_default(&cfg);
    cfg.max_streams = 2;
    cfg.max_bytes = 192 * 1024;
    cfg.max_message = 32768;
    cfg.max_ooo_bytes = 4096;
    cfg.max_ooo_segments = 8;
    cfg.probe_limit = 1024;
    sl_sip_header headers[16];
    memset(headers, 0, sizeof headers);
    sl_tcp_callbacks cb = {.on_message = on_message,
                           .on_anomaly = on_anomaly,
                           .on_sip = on_sip,
                           .headers = headers,
                           .max_headers = 16};
    sl_tcp_table *t = sl_tcp_new(&cfg, &cb);
    sl_tcp_tls *x = sl_tcp_tls_new(keylog());
    if (!t || !x)
        abort();
    sl_tcp_attach_tls(t, x);
    uint32_t cursor[2] = {0xFFFFF000u, 0x10000000u};
    sl_time now = 0;
    size_t off = 0;
    while (size - off >= 6) {
        const uint8_t *h = data + off;
        int dir = h[0] & 1;
        int16_t delta = (int16_t)(uint16_t)(h[1] << 8 | h[2]);
        size_t len = (size_t)(h[3] << 8 | h[4]);
        off += 6;
        if (len > size - off)
            len = size - off;
        sl_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        sl_addr a = {.family = 4, .bytes = {127, 0, 0, 1}},
                b = {.family = 4, .bytes = {127, 0, 0, 2}};
        pkt.src = dir ? b : a;
        pkt.dst = dir ? a : b;
        pkt.sport = dir ? 5061 : 40000;
        pkt.dport = dir ? 40000 : 5061;
        pkt.ip_proto = SL_IPPROTO_TCP;
        pkt.tcp.seq = cursor[dir] + (uint32_t)(int32_t)delta;
        pkt.tcp.flags = (uint8_t)(SL_TCP_ACK | ((h[0] & 8) ? SL_TCP_SYN : 0) |
                                  ((h[0] & 16) ? SL_TCP_FIN : 0) | ((h[0] & 32) ? SL_TCP_RST : 0));
        pkt.payload = sl_slice_make(data + off, len);
        cursor[dir] = pkt.tcp.seq + (uint32_t)len + ((h[0] & 8) ? 1 : 0);
        now += SL_NS_PER_SEC;
        off += len;
        sl_tcp_segment(t, &pkt, now);
        if (sl_tcp_memory(t) > cfg.max_bytes)
            abort();
    }
    sl_tcp_destroy(t);
    sl_tcp_tls_free(x);
    return 0;
}
