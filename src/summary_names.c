/* --summary: the words for the numbers (status phrases, identity causes). */
#include "sipsleuth/summary.h"

static const struct {
    int code;
    const char *reason;
} reasons[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {199, "Early Dialog Terminated"},
    {200, "OK"},
    {202, "Accepted"},
    {204, "No Notification"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {417, "Unknown Resource-Priority"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},
    {428, "Use Identity Header"},
    {429, "Provide Referrer Identity"},
    {430, "Flow Failed"},
    {433, "Anonymity Disallowed"},
    {436, "Bad Identity Info"},
    {437, "Unsupported Credential"},
    {438, "Invalid Identity Header"},
    {439, "First Hop Lacks Outbound Support"},
    {440, "Max-Breadth Exceeded"},
    {470, "Consent Needed"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {494, "Security Agreement Required"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {580, "Precondition Failure"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
    {607, "Unwanted"},
    {608, "Rejected"},
};

const char *sl_summary_status_phrase(int code)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].code == code)
            return reasons[i].reason;
    return "";
}

/* One line a person can act on, for a rejection cause (the events carry the
 * specific sentence for each call). */
const char *sl_summary_cause_meaning(int cause)
{
    switch (cause) {
    case SL_IDR_MALFORMED: return "the Identity header or its PASSporT does not parse";
    case SL_IDR_SIGNATURE_INVALID: return "the signature does not verify: signed data changed";
    case SL_IDR_ORIG_MISMATCH: return "the calling number differs from the one signed";
    case SL_IDR_DEST_MISMATCH: return "the called number differs from the one signed";
    case SL_IDR_IAT_STALE: return "signed too long before the call arrived (iat)";
    case SL_IDR_ALG_MISMATCH: return "the header's alg differs from the PASSporT's";
    case SL_IDR_PPT_MISMATCH: return "the header's ppt differs from the PASSporT's";
    case SL_IDR_CERT_UNAVAILABLE: return "the signing certificate could not be had";
    case SL_IDR_CERT_UNTRUSTED: return "the certificate does not chain to a trust anchor";
    case SL_IDR_CERT_EXPIRED: return "the certificate was not valid at signing time";
    case SL_ID_CAUSE_MISSING: return "the request carried no Identity header";
    case SL_ID_CAUSE_NO_FAULT: return "re-verification found nothing wrong";
    default: return "the request was not captured: cannot re-verify";
    }
}

const char *sl_summary_cause_name(int cause)
{
    switch (cause) {
    case SL_ID_CAUSE_MISSING: return "identity_missing";
    case SL_ID_CAUSE_NO_FAULT: return "no_fault_found";
    case SL_ID_CAUSE_NOT_CAPTURED: return "(unknown)";
    default: return sl_id_reason_name((sl_id_reason)cause);
    }
}
