#include "sipsleuth/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool sl_drop_privileges(const char *name, char *err, size_t errlen)
{
    errno = 0;
    // cppcheck-suppress getpwnamCalled ; called once at startup, and sipsleuth has one thread
    struct passwd *pw = getpwnam(name);
    if (!pw) {
        snprintf(err, errlen, "--user %s: %s", name, errno ? strerror(errno) : "no such user");
        return false;
    }
    /* Groups first: once the uid is gone, changing them is no longer allowed. */
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "--user %s: cannot switch to it: %s", name, strerror(errno));
        return false;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "--user %s: root could be regained after the switch", name);
        return false;
    }
    return true;
}
