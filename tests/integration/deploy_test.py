"""examples/deploy/: the HAProxy set-up and the systemd units.

HAProxy (examples/deploy/haproxy.cfg, on free loopback ports) in front of
two basehttpd instances with --health and --shutdown-delay; under a
bounded load through HAProxy both instances are restarted one after the
other (SIGTERM, wait for the exit, start again, wait until HAProxy has it
UP), and no request may fail. It reports requests sent and answered,
retried or redispatched by HAProxy, and the longest time without an
answer. HAProxy is installed when missing (as root, through ./dev
packages); without it the case is skipped, saying why.

The systemd units pass `systemd-analyze verify` without a warning, carry
the hardening directives, and `systemd-analyze security --offline` rates
the service's exposure low; without systemd-analyze the case is skipped.

usage: deploy_test.py BASEHTTPD REPORT_NAME
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402
from http_load import Load  # noqa: E402

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEPLOY = os.path.join(SOURCE, "examples", "deploy")
IO_TIMEOUT = 10.0
SHUTDOWN_DELAY = "2"  # as in haproxy.cfg's comment: above inter x fall




def find_haproxy():
    found = shutil.which("haproxy") or (os.access("/usr/sbin/haproxy", os.X_OK) and
                                        "/usr/sbin/haproxy")
    return found, None if found else "haproxy is not installed (./dev test installs it)"


def show_stat(sock_path):
    """{svname: row} of the basehttpd backend from HAProxy's `show stat`."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(IO_TIMEOUT)
        sock.connect(sock_path)
        sock.sendall(b"show stat\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    lines = data.decode().strip().split("\n")
    header = lines[0].lstrip("# ").split(",")
    rows = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(",")))
        if row.get("pxname") == "basehttpd":
            rows[row["svname"]] = row
    return rows


def server_status(sock_path, name):
    try:
        return show_stat(sock_path).get(name, {}).get("status", "")
    except OSError:
        return ""


def haproxy_config(top, front, ports, sock_path):
    with open(os.path.join(DEPLOY, "haproxy.cfg")) as source:
        text = source.read()
    replacements = [("bind 127.0.0.1:8080", f"bind 127.0.0.1:{front}"),
                    ("server a 127.0.0.1:8081", f"server a 127.0.0.1:{ports[0]}"),
                    ("server b 127.0.0.1:8082", f"server b 127.0.0.1:{ports[1]}"),
                    ("stats socket haproxy.sock", f"stats socket {sock_path}")]
    for old, new in replacements:
        if text.count(old) != 1:
            raise RuntimeError(f"haproxy.cfg no longer has '{old}' once")
        text = text.replace(old, new)
    path = os.path.join(top, "haproxy.cfg")
    with open(path, "w") as out:
        out.write(text)
    return path


def start_instance(binary, root, top, port, generation):
    log = os.path.join(top, f"basehttpd-{port}-{generation}.log")
    return servers.Server([binary, "-q", "-b", "127.0.0.1", "-d", root, "--health", "/healthz",
                           "--shutdown-delay", SHUTDOWN_DELAY, "--drain-timeout", "10", str(port)],
                          port, log)


