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
                        10,000 of them open
  --tls                 over HTTPS instead (TLS 1.3 by the clients' choice; TLS
                        1.2 and 1.3 offered), basehttp and nginx on one EC
                        P-256 certificate made for the run with the openssl
                        command: the wrk scenarios plus full handshakes per
                        second (openssl s_time -new); --cost over a kept-alive
                        TLS 1.3 connection, 16 pipelined and one at a time;
                        --memory with every connection after its handshake
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


def build(tls):
    if not os.path.exists(os.path.join(BUILD, "build.ninja")):
        subprocess.run(["meson", "setup", BUILD, "--buildtype=release", "-Dtests=disabled",
                        "-Dexamples=enabled", "-Dbenchmarks=enabled"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    if tls:  # a tree set up without it (tls=auto finds no OpenSSL: say so now)
        subprocess.run(["meson", "configure", BUILD, "-Dtls=enabled"], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", BUILD], check=True, stdout=subprocess.DEVNULL)


def raise_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
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


def run_wrk(url, seconds, connections, depth):
    command = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
               "--latency", url]
    if depth > 1:
        command[-1:-1] = ["-s", os.path.join(PEERS, "pipeline.lua")]
        command += ["--", str(depth)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    return parse_wrk(result.stdout)


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
            port = free_port()
            wrap = ("taskset", "-c", SERVER_CPU)
            with Running(peer.command(port, endpoint), port, wrap) as run:
                url = f"{scheme(peer)}://127.0.0.1:{port}{peer.path(endpoint)}"
                run_wrk(url, 1, connections, depth)  # warm up
                cpu = cpu_seconds(run.pid())
                runs = [run_wrk(url, args.duration, connections, depth) for _ in range(args.runs)]
                cpu = cpu_seconds(run.pid()) - cpu
            rate = statistics.median(r[0] for r in runs)
            p50 = statistics.median(r[1] for r in runs)
            p99 = statistics.median(r[2] for r in runs)
            # The server's CPU time per request: unlike the rate, it hardly
            # depends on how much of the CPU a shared machine leaves it.
            cost = cpu * 1e6 / max(1, sum(r[3] for r in runs))
            rows.append((title, peer.name, rate, p50, p99, cost))
            log(f"  {title:<24} {peer.name:<9} {rate:>11,.0f} req/s  p50 {p50:.3f} ms  "
                f"p99 {p99:.3f} ms  {cost:,.1f} us CPU/req")
    print(f"\nwrk{' over HTTPS' if args.tls else ''}, {args.runs} runs of {args.duration} s each "
          f"(medians); server on CPU {SERVER_CPU}, wrk -t1 on CPU {CLIENT_CPU}\n")
    print("| scenario | server | req/s | p50 ms | p99 ms | req/s / nginx | server CPU us/req "
          "| / nginx |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for title, name, rate, p50, p99, cost in rows:
        nginx = next((r for r in rows if r[0] == title and r[1] == "nginx"), None)
        ratio = f"{rate / nginx[2]:.2f}x" if nginx else "-"
        cost_ratio = f"{cost / nginx[5]:.2f}" if nginx else "-"
        if "pipelined" in title:  # wrk records almost no latencies when pipelining
            latency = "n/a | n/a"
        else:
            latency = f"{p50:.3f} | {p99:.3f}"
        print(f"| {title} | {name} | {rate:,.0f} | {latency} | {ratio} | {cost:,.1f} | "
              f"{cost_ratio} |")
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
        instructions = per_request(lambda n: callgrind_total(peer, n, 16, workdir), a, b)
        # One at a time every request is a batch of its own: a quarter of
        # the requests keeps the run as short as the pipelined one.
        single = per_request(lambda n: callgrind_total(peer, n, 1, workdir), a // 4, b // 4)
        syscalls16 = per_request(lambda n: strace_calls(peer, n, 16, workdir), a, b)
        syscalls1 = per_request(lambda n: strace_calls(peer, n, 1, workdir), a, b)
        rows.append((peer.name, instructions, single, syscalls16, syscalls1))
        log(f"  {peer.name:<9} {instructions:>9,.0f} instr/req (16 pipelined)  {single:,.0f} "
            f"(no pipelining)  {syscalls16:.3f} / {syscalls1:.2f} syscalls/req")
    print(f"\nplaintext, one connection; instructions by callgrind, syscalls by strace -c -f; "
          f"per request = difference between {n1} and {n2} requests ({n1 // 4} and {n2 // 4} "
          f"for instructions with no pipelining)\n")
    print("| server | instructions/request, 16 pipelined | / nginx | instructions/request, no "
          "pipelining | / nginx | syscalls/request, 16 pipelined | syscalls/request, no "
          "pipelining |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    nginx = next((r for r in rows if r[0] == "nginx"), None)
    for name, instructions, single, syscalls16, syscalls1 in rows:
        ratio = f"{instructions / nginx[1]:.3f}" if nginx else "-"
        ratio1 = f"{single / nginx[2]:.3f}" if nginx else "-"
        print(f"| {name} | {instructions:,.0f} | {ratio} | {single:,.0f} | {ratio1} | "
              f"{syscalls16:.3f} | {syscalls1:.2f} |")

    basehttp = next(p for p in peers if p.name == "basehttp")
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


# ---------------------------------------------------------------- --memory

def resident_kib(pid):
    total = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                total = int(line.split()[1])
    return total


IDLE_RELEASE_SECONDS = 1  # ServerOptions::idle_release_after


def memory(peers, args):
    count = args.idle_connections
    print(f"\nresident memory per idle keep-alive {'TLS ' if args.tls else ''}connection "
          f"({count:,} connections, each after one request)\n")
    print("| server | RSS before (KiB) | RSS with connections (KiB) | bytes per connection |")
    print("|---|---:|---:|---:|")
    request = b"GET /plaintext HTTP/1.1\r\nHost: b\r\n\r\n"
    client_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_tls.check_hostname = False
    client_tls.verify_mode = ssl.CERT_NONE
    for peer in peers:
        port = free_port()
        with Running(peer.command(port, "plaintext"), port, ("taskset", "-c", SERVER_CPU)) as run:
            before = resident_kib(run.pid())
            held = []
            for _ in range(count):
                connection = socket.create_connection(("127.0.0.1", port))
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
                        break
                    data += chunk
            # Idle means idle: past ServerOptions::idle_release_after (1 s),
            # when a connection gives back its buffers (over TLS, OpenSSL's
            # record buffers too). nginx frees them as soon as a record is
            # done, so the wait changes nothing for it.
            time.sleep(IDLE_RELEASE_SECONDS + 1)
            after = resident_kib(run.pid())
            for connection in held:
                connection.close()
        per = (after - before) * 1024 / count
        print(f"| {peer.name} | {before:,} | {after:,} | {per:,.0f} |")
        log(f"  {peer.name}: {per:,.0f} bytes per idle connection")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cost", action="store_true", help="instructions and syscalls per request")
    parser.add_argument("--memory", action="store_true", help="memory per idle connection")
    parser.add_argument("--metrics-cost", action="store_true",
                        help="instructions/request with and without latency histograms")
    parser.add_argument("--threads", action="store_true",
                        help="basehttp with 1 and 2 event loops (ServerOptions::threads)")
    parser.add_argument("--python", action="store_true", help="include Python's http.server")
    parser.add_argument("--tls", action="store_true",
                        help="over HTTPS, with full handshakes per second (basehttp, nginx)")
    parser.add_argument("--servers", help="default basehttp,nginx,h2o (basehttp,nginx with --tls)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="only the wrk scenarios whose name contains this")
    parser.add_argument("--cost-requests", type=int, nargs=2, default=(20000, 100000))
    parser.add_argument("--idle-connections", type=int, default=10000)
    args = parser.parse_args()

    ensure_tools()
    build(args.tls)
    raise_file_limit()
    with tempfile.TemporaryDirectory(prefix="basehttp-compare-") as workdir:
        files = os.path.join(workdir, "files")
        make_files(files)
        kinds = {"basehttp": Basehttp, "nginx": Nginx, "h2o": H2o, "python": PythonServer}
        servers = args.servers or ("basehttp,nginx" if args.tls else "basehttp,nginx,h2o")
        names = servers.split(",") + (["python"] if args.python else [])
        peers = [kinds[name](name, workdir, files) for name in names]
        if args.tls:
            certificate = Certificate(workdir)
            for peer in peers:
                peer.tls = certificate
        print(f"machine: {os.cpu_count()} CPUs, {os.uname().release}; "
              f"{subprocess.run(['nginx', '-v'], capture_output=True, text=True).stderr.strip()}; "
              f"{subprocess.run(['h2o', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
        if args.threads:
            scaling(args, workdir, files)
        elif args.cost:
            cost(peers, args, workdir)
        elif args.metrics_cost:
            metrics_cost(args, workdir, files)
        elif args.memory:
            memory(peers, args)
        else:
            throughput(peers, args)


if __name__ == "__main__":
    main()
