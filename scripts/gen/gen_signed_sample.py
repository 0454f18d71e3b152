#!/usr/bin/env python3
"""The signed-call sample a newcomer meets first: samples/identity-438.pcap,
with the certificate it was signed with (samples/identity-sp.pem) and its CA
(samples/identity-ca.pem), so that the README shows a 438 explained out of
the box. Made once and committed (the keys are random, so each run differs;
the ground truth does not): scripts/gen/gen_signed_sample.py

A SHAKEN-signed INVITE (secsipidx, attestation A) from 10.0.1.1 reaches the
proxy 10.0.6.2, which forwards it to 198.51.100.1 with the calling number
rewritten; the verifier there answers 438 and the proxy relays the 438 back.
Ground truth in samples/identity-438.json.
"""
import email.utils
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_identity as gi  # noqa: E402
import pcapgen as pg  # noqa: E402

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
CALL_ID = "signed-438@a.example"
REWRITTEN = "12155550000"


def main():
    with tempfile.TemporaryDirectory() as d:
        gi.make_certs(d)
        now = int(time.time())
        date = email.utils.formatdate(now, usegmt=True)
        token = gi.secsipidx_sign(d, "good.key", now) + gi.params()
        w = pg.Writer(os.path.join(SAMPLES, "identity-438.pcap"))
        t = now * 10**9
        a, p, b = gi.LEG_A, gi.LEG_P, gi.LEG_B
        w.write(t, pg.udp_frame(gi.invite(CALL_ID, a, p, date, [token], branch="leg1"), a, p))
        w.write(t + 10**8, pg.udp_frame(gi.invite(CALL_ID, p, b, date, [token], orig=REWRITTEN,
                                                  branch="leg2"), p, b))
        w.write(t + 2 * 10**8, pg.udp_frame(
            gi.response(438, CALL_ID, p, orig=REWRITTEN, branch="leg2"), b, p))
        w.write(t + 3 * 10**8, pg.udp_frame(gi.response(438, CALL_ID, a, branch="leg1"), p, a))
        w.close()
        shutil.copy(os.path.join(d, "good.pem"), os.path.join(SAMPLES, "identity-sp.pem"))
        shutil.copy(os.path.join(d, "ca.pem"), os.path.join(SAMPLES, "identity-ca.pem"))
    truth = {"call_id": CALL_ID, "x5u": gi.URL["good"],
             "identity": [{"src_ip": a, "verdict": "valid", "reasons": []},
                          {"src_ip": p, "verdict": "invalid", "reasons": ["orig_mismatch"]}],
             "rejections": [{"src_ip": b, "status_code": 438, "cause": "orig_mismatch",
                             "modified_by": p},
                            {"src_ip": p, "status_code": 438, "cause": "orig_mismatch",
                             "modified_by": p}],
             "signed_orig_tn": gi.ORIG, "seen_from_tn": REWRITTEN}
    with open(os.path.join(SAMPLES, "identity-438.json"), "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
