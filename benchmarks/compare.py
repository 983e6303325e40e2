#!/usr/bin/env python3
"""basehttp against the servers people would pick instead, on one core.

Each server is pinned to CPU 0 and the load generator to CPU 1 (taskset),
runs with one worker, no access log, keep-alive. Peers: nginx (Debian
nginx-light, `return 200` for the fixed responses), h2o (Debian h2o, its
file handler for them, its fastest way here) and, with --python, Python's
http.server. Configurations are in benchmarks/peers/.

  compare.py            wrk: req/s, p50, p99 for plaintext, plaintext with 16
                        requests pipelined per write, json, and static files
                        of 1 KiB and 1 MiB; three runs each, medians
  compare.py --cost     instructions per request, 16 pipelined and one at a
                        time (valgrind --tool=callgrind)
                        and syscalls per request (strace -c -f) over a fixed
                        request count, start-up cancelled by differencing two
                        runs; plus basehttp's cost against open idle
                        connections and against header fields
  compare.py --memory   resident memory per idle keep-alive connection with
                        10,000 of them open (--idle-connections 10000 100000:
                        at each count; past 25,000 the clients connect from
                        127.0.0.2, .3... for enough ephemeral ports)
  compare.py --conformance
                        how each server handles what the comparison relies
                        on: keep-alive, 16 pipelined requests, Connection:
                        close, HTTP/1.0, Date, a request without Host, a bad
                        request line, HEAD (raw sockets to 127.0.0.1)
  --servers ...,beast,httplib,microhttpd,pistache
                        also hello servers of ours written with the C++
                        libraries Debian ships (benchmarks/peers/*_hello, one
                        thread each; plaintext and json only): their -dev
                        packages are installed and the servers built with
                        -Dpeer_servers=enabled
  --tls                 over HTTPS instead (TLS 1.3 by the clients' choice; TLS
                        1.2 and 1.3 offered), basehttp and nginx on one EC
                        P-256 certificate made for the run with the openssl
                        command: the wrk scenarios plus full handshakes per
                        second (openssl s_time -new); --cost over a kept-alive
                        TLS 1.3 connection, 16 pipelined and one at a time;
                        --memory with every connection after its handshake
  compare.py --static-cost
                        instructions and syscalls per request for the 1 KiB
                        file (callgrind, strace), 16 pipelined and one at a
                        time: basehttpd with -q, with its default log (stderr
                        to a file) and with --access-log; nginx with the
                        access log off and on (buffer=64k); h2o
  compare.py --metrics-cost
                        basehttp's instructions per request without and with
                        the per-phase latency histograms (callgrind)

Missing tools are installed with apt-get when running as root. The build
is a release build in build-release/.
"""
import argparse
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# BASEHTTP_BENCH_BUILD: another release tree, for engineers sharing a checkout.
BUILD = os.environ.get("BASEHTTP_BENCH_BUILD") or os.path.join(ROOT, "build-release")
PEERS = os.path.join(ROOT, "benchmarks", "peers")
SERVER_CPU, CLIENT_CPU = "0", "1"
PACKAGES = {"wrk": "wrk", "nginx": "nginx-light", "h2o": "h2o", "valgrind": "valgrind",
            "strace": "strace", "taskset": "util-linux", "openssl": "openssl"}
PLAINTEXT, JSON = b"Hello, World!", b'{"message":"Hello, World!"}'


def log(message):
    print(message, file=sys.stderr, flush=True)


