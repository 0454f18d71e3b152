/* --sip-ports: a BPF capture filter for SIP ports that keeps IP fragments.
 *
 * A filter such as "port 5060" loses fragmented SIP: only an IPv4 datagram's
 * first fragment carries the UDP header, and libpcap's `port` never matches an
 * IPv6 packet whose next header is a Fragment header. The filter built here
 * keeps every fragment (whatever its ports, since later fragments have none),
 * so defragmentation sees whole trains; what is not SIP is then dropped by
 * content. It also matches the same under one 802.1Q/802.1ad tag.
 * Not matched: IPv6 fragments behind other extension headers, SIP inside
 * tunnels (GRE, VXLAN, ERSPAN, IP-in-IP), MPLS, or under two VLAN tags. */
#ifndef SIPSLEUTH_SIP_PORTS_H
#define SIPSLEUTH_SIP_PORTS_H

#include <stdbool.h>
#include <stddef.h>

/* list: "5060,5061,5080-5090" (ports 1-65535, ranges low-high). Writes the BPF
 * text to out; false with a one-line reason in err when the list is invalid
 * or the text does not fit. */
bool sl_sip_ports_filter(const char *list, char *out, size_t outlen, char *err, size_t errlen);

#endif
