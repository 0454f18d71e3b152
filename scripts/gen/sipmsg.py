"""Builds SIP message text for generated captures."""


def message(start_line, headers, body=b"", content_length=True):
    """headers: list of (name, value) or raw lines (bytes) used as they are."""
    if isinstance(body, str):
        body = body.encode()
    out = start_line.encode() + b"\r\n"
    for h in headers:
        if isinstance(h, bytes):
            out += h + b"\r\n"
        else:
            name, value = h
            out += name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()) + b"\r\n"
    if content_length:
        out += b"Content-Length: %d\r\n" % len(body)
    return out + b"\r\n" + body


def sdp(ip, port=4000):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n" % (ip, ip, port))


class Dialog:
    """Requests and responses of one call between a caller and a callee."""

    def __init__(self, call_id, caller, callee, caller_host, callee_host, from_tag="ft1",
                 transport="UDP"):
        self.call_id, self.caller, self.callee = call_id, caller, callee
        self.caller_host, self.callee_host = caller_host, callee_host
        self.from_tag, self.transport = from_tag, transport
        self.to_tag = None

    def request(self, method, cseq, branch, body=b"", extra=(), uri=None, from_callee=False,
                cseq_method=None):
        uri = uri or (self.caller if from_callee else self.callee)
        via_host = self.callee_host if from_callee else self.caller_host
        frm, to = ("<%s>;tag=%s" % (self.caller, self.from_tag),
                   "<%s>" % self.callee + (";tag=%s" % self.to_tag if self.to_tag else ""))
        if from_callee:
            frm, to = ("<%s>;tag=%s" % (self.callee, self.to_tag),
                       "<%s>;tag=%s" % (self.caller, self.from_tag))
        hdrs = [("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s" % (self.transport, via_host, branch)),
                ("Max-Forwards", "70"), ("From", frm), ("To", to), ("Call-ID", self.call_id),
                ("CSeq", "%d %s" % (cseq, cseq_method or method)),
                ("Contact", "<sip:%s>" % via_host), ("User-Agent", "pcapgen/1.0")]
        hdrs += list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        return message("%s %s SIP/2.0" % (method, uri), hdrs, body)

    def response(self, code, reason, method, cseq, branch, body=b"", extra=(), to_tag=True,
                 from_callee_request=False):
        via_host = self.callee_host if from_callee_request else self.caller_host
        frm = "<%s>;tag=%s" % (self.caller, self.from_tag)
        to = "<%s>" % self.callee + (";tag=%s" % self.to_tag if (to_tag and self.to_tag) else "")
        if from_callee_request:
            frm, to = ("<%s>;tag=%s" % (self.callee, self.to_tag),
                       "<%s>;tag=%s" % (self.caller, self.from_tag))
        hdrs = [("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s" % (self.transport, via_host, branch)),
                ("From", frm), ("To", to), ("Call-ID", self.call_id),
                ("CSeq", "%d %s" % (cseq, method))]
        if 200 <= code < 300 or 180 <= code < 190:
            hdrs.append(("Contact", "<sip:%s>" % self.callee_host))
        hdrs += list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        return message("SIP/2.0 %d %s" % (code, reason), hdrs, body)
