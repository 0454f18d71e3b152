#include "envelope.h"
#include "writers.h"

void sl_json_anomaly(sl_jw *w, const sl_anomaly_event *ev)
{
    sl_jw_kstr(w, "kind", sl_anomaly_name(ev->kind));
    if (ev->layer)
        sl_jw_kstr(w, "layer", ev->layer);
    if (ev->has_offset)
        sl_jw_kuint(w, "offset", ev->offset);
    if (ev->detail)
        sl_jw_kstr(w, "detail", ev->detail);
    if (ev->reason)
        sl_jw_kstr(w, "reason", ev->reason);
    if (ev->has_age)
        sl_jw_kms(w, "age_ms", sl_time_ms(0, ev->age));
    if (ev->uri)
        sl_jw_kstr(w, "uri", ev->uri);
    if (ev->target)
        sl_jw_kstr(w, "target", ev->target);
    if (ev->has_last_used) {
        sl_jw_key(w, "last_used");
        sl_jw_time(w, ev->last_used);
    }
    if (ev->source) {
        sl_json_addr(w, "source_ip", ev->source);
        sl_jw_kuint(w, "count", ev->count);
        if (ev->window)
            sl_jw_kms(w, "window_ms", sl_time_ms(0, ev->window));
        sl_jw_key(w, "first_seen");
        sl_jw_time(w, ev->first_seen);
        sl_jw_key(w, "last_seen");
        sl_jw_time(w, ev->last_seen);
    }
    if (ev->user_agent.len)
        sl_jw_kslice(w, "user_agent", ev->user_agent);
}
