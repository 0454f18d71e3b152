/* The learned routing table as JSON: the routes file's document, and the
 * answers of `sipsleuth routes lookup` and `export --format json`. */
#ifndef SIPSLEUTH_ROUTES_JSON_H
#define SIPSLEUTH_ROUTES_JSON_H

#include "sipsleuth/routes.h"

#include <stdio.h>

/* The routes file's text (docs/events.md, routing-table file): malloc'd,
 * NULL when out of memory. */
char *sl_routes_file_text(const sl_routes *t);
/* One line: where uri goes (moved or not), with the chain followed. */
void sl_json_route_lookup(FILE *out, const char *uri, bool moved, const sl_route_resolution *res);
/* One line: every entry with its resolution. False when out of memory. */
bool sl_json_routes_export(FILE *out, const sl_routes *t);

#endif
