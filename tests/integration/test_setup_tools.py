#!/usr/bin/env python3
"""Every program a script or test runs is installed by scripts/setup (issue 17:
scripts/fuzz ran /usr/bin/time, which a fresh Debian 12 lacks, and every fuzzer
"failed (exit 127)").

The programs are found in the text of the scripts (scripts/, scripts/gen/,
scripts/clickhouse/, tests/integration/, .ci/): in shell scripts the word in
command position after a line start, |, ;, &&, ||, $( , then, do, exec...; in
Python the first element of a subprocess argument list and the names passed to
shutil.which, find_tool and prerequisites; absolute /usr/bin, /usr/sbin, /bin,
/sbin paths anywhere; and the modules Python files import. Each one that
resolves on this machine (which has run scripts/setup) must come from a Debian
package that a fresh minimal Debian has (Essential or Priority: required), that
`scripts/setup --list` names, or that one of those depends on. A word that does
not resolve is not a program (a shell function, awk text): a program that a
script needs and is missing here fails that script's own test.
usage: test_setup_tools.py [PATH-TO-SIPSLEUTH]   (the binary is not used)"""
import ast
import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, report  # noqa: E402

BIN_DIRS = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHELL_WORDS = set("""
    if then else elif fi case esac for while until do done in function select time
    break continue return exit export local readonly declare typeset set unset shift
    source . eval exec trap wait cd pwd echo printf read test [ [[ ] ]] true false
    mapfile readarray command type hash builtin let getopts umask ulimit kill jobs
    alias unalias shopt pushd popd dirs disown suspend enable help history
""".split())


def scripts():
    """(path, kind) of every script: kind "sh" or "py"."""
    out = []
    dirs = ["scripts", "scripts/gen", "scripts/clickhouse", "tests/integration", ".ci"]
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(ROOT, d, "*"))):
            if not os.path.isfile(path):
                continue
            with open(path, errors="replace") as f:
                first = f.readline()
            if path.endswith(".py") or (first.startswith("#!") and "python" in first):
                out.append((path, "py"))
            elif first.startswith("#!") and re.search(r"\b(ba)?sh\b", first):
                out.append((path, "sh"))
    return out


SEP = re.compile(r"\|\||&&|[|;&`(]|\$\(|\b(?:then|do|else|elif|exec|xargs(?:\s+-\S+)*|"
                 r"env(?:\s+-\S+|\s+\w+=\S*)*|sudo|\$sudo|!|time(?:\s+-\S+)*)\s")


def shell_commands(text):
    words = set()
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line)
        for part in [line] + [line[m.end():] for m in SEP.finditer(line)]:
            m = re.match(r"\s*(?:\w+=\S*\s+)*([A-Za-z0-9_./+-]+)(?=\s|$|;|\))", part)
            if m and not m.group(1).startswith(("-", ".")) and not m.group(1).isdigit():
                words.add(m.group(1))
    return words


def python_commands(text):
    words = set()
    for m in re.finditer(r"(?:run|Popen|check_output|check_call|call|execv|execvp)\(\s*\[\s*"
                         r"\"([^\"]+)\"", text):
        words.add(m.group(1))
    for m in re.finditer(r"(?:which|find_tool)\(\s*\"([^\"]+)\"", text):
        words.add(m.group(1))
    for m in re.finditer(r"prerequisites\(\s*\[([^\]]*)\]", text):
        words.update(re.findall(r"\"([^\"]+)\"", m.group(1)))
    return words


def python_modules(text):
    mods = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            mods.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module.split(".")[0])
    return mods


def absolute_paths(text):
    return set(re.findall(r"(?<![\w./-])(/(?:usr/)?s?bin/[A-Za-z0-9_.+-]+)", text))


def owners(paths):
    """{path: the Debian package that installed it} (one dpkg-query for all:
    each call reads the whole database). /usr-merged paths are looked up under
    both names."""
    cands = {}
    for path in paths:
        for p in (path, os.path.realpath(path)):
            alts = [p]
            for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
                if p.startswith(a):
                    alts.append(b + p[len(a):])
                elif p.startswith(b):
                    alts.append(a + p[len(b):])
            for q in alts:
                cands.setdefault(q, path)
    r = subprocess.run(["dpkg-query", "-S"] + sorted(cands), capture_output=True, text=True)
    found = {}
    for line in r.stdout.splitlines():
        if line.startswith("diversion "):
            continue
        pkgs, _, p = line.partition(": ")
        if p in cands:
            found.setdefault(cands[p], pkgs.split(",")[0].strip().split(":")[0])
    return found


