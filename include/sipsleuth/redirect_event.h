/* The `redirect` event (one per 3xx final response) and the `route` event
 * (a change of the learned routing table, or a request still sent to a moved
 * URI). */
#ifndef SIPSLEUTH_REDIRECT_EVENT_H
#define SIPSLEUTH_REDIRECT_EVENT_H

#include "sipsleuth/event.h"
#include "sipsleuth/routes.h"

typedef struct sl_redirect_contact {
    sl_slice uri;    /* as written */
    double q;        /* < 0: none or invalid */
    int64_t expires; /* < 0: none */
} sl_redirect_contact;

typedef struct sl_redirect_event {
    sl_event head;
    int status_code;
    sl_slice reason;
    sl_slice request_uri; /* of the redirected request, or the To URI without it */
    bool request_uri_from_request;
    const sl_redirect_contact *contacts;
    size_t n_contacts;
    bool contacts_truncated; /* more Contacts than listed */
    const char *server_ip;   /* "" when unknown */
} sl_redirect_event;

typedef struct sl_route_event {
    sl_event head;
    sl_route_action action;
    const sl_route *route;
    const char *target;                  /* where the URI goes (a stale use: chains followed) */
    const char *previous;                /* changed: the former target; else NULL */
    const sl_route_resolution *resolved; /* NULL: not resolved */
    bool with_path;                      /* a loop: list the path */
    bool has_method;
    sl_slice method; /* a stale use: the request's */
} sl_route_event;

#endif
