/* The routing table file (--routes): JSON, human-readable, written
 * atomically. Layout (README.md, "The routes file"):
 *
 *   {"version": 1, "routes": [{"uri", "target", "q", "expires", "first_seen",
 *    "last_seen", "last_used", "times_seen", "server"}, ...]}
 *
 * The file is untrusted input: every field is checked, and a file that fails
 * any check is refused as a whole. */
#ifndef SIPSLEUTH_ROUTES_FILE_H
#define SIPSLEUTH_ROUTES_FILE_H

#include "sipsleuth/routes.h"

#define SL_ROUTES_FILE_VERSION 1

/* Parses a routes document into t (which should be empty). False with a
 * one-line reason in err (naming the entry and field) when it is invalid;
 * t may then hold part of it. */
bool sl_routes_load_buffer(sl_routes *t, const char *data, size_t len, char *err, size_t errlen);

/* Loads path into t. A file that does not exist is an empty table (*missing
 * set). False with the reason in err when it cannot be read or is invalid. */
bool sl_routes_load(sl_routes *t, const char *path, bool *missing, char *err, size_t errlen);

/* Writes t to path atomically: path.tmp is written and fsynced, renamed over
 * path, and the directory fsynced, so path always holds a complete table
 * (the old or the new). False with the reason in err. */
bool sl_routes_save(const sl_routes *t, const char *path, char *err, size_t errlen);

#endif
