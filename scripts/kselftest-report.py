#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Summarises one `make kselftest` (scripts/kselftest.sh): reads each guest's serial log
(qemu/kselftest/run.sh's "KSFT-TEST <test>", KTAP lines, "KSFT-EXIT <test> <status> <secs>",
"KSFT-DMESG <line>"), prints a per-case table with one column per run, and writes it as
Markdown and JSON. Exits 1 when:

- a guest did not finish (boot.sh status not 0), or its log has no result at all;
- a guest's kernel log has a checker report (KSFT-DMESG);
- a self-check (the in-tree driver on both NICs) has a failing case or test that
  qemu/kselftest/expected-failures does not list as "selfcheck:<case>": the harness is
  broken;
- a driver run has a failing case or test that qemu/kselftest/expected-failures does not list;
- a case passes in the self-check but not in a driver run (skipped, failed or missing), and
  the file does not list it.

expected-failures: one "<test>.<case>" per line (fnmatch patterns allowed, e.g.
"so_txtime.*"), "# why: ..." after it; blank lines and lines starting with "#" are ignored.
A line applies to every driver run, or with a "RUN:" prefix to that run only ("selfcheck:"
being the only way to excuse a case of the self-check).

Usage: kselftest-report.py --expected FILE --md OUT.md --json OUT.json
                           NAME:DRIVER_A,DRIVER_B:BOOT_STATUS:LOG...
