-- A HEP v1/v2/v3 dissector for tshark 4.0, which has none: the reference
-- counts of test_tshark_counts.py on HEP captures. Written from the HEP spec
-- (sipcapture.org HEP3 Network Protocol Specification) apart from sipsleuth's
-- C parser: it finds the payload and protocol type and hands a SIP payload
-- to tshark's own SIP dissector, which does the counting. Over TCP, tshark's
-- own reassembly (dissect_tcp_pdus) cuts the stream into HEP3 packets by
-- their length field: on port 9060, and on any port by a heuristic that
-- takes a conversation whose segment starts with "HEP3" (or its first bytes).
--   tshark -X lua_script:tests/integration/hep.lua -r samples/hep3.pcap -Y sip
local hep = Proto("heptest", "HEP (test dissector)")
local sip = Dissector.get("sip")

local function v3(tvb, pinfo, tree)
    local total = tvb(4, 2):uint()
    if total > tvb:len() then return 0 end
    local off, ptype, payload = 6, nil, nil
    while off + 6 <= total do
        local vendor, ctype, clen = tvb(off, 2):uint(), tvb(off + 2, 2):uint(), tvb(off + 4, 2):uint()
        if clen < 6 or off + clen > total then return 0 end
        if vendor == 0 and ctype == 11 and clen == 7 then ptype = tvb(off + 6, 1):uint() end
        if vendor == 0 and ctype == 15 and clen > 6 then payload = tvb(off + 6, clen - 6):tvb() end
        off = off + clen
    end
    if ptype == 1 and payload then sip:call(payload, pinfo, tree) end
    return tvb:len()
end

function hep.dissector(tvb, pinfo, tree)
    pinfo.cols.protocol = "HEP"
    if tvb:len() >= 6 and tvb(0, 4):string() == "HEP3" then return v3(tvb, pinfo, tree) end
    if tvb:len() < 4 then return 0 end
    local version, hlen = tvb(0, 1):uint(), tvb(1, 1):uint()
    -- HEPv1/v2: header length covers the fixed part; SIP follows it
    if (version == 1 or version == 2) and hlen < tvb:len() then
        sip:call(tvb(hlen):tvb(), pinfo, tree)
        return tvb:len()
    end
    return 0
end

DissectorTable.get("udp.port"):add(9060, hep)

local hep_tcp = Proto("heptcp", "HEP over TCP (test dissector)")

local function pdu_len(tvb, pinfo, offset)
    return tvb(offset + 4, 2):uint()
end

local function pdu(tvb, pinfo, tree)
    return v3(tvb, pinfo, tree)
end

function hep_tcp.dissector(tvb, pinfo, tree)
    pinfo.cols.protocol = "HEP"
    dissect_tcp_pdus(tvb, tree, 6, pdu_len, pdu)
    return tvb:len()
end

-- A segment that starts with "HEP3", or with the start of it (the rest
-- comes in the next segment)
local function heuristic(tvb, pinfo, tree)
    local n = math.min(tvb:len(), 4)
    if n == 0 or tvb(0, n):string() ~= string.sub("HEP3", 1, n) then return false end
    pinfo.conversation = hep_tcp
    if tvb:len() < 6 then
        pinfo.desegment_offset = 0
        pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
        return true
    end
    hep_tcp.dissector(tvb, pinfo, tree)
    return true
end

DissectorTable.get("tcp.port"):add(9060, hep_tcp)
hep_tcp:register_heuristic("tcp", heuristic)
