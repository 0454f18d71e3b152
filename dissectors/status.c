#include "sipsleuth/status.h"

const char *sl_status_name(sl_status st)
{
    switch (st) {
    case SL_OK: return "ok";
    case SL_INVALID: return "invalid";
    case SL_PARTIAL: return "partial";
    case SL_TRUNCATED: return "truncated";
    case SL_NOMEM: return "nomem";
    }
    return "unknown";
}
