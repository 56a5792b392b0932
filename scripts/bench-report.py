#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Summarises one `make bench` run (scripts/bench.sh): reads DIR/guest.log (the guest's
"BENCH <driver> <round> <metric> <value>" and "FEATURES <driver> <bits>" lines),
DIR/footprint.txt and DIR/meta.txt; writes DIR/bench.json, DIR/bench.md and DIR/ratios.png,
and prints the Markdown. Exits 1 when a figure is missing for a driver or the two drivers did
not negotiate the same features: a comparison of unequal things is no result.

Usage: bench-report.py DIR
"""

import json
import statistics
import sys
from pathlib import Path

DRIVERS = ("rvnet", "c")
# metric: (label, unit, scale from the guest's unit, higher is better)
METRICS = {
    "pps64_tx": ("64-byte packets sent by A", "kpps", 1e-3, True),
    "pps64_rx": ("64-byte packets received by B", "kpps", 1e-3, True),
    "pps1500_tx": ("1514-byte packets sent by A", "kpps", 1e-3, True),
    "pps1500_rx": ("1514-byte packets received by B", "kpps", 1e-3, True),
    "tcp_Bps": ("TCP bulk A -> B", "Mbit/s", 8e-6, True),
    "irq_per_kpkt_rx": ("B's interrupts per 1,000 packets received (64 B)", "irq", 1.0, False),
    "irq_per_kpkt_tx": ("A's interrupts per 1,000 packets sent (64 B)", "irq", 1.0, False),
    "tcp_irq_per_kpkt": ("interrupts (A + B) per 1,000 packets received (TCP)", "irq", 1.0,
                         False),
    "cpu_us_per_pkt": ("guest CPU per packet received (64 B)", "us/pkt", 1.0, False),
}
VIRTIO_BITS = {0: "CSUM", 1: "GUEST_CSUM", 3: "MTU", 5: "MAC", 15: "MRG_RXBUF", 16: "STATUS",
               17: "CTRL_VQ", 28: "INDIRECT_DESC", 29: "EVENT_IDX", 32: "VERSION_1",
               40: "RING_RESET", 63: "SPEED_DUPLEX"}


def fmt(v):
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}" if abs(v) >= 1 else f"{v:.4f}"


def main(out):
    samples = {d: {m: [] for m in METRICS} for d in DRIVERS}
    features = {}
    for line in (out / "guest.log").read_text(errors="replace").splitlines():
        words = line.split()
        if len(words) == 5 and words[0] == "BENCH" and words[1] in DRIVERS and words[3] in METRICS:
            samples[words[1]][words[3]].append(float(words[4]) * METRICS[words[3]][2])
        elif len(words) >= 2 and words[0] == "FEATURES" and words[1] in DRIVERS:
            features[words[1]] = sorted(int(b) for b in words[2:])
    meta = dict(line.split(" ", 1) for line in (out / "meta.txt").read_text().splitlines())
    footprint = {}
    for line in (out / "footprint.txt").read_text().splitlines():
        name, text, data, bss = line.split()
        footprint[name] = {"text": int(text), "data": int(data), "bss": int(bss)}

    problems = []
    rows = {}
    for m, (label, unit, _, higher) in METRICS.items():
        row = {"label": label, "unit": unit, "higher_is_better": higher}
        for d in DRIVERS:
            v = samples[d][m]
            if not v:
                problems.append(f"no {m} figure for {d}")
                continue
            row[d] = {"median": statistics.median(v), "min": min(v), "max": max(v), "samples": v}
        if all(d in row for d in DRIVERS) and row["c"]["median"]:
            row["ratio"] = row["rvnet"]["median"] / row["c"]["median"]
        rows[m] = row
    for d in DRIVERS:
        if d not in features:
            problems.append(f"no negotiated features recorded for {d}")
    if len(features) == 2 and features["rvnet"] != features["c"]:
        problems.append(f"negotiated features differ: rvnet {features['rvnet']}, C {features['c']}")

    sums = {k: sum(v.values()) for k, v in footprint.items()}
    c_total = sum(s for k, s in sums.items() if k != "rvnet")
    result = {"meta": meta, "features": {d: [VIRTIO_BITS.get(b, str(b)) for b in f]
                                         for d, f in features.items()},
              "metrics": rows, "footprint": footprint,
              "footprint_ratio": sums.get("rvnet", 0) / c_total if c_total else None,
              "problems": problems}
    (out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")

    md = [f"rvnet vs in-tree virtio_net (C): {meta.get('rounds')} alternating rounds of "
          f"{meta.get('seconds')} s per test, {meta.get('layout')} layout, {meta.get('date')}",
          "",
          "| figure | unit | rvnet median (min-max) | C median (min-max) | rvnet/C |",
          "|---|---|---|---|---|"]
    for m, row in rows.items():
        cells = []
        for d in DRIVERS:
            s = row.get(d)
            cells.append(f"{fmt(s['median'])} ({fmt(s['min'])}-{fmt(s['max'])})" if s else "-")
        ratio = f"{row['ratio']:.2f}x" if "ratio" in row else "-"
        better = "" if row["higher_is_better"] else " (lower is better)"
        md.append(f"| {row['label']}{better} | {row['unit']} | {cells[0]} | {cells[1]} | {ratio} |")
    rv = sums.get("rvnet", 0)
    parts = " + ".join(f"{k} {sums[k]:,}" for k in sums if k != "rvnet")
    ratio = f"{rv / c_total:.2f}x" if c_total else "-"
    md.append(f"| module footprint, text+data+bss (lower is better) | bytes | {rv:,} | "
              f"{c_total:,} ({parts}) | {ratio} |")
    md += ["", "Negotiated features: "
           + "; ".join(f"{'rvnet' if d == 'rvnet' else 'C'} "
                       + " ".join(VIRTIO_BITS.get(b, str(b)) for b in f)
                       for d, f in features.items()),
           f"Host: {meta.get('host')}; {meta.get('qemu')}; guest kernel {meta.get('kernel')}."]
    if problems:
        md += ["", "Problems: " + "; ".join(problems)]
    text = "\n".join(md) + "\n"
    (out / "bench.md").write_text(text)
    print(text, end="")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench-report: no matplotlib, no chart (make deps installs it for bench)",
              file=sys.stderr)
        return 1
    names = [m for m in rows if "ratio" in rows[m]]
    values = [rows[m]["ratio"] for m in names]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    colors = ["tab:green" if (v >= 1) == rows[m]["higher_is_better"] else "tab:red"
              for m, v in zip(names, values)]
    ax.bar(range(len(names)), values, color=colors)
    ax.axhline(1.0, color="black", linewidth=0.8)
    # Interrupt ratios can be far from 1 either way: a log scale keeps every bar readable.
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), [m for m in names], rotation=20, ha="right")
    ax.set_ylabel("rvnet / C (median, log scale)")
    ax.set_title("rvnet vs in-tree virtio_net, same device and features (green: rvnet better)")
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.2f}", ha="center", va="bottom")
    fig.tight_layout()
    fig.savefig(out / "ratios.png", dpi=100)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
