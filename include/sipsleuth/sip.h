/* The SIP message dissector: bytes in, a zero-copy view out.
 *
 * Nothing is allocated: the caller provides the header array; every field is
 * a slice into the input buffer. Header values keep folded lines (CRLF + WSP)
 * as they arrived; sl_sip_unfold() copies a value with each fold read as a
 * single space. */
#ifndef SIPSLEUTH_SIP_H
#define SIPSLEUTH_SIP_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/slice.h"
#include "sipsleuth/status.h"

/* Headers the analyzers look up by id. Compact forms map to the same id. */
typedef enum sl_sip_hdr_id {
    SL_HDR_OTHER = 0,
    SL_HDR_VIA,     /* v */
    SL_HDR_FROM,    /* f */
    SL_HDR_TO,      /* t */
    SL_HDR_CALL_ID, /* i */
    SL_HDR_CSEQ,
    SL_HDR_CONTACT,             /* m */
    SL_HDR_CONTENT_LENGTH,      /* l */
    SL_HDR_CONTENT_TYPE,        /* c */
    SL_HDR_SUPPORTED,           /* k */
    SL_HDR_SUBJECT,             /* s */
    SL_HDR_CONTENT_ENCODING,    /* e */
    SL_HDR_EVENT,               /* o */
    SL_HDR_REFER_TO,            /* r */
    SL_HDR_ALLOW_EVENTS,        /* u */
    SL_HDR_IDENTITY,            /* y */
    SL_HDR_IDENTITY_INFO,       /* n */
    SL_HDR_REFERRED_BY,         /* b */
    SL_HDR_SESSION_EXPIRES,     /* x */
    SL_HDR_ACCEPT_CONTACT,      /* a */
    SL_HDR_REJECT_CONTACT,      /* j */
    SL_HDR_REQUEST_DISPOSITION, /* d */
    SL_HDR_USER_AGENT,
    SL_HDR_SERVER,
    SL_HDR_EXPIRES,
    SL_HDR_DATE,
    SL_HDR_P_ASSERTED_IDENTITY,
    SL_HDR_REASON,
    SL_HDR_MAX_FORWARDS,
    SL_HDR_ROUTE,
    SL_HDR_RECORD_ROUTE,
    SL_HDR__COUNT
} sl_sip_hdr_id;

typedef struct sl_sip_header {
    sl_slice name;  /* as written (may be a compact form) */
    sl_slice value; /* leading/trailing whitespace trimmed; may contain folds */
    sl_sip_hdr_id id;
} sl_sip_header;

/* Findings that do not stop the parse; each but SL_SIP_F_BARE_LF is also
 * reported as an anomaly of the kind sl_sip_flag_kind() names. */
enum {
    SL_SIP_F_HEADERS_DROPPED = 1u << 0,    /* more headers than the caller's array */
    SL_SIP_F_NO_CONTENT_LENGTH = 1u << 1,  /* none given (allowed on UDP) */
    SL_SIP_F_BAD_CONTENT_LENGTH = 1u << 2, /* not a number, negative, or huge */
    SL_SIP_F_BODY_SHORT = 1u << 3,         /* datagram ends before Content-Length bytes */
    SL_SIP_F_NO_BLANK_LINE = 1u << 4,      /* datagram ends inside the headers */
    SL_SIP_F_HEADER_NO_COLON = 1u << 5,    /* a header line without ':' (skipped) */
    SL_SIP_F_DUP_CONTENT_LENGTH = 1u << 6, /* Content-Length given twice, differently */
    SL_SIP_F_BARE_LF = 1u << 7,            /* lines end in LF without CR (accepted) */
    SL_SIP_F_LONE_CR = 1u << 8,            /* the start line ends in a CR without LF (accepted) */
    SL_SIP_N_FLAGS = 9
};

