-- A HEP v1/v2/v3 dissector for tshark 4.0, which has none: the reference
-- counts of test_tshark_counts.py on HEP captures. Written from the HEP spec
-- (sipcapture.org HEP3 Network Protocol Specification) apart from sipsleuth's
-- C parser: it finds the payload and protocol type and hands a SIP payload
-- to tshark's own SIP dissector, which does the counting.
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
