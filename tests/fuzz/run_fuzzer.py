"""Runs one libFuzzer target for a while, as a test: on a fresh copy of its
seed corpus (new inputs stay in the build folder, never in the sources),
then prints one summary line (executions, exec/s, coverage, crash or not)
and writes a GoogleTest-style report with one case, so .ci/count_tests.py
counts it. A crash, leak, timeout or out-of-memory fails the case; the
input that caused it is kept under <build>/fuzz-runs/<name>/artifacts/.

usage: run_fuzzer.py FUZZER NAME BUILD_DIR SEED_CORPUS DICT MAX_LEN SECONDS
FUZZ_SECONDS_<NAME> (FUZZ_SECONDS_REQUEST_FUZZER...) overrides SECONDS.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402


def last_int(pattern, text):
    found = re.findall(pattern, text)
    return int(found[-1]) if found else None


def main():
    fuzzer, name, build_dir, seeds, dictionary, max_len, seconds = sys.argv[1:8]
    seconds = int(os.environ.get("FUZZ_SECONDS_" + name.upper(), seconds))
    work = os.path.join(build_dir, "fuzz-runs", name)
    corpus = os.path.join(work, "corpus")
    artifacts = os.path.join(work, "artifacts")
    scratch = os.path.join(work, "tmp")
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(seeds, corpus)
    os.makedirs(artifacts, exist_ok=True)
    os.makedirs(scratch, exist_ok=True)
    seed_count = len(os.listdir(corpus))

    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env["TMPDIR"] = scratch  # where a fuzzer makes its own files
    command = [fuzzer, f"-max_total_time={seconds}", f"-max_len={max_len}",
               f"-dict={dictionary}", "-print_final_stats=1", "-timeout=10",
               "-rss_limit_mb=2048", f"-artifact_prefix={artifacts}/", corpus]
    log_path = os.path.join(work, "fuzzer.log")
    with open(log_path, "w") as log:
        log.write(" ".join(command) + "\n")
        log.flush()
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    with open(log_path, errors="replace") as log:
        output = log.read()

    runs = last_int(r"stat::number_of_executed_units:\s*(\d+)", output)
    per_second = last_int(r"stat::average_exec_per_sec:\s*(\d+)", output)
    cov = last_int(r"\bcov: (\d+)", output)
    ft = last_int(r"\bft: (\d+)", output)
    corpus_size = len(os.listdir(corpus))
    crash_files = re.findall(r"Test unit written to (\S+)", output)
    crashed = result.returncode != 0
    outcome = "no crash" if not crashed else (
        "CRASH, input kept in " + crash_files[-1] if crash_files
        else f"FAILED with exit status {result.returncode}")
    summary = (f"{name}: {runs} runs in {seconds} s, {per_second} exec/s, "
               f"cov: {cov} ft: {ft}, corpus {corpus_size} inputs "
               f"({seed_count} seeds), {outcome}")
    with open(os.path.join(work, "summary.txt"), "w") as out:
        out.write(summary + "\n")
    print(summary)

    report = Report(name)
    with report.case("Fuzz", name) as case:
        if crashed:
            tail = "\n".join(output.splitlines()[-60:])
            case.check(False, f"{outcome}\nlog: {log_path}\n{tail}")
    report.finish()


if __name__ == "__main__":
    main()