def ensure_tools():
    missing = [package for tool, package in PACKAGES.items()
               if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}")]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"compare.py: missing {' '.join(missing)}; install them (root needed)")
    log(f"installing {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        subprocess.run(command, env=env, check=True, capture_output=True)


def build(tls, library_peers=False):
    if not os.path.exists(os.path.join(BUILD, "build.ninja")):
        subprocess.run(["meson", "setup", BUILD, "--buildtype=release", "-Dtests=disabled",
                        "-Dexamples=enabled", "-Dbenchmarks=enabled"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    if tls:  # a tree set up without it (tls=auto finds no OpenSSL: say so now)
        subprocess.run(["meson", "configure", BUILD, "-Dtls=enabled"], check=True,
                       stdout=subprocess.DEVNULL)
    if library_peers:  # --reconfigure: a tree set up before the option existed knows it then
        subprocess.run(["meson", "setup", "--reconfigure", BUILD, "-Dpeer_servers=enabled"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        # A library peer that fails to compile is reported blocked, not fatal.
        result = subprocess.run(["ninja", "-C", BUILD, "-k", "0"], capture_output=True, text=True)
        if result.returncode != 0:
            log("\n".join(line for line in result.stdout.splitlines() if "FAILED" in line))
        subprocess.run(["ninja", "-C", BUILD, "benchmarks/hello_server",
                        "benchmarks/pipeline_client", "examples/basehttpd"], check=True,
                       stdout=subprocess.DEVNULL)
        return
    subprocess.run(["ninja", "-C", BUILD], check=True, stdout=subprocess.DEVNULL)


FILE_LIMIT = 65536  # raised by --memory for more connections


def raise_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, FILE_LIMIT) if hard != resource.RLIM_INFINITY else FILE_LIMIT
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Certificate:
    """A self-signed EC P-256 certificate and its key, for --tls: one per run,
    every server on it, so they do the same signature per handshake."""

    def __init__(self, workdir):
        self.chain = os.path.join(workdir, "cert.pem")
        self.key = os.path.join(workdir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key, "-out",
                        self.chain, "-days", "2", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)


class Peer:
    """A server to measure: how to start it, where its endpoints are."""
    tls = None  # a Certificate: serve HTTPS with it

    def __init__(self, name, workdir, files):
        self.name, self.workdir, self.files = name, workdir, files

    def command(self, port, scenario):
        raise NotImplementedError

    def path(self, scenario):
        return {"plaintext": "/plaintext", "json": "/json", "static1k": "/static/1k.bin",
                "static1m": "/static/1m.bin"}[scenario]


class Basehttp(Peer):
    threads = 1  # event loops (ServerOptions::threads)

    def command(self, port, scenario):
        threads = ["--threads", str(self.threads)]
        tls = ["--tls-cert", self.tls.chain, "--tls-key", self.tls.key] if self.tls else []
        if scenario.startswith("static"):
            return [os.path.join(BUILD, "examples", "basehttpd"), "-q", "-b", "127.0.0.1", "-d",
                    self.files, *threads, *tls, str(port)]
        return [os.path.join(BUILD, "benchmarks", "hello_server"), str(port), *threads, *tls]

    def path(self, scenario):
        return {"static1k": "/1k.bin", "static1m": "/1m.bin"}.get(scenario) or super().path(scenario)


class ConfiguredPeer(Peer):
    config_name = ""

    def write_config(self, port):
        prefix = os.path.join(self.workdir, f"{self.name}-{port}")
        os.makedirs(prefix, exist_ok=True)
        with open(os.path.join(prefix, "plaintext.txt"), "wb") as out:
            out.write(PLAINTEXT)
        with open(os.path.join(prefix, "message.json"), "wb") as out:
            out.write(JSON)
        with open(os.path.join(PEERS, self.config_name)) as template:
            text = template.read()
        text = text.replace("{port}", str(port)).replace("{prefix}", prefix)
        text = text.replace("{root}", self.files)
        if "{tls}" in text:
            text = text.replace("{ssl}", " ssl" if self.tls else "")
            text = text.replace("{tls}", self.tls_settings() if self.tls else "")
        elif self.tls:
            raise RuntimeError(f"{self.name}: no HTTPS configuration here")
        config = os.path.join(prefix, self.config_name)
        with open(config, "w") as out:
            out.write(text)
        return prefix, config

    def tls_settings(self):
        raise NotImplementedError


class Nginx(ConfiguredPeer):
    config_name = "nginx.conf"

    def tls_settings(self):
        # Otherwise nginx's defaults: session tickets on and no session
        # cache, as basehttp has them.
        return (f"ssl_certificate {self.tls.chain}; ssl_certificate_key {self.tls.key}; "
                f"ssl_protocols TLSv1.2 TLSv1.3;")

    def command(self, port, scenario):
        prefix, config = self.write_config(port)
        return ["nginx", "-c", config, "-p", prefix]


class H2o(ConfiguredPeer):
    config_name = "h2o.conf"

    def command(self, port, scenario):
        prefix, config = self.write_config(port)
        return ["h2o", "-c", config]


class PythonServer(Peer):
    def command(self, port, scenario):
        return ["python3", "-m", "http.server", "-b", "127.0.0.1", "-d", self.files, str(port)]

    def path(self, scenario):
        return {"plaintext": "/plaintext", "json": "/json", "static1k": "/1k.bin",
                "static1m": "/1m.bin"}[scenario]


# ---------------------------------------------------------------- C++ libraries

# The Debian (bookworm) package behind each hello server in benchmarks/peers/.
LIBRARY_PACKAGES = {"beast": "libboost-dev", "httplib": "libcpp-httplib-dev",
                    "microhttpd": "libmicrohttpd-dev", "pistache": "libpistache-dev"}


def unable(peer, scenario):
    """Why `peer` is not measured in `scenario` (a wrk title, "pipelined" or
    "memory"), or None: the tables say so instead of giving a number."""
    return next((why for word, why in getattr(peer, "unable", {}).items() if word in scenario),
                None)


class LibraryPeer(Peer):
    """A hello server of ours on another C++ library, one thread, GET
    /plaintext and /json only (benchmarks/peers/<program>.cpp)."""
    program = ""
    unable = {"static": "not measured: the hello server serves no files"}
    wrk_headers = ()  # extra request header fields for wrk
    note = ""  # what the tables should say about it

    def command(self, port, scenario):
        if self.tls:
            raise SystemExit(f"compare.py: {self.name}: its hello server has no HTTPS")
        return [os.path.join(BUILD, "benchmarks", "peers", self.program), str(port)]

    def built(self):
        """Built from its current source: a failed rebuild leaves the old binary."""
        target = os.path.relpath(self.command(0, "plaintext")[0], BUILD)
        dry_run = subprocess.run(["ninja", "-C", BUILD, "-n", target], capture_output=True,
                                 text=True)
        return dry_run.returncode == 0 and "no work to do" in dry_run.stdout


class Beast(LibraryPeer):
    program = "beast_hello"
    note = "writes no Date header (Beast leaves it to the application)"


class Httplib(LibraryPeer):
    program = "httplib_hello"
    unable = {**LibraryPeer.unable,
              "pipelined": "cannot: answers 1 of 16 pipelined, then closes after 5 s",
              "memory": "cannot: an open connection holds the only worker thread"}
    note = ("one worker thread (ThreadPool(1)) serves one connection at a time, blocking on it "
            "until it closes, and closes it after 5 requests (keep_alive_max_count), so wrk's 64 "
            "connections take turns; --cost raises the count, its one connection carrying every "
            "request; pipelined requests after the first are lost (read with the first, then "
            "dropped; the keep-alive wait polls the socket), and 10,000 idle connections would need "
            "10,000 workers")
    one_connection = False  # set by --cost

    def command(self, port, scenario):
        extra = ["--keep-alive-max", "1000000000"] if self.one_connection else []
        return super().command(port, scenario) + extra


class Microhttpd(LibraryPeer):
    program = "microhttpd_hello"
    note = ("most of its instructions are one memset per request that clears the connection's "
            "32 KiB memory pool; glibc does it with `rep stosb`, which callgrind counts a byte "
            "at a time, so its count overstates its CPU time (compare wrk's CPU us/req)")


class Pistache(LibraryPeer):
    program = "pistache_hello"
    unable = {**LibraryPeer.unable,
              "pipelined": "cannot: answers 1 of 16 pipelined, never the rest"}
    note = ("answers an HTTP/1.1 request that has no Connection field with `Connection: Close` "
            "but keeps the connection open, so wrk reconnects for every request; "
            "pistache-keepalive is the same server with `Connection: keep-alive` in wrk's "
            "requests")


class PistacheKeepAlive(Pistache):
    wrk_headers = ("Connection: keep-alive",)
    note = "pistache, with `Connection: keep-alive` in every request wrk sends"


LIBRARY_PEERS = {"beast": Beast, "httplib": Httplib, "microhttpd": Microhttpd,
                 "pistache": Pistache, "pistache-keepalive": PistacheKeepAlive}


def ensure_libraries(names):
    """Installs the -dev packages of the library peers asked for; one that
    fails to install leaves its peer unbuilt (blocked), not the run."""
    wanted = sorted({LIBRARY_PACKAGES[name.split("-")[0]] for name in names
                     if name in LIBRARY_PEERS})
    missing = [package for package in wanted if "install ok installed" not in subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True).stdout]
    if not missing:
        return bool(wanted)
    if os.geteuid() != 0:
        sys.exit(f"compare.py: missing {' '.join(missing)}; install them (root needed)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for package in missing:
        log(f"installing {package}")
        command = ["apt-get", "install", "-y", "--no-install-recommends", package]
        if subprocess.run(command, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            if subprocess.run(command, env=env, capture_output=True).returncode != 0:
                log(f"blocked: apt-get install {package} failed")
    return True


def library_versions(peers):
    packages = sorted({LIBRARY_PACKAGES[peer.name.split("-")[0]] for peer in peers
                       if isinstance(peer, LibraryPeer)})
    if not packages:
        return ""
    versions = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version}, ", *packages],
                              capture_output=True, text=True).stdout
    return "; " + versions.rstrip(", ")


def print_notes(peers):
    notes = [f"- {peer.name}: {peer.note}" for peer in peers if getattr(peer, "note", "")]
    if notes:
        print("\n" + "\n".join(notes))


# ---------------------------------------------------------------- --conformance

IMF_FIXDATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
                         r"Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT")


def read_responses(sock, count, head=False, timeout=3.0):
    """Up to `count` responses from `sock`: ([(status line, {field: value},
    body)], how it ended: "complete", "closed", "reset" or "stalled")."""
    data, responses = b"", []
    deadline = time.monotonic() + timeout
    while True:
        while len(responses) < count:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                break
            lines = data[:end].decode("latin-1").split("\r\n")
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                fields.setdefault(name.strip().lower(), value.strip())
            length = 0 if head else int(fields.get("content-length", "0"))
            if len(data) < end + 4 + length:
                break
            responses.append((lines[0], fields, data[end + 4:end + 4 + length]))
            data = data[end + 4 + length:]
        if len(responses) == count:
            return responses, "complete" if not data else "extra bytes"
        left = deadline - time.monotonic()
        if left <= 0:
            return responses, "stalled"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return responses, "stalled"
        except ConnectionResetError:
            return responses, "reset"
        if not chunk:
            return responses, "closed"
        data += chunk


def closed_by_server(sock, timeout=2.0):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def probe(port):
    """One server's answers to what the comparison relies on, as table cells."""
    get = b"GET /plaintext HTTP/1.1\r\nHost: b\r\n\r\n"

    def exchange(request, count=1, head=False, again=False):
        """Responses to `request` and what the connection did next: with
        `again`, whether the same request is answered on it once more; else
        whether the server closes it."""
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.sendall(request)
            responses, end = read_responses(sock, count, head)
            if end != "complete":
                return responses, "body sent" if head and end == "extra bytes" else end
            if head:  # a body sent after HEAD's head would come before this status line
                sock.sendall(get)
                after, _ = read_responses(sock, 1)
                body_sent = not (after and after[0][0].startswith("HTTP/1.1 200"))
                return responses, "body sent" if body_sent else "no body"
            if again:
                sock.sendall(request)
                more, more_end = read_responses(sock, 1)
                return responses, "kept open" if more else f"then {more_end}"
            return responses, "closed" if closed_by_server(sock) else "left open"

    def status(responses, end):
        return (responses[0][0].split(" ", 1)[1] if responses else "no response") + f", {end}"

    def field(responses, name):
        return responses[0][1].get(name, f"no {name.title()}") if responses else "no response"

    cells = {}
    responses, end = exchange(get, again=True)
    cells["keep-alive (HTTP/1.1)"] = f"{field(responses, 'connection')}, {end}"
    date = responses[0][1].get("date") if responses else None
    cells["Date"] = "missing" if date is None else \
        ("IMF-fixdate" if IMF_FIXDATE.fullmatch(date) else f"bad: {date}")
    cells["Server"] = field(responses, "server")
    responses, end = exchange(get * 16, 16, again=True)
    ordered = all(r[0].startswith("HTTP/1.1 200") and r[2] == PLAINTEXT for r in responses)
    cells["16 pipelined"] = f"{len(responses)} of 16{'' if ordered else ' out of order'}, {end}"
    responses, end = exchange(b"GET /plaintext HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
    cells["Connection: close"] = f"{field(responses, 'connection')}, {end}"
    responses, end = exchange(b"GET /plaintext HTTP/1.0\r\n\r\n")
    version = responses[0][0].split(" ")[0] if responses else ""
    cells["HTTP/1.0"] = f"{version} {field(responses, 'connection')}, {end}"
    responses, end = exchange(b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                              again=True)
    cells["HTTP/1.0 keep-alive"] = f"{field(responses, 'connection')}, {end}"
    cells["no Host (needs 400)"] = status(*exchange(b"GET /plaintext HTTP/1.1\r\n\r\n"))
    cells["bad request line"] = status(*exchange(b"GARBAGE\r\n\r\n"))
    responses, end = exchange(b"HEAD /plaintext HTTP/1.1\r\nHost: b\r\n\r\n", head=True)
    cells["HEAD"] = f"{status(responses, end)}, Content-Length {field(responses, 'content-length')}"
    return cells


def conformance(peers):
    rows = []
    for peer in peers:
        port = free_port()
        with Running(peer.command(port, "plaintext"), port, ("taskset", "-c", SERVER_CPU)):
            rows.append((peer.name, probe(port)))
        log(f"  {peer.name}: {rows[-1][1]}")
    checks = list(rows[0][1])
    print("\nwhat each server does with requests the comparison relies on (raw sockets; "
          "'stalled': nothing more within 3 s)\n")
    print("| check | " + " | ".join(name for name, _ in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for check in checks:
        print(f"| {check} | " + " | ".join(cells[check] for _, cells in rows) + " |")


class Running:
    """A started server; stops it (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, argv, port, wrap=(), timeout=60, signal_child=False):
        # signal_child: the wrapper (strace) stays the parent; stopping
        # signals the server under it and lets the wrapper finish its report.
        self.signal_child = signal_child
        self.port = port
        # A server under valgrind writes its profile as it exits, which on a
        # loaded machine can take minutes: the start timeout bounds that too.
        self.stop_timeout = max(120, timeout)
        self.process = subprocess.Popen([*wrap, *argv], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, preexec_fn=raise_file_limit)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{argv[0]} did not listen on {port}")

    def pid(self):
        return self.process.pid

    def children(self):
        pid = self.process.pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as listing:
                return [int(child) for child in listing.read().split()]
        except OSError:
            return []

    def stop(self):
        if self.process.poll() is None and self.signal_child:
            for child in self.children():
                os.kill(child, signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        # Again every few seconds: nginx under valgrind sometimes loses the
        # first SIGTERM and would sit in epoll_wait until killed, its
        # profile unwritten.
        deadline = time.monotonic() + self.stop_timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def make_files(folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "plaintext"), "wb") as out:
        out.write(PLAINTEXT)
    with open(os.path.join(folder, "json"), "wb") as out:
        out.write(JSON)
    for name, size in (("1k.bin", 1024), ("1m.bin", 1024 * 1024)):
        with open(os.path.join(folder, name), "wb") as out:
            out.write(os.urandom(size))


# ---------------------------------------------------------------- wrk

def parse_wrk(text):
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not rate:
        raise RuntimeError("wrk printed no rate:\n" + text)

    def latency(percent):
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    count = re.search(r"(\d+) requests in", text)
    return float(rate.group(1)), latency(50), latency(99), int(count.group(1)) if count else 0


def run_wrk(url, seconds, connections, depth, headers=()):
    command = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
               "--latency", *[f"-H{field}" for field in headers], url]
    if depth > 1:
        command[-1:-1] = ["-s", os.path.join(PEERS, "pipeline.lua")]
        command += ["--", str(depth)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    # Errors make a rate meaningless; the table marks the row.
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", result.stdout))
    errors += sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", result.stdout))
    return (*parse_wrk(result.stdout), errors)


SCENARIOS = [
    # name, endpoint, connections, pipelining depth
    ("plaintext", "plaintext", 64, 1),
    ("plaintext, 16 pipelined", "plaintext", 64, 16),
    ("json", "json", 64, 1),
    ("static 1 KiB", "static1k", 64, 1),
    ("static 1 MiB", "static1m", 16, 1),
]


def throughput(peers, args):
    rows = []
    for title, endpoint, connections, depth in SCENARIOS:
        if args.only and args.only not in title:
            continue
        for peer in peers:
            if unable(peer, title):
                rows.append((title, peer.name, None, unable(peer, title), 0, 0))
                continue
            port = free_port()
            wrap = ("taskset", "-c", SERVER_CPU)
            headers = getattr(peer, "wrk_headers", ())
            with Running(peer.command(port, endpoint), port, wrap) as run:
                url = f"{scheme(peer)}://127.0.0.1:{port}{peer.path(endpoint)}"
                run_wrk(url, 1, connections, depth, headers)  # warm up
                cpu = cpu_seconds(run.pid())
                runs = [run_wrk(url, args.duration, connections, depth, headers)
                        for _ in range(args.runs)]
                cpu = cpu_seconds(run.pid()) - cpu
            errors = sum(r[4] for r in runs)
            rate = statistics.median(r[0] for r in runs)
            p50 = statistics.median(r[1] for r in runs)
            p99 = statistics.median(r[2] for r in runs)
            # The server's CPU time per request: unlike the rate, it hardly
            # depends on how much of the CPU a shared machine leaves it.
            cost = cpu * 1e6 / max(1, sum(r[3] for r in runs))
            rows.append((title, peer.name + (f" ({errors:,} wrk errors)" if errors else ""), rate,
                         p50, p99, cost))
            log(f"  {title:<24} {peer.name:<9} {rate:>11,.0f} req/s  p50 {p50:.3f} ms  "
                f"p99 {p99:.3f} ms  {cost:,.1f} us CPU/req{f'  {errors} errors' if errors else ''}")
    print(f"\nwrk{' over HTTPS' if args.tls else ''}, {args.runs} runs of {args.duration} s each "
          f"(medians); server on CPU {SERVER_CPU}, wrk -t1 on CPU {CLIENT_CPU}\n")
    print("| scenario | server | req/s | p50 ms | p99 ms | req/s / nginx | server CPU us/req "
          "| / nginx |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for title, name, rate, p50, p99, cost in rows:
        if rate is None:  # p50 holds why
            print(f"| {title} | {name} | {p50} | | | | | |")
            continue
        nginx = next((r for r in rows if r[0] == title and r[1] == "nginx"), None)
        ratio = f"{rate / nginx[2]:.2f}x" if nginx else "-"
        cost_ratio = f"{cost / nginx[5]:.2f}" if nginx else "-"
        if "pipelined" in title:  # wrk records almost no latencies when pipelining
            latency = "n/a | n/a"
        else:
            latency = f"{p50:.3f} | {p99:.3f}"
        print(f"| {title} | {name} | {rate:,.0f} | {latency} | {ratio} | {cost:,.1f} | "
              f"{cost_ratio} |")
    print_notes(peers)
    if args.tls:
        handshakes(peers, args)


def scheme(peer):
    return "https" if peer.tls else "http"


def cpu_seconds(pid):
    """User plus system CPU time of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handshakes(peers, args):
    """Full handshakes per second (no resumption): openssl s_time -new,
    each connection closed after its handshake. On a shared machine the
    rate follows the CPU the two processes get; the server's CPU time per
    handshake does not."""
    rows = []
    for peer in peers:
        port = free_port()
        with Running(peer.command(port, "plaintext"), port, ("taskset", "-c", SERVER_CPU)) as run:
            rates, costs = [], []
            for _ in range(args.runs):
                command = ["taskset", "-c", CLIENT_CPU, "openssl", "s_time", "-connect",
                           f"127.0.0.1:{port}", "-new", "-time", str(args.duration)]
                cpu, start = cpu_seconds(run.pid()), time.monotonic()
                result = subprocess.run(command, capture_output=True, text=True,
                                        timeout=args.duration + 60)
                elapsed, cpu = time.monotonic() - start, cpu_seconds(run.pid()) - cpu
                found = re.search(r"(\d+) connections in [\d.]+ real seconds", result.stdout)
                if not found:
                    raise RuntimeError("openssl s_time printed no count:\n" + result.stdout)
                count = int(found.group(1))
                rates.append(count / elapsed)
                costs.append(cpu * 1e6 / count)
        rate, cost = statistics.median(rates), statistics.median(costs)
        rows.append((peer.name, rate, cost))
        log(f"  handshakes {peer.name:<9} {rate:,.0f}/s, server CPU {cost:,.0f} us each")
    print(f"\nfull TLS handshakes (openssl s_time -new, {args.runs} runs of {args.duration} s, "
          f"medians; one client process on CPU {CLIENT_CPU}; server CPU time from /proc)\n")
    print("| server | handshakes/s | / nginx | server CPU us/handshake | / nginx |")
    print("|---|---:|---:|---:|---:|")
    nginx = next((r for r in rows if r[0] == "nginx"), None)
    for name, rate, cost in rows:
        rate_ratio = f"{rate / nginx[1]:.2f}x" if nginx else "-"
        cost_ratio = f"{cost / nginx[2]:.2f}" if nginx else "-"
        print(f"| {name} | {rate:,.0f} | {rate_ratio} | {cost:,.0f} | {cost_ratio} |")


# ---------------------------------------------------------------- --cost

def pipeline_client(port, requests, depth, header_fields=1, connections=1, tls=False):
    command = [os.path.join(BUILD, "benchmarks", "pipeline_client"), str(port), "--requests",
               str(requests), "--depth", str(depth), "--connections", str(connections),
               "--header-fields", str(header_fields), *(["--tls"] if tls else [])]
    subprocess.run(["taskset", "-c", CLIENT_CPU, *command], check=True, capture_output=True,
                   timeout=900)


def open_idle(port, count):
    sockets = []
    for _ in range(count):
        sockets.append(socket.create_connection(("127.0.0.1", port)))
    return sockets


def callgrind_total(peer, requests, depth, workdir, header_fields=1, idle=0, connections=1):
    out = os.path.join(workdir, f"callgrind.{peer.name}.{requests}.out")
    port = free_port()
    wrap = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}")
    with Running(peer.command(port, "plaintext"), port, wrap, timeout=600):
        idle_sockets = open_idle(port, idle)
        pipeline_client(port, requests, depth, header_fields, connections, bool(peer.tls))
        for held in idle_sockets:
            held.close()
    total = 0
    for line in open(out):
        if line.startswith(("summary:", "totals:")):
            total = int(line.split()[1])
            break
    if total == 0:  # killed before it wrote its profile
        raise RuntimeError(f"no callgrind total in {out}")
    return total


def strace_calls(peer, requests, depth, workdir):
    out = os.path.join(workdir, f"strace.{peer.name}.{requests}.{depth}.txt")
    port = free_port()
    wrap = ("taskset", "-c", SERVER_CPU, "strace", "-c", "-f", "-o", out)
    with Running(peer.command(port, "plaintext"), port, wrap, signal_child=True):
        pipeline_client(port, requests, depth, tls=bool(peer.tls))
    for line in open(out):
        if line.rstrip().endswith(" total"):
            return int(line.split()[3])
    raise RuntimeError("no strace total in " + out)


def figure(value, spec):
    """A measured value, or the text that says why there is none."""
    return format(value, spec) if isinstance(value, float) else value


def per_request(measure, small, large):
    return (measure(large) - measure(small)) / (large - small)


def cost_tls(peers, args, workdir):
    """Per request over one kept-alive TLS 1.3 connection: the handshake is
    in both runs, so the difference leaves only the requests' records."""
    n1, n2 = args.cost_requests
    rows = []
    for peer in peers:
        pipelined = per_request(lambda n: callgrind_total(peer, n, 16, workdir), n1, n2)
        single = per_request(lambda n: callgrind_total(peer, n, 1, workdir), n1 // 4, n2 // 4)
        syscalls16 = per_request(lambda n: strace_calls(peer, n, 16, workdir), n1, n2)
        syscalls1 = per_request(lambda n: strace_calls(peer, n, 1, workdir), n1 // 4, n2 // 4)
        rows.append((peer.name, pipelined, single, syscalls16, syscalls1))
        log(f"  {peer.name:<9} {pipelined:>9,.0f} instr/req (16 pipelined)  {single:,.0f} "
            f"(one at a time)  {syscalls16:.3f} / {syscalls1:.2f} syscalls/req")
    print(f"\nplaintext over HTTPS (TLS 1.3), one kept-alive connection; instructions by "
          f"callgrind, syscalls by strace -c -f; per request = difference between {n1} and "
          f"{n2} requests pipelined, {n1 // 4} and {n2 // 4} one at a time\n")
    print("| server | instructions/request, 16 pipelined | / nginx | instructions/request, "
          "one at a time | / nginx | syscalls/request, 16 pipelined | syscalls/request, one "
          "at a time |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    nginx = next((r for r in rows if r[0] == "nginx"), None)
    for name, pipelined, single, syscalls16, syscalls1 in rows:
        ratio16 = f"{pipelined / nginx[1]:.3f}" if nginx else "-"
        ratio1 = f"{single / nginx[2]:.3f}" if nginx else "-"
        print(f"| {name} | {pipelined:,.0f} | {ratio16} | {single:,.0f} | {ratio1} | "
              f"{syscalls16:.3f} | {syscalls1:.2f} |")


def cost(peers, args, workdir):
    if args.tls:
        return cost_tls(peers, args, workdir)
    n1, n2 = args.cost_requests
    rows = []
    for peer in peers:
        if isinstance(peer, PythonServer):
            a, b = n1 // 20, n2 // 20  # ~25x slower per request; keep the run short
        else:
            a, b = n1, n2
        peer.one_connection = True  # every request on one connection (cpp-httplib closes at 5)
        cannot = unable(peer, "pipelined")  # the row says why instead
        instructions = cannot or per_request(lambda n: callgrind_total(peer, n, 16, workdir), a, b)
        # One at a time every request is a batch of its own: a quarter of
        # the requests keeps the run as short as the pipelined one.
        single = per_request(lambda n: callgrind_total(peer, n, 1, workdir), a // 4, b // 4)
        syscalls16 = cannot or per_request(lambda n: strace_calls(peer, n, 16, workdir), a, b)
        syscalls1 = per_request(lambda n: strace_calls(peer, n, 1, workdir), a, b)
        rows.append((peer.name, instructions, single, syscalls16, syscalls1))
        log(f"  {peer.name:<9} {figure(instructions, ',.0f'):>9} instr/req (16 pipelined)  "
            f"{single:,.0f} (no pipelining)  {figure(syscalls16, '.3f')} / {syscalls1:.2f} "
            f"syscalls/req")
    print(f"\nplaintext, one connection; instructions by callgrind, syscalls by strace -c -f; "
          f"per request = difference between {n1} and {n2} requests ({n1 // 4} and {n2 // 4} "
          f"for instructions with no pipelining)\n")
    print("| server | instructions/request, 16 pipelined | / nginx | instructions/request, no "
          "pipelining | / nginx | syscalls/request, 16 pipelined | syscalls/request, no "
          "pipelining |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    nginx = next((r for r in rows if r[0] == "nginx"), None)
    for name, instructions, single, syscalls16, syscalls1 in rows:
        ratio = f"{instructions / nginx[1]:.3f}" if nginx and isinstance(instructions, float) else "-"
        ratio1 = f"{single / nginx[2]:.3f}" if nginx else "-"
        print(f"| {name} | {figure(instructions, ',.0f')} | {ratio} | {single:,.0f} | {ratio1} | "
              f"{figure(syscalls16, '.3f')} | {syscalls1:.2f} |")
    print_notes(peers)

    basehttp = next((p for p in peers if p.name == "basehttp"), None)
    if basehttp is None:
        return
    print("\nbasehttp, instructions/request as work grows (16 pipelined):\n")
    print("| open idle connections | header fields | instructions/request |")
    print("|---:|---:|---:|")
    for idle in (0, 1000, 10000):
        value = per_request(lambda n: callgrind_total(basehttp, n, 16, workdir, idle=idle), n1, n2)
        print(f"| {idle} | 1 | {value:,.0f} |")
        log(f"  idle {idle}: {value:,.0f}")
    fields_rows = []
    for fields in (1, 10, 100):
        value = per_request(
            lambda n: callgrind_total(basehttp, n, 16, workdir, header_fields=fields), n1 // 4,
            n2 // 4)
        fields_rows.append((fields, value))
        print(f"| 0 | {fields} | {value:,.0f} |")
        log(f"  fields {fields}: {value:,.0f}")
    slope = (fields_rows[-1][1] - fields_rows[0][1]) / (fields_rows[-1][0] - fields_rows[0][0])
    print(f"\nslope: {slope:,.0f} instructions per additional header field")


# ---------------------------------------------------------------- --static-cost

class BasehttpStderrLog(Basehttp):
    """basehttpd as people run it: its default log (Python's format on
    stderr), stderr sent to a file."""
    logging = "stderr to a file"

    def command(self, port, scenario):
        argv = [arg for arg in super().command(port, scenario) if arg != "-q"]
        self.stderr_file = os.path.join(self.workdir, f"{self.name}-{port}.log")
        return argv


class BasehttpAccessLog(Basehttp):
    """basehttpd --access-log FILE (Python's format, written by the log's thread)."""
    logging = "--access-log file"

    def command(self, port, scenario):
        argv = [arg for arg in super().command(port, scenario) if arg != "-q"]
        return [*argv[:-1], "--access-log", os.path.join(self.workdir, f"{self.name}-{port}.log"),
                argv[-1]]


class NginxAccessLog(Nginx):
    """nginx with the combined access log to a file, buffer=64k."""
    logging = "access_log buffer=64k"

    def command(self, port, scenario):
        argv = super().command(port, scenario)
        prefix, config = argv[4], argv[2]
        with open(config) as source:
            text = source.read()
        text = text.replace("access_log off;",
                            f"access_log {prefix}/access.log combined buffer=64k;")
        with open(config, "w") as out:
            out.write(text)
        return argv


def static_total(peer, requests, depth, workdir, tool):
    """Callgrind's instruction total or strace's syscall total for `requests`
    GETs of the 1 KiB file over one kept-alive connection."""
    port = free_port()
    out = os.path.join(workdir, f"{tool}.static.{peer.name}.{requests}.{depth}")
    peer.stderr_file = None
    argv = peer.command(port, "static1k")
    if tool == "callgrind":
        wrap = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    else:
        wrap = ["taskset", "-c", SERVER_CPU, "strace", "-c", "-f", "-o", out]
    argv = [*wrap, *argv]
    if peer.stderr_file:  # the shell is replaced by the wrapper: nothing of it is measured
        argv = ["sh", "-c", 'exec "$@" 2>>"$0"', peer.stderr_file, *argv]
    with Running(argv, port, timeout=600, signal_child=tool == "strace"):
        client = [os.path.join(BUILD, "benchmarks", "pipeline_client"), str(port), "--path",
                  peer.path("static1k"), "--requests", str(requests), "--depth", str(depth)]
        subprocess.run(["taskset", "-c", CLIENT_CPU, *client], check=True, capture_output=True,
                       timeout=900)
    for line in open(out):
        if tool == "callgrind" and line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
        if tool == "strace" and line.rstrip().endswith(" total"):
            return int(line.split()[3])
    raise RuntimeError(f"no {tool} total in {out}")


def static_cost(args, workdir, files):
    """Instructions and syscalls per request for the 1 KiB file, with logging
    off and on, 16 pipelined and one at a time."""
    n1, n2 = args.cost_requests
    names = (args.servers or "basehttp,nginx,h2o").split(",")
    # basehttp keeps the bytes of a small file only once its last change is
    # 2 s old (a change within one clock tick may not show in its times):
    # measure what it does with a file that is not being written.
    written = os.stat(os.path.join(files, "1k.bin")).st_ctime
    time.sleep(max(0.0, written + 2.5 - time.time()))
    peers = []
    for name in names:
        if name == "basehttp":
            plain = Basehttp("basehttp", workdir, files)
            plain.logging = "off (-q)"
            peers += [plain, BasehttpStderrLog("basehttp-log", workdir, files),
                      BasehttpAccessLog("basehttp-accesslog", workdir, files)]
        elif name == "nginx":
            plain = Nginx("nginx", workdir, files)
            plain.logging = "off"
            peers += [plain, NginxAccessLog("nginx-log", workdir, files)]
        elif name == "h2o":
            plain = H2o("h2o", workdir, files)
            plain.logging = "off"
            peers.append(plain)
    rows = []
    for peer in peers:
        measure = lambda tool, depth: lambda n: static_total(peer, n, depth, workdir, tool)
        row = (peer.name, peer.logging,
               per_request(measure("callgrind", 16), n1, n2),
               per_request(measure("callgrind", 1), n1 // 4, n2 // 4),
               per_request(measure("strace", 16), n1, n2),
               per_request(measure("strace", 1), n1 // 4, n2 // 4))
        rows.append(row)
        log(f"  {peer.name:<19} {row[2]:>7,.0f} instr/req (16 pipelined)  {row[3]:,.0f} (one at "
            f"a time)  {row[4]:.3f} / {row[5]:.2f} syscalls/req")
    print(f"\nstatic 1 KiB file, one kept-alive connection; instructions by callgrind, syscalls "
          f"by strace -c -f; per request = difference between {n1} and {n2} requests "
          f"pipelined, {n1 // 4} and {n2 // 4} one at a time; / nginx: against nginx with its "
          f"access log off for a server logging nothing, with it on (buffer=64k) otherwise\n")
    print("| server | log | instructions/request, 16 pipelined | / nginx | instructions/request, "
          "one at a time | / nginx | syscalls/request, 16 pipelined | syscalls/request, one at "
          "a time |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, logging, pipelined, single, syscalls16, syscalls1 in rows:
        logged = not logging.startswith("off")
        nginx = next((r for r in rows if r[0] == ("nginx-log" if logged else "nginx")), None)
        ratio16 = f"{pipelined / nginx[2]:.3f}" if nginx else "-"
        ratio1 = f"{single / nginx[3]:.3f}" if nginx else "-"
        print(f"| {name} | {logging} | {pipelined:,.0f} | {ratio16} | {single:,.0f} | {ratio1} | "
              f"{syscalls16:.3f} | {syscalls1:.2f} |")


# ---------------------------------------------------------------- --metrics-cost

class BasehttpHistograms(Basehttp):
    """hello_server keeping the per-phase latency histograms (--metrics in basehttpd)."""

    def command(self, port, scenario):
        return super().command(port, scenario) + ["--latency-histograms"]


def metrics_cost(args, workdir, files):
    """Instructions/request of hello_server without and with latency histograms."""
    n1, n2 = args.cost_requests
    plain = Basehttp("basehttp", workdir, files)
    histograms = BasehttpHistograms("basehttp+histograms", workdir, files)
    print(f"\nplaintext, one connection; instructions by callgrind; per request = difference "
          f"between {n1} and {n2} requests\n")
    print("| server | instructions/request, 16 pipelined | instructions/request, no pipelining |")
    print("|---|---:|---:|")
    rows = []
    for peer in (plain, histograms):
        pipelined = per_request(lambda n: callgrind_total(peer, n, 16, workdir), n1, n2)
        single = per_request(lambda n: callgrind_total(peer, n, 1, workdir), n1 // 4, n2 // 4)
        rows.append((pipelined, single))
        print(f"| {peer.name} | {pipelined:,.0f} | {single:,.0f} |")
        log(f"  {peer.name}: {pipelined:,.0f} (16 pipelined), {single:,.0f} (no pipelining)")
    print(f"\nlatency histograms cost {rows[1][0] - rows[0][0]:,.0f} instructions/request "
          f"pipelined, {rows[1][1] - rows[0][1]:,.0f} without pipelining")


# ---------------------------------------------------------------- --threads

def scaling(args, workdir, files):
    """basehttp on one loop, then two (one thread each), on this 2-CPU machine:
    with two loops the server has both CPUs and shares one with wrk."""
    n1, n2 = args.cost_requests
    rows = []
    for threads, cpus in ((1, SERVER_CPU), (2, f"{SERVER_CPU},{CLIENT_CPU}")):
        peer = Basehttp(f"threads={threads}", workdir, files)
        peer.threads = threads
        rates = []
        for title, endpoint, connections, depth in SCENARIOS[:2]:
            port = free_port()
            with Running(peer.command(port, endpoint), port, ("taskset", "-c", cpus)):
                url = f"http://127.0.0.1:{port}{peer.path(endpoint)}"
                run_wrk(url, 1, connections, depth)  # warm up
                runs = [run_wrk(url, args.duration, connections, depth) for _ in range(args.runs)]
            rates.append(statistics.median(r[0] for r in runs))
        instructions = per_request(
            lambda n: callgrind_total(peer, n, 16, workdir, connections=8), n1, n2)
        rows.append((threads, cpus, rates[0], rates[1], instructions))
        log(f"  threads={threads}: {rates[0]:,.0f} / {rates[1]:,.0f} req/s, "
            f"{instructions:,.0f} instr/req")
    print(f"\nbasehttp hello_server by ServerOptions::threads; wrk -t1 on CPU {CLIENT_CPU}, "
          f"{args.runs} runs of {args.duration} s (medians); instructions by callgrind over 8 "
          f"connections, 16 pipelined\n")
    print("| threads | server CPUs | plaintext req/s | 16 pipelined req/s | instructions/request |")
    print("|---:|---|---:|---:|---:|")
    for threads, cpus, plain, pipelined, instructions in rows:
        print(f"| {threads} | {cpus} | {plain:,.0f} | {pipelined:,.0f} | {instructions:,.0f} |")


# ---------------------------------------------------------------- --log-cost

class LogCostSetup:
    """One server configuration for --log-cost: its command, the path asked
    for, and how its log is configured (stderr goes to a regular file)."""

    def __init__(self, name, command, path, workdir):
        self.name, self.command, self.path = name, command, path
        self.stderr = os.path.join(workdir, f"stderr.{name.replace(' ', '_')}.log")


def log_cost_run(setup, requests, depth, wrap, out=None, signal_child=False):
    port = free_port()
    # stderr to a regular file, as a service's journal or a redirect would
    # have it: sh sets it up and execs the wrapper (valgrind, strace).
    redirect = ("sh", "-c", f'exec "$@" 2>>{setup.stderr}', "sh")
    with Running(setup.command(port), port, (*redirect, *wrap), timeout=600,
                 signal_child=signal_child):
        command = [os.path.join(BUILD, "benchmarks", "pipeline_client"), str(port), "--requests",
                   str(requests), "--depth", str(depth), "--connections", "1", "--path",
                   setup.path]
        subprocess.run(["taskset", "-c", CLIENT_CPU, *command], check=True, capture_output=True,
                       timeout=900)


def log_cost_instructions(setup, requests, depth, workdir):
    out = os.path.join(workdir, f"callgrind.log.{setup.name.replace(' ', '_')}.{requests}.{depth}")
    log_cost_run(setup, requests, depth,
                 ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"))
    for line in open(out):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no callgrind total in {out}")


def log_cost_syscalls(setup, requests, depth, workdir):
    out = os.path.join(workdir, f"strace.log.{setup.name.replace(' ', '_')}.{requests}.{depth}")
    log_cost_run(setup, requests, depth,
                 ("taskset", "-c", SERVER_CPU, "strace", "-c", "-f", "-o", out),
                 signal_child=True)
    for line in open(out):
        if line.rstrip().endswith(" total"):
            return int(line.split()[3])
    raise RuntimeError("no strace total in " + out)


def log_cost(args, workdir, files):
    """Instructions and syscalls per request with the access log off and on:
    basehttp (Python's format to stderr, the combined format to a file) and
    nginx (access_log off, and the combined format with buffer=64k), for
    /plaintext and a static 1 KiB file. All threads count (strace -f,
    callgrind's total): basehttp's log writer thread included."""
    n1, n2 = args.cost_requests
    hello = os.path.join(BUILD, "benchmarks", "hello_server")
    basehttpd = os.path.join(BUILD, "examples", "basehttpd")
    combined_file = os.path.join(workdir, "combined.log")

    def nginx_command(logging):
        peer = (NginxAccessLog if logging else Nginx)("nginx", workdir, files)
        return lambda port: peer.command(port, "plaintext")

    def served(extra):
        return lambda port: [basehttpd, "-b", "127.0.0.1", "-d", files, *extra, str(port)]

    setups = [
        ("plaintext", [
            LogCostSetup("basehttp, log off", lambda port: [hello, str(port)], "/plaintext",
                         workdir),
            LogCostSetup("basehttp, stderr log", lambda port: [hello, str(port), "--log"],
                         "/plaintext", workdir),
            LogCostSetup("basehttp, combined file log",
                         lambda port: [hello, str(port), "--combined-log", combined_file],
                         "/plaintext", workdir),
            LogCostSetup("nginx, access_log off", nginx_command(False), "/plaintext", workdir),
            LogCostSetup("nginx, access_log buffer=64k", nginx_command(True), "/plaintext",
                         workdir),
        ]),
        ("static 1 KiB", [
            LogCostSetup("basehttpd -q", served(["-q"]), "/1k.bin", workdir),
            LogCostSetup("basehttpd, stderr log", served([]), "/1k.bin", workdir),
            LogCostSetup("basehttpd, combined file log",
                         served(["--log-format", "combined", "--access-log", combined_file]),
                         "/1k.bin", workdir),
            LogCostSetup("nginx, access_log off", nginx_command(False), "/static/1k.bin", workdir),
            LogCostSetup("nginx, access_log buffer=64k", nginx_command(True), "/static/1k.bin",
                         workdir),
        ]),
    ]
    print(f"\naccess log off and on, one kept-alive connection; instructions by callgrind "
          f"(every thread), syscalls by strace -c -f; per request = difference between {n1} "
          f"and {n2} requests; stderr goes to a regular file\n")
    for title, group in setups:
        rows = []
        for setup in group:
            pipelined = per_request(lambda n: log_cost_instructions(setup, n, 16, workdir), n1, n2)
            single = per_request(lambda n: log_cost_instructions(setup, n, 1, workdir), n1 // 4,
                                 n2 // 4)
            syscalls16 = per_request(lambda n: log_cost_syscalls(setup, n, 16, workdir), n1, n2)
            syscalls1 = per_request(lambda n: log_cost_syscalls(setup, n, 1, workdir), n1 // 4,
                                    n2 // 4)
            rows.append((setup.name, pipelined, single, syscalls16, syscalls1))
            log(f"  {title}, {setup.name}: {pipelined:,.0f} / {single:,.0f} instr/req, "
                f"{syscalls16:.3f} / {syscalls1:.2f} syscalls/req")
        print(f"{title}:\n")
        print("| server | instructions/request, 16 pipelined | / log off | instructions/request, "
              "one at a time | / log off | syscalls/request, 16 pipelined | syscalls/request, "
              "one at a time |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, pipelined, single, syscalls16, syscalls1 in rows:
            off = rows[0] if name.startswith("basehttp") else rows[3]
            print(f"| {name} | {pipelined:,.0f} | {pipelined / off[1]:.3f} | {single:,.0f} | "
                  f"{single / off[2]:.3f} | {syscalls16:.3f} | {syscalls1:.2f} |")
        print()


# ---------------------------------------------------------------- --memory

def resident_kib(pid):
    total = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                total = int(line.split()[1])
    return total


IDLE_RELEASE_SECONDS = 1  # ServerOptions::idle_release_after
IP_BIND_ADDRESS_NO_PORT = 24  # <linux/in.h>: the port is picked by connect(), per 4-tuple
CLIENTS_PER_SOURCE = 25000  # below the ephemeral port range (32768-60999 by default)


def raise_file_limit_to(wanted):
    """For --memory with many connections: the limit of this process and of
    the servers it starts (root may raise the hard limit, up to nr_open)."""
    global FILE_LIMIT
    FILE_LIMIT = max(FILE_LIMIT, wanted)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        except (ValueError, OSError):
            sys.exit(f"compare.py: {wanted} connections need RLIMIT_NOFILE {wanted} (hard "
                     f"limit {hard}; raise it, or run with CAP_SYS_RESOURCE)")
    raise_file_limit()


def idle_client(port, index):
    """Connection `index` of many to 127.0.0.1:port: from source address
    127.0.0.(1 + index / CLIENTS_PER_SOURCE), since one source address has
    only ~28,000 ephemeral ports towards one server port."""
    connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if index >= CLIENTS_PER_SOURCE:
        connection.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        connection.bind((f"127.0.0.{1 + index // CLIENTS_PER_SOURCE}", 0))
    connection.connect(("127.0.0.1", port))
    return connection


def memory(peers, args):
    counts = args.idle_connections
    raise_file_limit_to(max(counts) + 64)  # the listener, the loop's own, stdio
    print(f"\nresident memory per idle keep-alive {'TLS ' if args.tls else ''}connection "
          f"(each after one request, measured {IDLE_RELEASE_SECONDS + 1} s after the last "
          f"response)\n")
    print("| server | connections | RSS before (KiB) | RSS with connections (KiB) | "
          "bytes per connection |")
    print("|---|---:|---:|---:|---:|")
    request = b"GET /plaintext HTTP/1.1\r\nHost: b\r\n\r\n"
    client_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_tls.check_hostname = False
    client_tls.verify_mode = ssl.CERT_NONE
    for count in counts:
        for peer in peers:
            if unable(peer, "memory"):
                print(f"| {peer.name} | {count:,} | {unable(peer, 'memory')} | | |")
                continue
            port = free_port()
            with Running(peer.command(port, "plaintext"), port,
                         ("taskset", "-c", SERVER_CPU)) as run:
                before = resident_kib(run.pid())
                held = []
                for index in range(count):
                    connection = idle_client(port, index)
                    if peer.tls:  # blocking: the handshake is over when this returns
                        connection.settimeout(30)
                        connection = client_tls.wrap_socket(connection)
                    connection.sendall(request)
                    held.append(connection)
                for connection in held:  # every response read: the server has seen every request
                    connection.settimeout(30)
                    data = b""
                    while b"Hello, World!" not in data:
                        chunk = connection.recv(4096)
                        if not chunk:
                            raise RuntimeError(f"{peer.name} closed a connection of {count:,}")
                        data += chunk
                # Idle means idle: past ServerOptions::idle_release_after (1 s),
                # when a connection gives back its buffers (over TLS, OpenSSL's
                # record buffers too) and its Session is parked. nginx frees
                # its buffers as soon as a request is done, so the wait changes
                # nothing for it.
                time.sleep(IDLE_RELEASE_SECONDS + 1)
                after = resident_kib(run.pid())
                for connection in held:
                    connection.close()
            per = (after - before) * 1024 / count
            print(f"| {peer.name} | {count:,} | {before:,} | {after:,} | {per:,.0f} |", flush=True)
            log(f"  {peer.name}: {per:,.0f} bytes per idle connection ({count:,})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cost", action="store_true", help="instructions and syscalls per request")
    parser.add_argument("--memory", action="store_true", help="memory per idle connection")
    parser.add_argument("--static-cost", action="store_true",
                        help="instructions and syscalls per request for a 1 KiB file, "
                             "logging off and on")
    parser.add_argument("--metrics-cost", action="store_true",
                        help="instructions/request with and without latency histograms")
    parser.add_argument("--log-cost", action="store_true",
                        help="instructions and syscalls per request with the access log off and on")
    parser.add_argument("--threads", action="store_true",
                        help="basehttp with 1 and 2 event loops (ServerOptions::threads)")
    parser.add_argument("--python", action="store_true", help="include Python's http.server")
    parser.add_argument("--conformance", action="store_true",
                        help="how each server handles pipelining, Connection, HTTP/1.0, Date, "
                             "a missing Host, a bad request line and HEAD")
    parser.add_argument("--tls", action="store_true",
                        help="over HTTPS, with full handshakes per second (basehttp, nginx)")
    parser.add_argument("--servers", help="default basehttp,nginx,h2o (basehttp,nginx with --tls)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="only the wrk scenarios whose name contains this")
    parser.add_argument("--cost-requests", type=int, nargs=2, default=(20000, 100000))
    parser.add_argument("--idle-connections", type=int, nargs="+", default=[10000],
                        help="--memory: connection counts to measure at (e.g. 10000 100000)")
    args = parser.parse_args()

    ensure_tools()
    servers = args.servers or ("basehttp,nginx" if args.tls else "basehttp,nginx,h2o")
    build(args.tls, ensure_libraries(servers.split(",")))
    raise_file_limit()
    with tempfile.TemporaryDirectory(prefix="basehttp-compare-") as workdir:
        files = os.path.join(workdir, "files")
        make_files(files)
        kinds = {"basehttp": Basehttp, "nginx": Nginx, "h2o": H2o, "python": PythonServer,
                 **LIBRARY_PEERS}
        names = servers.split(",") + (["python"] if args.python else [])
        peers = [kinds[name](name, workdir, files) for name in names]
        for peer in [p for p in peers if isinstance(p, LibraryPeer) and not p.built()]:
            print(f"blocked: {peer.name}: {peer.command(0, '')[0]} was not built "
                  f"({LIBRARY_PACKAGES[peer.name.split('-')[0]]} missing, or its build failed)")
            peers.remove(peer)
        if args.tls:
            certificate = Certificate(workdir)
            for peer in peers:
                peer.tls = certificate
        print(f"machine: {os.cpu_count()} CPUs, {os.uname().release}; "
              f"{subprocess.run(['nginx', '-v'], capture_output=True, text=True).stderr.strip()}; "
              f"{subprocess.run(['h2o', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}"
              f"{library_versions(peers)}")
        if args.threads:
            scaling(args, workdir, files)
        elif args.cost:
            cost(peers, args, workdir)
        elif args.metrics_cost:
            metrics_cost(args, workdir, files)
        elif args.log_cost:
            log_cost(args, workdir, files)
        elif args.static_cost:
            static_cost(args, workdir, files)
        elif args.memory:
            memory(peers, args)
        elif args.conformance:
            conformance(peers)
        else:
            throughput(peers, args)


if __name__ == "__main__":
    main()