def rolling_restart(case, binary, root, top, haproxy):
    front = servers.free_port()
    ports = [servers.free_port(), servers.free_port()]
    sock_path = os.path.join(top, "haproxy.sock")
    config = haproxy_config(top, front, ports, sock_path)
    check = subprocess.run([haproxy, "-c", "-f", config], capture_output=True, text=True,
                           timeout=60)
    case.check(check.returncode == 0, f"haproxy -c: {check.stdout}{check.stderr}")
    instances = [start_instance(binary, root, top, port, 0) for port in ports]
    balancer_log = open(os.path.join(top, "haproxy.log"), "wb")
    balancer = subprocess.Popen([haproxy, "-db", "-f", config], stdout=balancer_log,
                                stderr=subprocess.STDOUT)
    load = None
    try:
        servers.wait_listening(front, balancer)
        both_up = servers.wait_for(lambda: all(server_status(sock_path, n) == "UP" for n in "ab"), 15)
        if not case.check(both_up, f"servers not UP: {show_stat(sock_path)}"):
            return
        body = b"behind haproxy\n" * 10
        load = Load(front, "/page.txt", body, keep_alive=3, new_connections=1, limit=30000)
        tally = load.tally
        servers.wait_for(lambda: tally.answered >= 200, IO_TIMEOUT)
        for index, name in enumerate("ab"):
            old = instances[index]
            old.process.send_signal(signal.SIGTERM)
            # Marked DOWN by its health checks before its listener closes.
            case.check(servers.wait_for(lambda: server_status(sock_path, name).startswith("DOWN"), 10),
                       f"server {name} was never marked DOWN")
            case.check(old.process.poll() is None,
                       f"server {name} stopped before HAProxy marked it DOWN")
            try:
                code = old.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                code = None
            case.check(code == 0, f"server {name} exited with {code}")
            old.stop()
            instances[index] = start_instance(binary, root, top, ports[index], 1)
            case.check(servers.wait_for(lambda: server_status(sock_path, name) == "UP", 15),
                       f"server {name} did not come back UP")
            before = tally.answered
            servers.wait_for(lambda: tally.answered >= before + 200, IO_TIMEOUT)
        stats = show_stat(sock_path)
        stopped = load.stop()
        load = None
        case.check(stopped, "a client is still running")
        case.check(not tally.failures,
                   f"{len(tally.failures)} requests failed: {tally.failures[:20]}")
        case.check(tally.sent == tally.answered and tally.sent > 0,
                   f"sent {tally.sent}, answered with 200: {tally.answered}")
        backend = stats.get("BACKEND", {})
        retried = int(backend.get("wretr") or 0)
        redispatched = int(backend.get("wredis") or 0)
        print(f"    rolling restart behind HAProxy: {tally.sent} requests sent, {tally.answered} "
              f"answered, {retried} retried and {redispatched} redispatched by HAProxy, longest "
              f"gap {tally.longest_gap() * 1000:.1f} ms, longest request "
              f"{tally.longest_request * 1000:.1f} ms")
    finally:
        if load:
            load.stop()
        balancer.terminate()
        try:
            balancer.wait(timeout=15)
        except subprocess.TimeoutExpired:
            balancer.kill()
            balancer.wait()
        balancer_log.close()
        for instance in instances:
            instance.stop()


def systemd_units(case, binary, top):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        case.skip("systemd-analyze is not installed (Debian systemd): units not verified")
        return
    units = os.path.join(top, "units")
    os.makedirs(units)
    with open(os.path.join(DEPLOY, "basehttpd.service")) as source:
        service = source.read()
    for directive in ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
                      "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=",
                      "SystemCallFilter=@system-service", "RestrictAddressFamilies="]:
        case.check(re.search(rf"^{re.escape(directive)}", service, re.M),
                   f"basehttpd.service lacks {directive}")
    case.check("/usr/local/bin/basehttpd " in service, "ExecStart no longer names the binary")
    # verify checks that ExecStart's binary exists: point it at the build.
    with open(os.path.join(units, "basehttpd.service"), "w") as out:
        out.write(service.replace("/usr/local/bin/basehttpd ", binary + " "))
    shutil.copy(os.path.join(DEPLOY, "basehttpd.socket"), units)
    result = subprocess.run([analyze, "verify", "--man=no", "basehttpd.socket",
                             "basehttpd.service"], cwd=units, capture_output=True, text=True,
                            timeout=120)
    # Unknown keys are only warnings for systemd: any word about our units fails.
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if "basehttpd." in line]
    case.check(result.returncode == 0 and not complaints,
               f"systemd-analyze verify ({result.returncode}): {complaints or result.stderr}")
    security = subprocess.run([analyze, "security", "--offline=true", "--no-pager",
                               "basehttpd.service"], cwd=units, capture_output=True, text=True,
                              timeout=120)
    match = re.search(r"Overall exposure level for basehttpd\.service: ([0-9.]+)",
                      security.stdout + security.stderr)
    if match:
        case.check(float(match.group(1)) <= 2.0, f"exposure {match.group(1)} (at most 2.0)")
        print(f"    systemd-analyze verify: clean; security exposure {match.group(1)} of 10")
    else:
        print("    systemd-analyze security --offline gave no score (older systemd): not rated")


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(top, "root")
        os.makedirs(root)
        with open(os.path.join(root, "page.txt"), "wb") as out:
            out.write(b"behind haproxy\n" * 10)
        with report.case("Deploy", "RollingRestartBehindHAProxyLosesNoRequest") as case:
            haproxy, why = find_haproxy()
            if haproxy is None:
                case.skip(why)
            else:
                rolling_restart(case, binary, root, top, haproxy)
        with report.case("Deploy", "SystemdUnitsVerifyAndAreHardened") as case:
            systemd_units(case, binary, top)
    report.finish()


if __name__ == "__main__":
    main()