The run named "selfcheck" is the baseline of the others, "selfcheck-tap" that of the runs
whose names end in "-tap" (the tap backend, where the devices offer their offloads), and
"selfcheck-iommu" that of those ending in "-iommu" (ACCESS_PLATFORM, swiotlb=force).
"""

import argparse
import fnmatch
import json
import re
import sys
from pathlib import Path

KTAP = re.compile(r"^(not )?ok (\d+) (\S+)(?:\s+#\s*(.*))?$")
BASELINE = "selfcheck"
TAP = "-tap"
IOMMU = "-iommu"


def baseline_of(run):
    """The self-check RUN is compared with: the one on the same backend and devices."""
    for suffix in (TAP, IOMMU):
        if run.endswith(suffix):
            return BASELINE + suffix
    return BASELINE


def parse_log(path):
    """Results of one guest log: {case: result}, {test: (exit, secs)}, [dmesg lines]."""
    cases, tests, dmesg = {}, {}, []
    current = None
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line.startswith("KSFT-TEST "):
            current = line.split()[1]
            tests[current] = (None, None)
        elif line.startswith("KSFT-EXIT "):
            f = line.split()
            secs = f[3].rstrip("s") if len(f) > 3 else None
            tests[f[1]] = (int(f[2]), int(secs) if secs and secs.isdigit() else None)
            current = None
        elif line.startswith("KSFT-DMESG "):
            dmesg.append(line[len("KSFT-DMESG "):])
        elif current:
            m = KTAP.match(line.strip())
            if not m:
                continue
            # A test in a subdirectory (hw/irq) names its cases after its file (irq.CASE).
            name, base = m.group(3), current.rsplit("/", 1)[-1]
            if name.startswith(base + "."):
                name = current + name[len(base):]
            else:
                name = f"{current}.{name}"
            directive = (m.group(4) or "").upper()
            if directive.startswith("SKIP"):
                res = "skip"
            elif directive.startswith("XFAIL"):
                res = "xfail"
            elif m.group(1):
                res = "fail"
            else:
                res = "pass"
            cases[name] = res
    # A test that ended badly without a failing case of its own (a Python traceback before
    # ksft_run, a timeout, a crash of the guest) is one failing row of its own.
    for test, (status, _) in tests.items():
        own = [r for c, r in cases.items() if c.startswith(test + ".")]
        if status != 0 and "fail" not in own:
            why = "no KSFT-EXIT" if status is None else f"exit {status}"
            cases[f"{test}.({why})"] = "fail"
    return cases, tests, dmesg


def load_expected(path):
    """The entries of expected-failures: (run or None, pattern, reason)."""
    expected = []
    if path and Path(path).exists():
        for line in Path(path).read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, _, why = line.partition("#")
            run, _, pattern = pattern.strip().rpartition(":")
            expected.append((run or None, pattern, why.strip()))
    return expected


def is_expected(run, case, expected):
    """Whether expected-failures excuses CASE in RUN (entries without a run: driver runs)."""
    return any(fnmatch.fnmatchcase(case, p) for r, p, _ in expected
               if r == run or (r is None and run != baseline_of(run)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expected")
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("runs", nargs="+", help="NAME:DRIVER_A,DRIVER_B:BOOT_STATUS:LOG")
    args = ap.parse_args()
    expected = load_expected(args.expected)

    runs = {}
    for spec in args.runs:
        name, drivers, status, log = spec.split(":", 3)
        cases, tests, dmesg = parse_log(log)
        runs[name] = {"drivers": drivers.split(","), "boot_status": int(status), "log": log,
                      "cases": cases, "tests": tests, "dmesg": dmesg}

    problems = []
    for name, run in runs.items():
        if run["boot_status"] != 0:
            problems.append(f"{name}: the guest did not finish (boot.sh status "
                            f"{run['boot_status']}; log {run['log']})")
        if not run["tests"]:
            problems.append(f"{name}: no test ran (log {run['log']})")
        for line in run["dmesg"]:
            problems.append(f"{name}: kernel checker report: {line}")
        for case, res in run["cases"].items():
            if res != "fail":
                continue
            if is_expected(name, case, expected):
                continue
            if name == baseline_of(name):
                problems.append(f"{name}: {case} fails with the in-tree driver on both NICs "
                                f"(harness broken?)")
            else:
                problems.append(f"{name}: {case} fails")
    for name, run in runs.items():
        base = runs.get(baseline_of(name))
        if base and name != baseline_of(name):
            for case, res in base["cases"].items():
                got = run["cases"].get(case, "missing")
                test = case.split(".")[0]
                if test not in run["tests"]:
                    continue  # not run there (rvnet_ethtool, rvnet_xdp, a TESTS subset)
                if res == "pass" and got not in ("pass", "fail") and \
                        not is_expected(name, case, expected):
                    problems.append(f"{name}: {case} passes in {baseline_of(name)} but is "
                                    f"{got}")

    # The table: every case of every run, in order of first appearance.
    names = list(runs)
    rows = []
    for run in runs.values():
        rows += [c for c in run["cases"] if c not in rows]
    totals = {n: {k: 0 for k in ("pass", "skip", "xfail", "fail")} for n in names}
    for n in names:
        for res in runs[n]["cases"].values():
            totals[n][res] += 1

    md = ["# make kselftest", ""]
    md.append("| run | NIC A | NIC B | guest | pass | skip | xfail | fail |")
    md.append("|---|---|---|---|---|---|---|---|")
    for n in names:
        r, t = runs[n], totals[n]
        md.append(f"| {n} | {r['drivers'][0]} | {r['drivers'][-1]} | "
                  f"{'finished' if r['boot_status'] == 0 else 'status %d' % r['boot_status']}"
                  f" | {t['pass']} | {t['skip']} | {t['xfail']} | {t['fail']} |")
    md += ["", "| case | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for case in rows:
        cells = []
        for n in names:
            res = runs[n]["cases"].get(case, "-")
            cells.append(f"**{res.upper()}**" if res == "fail" else res)
        note = " (listed)" if any(is_expected(n, case, expected) for n in names) else ""
        md.append(f"| {case}{note} | " + " | ".join(cells) + " |")
    md += ["", "| test: exit status, seconds | " + " | ".join(names) + " |",
           "|---|" + "---|" * len(names)]
    tests = []
    for run in runs.values():
        tests += [t for t in run["tests"] if t not in tests]
    for t in tests:
        cells = []
        for n in names:
            st, secs = runs[n]["tests"].get(t, (None, None))
            cells.append("-" if t not in runs[n]["tests"] else
                         f"{'?' if st is None else st}, {'?' if secs is None else secs}")
        md.append(f"| {t} | " + " | ".join(cells) + " |")
    md += ["", "## Problems" if problems else "No problems.", ""]
    md += [f"- {p}" for p in problems]
    text = "\n".join(md) + "\n"
    Path(args.md).write_text(text)
    Path(args.json).write_text(json.dumps(
        {"runs": runs, "problems": problems,
         "expected_failures": [{"run": r, "case": p, "why": w} for r, p, w in expected]},
        indent=1) + "\n")
    print(text, end="")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
