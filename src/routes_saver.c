/* When the routing table is loaded and saved (see routes_saver.h). */
#include "sipsleuth/routes_saver.h"

#include "sipsleuth/routes_file.h"

#include <stdio.h>

void sl_routes_saver_init(sl_routes_saver *s, const char *file, sl_time interval)
{
    *s = (sl_routes_saver){.file = file, .interval = interval};
}

bool sl_routes_saver_load(sl_routes_saver *s, sl_routes *t, char *err, size_t errlen)
{
    if (!s->file)
        return true;
    bool missing;
    char why[400];
    if (!sl_routes_load(t, s->file, &missing, why, sizeof why)) {
        snprintf(err, errlen, "--routes %s: %s", s->file, why);
        return false;
    }
    s->loaded = true;
    s->saved = missing ? UINT64_MAX : sl_routes_generation(t);
    return true;
}

static bool save(sl_routes_saver *s, const sl_routes *t)
{
    if (!sl_routes_save(t, s->file, s->error, sizeof s->error))
        return false;
    s->error[0] = '\0';
    s->saved = sl_routes_generation(t);
    return true;
}

bool sl_routes_saver_tick(sl_routes_saver *s, const sl_routes *t, sl_time now)
{
    if (!s->loaded || s->interval <= 0)
        return true;
    if (s->next == 0)
        s->next = now + s->interval;
    if (now < s->next)
        return true;
    s->next = now + s->interval;
    return sl_routes_generation(t) == s->saved || save(s, t);
}

void sl_routes_saver_finish(sl_routes_saver *s, const sl_routes *t)
{
    if (s->loaded)
        save(s, t);
}

const char *sl_routes_saver_error(const sl_routes_saver *s)
{
    return s->error[0] ? s->error : NULL;
}
