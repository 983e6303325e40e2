"""Soak test: basehttpd under 200 concurrent clients for a while (60 s by
default) that mix keep-alive GETs, pipelined bursts, slow readers, requests
and responses cut off (FIN or RST), and malformed requests. Every
well-formed request read to its end must get the right answer; once the
clients are gone the server's descriptors return to their baseline; its
memory stays within 10% of its size after warm-up; and it exits 0 on
SIGTERM (so under ASan, with detect_leaks=1, a leak fails the test).

With --tls, the same over HTTPS: basehttpd --tls-cert with a throwaway
CA's certificate, every client connection a TLS one that checks it; a cut
request or response is then a cut in the middle of a TLS record or
stream, and a RST or FIN without close_notify.

usage: soak_test.py BASEHTTPD REPORT_NAME [--duration SECONDS] [--clients N]
                    [--sanitized] [--tls]
The duration may also come from the environment (BASEHTTP_SOAK_SECONDS).
--sanitized reports memory without bounding it: ASan's quarantine keeps
freed blocks on purpose, so a sanitized server's RSS grows by design.
"""
import argparse
import asyncio
import collections
import os
import random
import signal
import socket
import ssl
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402
import certificates  # noqa: E402

KiB = 1024
MiB = 1024 * KiB
# No single client step may take longer than this; a server that stops
# answering fails the run instead of hanging it.
STEP_TIMEOUT = 60.0
RSS_TOLERANCE = 0.10


# ---- The served folder -------------------------------------------------

class Site:
    """The files under the served root, kept in memory to check answers."""

    def __init__(self, root, rng):
        self.files = {}  # URL path -> bytes
        sizes = {"small": [0, 1, 100, 512, 2 * KiB, 4 * KiB, 16 * KiB],
                 "medium": [64 * KiB, 200 * KiB, 1 * MiB],
                 "large": [8 * MiB]}
        self.by_size = {}
        for kind, lengths in sizes.items():
            for i, length in enumerate(lengths):
                path = f"/{kind}{i}.bin"
                self.files[path] = rng.randbytes(length)
                self.by_size.setdefault(kind, []).append(path)
        os.makedirs(os.path.join(root, "dir"))
        for name in ("a.txt", "b.txt", "c.txt"):
            self.files[f"/dir/{name}"] = f"file {name}\n".encode()
        for path, content in self.files.items():
            with open(os.path.join(root, path.lstrip("/")), "wb") as out:
                out.write(content)
        self.etags = {}  # URL path -> ETag, learnt by prime()


# ---- Talking HTTP ------------------------------------------------------

class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


async def read_answer(reader, head_request=False):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if head_request or status == 304:
        return Answer(status, headers, b"")
    length = int(headers["content-length"])  # static files always send one
    return Answer(status, headers, await reader.readexactly(length))


# Where the clients connect: 127.0.0.1:port, over TLS when tls is an
# ssl.SSLContext.
Target = collections.namedtuple("Target", "port tls")


