/* The command line of the analysis mode (`sipsleuth [options] -r FILE | -i
 * IFACE`): parsed into the pipeline's configuration and what main needs to
 * run the capture. `sipsleuth routes` has its own (routes_cli.h). */
#ifndef SIPSLEUTH_CLI_H
#define SIPSLEUTH_CLI_H

#include "sipsleuth/capture.h"
#include "sipsleuth/event.h"
#include "sipsleuth/pipeline.h"

#define SL_CLI_MAX_FILES 256

/* A certificate option as given; sl_cli_load builds the store from them. */
typedef struct sl_cli_cert {
    enum { SL_CLI_CERT, SL_CLI_CERT_DIR, SL_CLI_TRUST } kind;
    const char *arg;  /* --cert: the URL; else the path */
    const char *file; /* --cert: FILE */
} sl_cli_cert;

typedef struct sl_cli {
    const char *files[SL_CLI_MAX_FILES];
    int n_files;
    sl_live_options live;
    const char *filter;
    char filter_built[16384]; /* -f and --sip-ports together */
    const char *user;
    const char *output;
    sl_event_mask events;
    sl_config cfg;
    bool stats_interval_set;
    bool summary;       /* --summary */
    bool summary_json;  /* --json: the summary as one JSON object */
    bool quiet;         /* -q: no progress line */
    sl_cli_cert *certs; /* --cert, --cert-dir, --trust in order (freed by sl_cli_load) */
    int n_certs;
    const char *tls_keylog;   /* --tls-keylog */
    const char **extract_ids; /* --extract CALL_ID, in order (argc slots; the caller frees) */
    int n_extract;
    sl_extract_out extract_out; /* -w FILE or --extract-dir DIR */
} sl_cli;

/* Parses argv into o, which must be zeroed. Returns 0 to run; -1 when the
 * run is already done (--help, --version, --list-anomalies printed); else
 * the exit status, after one line on stderr (2: bad usage). */
int sl_cli_parse(int argc, char **argv, sl_cli *o);

/* After sl_cli_parse: builds the certificate store (o->cfg.certs) and opens
 * the TLS key log that the options name. Returns 0, or the exit status
 * after one line on stderr (1: a file cannot be used; 2: bad usage). */
int sl_cli_load(sl_cli *o);

#endif