def allowed_packages(listed):
    """Installed packages a fresh minimal Debian plus scripts/setup gives:
    Essential and Priority: required ones, the listed ones, and everything
    they depend on."""
    fmt = "${Package}\t${Essential}\t${Priority}\t${Depends}, ${Pre-Depends}\t${Provides}\t" \
          "${db:Status-Abbrev}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f=" + fmt], capture_output=True, text=True,
                         check=True).stdout
    deps, provides, roots = {}, {}, set(listed)
    for line in out.splitlines():
        name, essential, prio, dep, prov, status = (line.split("\t") + [""] * 6)[:6]
        if not status.startswith("ii"):
            continue
        deps[name] = [n for n in re.split(r"[,|]", dep) if n.strip()]
        for v in prov.split(","):
            if v.strip():
                provides.setdefault(v.split("(")[0].strip(), []).append(name)
        if essential == "yes" or prio == "required":
            roots.add(name)
    seen, todo = set(), [r for r in roots if r in deps]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for d in deps[p]:
            d = d.split("(")[0].strip().split(":")[0]
            for q in [d] + provides.get(d, []):
                if q in deps and q not in seen:
                    todo.append(q)
    return seen


FIND_MODULES = """
import importlib.util, sys
for m in sys.argv[1:]:
    s = importlib.util.find_spec(m)
    if s is None:
        print(m + "\\tmissing")
    elif s.origin in ("built-in", "frozen") or m in sys.builtin_module_names:
        print(m + "\\tbuiltin")
    else:
        print(m + "\\t" + (s.origin or list(s.submodule_search_locations)[0]))
"""


def main():
    checks = []

    def check(name, cond, detail=""):
        checks.append(bool(cond))
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ":\n" + str(detail)))

    listed = subprocess.run([os.path.join(ROOT, "scripts", "setup"), "--list"],
                            capture_output=True, text=True, check=True).stdout.split()
    check("scripts/setup --list names packages (%d)" % len(listed), len(listed) > 10, listed)
    # Its own dependencies (apt-get, dpkg-query, debconf-set-selections) are on a fresh system.
    allowed = allowed_packages(listed)
    not_installed = [p for p in listed if p not in allowed]
    check("every package scripts/setup names is installed", not not_installed,
          "%s: run scripts/setup" % not_installed)

    programs = {}  # name or path -> scripts using it
    modules = {}
    for path, kind in scripts():
        with open(path, errors="replace") as f:
            text = f.read()
        rel = os.path.relpath(path, ROOT)
        words = absolute_paths(text)
        if kind == "sh":
            words |= shell_commands(text)
        else:
            words |= python_commands(text)
            for m in python_modules(text):
                modules.setdefault(m, set()).add(rel)
        for w in words:
            programs.setdefault(w, set()).add(rel)

    exes = {}
    for w in sorted(programs):
        if "/" in w and not w.startswith("/"):
            continue  # the repository's own scripts and build outputs
        if w in SHELL_WORDS and not w.startswith("/"):
            continue
        exe = w if w.startswith("/") else shutil.which(w, path=BIN_DIRS)
        if exe and os.access(exe, os.X_OK):
            exes[w] = exe
    pkg_of = owners(exes.values())
    found, bad = [], []
    for w, exe in exes.items():
        pkg = pkg_of.get(exe)
        found.append("%s(%s)" % (w, pkg))
        if pkg not in allowed:
            bad.append("%s (%s, package %s) used by %s" % (w, exe, pkg,
                                                          ", ".join(sorted(programs[w]))))
    print("programs: " + " ".join(found))
    check("every program the scripts run is from a package scripts/setup installs "
          "(or a fresh Debian has)", not bad and found, "\n".join(bad))

    # As Debian's python3 (the one scripts/setup installs) finds them.
    local = {os.path.splitext(os.path.basename(p))[0] for p, _ in scripts()}
    wanted = sorted(m for m in modules if m not in local)
    r = subprocess.run(["/usr/bin/python3", "-c", FIND_MODULES] + wanted, capture_output=True,
                       text=True)
    where = dict(line.split("\t", 1) for line in r.stdout.splitlines())
    pkg_of = owners(v for v in where.values() if v.startswith("/"))
    bad_mod = []
    for m in wanted:
        origin = where.get(m, "missing")
        if origin == "builtin":
            continue
        pkg = pkg_of.get(origin)
        if pkg not in allowed:
            bad_mod.append("%s (%s, package %s) used by %s" % (m, origin, pkg,
                                                              ", ".join(sorted(modules[m]))))
    check("every Python module the scripts import is from a package scripts/setup installs",
          r.returncode == 0 and not bad_mod, r.stderr + "\n".join(bad_mod))
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
