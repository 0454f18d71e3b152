#!/usr/bin/env python3
"""`cmake --install` puts the program, its man page, the event reference and
the sensor's systemd unit and logrotate file where README ("Install") says,
the unit runs the installed program, and the man page documents every option
`sipsleuth --help` lists.

usage: test_install.py PATH/TO/sipsleuth   (the binary of a configured build)
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import report  # noqa: E402

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)


def main():
    binary = os.path.abspath(sys.argv[1])
    build = os.path.dirname(binary)
    with tempfile.TemporaryDirectory() as prefix:
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                           capture_output=True, text=True)
        check(r.returncode == 0, "cmake --install exits 0 %s" % r.stderr[-500:])
        where = {
            "program": "bin/sipsleuth",
            "man page": "share/man/man1/sipsleuth.1",
            "event reference": "share/doc/sipsleuth/events.md",
            "event schema": "share/doc/sipsleuth/events.schema.json",
            "sensor guide": "share/doc/sipsleuth/live.md",
            "summary reference": "share/doc/sipsleuth/summary.md",
            "summary schema": "share/doc/sipsleuth/summary.schema.json",
            "systemd unit": "lib/systemd/system/sipsleuth.service",
            "logrotate file": "etc/logrotate.d/sipsleuth",
        }
        for what, rel in where.items():
            check(os.path.isfile(os.path.join(prefix, rel)), "%s at PREFIX/%s" % (what, rel))
        prog = os.path.join(prefix, "bin", "sipsleuth")
        r = subprocess.run([prog, "--version"], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.startswith("sipsleuth "), "the installed program runs")
        with open(os.path.join(prefix, where["systemd unit"])) as f:
            unit = f.read()
        check("ExecStart=%s " % prog in unit and
              "file://%s/share/doc/sipsleuth/live.md" % prefix in unit,
              "the unit runs the installed program and points at the installed guide")
        with open(os.path.join(prefix, where["man page"])) as f:
            man = f.read().replace("\\-", "-")
    helptext = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    options = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+|-[a-zA-Z])\b", helptext)))
    missing = [o for o in options if not re.search(r"(?<![\w-])%s\b" % re.escape(o), man)]
    check(len(options) > 30 and not missing,
          "the man page documents the %d options of --help %s" % (len(options), missing))
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