typedef struct sl_sip_msg {
    bool is_request;
    /* request line */
    sl_slice method;
    sl_slice request_uri;
    /* status line */
    int status_code;
    sl_slice reason;
    sl_slice version; /* "SIP/2.0" */

    sl_sip_header *headers; /* caller's array ... */
    size_t max_headers;     /* ... and its capacity */
    size_t n_headers;       /* stored */
    size_t n_headers_seen;  /* counted, including those dropped for lack of room */
    /* index+1 into headers of the first occurrence of each id; 0 = absent */
    uint16_t first[SL_HDR__COUNT];
    /* bit id set: a header with that id is stored after its first one */
    uint32_t repeated;

    bool has_content_length;
    uint64_t content_length;
    sl_slice body;
    size_t length;  /* bytes of the input this message occupies (start line to body end) */
    uint32_t flags; /* SL_SIP_F_* */
    /* per flag bit: where its first finding is (sl_sip_flag_offset) */
    size_t flag_offsets[SL_SIP_N_FLAGS];
    /* The start line ended in a line end (false only for a datagram that is
     * one unended line). When true, a message that parsed is also one that
     * sl_sip_probe() accepts: the caller need not probe it first. */
    bool start_line_ended;
} sl_sip_msg;

/* Cheap check of the start of a buffer: does it begin like a SIP message?
 * SL_OK: yes. SL_PARTIAL: a prefix of a SIP start line, too short to say.
 * SL_INVALID: not SIP. Looks at the first line only. */
sl_status sl_sip_probe(const uint8_t *buf, size_t len);

typedef enum sl_sip_framing {
    SL_SIP_DATAGRAM, /* the buffer holds the whole message (UDP): its end ends it */
    SL_SIP_STREAM,   /* more may follow (TCP): Content-Length frames the message */
} sl_sip_framing;

/* Parses one message at the start of buf. msg->headers and msg->max_headers
 * must be set by the caller. Leading CRLFs (keep-alives) are not skipped:
 * see sl_sip_skip_keepalive().
 * SL_OK: msg filled, msg->length bytes consumed.
 * SL_PARTIAL (stream only): more bytes needed.
 * SL_INVALID: not a well-formed SIP message; `an` says where. */
sl_status sl_sip_parse(const uint8_t *buf, size_t len, sl_sip_framing framing, sl_sip_msg *msg,
                       sl_anomaly *an);

/* The msg->length bytes of a parsed message were copied from `from` to `to`:
 * points every slice of msg into the copy, and its kept headers, copied into
 * `headers` (room for msg->n_headers), there too. */
void sl_sip_msg_move(sl_sip_msg *msg, sl_sip_header *headers, const uint8_t *from,
                     const uint8_t *to);

/* Number of leading CR/LF bytes (RFC 5626 keep-alives) at the start of buf. */
size_t sl_sip_skip_keepalive(const uint8_t *buf, size_t len);

/* The offset in the message of one SL_SIP_F_* bit's first finding: the line
 * or value at fault, where the headers end (no Content-Length) or where the
 * datagram ends (body short, no blank line). */
size_t sl_sip_flag_offset(const sl_sip_msg *msg, uint32_t flag);
/* The anomaly kind of one SL_SIP_F_* bit, e.g. SL_ANOM_SIP_BODY_SHORT;
 * SL_ANOM_NONE for SL_SIP_F_BARE_LF, which is not reported. */
sl_anomaly_kind sl_sip_flag_kind(uint32_t flag);

/* Maps a header name (full or compact, any case) to its id. */
sl_sip_hdr_id sl_sip_header_id(sl_slice name);
/* The value of the first Call-ID (or i) header line of text that may not
 * parse as a message (one the snap length cut), or empty. */
sl_slice sl_sip_find_call_id(const uint8_t *data, size_t len);

