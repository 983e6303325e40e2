"""basehttp as its users get it: a Meson subproject of their project, or an
installed library found with pkg-config, shared or static. Each case
configures and builds basehttp from this checkout in a temporary folder.

usage: packaging_test.py SOURCE_ROOT REPORT_NAME
"""
import glob
import http.client
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402

BUILD_TIMEOUT = 600  # seconds for one configure or build: generous for a loaded 2-core CI
EXPORTED_PREFIXES = ("_ZN8basehttp", "_ZNK8basehttp", "_ZTVN8basehttp", "_ZTIN8basehttp",
                     "_ZTSN8basehttp", "_ZGVN8basehttp", "_ZZN8basehttp", "_ZZNK8basehttp")


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def fetch_from(server_argv, env=None):
    """Starts a server that prints its port first, GETs /probe, stops it.
    Returns (status, body, exit status)."""
    process = subprocess.Popen(server_argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        port = int(process.stdout.readline())  # the server binds before printing
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/probe")
        response = connection.getresponse()
        status, body = response.status, response.read()
        connection.close()
    finally:
        process.terminate()
        exit_status = process.wait(timeout=30)
    return status, body, exit_status


def install(source_root, work, library_kind):
    """Builds and installs basehttp into work/destdir; returns (destdir, prefix)."""
    build = os.path.join(work, "build")
    destdir = os.path.join(work, "destdir")
    prefix = "/usr/local"
    run(["meson", "setup", build, source_root, f"-Ddefault_library={library_kind}",
         "-Dtests=disabled", "-Dbenchmarks=disabled", "-Dexamples=disabled",
         "--buildtype=debug", f"--prefix={prefix}"])
    run(["ninja", "-C", build])
    run(["meson", "install", "-C", build, "--destdir", destdir, "--quiet"])
    return destdir, destdir + prefix


def pkg_config_env(destdir, prefix):
    environment = dict(os.environ)
    (pc_file,) = glob.glob(os.path.join(prefix, "lib*", "**", "basehttp.pc"), recursive=True)
    environment["PKG_CONFIG_PATH"] = os.path.dirname(pc_file)
    # Paths in the .pc file are the final ones; the sysroot maps them into destdir.
    environment["PKG_CONFIG_SYSROOT_DIR"] = destdir
    return environment


def build_program_against(destdir, prefix, work, static):
    environment = pkg_config_env(destdir, prefix)
    flags = run(["pkg-config", "--cflags", "--libs"] + (["--static"] if static else []) +
                ["basehttp"], env=environment).split()
    program = os.path.join(work, "consumer_server")
    source = os.path.join(os.path.dirname(__file__), "..", "consumer", "consumer_server.cpp")
    link_mode = ["-static-libstdc++"] if static else []
    run(["c++", "-std=c++20", source, "-o", program] + flags + link_mode)
    return program


def check_installed_program(case, source_root, library_kind, inspect=lambda libraries: None):
    """Installs, builds the consumer program against the install, fetches
    from it, then lets `inspect` look at the installed libraries."""
    with tempfile.TemporaryDirectory() as work:
        destdir, prefix = install(source_root, work, library_kind)
        program = build_program_against(destdir, prefix, work, static=library_kind == "static")
        environment = dict(os.environ)
        libraries = glob.glob(os.path.join(prefix, "lib*", "**", "libbasehttp.*"), recursive=True)
        case.check(libraries, "no libbasehttp installed")
        if library_kind == "shared":
            environment["LD_LIBRARY_PATH"] = os.path.dirname(libraries[0])
            needed = run(["ldd", program], env=environment)
            case.check("libbasehttp.so" in needed, "the program does not use the shared library")
        else:
            case.check(all(not path.endswith(".so") for path in libraries),
                       f"a static build installed {libraries}")
        status, body, exit_status = fetch_from([program, "0"], env=environment)
        case.check(status == 200 and body == b"consumer saw /probe\n", f"{status} {body!r}")
        case.check(exit_status == 0, f"exit status {exit_status} after SIGTERM")
        inspect(libraries)


def check_exports(case, libraries):
    shared = [path for path in libraries if path.endswith(".so")]
    if not case.check(shared, f"no .so among {libraries}"):
        return
    symbols = run(["nm", "-D", "--defined-only", shared[0]]).split("\n")
    names = [line.split()[-1] for line in symbols if line.strip()]
    foreign = [name for name in names if not name.startswith(EXPORTED_PREFIXES)
               and not (name.startswith("_ZThn") and "8basehttp" in name)]
    case.check(names, "nothing exported")
    case.check(not foreign, f"exported outside namespace basehttp: {foreign[:10]}")


def main():
    source_root, report_name = os.path.abspath(sys.argv[1]), sys.argv[2]
    report = Report(report_name)

    with report.case("Packaging", "SubprojectConsumerBuildsAndServes") as case:
        with tempfile.TemporaryDirectory() as work:
            # tests/consumer/subprojects/basehttp is a link to this checkout:
            # what a user gets from a checkout (or a wrap) in subprojects/.
            project = os.path.join(source_root, "tests", "consumer")
            linked = os.path.realpath(os.path.join(project, "subprojects", "basehttp"))
            case.check(linked == os.path.realpath(source_root),
                       f"subprojects/basehttp leads to {linked}, not to the checkout")
            build = os.path.join(work, "build")
            run(["meson", "setup", build, project, "--buildtype=debug"])
            targets = run(["ninja", "-C", build, "-t", "targets", "all"])
            for unwanted in ("gtest", "hello_server", "basehttpd", "_tests", "parser_bench", "server_bench"):
                case.check(unwanted not in targets, f"a parent project builds basehttp's {unwanted}")
            run(["ninja", "-C", build])
            status, body, exit_status = fetch_from([os.path.join(build, "consumer_server"), "0"])
            case.check(status == 200 and body == b"consumer saw /probe\n", f"{status} {body!r}")
            case.check(exit_status == 0, f"exit status {exit_status} after SIGTERM")

    with report.case("Packaging", "SharedInstallExportsOnlyNamespaceBasehttp") as case:
        check_installed_program(case, source_root, "shared",
                                lambda libraries: check_exports(case, libraries))

    with report.case("Packaging", "StaticInstallLinksWithPkgConfigStatic") as case:
        check_installed_program(case, source_root, "static")

    with report.case("Packaging", "EveryInstalledHeaderCompilesOnItsOwn") as case:
        with tempfile.TemporaryDirectory() as work:
            build = os.path.join(work, "build")
            destdir = os.path.join(work, "destdir")
            run(["meson", "setup", build, source_root, "-Dtests=disabled",
                 "-Dbenchmarks=disabled", "-Dexamples=disabled", "--prefix=/usr/local"])
            # Headers only: nothing needs building for them to be installed.
            run(["meson", "install", "-C", build, "--destdir", destdir, "--quiet",
                 "--no-rebuild", "--tags", "devel"])
            include = os.path.join(destdir, "usr", "local", "include", "basehttp")
            headers = sorted(os.path.relpath(path, include) for path in
                             glob.glob(os.path.join(include, "**", "*.hpp"), recursive=True))
            case.check(len(headers) > 20, f"only {len(headers)} headers installed")
            for header in headers:
                with open(os.path.join(include, header)) as text:
                    opening = text.read().split("#pragma once")[0]
                case.check(opening.startswith("//"),
                           f"{header} does not open with what it is for")
                case.check("thread" in opening.lower(),
                           f"{header} does not say on which thread its calls may be made")
                # Only the installed tree and the system on the include path:
                # a private include fails here.
                probe = subprocess.run(
                    ["c++", "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                     "-I", include, "-x", "c++", "-"],
                    input=f'#include "{header}"\n', capture_output=True, text=True,
                    timeout=120)
                case.check(probe.returncode == 0, f"{header}: {probe.stderr[:2000]}")

    report.finish()


if __name__ == "__main__":
    main()
