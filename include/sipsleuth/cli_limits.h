/* The resource caps on the command line (--max-*): one table gives each its
 * field in sl_config, its range and its help line, so that parsing, --help
 * and the defaults cannot drift apart. README's "Resource limits" section
 * says what happens when each is reached. */
#ifndef SIPSLEUTH_CLI_LIMITS_H
#define SIPSLEUTH_CLI_LIMITS_H

#include "sipsleuth/pipeline.h"

#include <stdio.h>

typedef struct sl_limit_option {
    const char *name; /* the long option, without "--" */
    size_t offset;    /* of its size_t field in sl_config */
    size_t min, max;
    bool bytes;       /* a size: K, M and G suffixes (x 1024) accepted */
    const char *help; /* for --help */
} sl_limit_option;

#define SL_N_LIMIT_OPTIONS 19
extern const sl_limit_option sl_limit_options[SL_N_LIMIT_OPTIONS];

/* Stores arg in cfg: false when it is not a number within [min, max]. */
bool sl_limit_option_set(const sl_limit_option *l, sl_config *cfg, const char *arg);
/* The --help lines, each with its default. */
void sl_limit_options_usage(FILE *f);

#endif