/* The first header with this id, or NULL. Inline: a few calls a message. */
static inline const sl_sip_header *sl_sip_find(const sl_sip_msg *msg, sl_sip_hdr_id id)
{
    if ((unsigned)id >= SL_HDR__COUNT || !msg->headers)
        return NULL;
    size_t idx = msg->first[id];
    if (idx == 0 || idx > msg->n_headers)
        return NULL;
    return &msg->headers[idx - 1];
}
/* The next header with the same id after `prev`, or NULL. */
const sl_sip_header *sl_sip_find_next(const sl_sip_msg *msg, const sl_sip_header *prev);

/* Splits a comma-separated header value (Via, Contact, ...), respecting
 * quoted strings and <...>. Call with *rest = the value; each call stores the
 * next element (trimmed) in *elem and returns false when none is left. */
bool sl_sip_next_element(sl_slice *rest, sl_slice *elem);

/* Copies at most cap bytes of a value with each fold (CRLF/LF + WSP run)
 * replaced by one space; returns the length written. For output only. */
size_t sl_sip_unfold(sl_slice value, uint8_t *out, size_t cap);

/* ---- name-addr / addr-spec (From, To, Contact, P-Asserted-Identity) ---- */

typedef struct sl_sip_nameaddr {
    sl_slice display; /* without quotes; may be empty */
    sl_slice uri;     /* the URI, without <> */
    sl_slice params;  /* everything after the URI (";tag=...;expires=..."), may be empty */
    bool star;        /* Contact: * */
} sl_sip_nameaddr;

/* Parses one element: `"Alice" <sip:a@b;x>;tag=1`, `<sip:a@b>`, `sip:a@b;tag=1`.
 * For a bare addr-spec, ';' starts the header parameters (RFC 3261 20.10). */
sl_status sl_sip_nameaddr_parse(sl_slice elem, sl_sip_nameaddr *out);

/* Finds parameter `name` (case-insensitive) in a ";a=1;b;c=2" list. A
 * parameter without '=' yields an empty value. */
bool sl_sip_param_get_n(sl_slice params, const char *name, size_t name_len, sl_slice *value);
/* The value of the parameter whose '=' ends at params.ptr[vs - 1]: from vs
 * to the next ';' outside a quoted string, trimmed. */
void sl_sip_param_value_from(sl_slice params, size_t vs, sl_slice *value);
/* The same for a NUL-terminated name; inline so that the length of a literal
 * is a constant, not a strlen per call, and so that the usual first
 * parameter written as asked (";tag=") is recognised without a call. */
static inline bool sl_sip_param_get(sl_slice params, const char *name, sl_slice *value)
{
    size_t wl = strlen(name);
    if (wl && !sl_is_lws((uint8_t)name[0]) && params.len >= wl + 2 && params.ptr[0] == ';' &&
        params.ptr[wl + 1] == '=' && memcmp(params.ptr + 1, name, wl) == 0) {
        sl_sip_param_value_from(params, wl + 2, value);
        return true;
    }
    return sl_sip_param_get_n(params, name, wl, value);
}

/* ---- CSeq ---- */
typedef struct sl_sip_cseq {
    uint32_t number;
    sl_slice method;
} sl_sip_cseq;
sl_status sl_sip_cseq_parse(sl_slice value, sl_sip_cseq *out);

/* ---- URIs: sip:, sips:, tel: ---- */
typedef enum sl_uri_scheme { SL_URI_OTHER, SL_URI_SIP, SL_URI_SIPS, SL_URI_TEL } sl_uri_scheme;

typedef struct sl_sip_uri {
    sl_uri_scheme scheme;
    sl_slice scheme_text;
    sl_slice user; /* sip/sips user part, or the tel number */
    sl_slice password;
    sl_slice host;    /* IPv6 references keep their brackets */
    int port;         /* -1 when absent */
    sl_slice params;  /* ";transport=udp;lr", may be empty */
    sl_slice headers; /* "?subject=..", without the '?' */
} sl_sip_uri;

sl_status sl_sip_uri_parse(sl_slice text, sl_sip_uri *out);

#endif
