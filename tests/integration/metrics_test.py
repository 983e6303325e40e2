"""basehttpd --metrics PATH --health PATH, scraped like Prometheus would:
the text parses with prometheus_client's parser (Debian
python3-prometheus-client) and with a strict parser of the text format
here (HELP and TYPE once per family before its samples, counters ending
in _total, cumulative buckets up to +Inf equal to _count); its counters and
histograms move as requests are made, summed over the loops of
--threads 2; the health path answers 200, then 503 once SIGTERM starts the
shutdown delay, while the server still serves.

usage: metrics_test.py BASEHTTPD REPORT_NAME
"""
import math
import os
import re
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402

IO_TIMEOUT = 10.0

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # The Debian package installs for the system python3; meson may have
    # found another one first.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        text_string_to_metric_families = None

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\]*\",?)*)\}})? "
                    r"([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN))$")


def strict_parse(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}; raises
    ValueError naming the first line that breaks the text format."""
    families, current = {}, None
    if not text.endswith("\n"):
        raise ValueError("the text does not end with a newline")
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *line[7:].split(" ", 1)
            family = families.setdefault(name, {"type": None, "help": None, "samples": []})
            key = "help" if kind == "HELP" else "type"
            if family[key] is not None or family["samples"]:
                raise ValueError(f"line {number}: {kind} twice or after samples: {line}")
            if key == "type" and rest not in ("counter", "gauge", "histogram", "summary",
                                              "untyped"):
                raise ValueError(f"line {number}: unknown type {rest}")
            family[key] = rest
            current = name
            continue
        if line.startswith("#") or not line:
            raise ValueError(f"line {number}: unexpected {line!r}")
        match = SAMPLE.match(line)
        if not match:
            raise ValueError(f"line {number}: not a sample: {line!r}")
        name, labels, value = match.groups()
        family = families.get(current)
        if family is None or family["type"] is None:
            raise ValueError(f"line {number}: sample before any TYPE: {line}")
        allowed = {"counter": [current], "gauge": [current],
                   "histogram": [current + s for s in ("_bucket", "_sum", "_count")]}
        if name not in allowed.get(family["type"], [name]):
            raise ValueError(f"line {number}: {name} in family {current} ({family['type']})")
        if family["type"] == "counter" and not name.endswith("_total"):
            raise ValueError(f"line {number}: counter {name} does not end in _total")
        parsed = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"', labels or ""))
        family["samples"].append((name, parsed, float(value)))
    for name, family in families.items():
        if family["help"] is None or family["type"] is None:
            raise ValueError(f"{name}: HELP or TYPE missing")
        if family["type"] == "histogram":
            buckets = [(s[1]["le"], s[2]) for s in family["samples"] if s[0].endswith("_bucket")]
            bounds = [float(le) for le, _ in buckets]
            counts = [count for _, count in buckets]
            if not bounds or bounds[-1] != math.inf or bounds != sorted(bounds):
                raise ValueError(f"{name}: buckets not ascending up to +Inf: {bounds}")
            if counts != sorted(counts):
                raise ValueError(f"{name}: bucket counts not cumulative: {counts}")
            total = [s[2] for s in family["samples"] if s[0] == name + "_count"]
            sums = [s[2] for s in family["samples"] if s[0] == name + "_sum"]
            if total != [counts[-1]] or len(sums) != 1:
                raise ValueError(f"{name}: _count {total} vs +Inf {counts[-1]}, _sum {sums}")
    return families


def value(families, family, sample=None, **labels):
    for name, got, number in families[family]["samples"]:
        if name == (sample or family) and all(got.get(k) == v for k, v in labels.items()):
            return number
    raise KeyError(f"{sample or family} {labels}")


def get(port, path, keep=None):
    """Status, headers and body of one GET (on `keep`, a socket, if given)."""
    sock = keep or socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("closed before a response")
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", 0))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("closed mid-body")
            body += chunk
        return int(lines[0].split(" ")[1]), headers, body
    finally:
        if keep is None:
            sock.close()


def scrape(case, port):
    status, headers, body = get(port, "/metrics")
    case.check(status == 200, f"/metrics status {status}")
    case.check(headers.get("content-type", "").startswith("text/plain; version=0.0.4"),
               f"content-type {headers.get('content-type')}")
    text = body.decode()
    families = strict_parse(text)
    if text_string_to_metric_families is not None:
        parsed = {family.name: family for family in text_string_to_metric_families(text)}
        # prometheus_client names a counter family without its _total.
        requests = parsed["basehttp_requests"]
        case.check(requests.type == "counter", f"requests type {requests.type}")
        case.check(requests.samples[0].value == value(families, "basehttp_requests_total"),
                   "prometheus_client and the strict parser disagree")
        duration = parsed["basehttp_request_duration_seconds"]
        case.check(duration.type == "histogram", f"duration type {duration.type}")
    return families


def metrics_move(case, binary, root, top):
    server = servers.basehttpd(binary, root, os.path.join(top, "metrics.log"),
                               extra=("-q", "--threads", "2", "--metrics", "/metrics",
                                      "--health", "/healthz", "--shutdown-delay", "1.5"))
    try:
        first = scrape(case, server.port)
        case.check(value(first, "basehttp_event_loops") == 2, "event loops")
        requests = value(first, "basehttp_requests_total")
        keep = socket.create_connection(("127.0.0.1", server.port), timeout=IO_TIMEOUT)
        for _ in range(20):
            status, _, body = get(server.port, "/file.txt", keep)
            case.check(status == 200 and body == b"content\n", f"file status {status}")
        for _ in range(30):  # new connections: spread over both loops
            get(server.port, "/file.txt")
        status, _, _ = get(server.port, "/missing")
        case.check(status == 404, f"missing status {status}")
        second = scrape(case, server.port)
        # 51 requests and this scrape.
        case.check(value(second, "basehttp_requests_total") == requests + 52,
                   f"requests {requests} -> {value(second, 'basehttp_requests_total')}")
        case.check(value(second, "basehttp_responses_total", code="4xx") == 1, "4xx")
        case.check(value(second, "basehttp_responses_total", code="2xx") >= requests + 50, "2xx")
        case.check(value(second, "basehttp_connections_open") >= 2, "open connections")
        duration = "basehttp_request_duration_seconds"
        case.check(value(second, duration, duration + "_count") >= 51,
                   f"duration count {value(second, duration, duration + '_count')}")
        case.check(value(second, "basehttp_request_header_seconds",
                         "basehttp_request_header_seconds_count") == requests + 52,
                   "header histogram count")
        case.check(value(second, "basehttp_sent_bytes_total") >
                   value(first, "basehttp_sent_bytes_total") + 51 * 100, "sent bytes")

        status, _, body = get(server.port, "/healthz")
        case.check(status == 200 and body == b"ok\n", f"health {status} {body!r}")
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        # The signal reaches one loop, which tells the other: a request that
        # lands on the other loop first may still see it serving.
        answers = []
        drained = servers.wait_for(
            lambda: answers.append(get(server.port, "/healthz")) or
            (answers[-1][0] == 503 and answers[-1][2] == b"draining\n"), 1.0)
        case.check(drained, f"health while draining {answers[-1][0]}")
        status, headers, _ = get(server.port, "/file.txt")
        case.check(status == 200 and headers.get("connection") == "close",
                   f"a request while draining: {status} {headers}")
        draining = scrape(case, server.port)
        case.check(value(draining, "basehttp_draining") == 1, "draining gauge")
        case.check(time.monotonic() - signalled < 1.5, "the checks took longer than the delay")
        keep.close()
        code = server.process.wait(timeout=IO_TIMEOUT)
        case.check(code == 0, f"exit status {code}")
        print(f"    {value(second, 'basehttp_requests_total'):.0f} requests counted over 2 loops; "
              f"parsed by prometheus_client: {text_string_to_metric_families is not None}")
    finally:
        server.stop()


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(top, "root")
        os.makedirs(root)
        with open(os.path.join(root, "file.txt"), "w") as out:
            out.write("content\n")
        with report.case("Metrics", "StrictParserRejectsBrokenText") as case:
            for broken in ["x_total 1\n", "# TYPE x_total counter\nx_total{a=\"1} 2\n",
                           "# HELP x h\n# TYPE x counter\nx 1\n",
                           "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                           "h_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n"]:
                try:
                    strict_parse(broken)
                    case.check(False, f"accepted {broken!r}")
                except ValueError:
                    pass
        with report.case("Metrics", "ScrapesParseAndMoveWithRequests") as case:
            if text_string_to_metric_families is None:
                print("    prometheus_client is not installed (Debian python3-prometheus-client):"
                      " checked with the strict parser only")
            metrics_move(case, binary, root, top)
    report.finish()


if __name__ == "__main__":
    main()
