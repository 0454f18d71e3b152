/* --user: give up root once the capture is open. */
#ifndef SIPSLEUTH_PRIVILEGES_H
#define SIPSLEUTH_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>

/* Switches the process to user name (its uid, primary gid and supplementary
 * groups) and checks that root cannot be regained. false with a one-line
 * reason in err. Open descriptors (the capture, the output) stay usable. */
bool sl_drop_privileges(const char *name, char *err, size_t errlen);

#endif
