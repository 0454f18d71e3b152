#include "sipsleuth/cli_limits.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

#define KIB ((size_t)1 << 10)
#define TIB ((size_t)1 << 40)
#define FIELD(member) offsetof(sl_config, member)

const sl_limit_option sl_limit_options[] = {
    {"max-message-bytes", FIELD(tcp.max_message), 256, KIB *KIB *KIB, true,
     "bytes of one SIP message, any transport"},
    {"max-headers", FIELD(max_headers), 1, 65535, false, "headers kept per SIP message"},
    {"max-contacts", FIELD(max_contacts), 1, 65535, false, "Contact values per SIP message"},
    {"max-vias", FIELD(max_vias), 1, 65535, false, "Via values per SIP message"},
    {"max-tcp-streams", FIELD(tcp.max_streams), 1, (size_t)1 << 24, false,
     "TCP connections tracked"},
    {"max-tcp-bytes", FIELD(tcp.max_bytes), 64 * KIB, TIB, true, "memory of TCP reassembly"},
    {"max-sctp-assocs", FIELD(sctp.max_assocs), 1, (size_t)1 << 24, false,
     "SCTP associations tracked"},
    {"max-sctp-bytes", FIELD(sctp.max_bytes), 64 * KIB, TIB, true, "memory of SCTP reassembly"},
    {"max-frag-trains", FIELD(defrag.max_trains), 1, (size_t)1 << 24, false,
     "IP datagrams being reassembled"},
    {"max-frag-bytes", FIELD(defrag.max_bytes), 256 * KIB, TIB, true, "memory of IP reassembly"},
    {"max-dialogs", FIELD(dialog.max_dialogs), 1, (size_t)1 << 26, false,
     "call attempts and transactions tracked"},
    {"max-dialog-bytes", FIELD(dialog.max_memory), 64 * KIB, TIB, true,
     "memory of the dialog tracker"},
    {"max-routes", FIELD(routes.max_routes), 1, 0x7fffffff, false, "routing table entries"},
    {"max-identity-checks", FIELD(identity.max_records), 1, (size_t)1 << 20, false,
     "signed requests awaiting a response (identity)"},
    {"max-certs", FIELD(identity.max_certs), 1, (size_t)1 << 20, false,
     "URLs in the certificate store (--cert-dir lookups)"},
    {"max-tls-keys", FIELD(tls_max_keys), 1, (size_t)1 << 24, false,
     "client randoms held from the --tls-keylog file"},
    {"max-registrations", FIELD(registration.max_registrations), 1, (size_t)1 << 24, false,
     "REGISTER attempts tracked"},
    {"max-registration-bytes", FIELD(registration.max_memory), 64 * KIB, TIB, true,
     "memory of the REGISTER attempts"},
    {"max-watched-sources", FIELD(registration.max_sources), 1, (size_t)1 << 24, false,
     "sources watched for auth failures, and for scanners"},
};
_Static_assert(sizeof sl_limit_options / sizeof sl_limit_options[0] == SL_N_LIMIT_OPTIONS,
               "SL_N_LIMIT_OPTIONS counts the table");

static size_t *field(sl_config *cfg, const sl_limit_option *l)
{
    return (size_t *)((char *)cfg + l->offset);
}

bool sl_limit_option_set(const sl_limit_option *l, sl_config *cfg, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || arg[0] < '0' || arg[0] > '9')
        return false;
    if (l->bytes && *end) {
        const char *units = "KMG";
        const char *u = strchr(units, toupper((unsigned char)*end));
        if (!u || end[1])
            return false;
        for (const char *k = units; k <= u; k++) {
            if (v > ULLONG_MAX / 1024)
                return false;
            v *= 1024;
        }
        end++;
    }
    if (*end || v < l->min || v > l->max)
        return false;
    *field(cfg, l) = (size_t)v;
    return true;
}

void sl_limit_options_usage(FILE *f)
{
    sl_config def;
    sl_config_defaults(&def);
    for (size_t i = 0; i < SL_N_LIMIT_OPTIONS; i++) {
        const sl_limit_option *l = &sl_limit_options[i];
        char opt[32], value[32];
        size_t v = *field(&def, l);
        int shift = 0;
        while (l->bytes && shift < 30 && v >> shift >= KIB && (v >> shift) % KIB == 0)
            shift += 10;
        snprintf(opt, sizeof opt, "%s %s", l->name, l->bytes ? "SIZE" : "N");
        snprintf(value, sizeof value, "%zu%s", v >> shift, &"\0\0K\0M\0G"[shift / 5]);
        fprintf(f, "      --%-23s %s (default %s)\n", opt, l->help, value);
    }
}
