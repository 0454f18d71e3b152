#include "sipsleuth/sip_ports.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text {
    char *buf;
    size_t len, cap;
    bool overflow;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len) {
        t->overflow = true;
        return;
    }
    t->len += (size_t)n;
}

/* One port number 1-65535 at *p, advancing past it; -1 when there is none. */
static long port_at(const char **p)
{
    if (**p < '0' || **p > '9')
        return -1;
    char *end;
    long v = strtol(*p, &end, 10);
    *p = end;
    return v >= 1 && v <= 65535 ? v : -1;
}

/* "port A or portrange B-C or ...", or false with the offending item in err. */
static bool port_terms(const char *list, text *t, char *err, size_t errlen)
{
    const char *p = list;
    for (bool first = true;; first = false) {
        const char *item = p;
        long lo = port_at(&p), hi = lo;
        if (lo > 0 && *p == '-') {
            p++;
            hi = port_at(&p);
        }
        if (lo < 0 || hi < lo || (*p && *p != ',')) {
            size_t n = strcspn(item, ",");
            snprintf(err, errlen, "--sip-ports: not a port or range low-high: \"%.*s\"", (int)n,
                     item);
            return false;
        }
        add(t, "%s", first ? "" : " or ");
        if (hi == lo)
            add(t, "port %ld", lo);
        else
            add(t, "portrange %ld-%ld", lo, hi);
        if (!*p)
            return true;
        p++;
    }
}

/* NOLINTNEXTLINE(readability-non-const-parameter): out is written through the text t below */
bool sl_sip_ports_filter(const char *list, char *out, size_t outlen, char *err, size_t errlen)
{
    char ports[2048];
    text pt = {.buf = ports, .cap = sizeof ports};
    if (!port_terms(list, &pt, err, errlen))
        return false;
    /* `port` matches only unfragmented packets and first IPv4 fragments, so all
     * fragments are kept too: IPv4 with MF set or a non-zero offset; IPv6 whose
     * first extension header is a Fragment header. (`ip6 protochain 44` would
     * follow the whole chain, but libpcap refuses it after `vlan` on Linux.) */
    char one[4096];
    text o = {.buf = one, .cap = sizeof one};
    add(&o, "((udp or tcp) and (%s)) or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)",
        ports);
    /* The first `vlan` shifts the offsets of everything after it, so the same
     * test once more behind it matches the packet under one tag. */
    text t = {.buf = out, .cap = outlen};
    if (!pt.overflow && !o.overflow)
        add(&t, "(%s) or (vlan and (%s))", one, one);
    if (pt.overflow || o.overflow || t.overflow) {
        snprintf(err, errlen, "--sip-ports: the list is too long");
        return false;
    }
    return true;
}
