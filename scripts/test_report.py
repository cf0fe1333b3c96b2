#!/usr/bin/env python3
"""Lists the tests CTest skipped in its last run, each with the reason the test gave.

CTest itself prints only "***Skipped"; GoogleTest's reason (GTEST_SKIP() << "...") is in
the test's output, which CTest keeps in <build>/Testing/Temporary/LastTest.log. `make test`
runs this after CTest, so a newcomer's log says which tests were skipped and why (e.g. a
data file that is not there, and how to provide it).

Usage: scripts/test_report.py [BUILD_DIR]   (default: build). Exit status 0 unless the log
is unreadable; skipping is not a failure here (.ci/run makes data skips fail instead).
"""
import pathlib
import re
import sys


def skipped_tests(log_text):
    """(name, reason) for each skipped test in a LastTest.log text."""
    out = []
    # Each test's block: 'N/M Test: NAME' ... '<end of output>' ... 'Skip regular expression found
    # in output' (CTest 3.25 with SKIP_REGULAR_EXPRESSION) ... '"NAME" end time:'.
    for m in re.finditer(r'^\d+/\d+ Test: (\S+)\n(.*?)^"\1" end time:', log_text, re.S | re.M):
        name, body = m.group(1), m.group(2)
        if "Skip regular expression found" not in body and "Test Skipped." not in body:
            continue
        reason = ""
        r = re.search(r": Skipped\n(.*?)\n\[  SKIPPED \]", body, re.S)
        if r:
            reason = " ".join(line.strip() for line in r.group(1).strip().splitlines())
        out.append((name, reason or "(no reason given)"))
    return out


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build")
    log = build / "Testing" / "Temporary" / "LastTest.log"
    try:
        text = log.read_text(errors="replace")
    except OSError as e:
        print(f"test_report: cannot read {log}: {e}", file=sys.stderr)
        return 1
    skips = skipped_tests(text)
    for name, reason in skips:
        print(f"skipped: {name}: {reason}")
    print(f"{len(skips)} test(s) skipped" + ("" if skips else " (everything ran)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
