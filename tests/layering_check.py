"""The source tree's structural rules, each failing with what to change:

- includes point down the layers: reactor/ may include only reactor/;
  process/ only process/ and reactor/; http/ only http/ and reactor/
  (handlers -> http -> reactor, handlers -> process -> reactor);
- a handler family (handlers/<family>/) includes its own folder and
  handlers/common/, never another family;
- the installed headers are exactly basehttp.hpp and what it includes,
  transitively: an installed header includes only installed headers, and
  none is installed that basehttp.hpp does not reach; each is installed at
  its path in the tree, so its includes resolve;
- no `friend` in http/*.hpp (FRIENDS_ALLOWED is empty).

usage: layering_check.py SOURCE_ROOT BUILD_ROOT   (the installed list is
                                                  the build's, meson-info/)
       layering_check.py --self-test             (each rule fails on a
                                                  small tree made to break it)
"""
import json
import os
import pathlib
import re
import sys
import tempfile

LAYERS = {"reactor": {"reactor"}, "process": {"process", "reactor"},
          "http": {"http", "reactor"},
          "handlers": {"handlers", "http", "process", "reactor"}}
INCLUDE = re.compile(r'#\s*include\s+"([^"]+)"')
FRIEND = re.compile(r"\bfriend\b")

# Friend declarations allowed in http/ headers, per file: none. The core's
# parts are handed what they need (ServerContext) or reach one another
# through narrow interfaces (Exchange, HandlerDriver); a friend would join
# two of them again. The self-test passes its own allowances.
FRIENDS_ALLOWED: dict = {}


def project_includes(root, relative):
    """(line number, included path) for each quoted include that names a
    file of the tree."""
    found = []
    for number, line in enumerate((root / relative).read_text().splitlines(), 1):
        match = INCLUDE.match(line.strip())
        if match and (root / match.group(1)).is_file():
            found.append((number, match.group(1)))
    return found


def sources(root, layer):
    return sorted(path.relative_to(root).as_posix()
                  for path in (root / layer).rglob("*.[ch]pp"))


def check_layers(root):
    problems = []
    for layer, may_use in LAYERS.items():
        for source in sources(root, layer):
            for number, included in project_includes(root, source):
                top = included.split("/")[0]
                if top in LAYERS and top not in may_use:
                    problems.append(f"{source}:{number}: includes {included}: "
                                    "an include points up the layers")
    return problems


def check_handler_families(root):
    problems = []
    for source in sources(root, "handlers"):
        parts = source.split("/")
        if len(parts) < 3:
            problems.append(f"{source}: a handler file outside a family folder "
                            "(handlers/<family>/ or handlers/common/)")
            continue
        family = parts[1]
        for number, included in project_includes(root, source):
            target = included.split("/")
            if target[0] != "handlers" or len(target) < 3:
                continue
            if target[1] != family and target[1] != "common":
                problems.append(f"{source}:{number}: includes {included}: one handler "
                                "family uses another (move what both need to handlers/common/)")
    return problems


def installed_headers(root, build):
    """{path in the tree: path under the include folder} of the headers
    the build installs, as meson wrote them down at configure time."""
    with open(build / "meson-info" / "intro-installed.json") as listing:
        installed = json.load(listing)
    real_root = os.path.realpath(root)
    headers = {}
    for source, destination in installed.items():
        relative = os.path.relpath(os.path.realpath(source), real_root)
        if relative.startswith("..") or not relative.endswith((".hpp", ".h")):
            continue
        parts = pathlib.PurePosixPath(destination).parts
        under = parts[parts.index("include") + 1:] if "include" in parts else parts
        headers[pathlib.PurePosixPath(relative).as_posix()] = "/".join(under)
    return headers


def check_installed(root, installed):
    problems = []
    for header, destination in sorted(installed.items()):
        if destination != f"basehttp/{header}":
            problems.append(f"{header}: installed as {destination}, not basehttp/{header}: "
                            "its includes would not resolve (install with preserve_path)")
    if "basehttp.hpp" not in installed:
        problems.append("basehttp.hpp: not installed")
    for header in sorted(installed):
        for number, included in project_includes(root, header):
            if included not in installed:
                problems.append(f"{header}:{number}: an installed header includes {included}, "
                                "which is not installed (list it in public_headers in "
                                "meson.build, or include it from the .cpp only)")
    reached, pending = set(), ["basehttp.hpp"]
    while pending:
        header = pending.pop()
        if header in reached or not (root / header).is_file():
            continue
        reached.add(header)
        pending += [included for _, included in project_includes(root, header)]
    for header in sorted(set(installed) - reached):
        problems.append(f"{header}: installed, but basehttp.hpp does not reach it "
                        "(drop it from public_headers in meson.build)")
    return problems


