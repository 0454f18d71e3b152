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

/* end_reason: what the Reason header of the ending message said. */
static void write_end_reason(sl_jw *w, const sl_dialog_event *s)
{
    sl_jw_key(w, "end_reason");
    sl_jw_obj_begin(w);
    sl_jw_kstr(w, "protocol", sl_reason_protocol_name(s->end_protocol));
    if (s->end_has_cause) {
        sl_jw_kuint(w, "cause", s->end_cause);
        const char *name =
            s->end_protocol == SL_REASON_Q850 ? sl_q850_cause_name(s->end_cause) : NULL;
        if (name)
            sl_jw_kstr(w, "cause_name", name);
    }
    sl_jw_obj_end(w);
}

void sl_json_dialog(sl_jw *w, const sl_dialog_event *s, sl_media_memo *mm)
{
    bool completed = s->state == SL_DIALOG_COMPLETED;
    bool final_known = s->final != SL_DIALOG_NO_TIME;
    bool answered = final_known && s->final_status >= 200 && s->final_status < 300;
    sl_jw_kstr(w, "state", sl_dialog_state_name(s->state));
    if (s->final_status)
        sl_jw_kint(w, "status_code", s->final_status);
    else
        sl_jw_knull(w, "status_code");
    sl_jw_kslice_or_null(w, "from", s->from);
    sl_jw_kslice_or_null(w, "to", s->to);
    sl_jw_kslice_or_null(w, "request_uri", s->request_uri);
    sl_json_user(w, "from_user", s->from);
    sl_json_user(w, "to_user", s->to);
    sl_json_user(w, "ruri_user", s->request_uri);
    if (s->parties.v[SL_PARTY_FROM_DISPLAY].len)
        sl_jw_kslice(w, "from_display", s->parties.v[SL_PARTY_FROM_DISPLAY]);
    if (s->parties.v[SL_PARTY_TO_DISPLAY].len)
        sl_jw_kslice(w, "to_display", s->parties.v[SL_PARTY_TO_DISPLAY]);
    sl_json_party_details(w, &s->parties);
    sl_jw_key(w, "start");
    sl_jw_time(w, s->start);
    kms_or_null(w, "setup_ms", s->start, s->final, answered);
    kms_or_null(w, "final_ms", s->start, s->final, final_known);
    kms_or_null(w, "pdd_ms", s->start, s->first_18x, s->first_18x != SL_DIALOG_NO_TIME);
    kms_or_null(w, "duration_ms", s->final, s->bye, completed);
    if (completed)
        sl_jw_kstr(w, "ended_by", s->ended_by_caller ? "caller" : "callee");
    else
        sl_jw_knull(w, "ended_by");
    sl_jw_kuint(w, "messages", s->messages);
    sl_jw_kuint(w, "retransmissions", s->retransmissions);
    sl_jw_kuint(w, "early_dialogs", s->early_dialogs);
    sl_jw_kslice_or_null(w, "to_tag", s->to_tag);
    sl_jw_kuint(w, "reinvites", s->reinvites);
    sl_jw_kuint(w, "holds", s->holds);
    sl_jw_kuint(w, "auth_challenges", s->auth_challenges);
    sl_jw_key(w, "challenge_codes");
    sl_jw_arr_begin(w);
    for (unsigned i = 0; i < s->n_challenge_codes; i++)
        sl_jw_int(w, s->challenge_codes[i]);
    sl_jw_arr_end(w);
    sl_jw_kbool(w, "ringing", s->ringing);
    sl_jw_kbool(w, "early_media", s->early_media);
    sl_jw_kuint(w, "leg", s->leg);
    sl_jw_kuint(w, "attempt", s->attempt);
    sl_jw_kstr(w, "closed", sl_dialog_close_name(s->closed));
    if (s->has_end_reason)
        write_end_reason(w, s);
    if (s->follows)
        write_follows(w, s->follows);
    if (s->media)
        sl_json_dialog_media(w, mm, s->media);
}
