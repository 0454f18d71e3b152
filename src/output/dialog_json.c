#include "writers.h"

static void kms_or_null(sl_jw *w, const char *key, sl_time from, sl_time to, bool known)
{
    if (known)
        sl_jw_kms(w, key, sl_time_ms(from, to));
    else
        sl_jw_knull(w, key);
}

static void write_follows(sl_jw *w, const sl_redirect_followed *f)
{
    sl_jw_key(w, "follows_redirect");
    sl_jw_obj_begin(w);
    sl_jw_kint(w, "status_code", f->status_code);
    if (f->request_uri)
        sl_jw_kstr(w, "request_uri", f->request_uri);
    else
        sl_jw_knull(w, "request_uri");
    sl_jw_kstr(w, "target", f->target);
    sl_jw_key(w, "time");
    sl_jw_time(w, f->time);
    sl_jw_kbool(w, "same_call_id", f->same_call_id);
    if (f->attempt) {
        sl_jw_kuint(w, "leg", f->leg);
        sl_jw_kuint(w, "attempt", f->attempt);
    }
    sl_jw_obj_end(w);
}

void sl_json_dialog(sl_jw *w, const sl_dialog_event *ev)
{
    bool completed = ev->state == SL_DIALOG_COMPLETED;
    bool final_known = ev->final != SL_DIALOG_NO_TIME;
    bool answered = final_known && ev->final_status >= 200 && ev->final_status < 300;
    sl_jw_kstr(w, "state", sl_dialog_state_name(ev->state));
    if (ev->final_status)
        sl_jw_kint(w, "status_code", ev->final_status);
    else
        sl_jw_knull(w, "status_code");
    sl_jw_kslice_or_null(w, "from", ev->from);
    sl_jw_kslice_or_null(w, "to", ev->to);
    sl_jw_kslice_or_null(w, "request_uri", ev->request_uri);
    sl_jw_key(w, "start");
    sl_jw_time(w, ev->start);
    kms_or_null(w, "setup_ms", ev->start, ev->final, answered);
    kms_or_null(w, "final_ms", ev->start, ev->final, final_known);
    kms_or_null(w, "pdd_ms", ev->start, ev->first_18x, ev->first_18x != SL_DIALOG_NO_TIME);
    kms_or_null(w, "duration_ms", ev->final, ev->bye, completed);
    if (completed)
        sl_jw_kstr(w, "ended_by", ev->ended_by_caller ? "caller" : "callee");
    else
        sl_jw_knull(w, "ended_by");
    sl_jw_kuint(w, "messages", ev->messages);
    sl_jw_kuint(w, "retransmissions", ev->retransmissions);
    sl_jw_kuint(w, "early_dialogs", ev->early_dialogs);
    sl_jw_kslice_or_null(w, "to_tag", ev->to_tag);
    sl_jw_kuint(w, "reinvites", ev->reinvites);
    sl_jw_kuint(w, "auth_challenges", ev->auth_challenges);
    sl_jw_key(w, "challenge_codes");
    sl_jw_arr_begin(w);
    for (unsigned i = 0; i < ev->n_challenge_codes; i++)
        sl_jw_int(w, ev->challenge_codes[i]);
    sl_jw_arr_end(w);
    sl_jw_kbool(w, "ringing", ev->ringing);
    sl_jw_kbool(w, "early_media", ev->early_media);
    sl_jw_kuint(w, "leg", ev->leg);
    sl_jw_kuint(w, "attempt", ev->attempt);
    sl_jw_kstr(w, "closed", sl_dialog_close_name(ev->closed));
    if (ev->follows)
        write_follows(w, ev->follows);
}
