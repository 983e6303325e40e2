"""Runs a Python test in a network namespace of its own with only the
loopback interface up, for tests that drive programs which reach for the
network on their own: Chromium looks up Google hosts at start, testssl.sh
probes its openssl with the name "invalid.". In the namespace those
lookups fail at once and every packet stays on this machine.

    reason = isolation.isolate()   # first thing in main()
    if reason: skip every case, saying `reason`
"""
import fcntl
import os
import socket
import struct
import subprocess
import sys

MARK = "BASEHTTP_NETWORK_ISOLATED"
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up():
    """A new network namespace has `lo` down: up, it has 127.0.0.1 and ::1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # struct ifreq: the name, then the flags (a short), padded to 40 bytes.
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def isolate():
    """Re-executes this script (same pid, same arguments) in a new network
    namespace and returns None there, once `lo` is up. Returns a reason
    when no namespace can be made."""
    if os.environ.get(MARK):
        loopback_up()
        return None
    argv = ["unshare", "--net"]
    if os.geteuid() != 0:
        argv.append("--map-root-user")  # a user namespace lets a user make one
    try:
        probe = subprocess.run(argv + ["true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"no network namespace for the test ({' '.join(argv)}: {error})"
    if probe.returncode != 0:
        return (f"no network namespace for the test ({' '.join(argv)}: "
                f"{probe.stderr.decode(errors='replace').strip()})")
    sys.stdout.flush()
    os.environ[MARK] = "1"
    os.execvp(argv[0], argv + [sys.executable, *sys.argv])
