#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "sipsleuth/sip_ports.h"

static struct bpf_program compile(const char *list)
{
    char bpf[8192], err[256];
    cr_assert(sl_sip_ports_filter(list, bpf, sizeof bpf, err, sizeof err), "%s", err);
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program prog;
    cr_assert_eq(pcap_compile(dead, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN), 0, "%s: %s", bpf,
                 pcap_geterr(dead));
    pcap_close(dead);
    return prog;
}

/* How many of the sample's packets the filter keeps, and how many there are. */
static int matches(const char *list, const char *sample, int *total)
{
    struct bpf_program prog = compile(list);
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(sample, errbuf);
    cr_assert(p, "%s", errbuf);
    struct pcap_pkthdr *h;
    const u_char *data;
    int n = 0;
    *total = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        ++*total;
        n += pcap_offline_filter(&prog, h, data) != 0;
    }
    pcap_close(p);
    pcap_freecode(&prog);
    return n;
}

Test(sip_ports, keeps_every_ipv4_and_ipv6_fragment)
{
    int total;
    cr_assert_eq(matches("5060", "samples/frag-ipv4-reverse.pcap", &total), total);
    cr_assert_eq(total, 5);
    cr_assert_eq(matches("5060", "samples/frag-ipv6.pcap", &total), total);
    cr_assert_eq(total, 3);
    /* Fragments are kept whatever the port: later ones carry none. */
    cr_assert_eq(matches("7000", "samples/frag-ipv6.pcap", &total), total);
}

Test(sip_ports, selects_by_port_over_udp_and_tcp)
{
    int total;
    cr_assert_eq(matches("5060", "samples/basic-call.pcap", &total), total);
    cr_assert_eq(matches("5061,6000-6100", "samples/basic-call.pcap", &total), 0);
    cr_assert_eq(matches("5060", "samples/tcp-split-boundaries.pcap", &total), total);
    cr_assert_eq(matches("5060", "samples/register-options.pcapng", &total), 0);
    cr_assert_eq(matches("5000-5099", "samples/register-options.pcapng", &total), total);
    cr_assert_eq(matches("5070,40000", "samples/register-options.pcapng", &total), total);
}

Test(sip_ports, matches_under_one_vlan_tag)
{
    struct bpf_program prog = compile("5060");
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline("samples/basic-call.pcap", errbuf);
    cr_assert(p, "%s", errbuf);
    struct pcap_pkthdr *h;
    const u_char *data;
    cr_assert_eq(pcap_next_ex(p, &h, &data), 1);
    /* The same frame with an 802.1Q tag (VLAN 100) after the MAC addresses. */
    uint8_t tagged[2048];
    cr_assert(h->caplen + 4 <= sizeof tagged);
    memcpy(tagged, data, 12);
    memcpy(tagged + 12, "\x81\x00\x00\x64", 4);
    memcpy(tagged + 16, data + 12, h->caplen - 12);
    struct pcap_pkthdr th = *h;
    th.caplen += 4;
    th.len += 4;
    cr_assert(pcap_offline_filter(&prog, &th, tagged));
    pcap_close(p);
    pcap_freecode(&prog);
    cr_assert_eq(matches("7000", "samples/basic-call.pcap", &(int){0}), 0);
}

Test(sip_ports, rejects_bad_lists)
{
    static const char *const bad[] = {"",      "0",         "65536",     "5060,",
                                      ",5060", "5061-5060", "abc",       "5060;5061",
                                      "5060-", "-5060",     "5060 5061", "5060-70000"};
    char bpf[8192], err[256];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        cr_expect_not(sl_sip_ports_filter(bad[i], bpf, sizeof bpf, err, sizeof err), "%s", bad[i]);
        cr_expect(strstr(err, "--sip-ports"), "%s: %s", bad[i], err);
    }
    cr_assert_not(sl_sip_ports_filter("5060", bpf, 64, err, sizeof err));
    cr_assert(strstr(err, "too long"));
}
