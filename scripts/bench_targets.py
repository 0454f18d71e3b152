"""The targets scripts/bench prints, met or missed, from its results (each
result: one contender on one case, with wall and CPU medians and ratios to
the bare libpcap loop of the same run)."""


def fmt_rate(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 1e3:
        return "%.0fk" % (x / 1e3)
    return "%.0f" % x


def find(results, case, contender):
    for r in results:
        if r["case"] == case and r["contender"] == contender and not r.get("skipped"):
            return r
    return None


def targets(results, extra):
    t = []

    def add(name, target, value, met):
        t.append({"target": name, "wanted": target, "measured": value,
                  "met": met if value is not None else None})

    bare1 = find(results, "udp ×1", "bare libpcap loop")
    d1 = find(results, "udp ×1", "sipsleuth (default events)")
    a1 = find(results, "udp ×1", "sipsleuth --events all")
    ts = find(results, "udp ×1", "tshark -T fields")
    if d1:
        add("default events, udp ×1: wall vs bare loop", "≤ 2.0×", "%.2f× (CPU %.1f×)" % (
            d1["wall_ratio"], d1["cpu_ratio"]), d1["wall_ratio"] <= 2.0)
    if d1 and ts:
        x = ts["wall"] / d1["wall"]
        add("default events, udp ×1: faster than tshark -T fields", "≥ 50×", "%.0f×" % x, x >= 50)
    else:
        add("default events, udp ×1: faster than tshark -T fields", "≥ 50×", None, None)
    if a1:
        add("--events all, udp ×1: wall vs bare loop", "≤ 4.0×", "%.2f× (CPU %.1f×)" % (
            a1["wall_ratio"], a1["cpu_ratio"]), a1["wall_ratio"] <= 4.0)
    tcp = find(results, "tcp", "sipsleuth (default events)")
    if tcp:
        add("SIP over TCP: messages/s (default events)", "≥ 1 000 000/s",
            fmt_rate(tcp["messages_per_s"]), tcp["messages_per_s"] >= 1e6)
    d4 = find(results, "udp ×4", "sipsleuth (default events)")
    if d1 and d4:
        g = d4["wall"] / d1["wall"]
        add("udp ×1 → ×4: time grows ×4 ± 10 %", "3.6–4.4×", "%.2f× (CPU %.2f×)" % (
            g, d4["cpu"] / d1["cpu"]), 3.6 <= g <= 4.4)
        rr = d4["rss"] / d1["rss"]
        add("udp ×1 → ×4: peak RSS within 10 %, under 64 MiB", "≤ 1.10×, < 64 MiB",
            "%.2f×, %.1f MiB" % (rr, d4["rss"] / 2 ** 20), rr <= 1.10 and d4["rss"] < 64 * 2 ** 20)
    trunk_targets(results, add, extra)
    v = extra.get("identity")
    if v and v.get("verifications_per_s"):
        add("distinct Identity verifications vs openssl speed ecdsap256 verify/s", "≥ 80 %",
            "%.0f %% (%s/s vs %s/s)" % (100 * v["ratio"], fmt_rate(v["verifications_per_s"]),
                                        fmt_rate(v["openssl_verify_per_s"])), v["ratio"] >= 0.8)
    else:
        add("distinct Identity verifications vs openssl speed ecdsap256 verify/s", "≥ 80 %",
            None, None)
    if v:
        add("repeated Identity values (extra legs) verified from the cache", "cache hits = repeats",
            "%d cache hits, %d signatures for %d distinct" % (v["extra_legs"], v["identities"],
                                                             v["identities"])
            if v["repeats_from_cache"] else "count check failed", v["repeats_from_cache"])
    return t


def paired(one, two):
    """The two-thread speed-up run by run (the contenders of a run follow each
    other): its median and best. On a VM whose two vCPUs are not always
    equally fast the ratio of medians mixes quiet and busy runs."""
    ratios = sorted(a / b for a, b in zip(one["walls"], two["walls"]))
    if not ratios:
        return "no runs"
    mid = ratios[len(ratios) // 2] if len(ratios) % 2 else \
        (ratios[len(ratios) // 2 - 1] + ratios[len(ratios) // 2]) / 2
    return "run by run: median %.2f×, best %.2f×" % (mid, ratios[-1])


def trunk_targets(results, add, extra):
    """Issue 21's targets on the busy trunk (perfgen seed 1)."""
    d = find(results, "trunk", "sipsleuth (default events)")
    a = find(results, "trunk", "sipsleuth --events all")
    if d:
        add("trunk: default events vs bare loop", "≤ 3.0×", "%.2f× (CPU %.1f×)" % (
            d["wall_ratio"], d["cpu_ratio"]), d["wall_ratio"] <= 3.0)
        add("trunk: peak RSS", "≤ 64 MiB", "%.1f MiB" % (d["rss"] / 2 ** 20),
            d["rss"] <= 64 * 2 ** 20)
    if a:
        add("trunk: --events all vs bare loop", "≤ 4.0×", "%.2f× (CPU %.1f×)" % (
            a["wall_ratio"], a["cpu_ratio"]), a["wall_ratio"] <= 4.0)
    n = find(results, "trunk", "sipsleuth --no-sdp")
    if d and n:
        x = d["wall"] / n["wall"]
        add("trunk: default events, SDP parsed vs --no-sdp", "≤ 1.10×", "%.2f× (CPU %.2f×)" % (
            x, d["cpu"] / n["cpu"]), x <= 1.10)
    r = find(results, "trunk + rtp", "sipsleuth (default events)")
    if r:
        add("trunk + RTP (≥ 20 RTP a SIP message): default events vs bare loop", "≤ 1.5×",
            "%.2f× (CPU %.1f×)" % (r["wall_ratio"], r["cpu_ratio"]), r["wall_ratio"] <= 1.5)
    w = find(results, "trunk", "sipsleuth --workers 2")
    if d and w:
        x = d["wall"] / w["wall"]
        same = extra.get("workers_same", {}).get("trunk")
        add("trunk: --workers 2 vs 1, throughput (output identical)", "≥ 1.7×",
            "%.2f× (CPU %.2f×; %s), output %s" % (
                x, w["cpu"] / d["cpu"], paired(d, w), "identical" if same else "DIFFERENT"),
            x >= 1.7 and bool(same))
    t = find(results, "trunk tcp", "sipsleuth (default events)")
    if t:
        add("trunk over TCP: SIP messages/s", "≥ 1 000 000/s", fmt_rate(t["messages_per_s"]),
            t["messages_per_s"] >= 1e6)
    t2 = find(results, "trunk tcp", "sipsleuth --workers 2")
    if t2:
        best = t2["sip_messages"] / min(t2["walls"])
        add("trunk over TCP, --workers 2: SIP messages/s", "≥ 1 000 000/s",
            "%s (best run %s)" % (fmt_rate(t2["messages_per_s"]), fmt_rate(best)),
            t2["messages_per_s"] >= 1e6)
