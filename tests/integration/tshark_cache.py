"""tshark's output on a capture, run once per suite.

The release and the sanitizer passes of the suite ask tshark the same
questions about the same files; its answers depend only on the arguments,
the files and tshark itself, so they are kept in build-tshark-cache/ under a
key of all three (each file named in the arguments by path, size and mtime).
A run that fails is not kept."""
import hashlib
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, "build-tshark-cache")
_version = None


def tshark_version():
    global _version
    if _version is None:
        if not shutil.which("tshark"):
            raise RuntimeError("tshark is not installed: run scripts/setup")
        _version = subprocess.run(["tshark", "--version"], capture_output=True,
                                  check=True).stdout.split(b"\n", 1)[0]
    return _version


def _key(args):
    h = hashlib.sha256(tshark_version())
    for a in args:
        h.update(b"\0" + a.encode(errors="surrogateescape"))
        # a file named by an argument (-r FILE, lua_script:FILE, tls.keylog_file:FILE)
        path = a.split(":", 1)[1] if ":" in a and not os.path.exists(a) else a
        if os.path.isfile(path):
            st = os.stat(path)
            h.update(b"|%d|%d" % (st.st_size, st.st_mtime_ns))
    return h.hexdigest()


def tshark(args, timeout=600):
    """stdout (bytes) of `tshark ARGS`; raises CalledProcessError when it fails."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, _key(args))
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    out = subprocess.run(["tshark", *args], capture_output=True, check=True,
                         timeout=timeout).stdout
    tmp = "%s.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)
    return out
