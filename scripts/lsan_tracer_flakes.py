#!/usr/bin/env python3
"""Names the failed tests of a meson test log that failed only because
LeakSanitizer's tracer crashed, so that scripts/test.sh can run them again.

At exit, LeakSanitizer stops every thread with ptrace and scans their stacks;
now and then its tracer thread itself takes a SIGSEGV while PoCL's worker
threads are alive, and the test aborts with "LeakSanitizer has encountered a
fatal error" although nothing leaked (google/sanitizers#1353). That is not a
finding about tessera, but any other failure is: if one failed test shows
anything else, this prints nothing and exits 1.

Usage: lsan_tracer_flakes.py BUILD_DIR/meson-logs/testlog.json
"""
import json
import sys

TRACER_CRASH = "Tracer caught signal"
FATAL = "LeakSanitizer has encountered a fatal error"
# A real leak report says this; a tracer crash never gets that far.
LEAK_REPORT = "ERROR: LeakSanitizer: detected memory leaks"
# Any of these means the test found something of its own.
OTHER_FAILURES = ("ERROR: AddressSanitizer", "runtime error:", "CHECK failed")


def main(path: str) -> int:
    flaky = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            test = json.loads(line)
            if test.get("result") not in ("FAIL", "ERROR", "TIMEOUT"):
                continue
            output = test.get("stdout", "") + test.get("stderr", "")
            tracer_only = (test.get("result") == "FAIL" and TRACER_CRASH in output
                           and FATAL in output and LEAK_REPORT not in output
                           and not any(e in output for e in OTHER_FAILURES)
                           and "\nFAIL " not in "\n" + output)
            if not tracer_only:
                return 1
            flaky.append(test["name"].split(" / ")[-1])
    if not flaky:
        return 1
    print(" ".join(flaky))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
