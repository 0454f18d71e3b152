/* The `sipsleuth routes` subcommand (see routes_cli.h and README.md). */
#include "sipsleuth/routes_cli.h"

#include "sipsleuth/routes_file.h"
#include "sipsleuth/routes_json.h"

#include <stdio.h>
#include <string.h>

static const char routes_usage[] =
    "usage: sipsleuth routes --routes FILE [list]\n"
    "       sipsleuth routes --routes FILE lookup URI\n"
    "       sipsleuth routes --routes FILE export --format json|csv\n";

static int usage_error(const char *what)
{
    fprintf(stderr, "sipsleuth routes: %s\n%s", what, routes_usage);
    return 2;
}

static void time_text(sl_time t, char buf[SL_TIME_TEXT_LEN])
{
    sl_time_format(t, buf);
}

/* ---- list ---- */

static void list_one(void *user, const sl_route *r)
{
    (void)user;
    char first[SL_TIME_TEXT_LEN], last[SL_TIME_TEXT_LEN];
    time_text(r->first_seen, first);
    time_text(r->last_seen, last);
    char q[16] = "-", ex[24] = "-";
    if (r->q >= 0)
        snprintf(q, sizeof q, "%.3f", r->q);
    if (r->expires >= 0)
        snprintf(ex, sizeof ex, "%lld", (long long)r->expires);
    printf("%s\t%s\t%s\t%s\t%s\t%s\t%llu\t%s\n", r->uri, r->target, q, ex, first, last,
           (unsigned long long)r->times_seen, r->server[0] ? r->server : "-");
}

/* ---- lookup ---- */

static int lookup(const sl_routes *t, const char *arg)
{
    char uri[SL_ROUTE_URI_MAX];
    if (!sl_uri_normalize(sl_slice_make(arg, strlen(arg)), uri, sizeof uri))
        return usage_error("lookup: not a sip:, sips: or tel: URI");
    sl_route_resolution res;
    bool moved = sl_routes_resolve(t, uri, &res);
    sl_json_route_lookup(stdout, uri, moved, &res);
    return 0;
}

/* ---- export ---- */

static void csv_field(const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static void export_csv(void *user, const sl_route *r)
{
    const sl_routes *t = user;
    sl_route_resolution res;
    sl_routes_resolve(t, r->uri, &res);
    char first[SL_TIME_TEXT_LEN], last[SL_TIME_TEXT_LEN];
    time_text(r->first_seen, first);
    time_text(r->last_seen, last);
    {
        char q[16] = "", ex[24] = "", hops[24], times[24];
        if (r->q >= 0)
            snprintf(q, sizeof q, "%.3f", r->q);
        if (r->expires >= 0)
            snprintf(ex, sizeof ex, "%lld", (long long)r->expires);
        snprintf(hops, sizeof hops, "%zu", res.n_path - 1);
        snprintf(times, sizeof times, "%llu", (unsigned long long)r->times_seen);
        csv_field(r->uri, false);
        csv_field(r->target, false);
        csv_field(res.target, false);
        csv_field(hops, false);
        csv_field(res.loop ? "true" : "false", false);
        csv_field(q, false);
        csv_field(ex, false);
        csv_field(first, false);
        csv_field(last, false);
        csv_field(times, false);
        csv_field(r->server, true);
    }
}

static int export_table(const sl_routes *t, bool csv)
{
    if (csv) {
        puts("uri,target,resolved,hops,loop,q,expires,first_seen,last_seen,times_seen,server");
        sl_routes_foreach(t, export_csv, (void *)t);
        return 0;
    }
    if (!sl_json_routes_export(stdout, t)) {
        fprintf(stderr, "sipsleuth routes: out of memory\n");
        return 1;
    }
    return 0;
}

int sl_routes_cli(int argc, char **argv)
{
    const char *file = NULL, *format = NULL, *action = NULL, *arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(routes_usage, stdout);
            return 0;
        }
        if (!strcmp(a, "--routes") || !strcmp(a, "--format")) {
            if (i + 1 == argc)
                return usage_error(!strcmp(a, "--routes") ? "--routes needs a FILE"
                                                          : "--format needs json or csv");
            *(!strcmp(a, "--routes") ? &file : &format) = argv[++i];
        } else if (!strncmp(a, "--routes=", 9)) {
            file = a + 9;
        } else if (!strncmp(a, "--format=", 9)) {
            format = a + 9;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option");
        } else if (!action) {
            action = a;
        } else if (!arg && !strcmp(action, "lookup")) {
            arg = a;
        } else {
            return usage_error("unexpected argument");
        }
    }
    if (!action)
        action = "list";
    bool list = !strcmp(action, "list"), look = !strcmp(action, "lookup"),
         export = !strcmp(action, "export");
    if (!list && !look && !export)
        return usage_error("the action is list, lookup or export");
    if (look && !arg)
        return usage_error("lookup needs a URI");
    if (format && !export)
        return usage_error("--format goes with export");
    bool csv = false;
    if (export) {
        if (!format || (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0))
            return usage_error("export needs --format json or --format csv");
        csv = !strcmp(format, "csv");
    }
    if (!file)
        return usage_error("give the table with --routes FILE");

    sl_routes_config cfg;
    sl_routes_config_default(&cfg);
    cfg.max_routes = SIZE_MAX; /* show the whole file */
    sl_routes *t = sl_routes_new(&cfg, NULL, NULL);
    if (!t) {
        fprintf(stderr, "sipsleuth routes: out of memory\n");
        return 1;
    }
    bool missing;
    char err[512];
    if (!sl_routes_load(t, file, &missing, err, sizeof err) || missing) {
        fprintf(stderr, "sipsleuth routes: %s: %s\n", file,
                missing ? "No such file or directory" : err);
        sl_routes_free(t);
        return 1;
    }
    int rc = 0;
    if (look) {
        rc = lookup(t, arg);
    } else if (export) {
        rc = export_table(t, csv);
    } else {
        puts("uri\ttarget\tq\texpires\tfirst_seen\tlast_seen\ttimes_seen\tserver");
        sl_routes_foreach(t, list_one, NULL);
    }
    sl_routes_free(t);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sipsleuth routes: cannot write the output\n");
        rc = 1;
    }
    return rc;
}
