"""Downloads through basehttpd with curl: a 50 MiB file byte for byte,
ranges with `curl -r`, and a resumed download (`curl -C -`).

usage: download_test.py BASEHTTPD REPORT_NAME
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "60", *args], capture_output=True,
                          timeout=90)


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    if shutil.which("curl") is None:
        with report.case("Curl", "Downloads") as case:
            case.skip("curl is not installed (./dev test installs it)")
        report.finish()
    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(top, "root")
        os.makedirs(root)
        content = os.urandom(50 * 1024 * 1024)
        with open(os.path.join(root, "big.bin"), "wb") as out:
            out.write(content)
        server = servers.basehttpd(binary, root, os.path.join(top, "server.log"))
        url = f"http://127.0.0.1:{server.port}/big.bin"
        target = os.path.join(top, "download.bin")
        try:
            with report.case("Curl", "FiftyMebibytesByteForByte") as case:
                result = curl("-o", target, url)
                case.check(result.returncode == 0, result.stderr.decode())
                with open(target, "rb") as downloaded:
                    data = downloaded.read()
                case.check(len(data) == len(content), f"{len(data)} bytes")
                case.check(hashlib.sha256(data).digest() == hashlib.sha256(content).digest(),
                           "content differs")
            for spec, expected in (("1000-1999", content[1000:2000]),
                                   ("-4096", content[-4096:]),
                                   (f"{len(content) - 10}-", content[-10:]),
                                   ("0-0", content[:1])):
                with report.case("Curl", f"Range {spec}") as case:
                    result = curl("-r", spec, url)
                    case.check(result.returncode == 0, result.stderr.decode())
                    case.check(result.stdout == expected,
                               f"{len(result.stdout)} bytes, expected {len(expected)}")
            with report.case("Curl", "ResumesAPartialDownload") as case:
                with open(target, "wb") as partial:
                    partial.write(content[:12345678])
                result = curl("-C", "-", "-o", target, url)
                case.check(result.returncode == 0, result.stderr.decode())
                with open(target, "rb") as downloaded:
                    case.check(downloaded.read() == content, "resumed file differs")
            with report.case("Curl", "UnsatisfiableRangeIs416") as case:
                result = curl("-o", "/dev/null", "-w", "%{http_code}", "-r",
                              f"{len(content)}-", url)
                case.check(result.stdout == b"416", result.stdout.decode())
        finally:
            server.stop()
    report.finish()


if __name__ == "__main__":
    main()
