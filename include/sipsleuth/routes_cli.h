/* `sipsleuth routes [--routes FILE] [list | lookup URI | export --format json|csv]`:
 * reads a routing table file and prints it, resolves one URI, or exports
 * the resolved table for proxies and address books. */
#ifndef SIPSLEUTH_ROUTES_CLI_H
#define SIPSLEUTH_ROUTES_CLI_H

/* argv[0] is "routes". Returns the exit status: 0 done, 1 the file cannot
 * be read or is invalid, 2 bad usage. */
int sl_routes_cli(int argc, char **argv);

#endif
