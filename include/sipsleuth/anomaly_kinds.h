/* Every anomaly kind, in one list: X(ID, name, layer, description). SL_ANOM_ID
 * is the enum value, `name` the event's anomaly.kind, `layer` its
 * anomaly.layer (events of stateful stages write no layer: docs/events.md),
 * and the description is what `sipsleuth --list-anomalies` prints, in this
 * order. The table in docs/events.md is checked against that listing
 * (tests/integration/test_anomaly_registry.py). Kinds marked "in the detail of"
 * are a parser's finding that only ever appears named in another kind's detail. */
#ifndef SIPSLEUTH_ANOMALY_KINDS_H
#define SIPSLEUTH_ANOMALY_KINDS_H

/* clang-format off */
#define SL_ANOMALY_KINDS(X) \
    X(DECODE_TOO_DEEP, "decode_too_deep", "decode", "more than 8 nested tunnels and encapsulations in one frame") \
    X(RAW_BAD_VERSION, "raw_bad_version", "raw", "a raw-IP frame whose IP version is neither 4 nor 6") \
    X(RAW_TRUNCATED, "raw_truncated", "raw", "an empty raw-IP frame") \
    X(ETH_TRUNCATED, "eth_truncated", "eth", "a frame shorter than the Ethernet header") \
    X(SLL_TRUNCATED, "sll_truncated", "sll", "a frame shorter than the Linux cooked (SLL) header") \
    X(SLL2_TRUNCATED, "sll2_truncated", "sll2", "a frame shorter than the Linux cooked v2 (SLL2) header") \
    X(NULL_TRUNCATED, "null_truncated", "null", "a frame shorter than the BSD loopback header") \
    X(PPP_TRUNCATED, "ppp_truncated", "ppp", "a PPP header cut short") \
    X(CHDLC_TRUNCATED, "chdlc_truncated", "chdlc", "a Cisco HDLC header cut short") \
    X(PPPOE_TRUNCATED, "pppoe_truncated", "pppoe", "a PPPoE session header cut short") \
    X(VLAN_TRUNCATED, "vlan_truncated", "vlan", "a VLAN tag cut short") \
    X(MPLS_TRUNCATED, "mpls_truncated", "mpls", "an MPLS label stack cut short, or nothing after its last label") \
    X(IPV4_BAD_VERSION, "ipv4_bad_version", "ipv4", "an IPv4 header whose version is not 4") \
    X(IPV4_BAD_IHL, "ipv4_bad_ihl", "ipv4", "an IPv4 header length below 20 bytes") \
    X(IPV4_TOTAL_LENGTH_SHORT, "ipv4_total_length_short", "ipv4", "an IPv4 total length shorter than its header") \
    X(IPV4_TRUNCATED, "ipv4_truncated", "ipv4", "an IPv4 header cut short") \
    X(IPV6_BAD_VERSION, "ipv6_bad_version", "ipv6", "an IPv6 header whose version is not 6") \
    X(IPV6_TRUNCATED, "ipv6_truncated", "ipv6", "an IPv6 header cut short") \
    X(IPV6_TOO_MANY_EXT_HEADERS, "ipv6_too_many_ext_headers", "ipv6", "more than 16 IPv6 extension headers") \
    X(IPV6_EXT_OVERRUN, "ipv6_ext_overrun", "ipv6", "an IPv6 extension header longer than the payload length") \
    X(IPV6_EXT_TRUNCATED, "ipv6_ext_truncated", "ipv6", "an IPv6 extension header cut short") \
    X(GRE_TRUNCATED, "gre_truncated", "gre", "a GRE header cut short") \
    X(ERSPAN_BAD_VERSION, "erspan_bad_version", "erspan", "an ERSPAN header of another version than its GRE protocol says") \
    X(ERSPAN_TRUNCATED, "erspan_truncated", "erspan", "an ERSPAN header cut short") \
    X(UDP_TOO_SHORT, "udp_too_short", "udp", "an IP payload shorter than the UDP header") \
    X(UDP_TRUNCATED, "udp_truncated", "udp", "a UDP header cut short") \
    X(UDP_BAD_LENGTH, "udp_bad_length", "udp", "a UDP length below 8") \
    X(UDP_LENGTH_EXCEEDS_IP, "udp_length_exceeds_ip", "udp", "a UDP length beyond the IP payload (the IP payload is dissected)") \
    X(TCP_TOO_SHORT, "tcp_too_short", "tcp", "an IP payload shorter than the TCP header") \
    X(TCP_TRUNCATED, "tcp_truncated", "tcp", "a TCP header cut short") \
    X(TCP_BAD_DATA_OFFSET, "tcp_bad_data_offset", "tcp", "a TCP data offset below 20 bytes or beyond the segment") \
    X(SCTP_TOO_SHORT, "sctp_too_short", "sctp", "an IP payload shorter than the SCTP common header") \
    X(SCTP_TRUNCATED, "sctp_truncated", "sctp", "an SCTP common header cut short") \
    X(SCTP_BAD_CHUNK_LENGTH, "sctp_bad_chunk_length", "sctp", "an SCTP chunk length below 4 or beyond the packet (the rest of the packet is skipped)") \
    X(SCTP_DATA_TOO_SHORT, "sctp_data_too_short", "sctp", "a DATA or I-DATA chunk shorter than its header") \
    X(SCTP_DATA_EMPTY, "sctp_data_empty", "sctp", "a DATA or I-DATA chunk without user data") \
    X(GTPU_BAD_VERSION, "gtpu_bad_version", "gtpu", "a GTP header that is not GTPv1") \
    X(GTPU_BAD_LENGTH, "gtpu_bad_length", "gtpu", "a GTP-U length that disagrees with its datagram or optional fields") \
    X(GTPU_TRUNCATED, "gtpu_truncated", "gtpu", "a GTP-U header cut short, or a capture that ends at its T-PDU") \
    X(GTPU_TOO_MANY_EXT, "gtpu_too_many_ext", "gtpu", "more than 16 GTP-U extension headers") \
    X(GTPU_BAD_EXT, "gtpu_bad_ext", "gtpu", "a GTP-U extension header of length 0") \
    X(HEP_BAD_VERSION, "hep_bad_version", "hep", "a HEP packet of an unknown version") \
    X(HEP_BAD_HEADER, "hep_bad_header", "hep", "a HEPv2 header length or address family that does not fit") \
    X(HEP_BAD_LENGTH, "hep_bad_length", "hep", "a HEPv3 total length below its header") \
    X(HEP_TRUNCATED, "hep_truncated", "hep", "a HEP header cut short") \
    X(HEP_BAD_CHUNK, "hep_bad_chunk", "hep", "a HEPv3 chunk whose length or value does not fit") \
    X(HEP_MISSING_CHUNK, "hep_missing_chunk", "hep", "a HEPv3 packet without a payload or matching address chunks") \
    X(IP_FRAG_INVALID, "ip_frag_invalid", "defrag", "a packet given to reassembly that is not a fragment") \
    X(IP_FRAG_TRUNCATED, "ip_frag_truncated", "defrag", "a fragment cut short by the snap length") \
    X(IP_FRAG_TOO_BIG, "ip_frag_too_big", "defrag", "a fragment ending beyond the largest IP datagram") \
    X(IP_FRAG_BAD_LENGTH, "ip_frag_bad_length", "defrag", "a non-last fragment that is empty or not a multiple of 8 bytes") \
    X(IP_FRAG_INCONSISTENT_END, "ip_frag_inconsistent_end", "defrag", "a fragment that disagrees with the datagram's known end") \
    X(IP_FRAG_OVERLAP, "ip_frag_overlap", "defrag", "overlapping fragments with different bytes") \
    X(IP_FRAG_TOO_MANY, "ip_frag_too_many", "defrag", "a datagram in more pieces than the cap (dropped)") \
    X(IP_FRAG_TIMEOUT, "ip_frag_timeout", "defrag", "a datagram not complete 30 s after its first fragment (dropped)") \
    X(IP_FRAG_INCOMPLETE, "ip_frag_incomplete", "defrag", "a datagram still incomplete at the end of input") \
    X(IP_FRAG_EVICTED, "ip_frag_evicted", "defrag", "a datagram dropped for --max-frag-trains or --max-frag-bytes") \
    X(IP_FRAG_NOMEM, "ip_frag_nomem", "defrag", "a fragment dropped: memory allocation failed") \
    X(TCP_GAP, "tcp_gap", "tcp", "bytes of a TCP stream never captured (the unfinished message is dropped)") \
    X(TCP_STREAM_EVICTED, "tcp_stream_evicted", "tcp", "a connection closed for --max-tcp-streams or --max-tcp-bytes") \
    X(TCP_NOMEM, "tcp_nomem", "tcp", "stream data dropped: memory allocation failed") \
    X(TCP_MESSAGE_TOO_LARGE, "tcp_message_too_large", "tcp", "a stream's SIP, WebSocket or HEP message over --max-message-bytes (dropped)") \
    X(TCP_SIP_INVALID, "tcp_sip_invalid", "tcp", "a stream's SIP message that does not parse (the stream resyncs)") \
    X(TCP_HEP_INVALID, "tcp_hep_invalid", "tcp", "no HEP3 header where an agent's TCP stream should start a packet (the stream resyncs)") \
    X(TCP_INCOMPLETE_MESSAGE, "tcp_incomplete_message", "tcp", "an unfinished message dropped when its connection ended") \
    X(TRUNCATED_MESSAGE, "truncated_message", "tcp", "a stream message cut by the snap length that does not parse") \
    X(WS_RESERVED_BITS, "ws_reserved_bits", "websocket", "a frame with reserved bits set (in the detail of ws_invalid_frame)") \
    X(WS_BAD_OPCODE, "ws_bad_opcode", "websocket", "a frame with an undefined opcode (in the detail of ws_invalid_frame)") \
    X(WS_BAD_LENGTH, "ws_bad_length", "websocket", "a 64-bit payload length with its top bit set (in the detail of ws_invalid_frame)") \
    X(WS_BAD_CONTROL_FRAME, "ws_bad_control_frame", "websocket", "a fragmented or over-long control frame (in the detail of ws_invalid_frame)") \
    X(WS_INVALID_FRAME, "ws_invalid_frame", "websocket", "a WebSocket frame header that does not parse (the connection is left)") \
    X(WS_MESSAGE_INCOMPLETE, "ws_message_incomplete", "websocket", "a new WebSocket message began before the last one's FIN") \
    X(WS_UNEXPECTED_CONTINUATION, "ws_unexpected_continuation", "websocket", "a WebSocket continuation frame outside a message") \
    X(TLS_BAD_CONTENT_TYPE, "tls_bad_content_type", "tls", "a TLS record of an unknown content type (in the detail of tls_invalid)") \
    X(TLS_BAD_VERSION, "tls_bad_version", "tls", "a TLS record of an unknown version (in the detail of tls_invalid)") \
    X(TLS_BAD_RECORD_LENGTH, "tls_bad_record_length", "tls", "a TLS record length of 0 or over the maximum (in the detail of tls_invalid)") \
    X(TLS_BAD_CLIENT_HELLO, "tls_bad_client_hello", "tls", "a ClientHello that does not parse (in the detail of tls_invalid)") \
    X(TLS_BAD_SERVER_HELLO, "tls_bad_server_hello", "tls", "a ServerHello that does not parse (in the detail of tls_invalid)") \
    X(TLS_INVALID, "tls_invalid", "tls", "a TLS connection whose records or hellos do not parse (not decrypted)") \
    X(TLS_NO_KEY, "tls_no_key", "tls", "a TLS connection without its secrets or hellos (not decrypted)") \
    X(TLS_UNSUPPORTED, "tls_unsupported", "tls", "a TLS version, cipher suite or 0-RTT data sipsleuth does not decrypt") \
    X(TLS_DECRYPT_FAILED, "tls_decrypt_failed", "tls", "a TLS record that fails authentication (its direction is dropped)") \
    X(SCTP_REASSEMBLY_GAP, "sctp_reassembly_gap", "sctp", "an SCTP message's fragments never all captured (dropped)") \
    X(SCTP_MESSAGE_TOO_LARGE, "sctp_message_too_large", "sctp", "a fragmented SCTP message over --max-message-bytes (dropped)") \
    X(SCTP_NOMEM, "sctp_nomem", "sctp", "SCTP data dropped: memory allocation failed") \
    X(SCTP_ASSOC_EVICTED, "sctp_assoc_evicted", "sctp", "an association dropped for --max-sctp-assocs or --max-sctp-bytes") \
    X(SIP_EMPTY, "sip_empty", "sip", "an empty SIP message") \
    X(SIP_BAD_START_LINE, "sip_bad_start_line", "sip", "a SIP start line that is neither a request nor a status line") \
    X(SIP_BAD_CONTENT_LENGTH, "sip_bad_content_length", "sip", "a Content-Length that is not a number, negative or huge") \
    X(SIP_INVALID, "sip_invalid", "sip", "a SIP message that does not parse") \
    X(SIP_MESSAGE_TOO_LARGE, "sip_message_too_large", "sip", "a SIP message over --max-message-bytes (not analysed)") \
    X(SIP_HEADERS_DROPPED, "sip_headers_dropped", "sip", "more headers than --max-headers (the rest are not kept)") \
    X(SIP_NO_CONTENT_LENGTH, "sip_no_content_length", "sip", "a SIP message over TCP without Content-Length") \
    X(SIP_BODY_SHORT, "sip_body_short", "sip", "a datagram that ends before Content-Length bytes of body") \
    X(SIP_NO_BLANK_LINE, "sip_no_blank_line", "sip", "a datagram that ends inside the headers") \
    X(SIP_HEADER_NO_COLON, "sip_header_no_colon", "sip", "a header line without a colon (skipped)") \
    X(SIP_DUP_CONTENT_LENGTH, "sip_dup_content_length", "sip", "Content-Length given twice, differently") \
    X(SIP_LONE_CR, "sip_lone_cr", "sip", "a start line that ends in CR without LF (accepted)") \
    X(SIP_TOO_MANY_CONTACTS, "sip_too_many_contacts", "sip", "more Contact values than --max-contacts") \
    X(SIP_TOO_MANY_VIAS, "sip_too_many_vias", "sip", "more Via values than --max-vias") \
    X(SDP_MALFORMED, "sdp_malformed", "sdp", "an SDP body that breaks RFC 8866: no v= first, a line not type=value, or an m=, c= or a= line that does not parse (skipped)") \
    X(SDP_TOO_MANY_MEDIA, "sdp_too_many_media", "sdp", "more than 8 m= lines in one SDP, or 16 rtpmaps in one m= section (the rest are not kept)") \
    X(DIALOG_EVICTED, "dialog_evicted", "dialog", "a call attempt closed for --max-dialogs or --max-dialog-bytes") \
    X(TRANSACTIONS_EVICTED, "transactions_evicted", "dialog", "unanswered transactions outside a call forgotten for the dialog caps") \
    X(ROUTE_EVICTED, "route_evicted", "routes", "the least recently seen route dropped for --max-routes") \
    X(ROUTES_SAVE_FAILED, "routes_save_failed", "routes", "a periodic save of the --routes file failed") \
    X(IDENTITY_MISSING_SEMICOLON, "identity_missing_semicolon", "identity", "an Identity parameter not preceded by a semicolon") \
    X(IDENTITY_INFO_NO_BRACKETS, "identity_info_no_brackets", "identity", "an Identity info URL without angle brackets") \
    X(IDENTITY_QUOTED_PARAM, "identity_quoted_param", "identity", "a quoted alg or ppt parameter in an Identity header") \
    X(IDENTITY_QUOTED_TOKEN, "identity_quoted_token", "identity", "an RFC 8224 Identity token inside quotes") \
    X(IDENTITY_NO_INFO, "identity_no_info", "identity", "an Identity header without an info parameter") \
    X(IDENTITY_PENDING_EVICTED, "identity_pending_evicted", "identity", "a signed request forgotten for --max-identity-checks") \
    X(CERTSTORE_FULL, "certstore_full", "identity", "a certificate URL not looked up: --max-certs reached") \
    X(REGISTRATION_EVICTED, "registration_evicted", "registration", "a REGISTER attempt closed for --max-registrations or --max-registration-bytes") \
    X(AUTH_FAILURES, "auth_failures", "registration", "a source failed authentication (403, or 401/407 to credentials) --auth-fail-threshold times within --auth-fail-window") \
    X(SCANNER, "scanner", "registration", "a source sent requests with a known scanner's User-Agent (one per --scanner-window)") \
    X(WATCH_EVICTED, "watch_evicted", "registration", "a source's auth-failure or scanner window closed early for --max-watched-sources") \
    X(EXTRACT_FRAMES_OVERFLOW, "extract_frames_overflow", "extract", "a message in more than 256 frames: --extract writes only the first 256")
/* clang-format on */

#endif