def check_friends(root, allowed):
    problems = []
    counts = {}
    for header in sorted(p.relative_to(root).as_posix() for p in (root / "http").rglob("*.hpp")):
        text = (root / header).read_text()
        lines = [line.split("//")[0] for line in text.splitlines()]
        counts[header] = sum(len(FRIEND.findall(line)) for line in lines)
    for header in sorted(set(counts) | set(allowed)):
        have, may = counts.get(header, 0), allowed.get(header, 0)
        if have > may:
            problems.append(f"{header}: {have} friend declaration(s), {may} allowed: give the "
                            "other part what it needs through an interface of its own")
        elif have < may:
            problems.append(f"{header}: {have} friend declaration(s) now, FRIENDS_ALLOWED in "
                            f"tests/layering_check.py says {may}: lower it (the list only shrinks)")
    return problems


def check(root, installed, friends_allowed):
    return (check_layers(root) + check_handler_families(root) +
            check_installed(root, installed) + check_friends(root, friends_allowed))


def self_test():
    """Builds a small tree that passes, then breaks each rule in turn."""
    failures = []

    def write(root, relative, text):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)

    def tree(work, changes=(), installed_extra=(), install_flat=False):
        root = pathlib.Path(tempfile.mkdtemp(dir=work))
        files = {
            "basehttp.hpp": '#include "http/server.hpp"\n#include "handlers/cgi/cgi.hpp"\n',
            "http/server.hpp": '#include "reactor/loop.hpp"\nclass HTTPServer {};\n',
            "http/session.hpp": "// friend in a comment is not a declaration\n",
            "http/session.cpp": '#include "http/session.hpp"\n#include "http/server.hpp"\n',
            "reactor/loop.hpp": "#include <vector>\n",
            "handlers/cgi/cgi.hpp": '#include "http/server.hpp"\n',
            "handlers/cgi/cgi.cpp": ('#include "handlers/cgi/cgi.hpp"\n'
                                     '#include "handlers/common/root.hpp"\n'),
            "handlers/common/root.hpp": '#include "reactor/loop.hpp"\n',
            "handlers/static_files/files.hpp": '#include "handlers/common/root.hpp"\n',
        }
        files.update(dict(changes))
        for relative, text in files.items():
            write(root, relative, text)
        installed = ["basehttp.hpp", "http/server.hpp", "reactor/loop.hpp",
                     "handlers/cgi/cgi.hpp"] + list(installed_extra)
        build = pathlib.Path(tempfile.mkdtemp(dir=work))
        listing = {str(root / header): "/usr/local/include/basehttp/" +
                   (header.split("/")[-1] if install_flat else header)
                   for header in installed}
        listing[str(build / "libbasehttp.so")] = "/usr/local/lib/libbasehttp.so"
        write(build, "meson-info/intro-installed.json", json.dumps(listing))
        return root, build

    cases = [
        ("a tree that keeps every rule", {}, None),
        ("reactor/ includes http/",
         {"changes": {"reactor/timer.cpp": '#include "http/session.hpp"\n'}},
         "points up the layers"),
        ("a handler family includes another",
         {"changes": {"handlers/cgi/cgi.cpp": '#include "handlers/static_files/files.hpp"\n'}},
         "one handler family uses another"),
        ("a handler outside a family folder",
         {"changes": {"handlers/loose.cpp": ""}}, "outside a family folder"),
        ("an installed header includes an internal one",
         {"changes": {"http/server.hpp": ('#include "reactor/loop.hpp"\n'
                                          '#include "http/session.hpp"\n')}},
         "which is not installed"),
        ("a header installed that basehttp.hpp does not reach",
         {"installed_extra": ["http/session.hpp"]}, "does not reach it"),
        ("installed without its folder",
         {"install_flat": True}, "its includes would not resolve"),
        ("a friend in http/",
         {"changes": {"http/session.hpp": "class S {\n  friend class T;\n};\n"}},
         "friend declaration(s), 0 allowed"),
        ("an allowed friend gone, its entry left",
         {"friends": {"http/server.hpp": 1}}, "the list only shrinks"),
    ]
    with tempfile.TemporaryDirectory() as work:
        for name, setup, expected in cases:
            setup = dict(setup)
            friends = setup.pop("friends", {})
            root, build = tree(work, **{k: v.items() if k == "changes" else v
                                        for k, v in setup.items()})
            problems = check(root, installed_headers(root, build), friends)
            if expected is None:
                ok = not problems
            else:
                # The one rule broken, and no other (a flat install breaks
                # it once per header).
                ok = bool(problems) and all(expected in problem for problem in problems)
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {problems or 'no problem'}")
            if not ok:
                failures.append(name)
    print(f"layering self-test: {len(failures)} failure(s)")
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    root, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    problems = check(root, installed_headers(root, build), FRIENDS_ALLOWED)
    for problem in problems:
        print(problem)
    print(f"layering: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