async def connect(target, receive_buffer=0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    if receive_buffer:
        # Before connecting, so the advertised window stays small.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", target.port))
    except BaseException:
        sock.close()
        raise
    if target.tls is None:
        return await asyncio.open_connection(sock=sock, limit=256 * KiB)
    return await asyncio.open_connection(sock=sock, limit=256 * KiB, ssl=target.tls,
                                         server_hostname="localhost",
                                         ssl_handshake_timeout=STEP_TIMEOUT)


def reset(writer):
    """Closes with a RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def close(writer):
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 5)
    except (OSError, asyncio.TimeoutError):
        pass


class Exchange:
    """A well-formed request and how to check its answer."""

    def __init__(self, kind, raw, check, head_request=False):
        self.kind, self.raw, self.check, self.head_request = kind, raw, check, head_request


def well_formed(site, rng, allow_large=False):
    """A random well-formed request for the served folder."""
    roll = rng.random()
    sizes = ["small", "small", "small", "medium"] + (["large"] if allow_large else [])
    path = rng.choice(site.by_size[rng.choice(sizes)])
    content = site.files[path]

    def request(target, *fields, method="GET"):
        extra = "".join(f"{field}\r\n" for field in fields)
        return f"{method} {target} HTTP/1.1\r\nHost: soak\r\n{extra}\r\n".encode()

    if roll < 0.55:
        def check(a):
            return a.status == 200 and a.body == content
        return Exchange("get", request(path), check)
    if roll < 0.65:
        def check(a):
            return a.status == 200 and int(a.headers.get("content-length", -1)) == len(content)
        return Exchange("head", request(path, method="HEAD"), check, head_request=True)
    if roll < 0.75 and content:
        first = rng.randrange(len(content))
        last = rng.randrange(first, len(content))

        def check(a):
            return (a.status == 206 and a.body == content[first:last + 1] and
                    a.headers.get("content-range") == f"bytes {first}-{last}/{len(content)}")
        return Exchange("range", request(path, f"Range: bytes={first}-{last}"), check)
    if roll < 0.85 and path in site.etags:
        def check(a):
            return a.status == 304 and a.body == b""
        return Exchange("not_modified", request(path, f"If-None-Match: {site.etags[path]}"), check)
    if roll < 0.93:
        def check(a):
            return a.status == 200 and all(name.encode() in a.body
                                            for name in ("a.txt", "b.txt", "c.txt"))
        return Exchange("listing", request("/dir/"), check)

    def check(a):
        return a.status == 404 and len(a.body) > 0
    return Exchange("not_found", request(f"/missing{rng.randrange(1000)}.bin"), check)


# Malformed requests and the statuses they must get; all but the unknown
# method also close the connection (the stream cannot be trusted after).
MALFORMED = [
    ("no_colon", b"GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", 400, True),
    ("control_in_target", b"GET /\x01 HTTP/1.1\r\nHost: t\r\n\r\n", 400, True),
    ("bare_lf", b"GET / HTTP/1.1\nHost: t\n\n", 400, True),
    ("no_host", b"GET / HTTP/1.1\r\n\r\n", 400, True),
    ("http2", b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, True),
    ("bad_chunk", b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     400, True),
    ("bad_length", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400, True),
    ("length_and_chunked", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, True),
    ("long_request_line", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414, True),
    ("many_fields", b"GET / HTTP/1.1\r\nHost: t\r\n" +
     b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n", 431, True),
    ("body_too_large", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 9000000\r\n\r\n",
     413, True),
    ("unknown_method", b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n", 501, False),
    ("binary", None, 400, True),  # random bytes, then CRLFs so a line ends
]


# ---- The clients ---------------------------------------------------------

class Stats:
    def __init__(self):
        self.answered = collections.Counter()  # well-formed answers checked, by kind
        self.faults = collections.Counter()    # faults injected, by kind
        self.failures = 0
        self.failure_samples = []

    def fail(self, text):
        self.failures += 1
        if len(self.failure_samples) < 20:
            self.failure_samples.append(text)


async def exchange_all(reader, writer, exchanges, stats, label):
    """Sends `exchanges` at once (pipelined when several), checks each answer."""
    writer.write(b"".join(e.raw for e in exchanges))
    await writer.drain()
    for e in exchanges:
        try:
            answer = await read_answer(reader, e.head_request)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            stats.fail(f"{label} {e.kind} {e.raw[:60]!r}: no answer ({error!r})")
            return False
        if not e.check(answer):
            stats.fail(f"{label} {e.kind} {e.raw[:60]!r}: got {answer.status} "
                       f"{answer.headers} ({len(answer.body)} body bytes)")
            return False
        stats.answered[e.kind] += 1
    return True


async def keep_alive(target, site, rng, stats):
    reader, writer = await connect(target)
    try:
        for _ in range(rng.randint(1, 10)):
            # An 8 MiB answer now and then; more would spend the client's
            # time copying bytes rather than making requests.
            allow_large = rng.random() < 0.02
            if not await exchange_all(reader, writer, [well_formed(site, rng, allow_large)],
                                      stats, "keep-alive"):
                return
    finally:
        await close(writer)


async def pipelined(target, site, rng, stats):
    reader, writer = await connect(target)
    try:
        burst = [well_formed(site, rng) for _ in range(rng.randint(2, 16))]
        await exchange_all(reader, writer, burst, stats, "pipelined")
        stats.answered["pipelined_bursts"] += 1
    finally:
        await close(writer)


async def slow_reader(target, site, rng, stats):
    # A small window and small, spaced reads: the server must hold the
    # rest of the 8 MiB in its queue and go on serving everyone else.
    reader, writer = await connect(target, receive_buffer=32 * KiB)
    path = rng.choice(site.by_size["large"])
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        received = bytearray()
        while len(received) < length:
            received += await reader.read(min(64 * KiB, length - len(received)))
            if reader.at_eof() and len(received) < length:
                break
            await asyncio.sleep(0.004)  # the reader's pace
        if head.startswith(b"HTTP/1.1 200 ") and bytes(received) == site.files[path]:
            stats.answered["slow_read"] += 1
        else:
            stats.fail(f"slow reader {path}: {head[:40]!r}, {len(received)} of {length} bytes")
    finally:
        await close(writer)


async def abort_mid_request(target, site, rng, stats):
    reader, writer = await connect(target)
    raw = well_formed(site, rng).raw
    writer.write(raw[:rng.randrange(1, len(raw) - 2)])  # never the final CRLF
    await writer.drain()
    if rng.random() < 0.5:
        stats.faults["request_cut_fin"] += 1
        await close(writer)
    else:
        stats.faults["request_cut_rst"] += 1
        reset(writer)


async def abort_mid_response(target, site, rng, stats):
    reader, writer = await connect(target, receive_buffer=64 * KiB)
    path = rng.choice(site.by_size["large"] + site.by_size["medium"])
    writer.write(f"GET {path} HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    wanted = rng.randrange(0, len(site.files[path]) // 2)
    got = 0
    while got < wanted:
        chunk = await reader.read(min(64 * KiB, wanted - got))
        if not chunk:
            break
        got += len(chunk)
    if rng.random() < 0.5:
        stats.faults["response_cut_fin"] += 1
        await close(writer)
    else:
        stats.faults["response_cut_rst"] += 1
        reset(writer)


async def malformed(target, site, rng, stats):
    name, raw, status, closes = rng.choice(MALFORMED)
    if raw is None:
        raw = rng.randbytes(60) + b"\r\n\r\n"
    reader, writer = await connect(target)
    stats.faults["malformed_" + name] += 1
    try:
        writer.write(raw)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        ok = head.startswith(f"HTTP/1.1 {status} ".encode())
        if closes:
            ok = ok and await reader.read(1) == b""
        if ok:
            stats.answered["malformed_rejected"] += 1
        else:
            stats.fail(f"malformed {name}: {head[:60]!r}")
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        stats.fail(f"malformed {name}: no answer ({error!r})")
    finally:
        await close(writer)


SCENARIOS = [(keep_alive, 30), (pipelined, 20), (slow_reader, 3), (abort_mid_request, 12),
             (abort_mid_response, 10), (malformed, 15)]


async def client(target, site, seed, deadline, stats):
    rng = random.Random(seed)
    functions, weights = zip(*SCENARIOS)
    while time.monotonic() < deadline:
        scenario = rng.choices(functions, weights)[0]
        try:
            await asyncio.wait_for(scenario(target, site, rng, stats), STEP_TIMEOUT)
        except asyncio.TimeoutError:
            stats.fail(f"{scenario.__name__}: no progress in {STEP_TIMEOUT} s")
        except (OSError, asyncio.IncompleteReadError) as error:
            # Only the scenarios that cut connections may see them cut; the
            # others report their own failures above.
            if scenario in (keep_alive, pipelined, slow_reader):
                stats.fail(f"{scenario.__name__}: {error!r}")


# ---- Watching the server -------------------------------------------------

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def descriptors(pid):
    """(all descriptors, sockets among them) of process `pid`."""
    total = sockets = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue  # closed while we looked
        total += 1
        sockets += target.startswith("socket:")
    return total, sockets


async def prime(target, site):
    """Requests every file once (the server keeps files open for later
    requests: those descriptors belong in the baseline) and learns ETags."""
    reader, writer = await connect(target)
    try:
        for path in site.files:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
            await writer.drain()
            answer = await read_answer(reader)
            if answer.status != 200 or answer.body != site.files[path]:
                raise RuntimeError(f"priming {path}: {answer.status}")
            site.etags[path] = answer.headers["etag"]
    finally:
        await close(writer)


async def soak(target, pid, site, clients, duration, stats):
    """Runs the clients; samples the server's RSS every 0.5 s meanwhile."""
    start = time.monotonic()
    deadline = start + duration
    samples = []  # (seconds since start, RSS KiB)

    async def sample():
        while time.monotonic() < deadline:
            samples.append((time.monotonic() - start, rss_kib(pid)))
            await asyncio.sleep(0.5)  # the sampling period

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(client(target, site, seed, deadline, stats)
                           for seed in range(clients)))
    await sampler
    samples.append((time.monotonic() - start, rss_kib(pid)))
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("report_name")
    parser.add_argument("--duration", type=float,
                        default=float(os.environ.get("BASEHTTP_SOAK_SECONDS", 60)))
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--sanitized", action="store_true")
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    report = Report(args.report_name)
    rng = random.Random(1)
    suite = "SoakOverTls" if args.tls else "Soak"
    with tempfile.TemporaryDirectory() as top, \
            report.case(suite, f"{args.clients}ClientsMixedTrafficAndFaults") as case:
        root = os.path.join(top, "root")
        os.makedirs(root)
        site = Site(root, rng)
        extra, tls = ["-q"], None
        if args.tls:
            certificates.make_ca(top)
            extra += ["--tls-cert", certificates.make_server_certificate(top),
                      "--tls-key", os.path.join(top, "server.key")]
            tls = ssl.create_default_context(cafile=os.path.join(top, "ca.pem"))
        server = servers.basehttpd(args.binary, root, os.path.join(top, "server.log"),
                                   extra=extra)
        target = Target(server.port, tls)
        pid = server.process.pid
        try:
            asyncio.run(prime(target, site))
            # Baseline: the listener is the only socket left (the priming
            # connection has been let go).
            case.check(servers.wait_for(lambda: descriptors(pid)[1] == 1, 15),
                       f"sockets after priming: {descriptors(pid)[1]}")
            fds_before = descriptors(pid)

            stats = Stats()
            began = time.monotonic()
            samples = asyncio.run(soak(target, pid, site, args.clients, args.duration, stats))
            elapsed = time.monotonic() - began

            case.check(server.process.poll() is None,
                       f"the server died (status {server.process.returncode})")
            returned = servers.wait_for(lambda: descriptors(pid) == fds_before, 15)
            fds_after = descriptors(pid)
            case.check(returned, f"descriptors {fds_before} before, {fds_after} after")

            # Memory: warm-up is the first quarter (at least 5 s); after it,
            # every sample must stay within 10% of the first.
            warm_up = max(5.0, args.duration / 4)
            settled = [rss for t, rss in samples if t >= warm_up]
            rss_warm = settled[0] if settled else samples[-1][1]
            rss_peak = max(rss for _, rss in samples)
            rss_peak_settled = max(settled) if settled else rss_warm
            rss_end = samples[-1][1]
            within = rss_peak_settled <= rss_warm * (1 + RSS_TOLERANCE) and \
                rss_end <= rss_warm * (1 + RSS_TOLERANCE)
            if not args.sanitized:
                case.check(within, f"RSS grew after warm-up: {rss_warm} KiB at {warm_up:.0f} s, "
                           f"peak {rss_peak_settled} KiB, end {rss_end} KiB")

            answered = sum(stats.answered.values())
            case.check(stats.failures == 0, f"{stats.failures} failures, first ones:\n" +
                       "\n".join(stats.failure_samples))
            case.check(answered > 0, "nothing was answered")

            server.process.send_signal(signal.SIGTERM)
            try:
                code = server.process.wait(timeout=30)
            except Exception:
                code = None
            case.check(code == 0, f"exit status {code} after SIGTERM (a leak under ASan "
                       "exits non-zero)")
            log = server.log_text()
            case.check("Sanitizer" not in log and "runtime error" not in log,
                       "sanitizer report:\n" + log[-4000:])

            faults = sum(stats.faults.values())
            print(f"    {args.clients} clients for {elapsed:.1f} s: {answered} answers checked "
                  f"({answered / elapsed:.0f}/s), {stats.failures} failures")
            print("    answers by kind: " + ", ".join(f"{k} {v}" for k, v in
                                                       sorted(stats.answered.items())))
            print(f"    faults injected: {faults}: " + ", ".join(
                f"{k} {v}" for k, v in sorted(stats.faults.items())))
            print(f"    RSS: after warm-up ({warm_up:.0f} s) {rss_warm} KiB, peak {rss_peak} KiB "
                  f"(after warm-up {rss_peak_settled} KiB), end {rss_end} KiB"
                  + ("; not bounded under a sanitizer" if args.sanitized else ""))
            print(f"    descriptors (all, sockets): before {fds_before}, after {fds_after}; "
                  f"exit status {code}")
        finally:
            server.stop()
    report.finish()


if __name__ == "__main__":
    main()
