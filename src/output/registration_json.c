#include "writers.h"

void sl_json_registration(sl_jw *w, const sl_registration_event *ev)
{
    sl_jw_kstr(w, "outcome", sl_reg_outcome_name(ev->outcome));
    sl_jw_kslice_or_null(w, "aor", ev->aor);
    sl_json_user(w, "aor_user", ev->aor);
    sl_jw_kslice_or_null(w, "request_uri", ev->request_uri);
    sl_jw_key(w, "contacts");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < ev->n_contacts; i++) {
        sl_jw_obj_begin(w);
        sl_jw_kslice(w, "uri", ev->contacts[i].uri);
        sl_json_expires(w, "expires", ev->contacts[i].expires);
        sl_jw_obj_end(w);
    }
    sl_jw_arr_end(w);
    if (ev->contacts_truncated)
        sl_jw_kbool(w, "contacts_truncated", true);
    if (ev->contact_star)
        sl_jw_kbool(w, "contact_star", true);
    sl_json_expires(w, "expires_requested", ev->expires_requested);
    sl_json_expires(w, "expires_granted", ev->expires_granted);
    sl_jw_kbool(w, "unregister", ev->unregister);
    sl_jw_kuint(w, "auth_challenges", ev->auth_challenges);
    sl_jw_kbool(w, "challenge_answered", ev->challenge_answered);
    sl_jw_kuint(w, "requests", ev->requests);
    if (ev->status_code) {
        sl_jw_kint(w, "status_code", ev->status_code);
        sl_jw_kslice(w, "reason_phrase", ev->reason);
    } else {
        sl_jw_knull(w, "status_code");
        sl_jw_knull(w, "reason_phrase");
    }
    sl_jw_kslice_or_null(w, "user_agent", ev->user_agent);
    sl_jw_key(w, "start");
    sl_jw_time(w, ev->start);
    if (ev->has_final)
        sl_jw_kms(w, "final_ms", sl_time_ms(ev->start, ev->final_at));
    else
        sl_jw_knull(w, "final_ms");
    sl_jw_kstr(w, "closed", sl_reg_closed_name(ev->closed));
}
