#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Summarises one section of a `make bench` run (scripts/bench.sh): reads DIR/guest.log (the
guest's "BENCH <driver> <round> <metric> <value>" and "FEATURES <driver> <bits>" lines),
DIR/hoststats.txt (QEMU's per-thread CPU time at each of the guest's marks), DIR/footprint.txt
and DIR/meta.txt; writes DIR/bench.json, DIR/bench.md and DIR/ratios.png, and prints the
Markdown. Exits 1 when a figure is missing for a driver, or, in the hub section (equal
features), when the two drivers did not negotiate the same features: a comparison of unequal
things is no result there. In the tap section each driver negotiates what it can, and both
sets are shown side by side.

Usage: bench-report.py DIR
"""

import json
import statistics
import sys
from pathlib import Path

DRIVERS = ("rvnet", "c")
USER_HZ = 100
# metric: (label, unit, scale from the guest's unit, higher is better)
METRICS = {
    "tcp_Bps": ("TCP bulk A -> B", "Mbit/s", 8e-6, True),
    "tcp_ba_Bps": ("TCP bulk B -> A", "Mbit/s", 8e-6, True),
    "tcp_host_Bps": ("TCP bulk A -> host (tap only)", "Mbit/s", 8e-6, True),
    "rr_tps": ("1-byte TCP request/response A <-> B", "trans/s", 1.0, True),
    "rr_p50_us": ("request/response round trip, median", "us", 1.0, False),
    "rr_p99_us": ("request/response round trip, 99th percentile", "us", 1.0, False),
    "pps64_tx": ("64-byte packets sent by A", "kpps", 1e-3, True),
    "pps64_rx": ("64-byte packets received by B", "kpps", 1e-3, True),
    "pps1500_tx": ("1514-byte packets sent by A", "kpps", 1e-3, True),
    "pps1500_rx": ("1514-byte packets received by B", "kpps", 1e-3, True),
    "xsk_tx_pps": ("AF_XDP copy mode: 64-byte frames sent by A's socket", "kpps", 1e-3, True),
    "xsk_rx_pps": ("AF_XDP copy mode: 64-byte pktgen frames received by B's socket", "kpps",
                   1e-3, True),
    "xsk_zc_tx_pps": ("AF_XDP zero-copy (C: copy mode): 64-byte frames sent by A's socket",
                      "kpps", 1e-3, True),
    "xsk_zc_rx_pps": ("AF_XDP zero-copy (C: copy mode): 64-byte pktgen frames received by B's "
                      "socket", "kpps", 1e-3, True),
    "irq_per_kpkt_rx": ("B's interrupts per 1,000 packets received (64 B)", "irq", 1.0, False),
    "irq_per_kpkt_tx": ("A's interrupts per 1,000 packets sent (64 B)", "irq", 1.0, False),
    "tcp_irq_per_kpkt": ("interrupts (A + B) per 1,000 packets received (TCP)", "irq", 1.0,
                         False),
    "tx_stops_per_kpkt": ("A's transmit queue stops per 1,000 packets sent (64 B)", "stops",
                          1.0, False),
    "tx_kicks_per_kpkt": ("A's notifications per 1,000 packets sent (64 B)", "kicks", 1.0,
                          False),
    "rx_kicks_per_kpkt": ("B's notifications per 1,000 packets received (64 B)", "kicks",
                          1.0, False),
    "cpu_us_per_pkt": ("guest CPU per packet received (64 B)", "us/pkt", 1.0, False),
    "tcp_cpu_ms_per_MB": ("guest CPU per MB received (TCP A -> B)", "ms/MB", 1.0, False),
    "mem_avail_kib": ("memory taken, both NICs bound and up (MemAvailable drop, module "
                      "included)", "KiB", 1.0, False),
    "mem_slab_kib": ("slab taken, both NICs bound and up", "KiB", 1.0, False),
}
# Host CPU, from the marks: (test, thread class or "all") -> label; in % of one host CPU.
HOST_TESTS = {"tcp": "TCP A -> B", "tcp_host": "TCP A -> host", "rr": "request/response",
              "pps64": "64-byte pktgen"}
HOST_CLASSES = {"vcpu": "vCPU threads", "main": "main loop (device emulation)"}
VIRTIO_BITS = {0: "CSUM", 1: "GUEST_CSUM", 2: "CTRL_GUEST_OFFLOADS", 3: "MTU", 5: "MAC",
               7: "GUEST_TSO4", 8: "GUEST_TSO6", 9: "GUEST_ECN", 10: "GUEST_UFO",
               11: "HOST_TSO4", 12: "HOST_TSO6", 13: "HOST_ECN", 14: "HOST_UFO",
               15: "MRG_RXBUF", 16: "STATUS", 17: "CTRL_VQ", 18: "CTRL_RX", 19: "CTRL_VLAN",
               20: "CTRL_RX_EXTRA", 21: "GUEST_ANNOUNCE", 22: "MQ", 23: "CTRL_MAC_ADDR",
               28: "INDIRECT_DESC", 29: "EVENT_IDX", 32: "VERSION_1", 34: "ACCESS_PLATFORM",
               35: "RING_PACKED", 36: "IN_ORDER", 37: "ORDER_PLATFORM", 40: "RING_RESET",
               54: "GUEST_USO4", 55: "GUEST_USO6", 56: "HOST_USO", 63: "SPEED_DUPLEX"}


def host_cpu(path):
    """{(driver, test): {class: [percent per round], "all_ms": [host CPU ms per round]}} from
    the marks: CPU time of each thread class between a test's begin and end marks, over the
    wall time between them."""
    marks = {}
    if path.exists():
        for line in path.read_text().splitlines():
            w = line.split()
            if len(w) < 7 or w[0] != "MARK":
                continue
            drv, rnd, test, edge, t = w[1], w[2], w[3], w[4], float(w[5])
            ticks = {}
            for f in w[6:]:
                tid, cls, n = f.split(":")
                ticks[tid] = (cls, int(n))
            marks[(drv, rnd, test, edge)] = (t, ticks)
    out = {}
    for (drv, rnd, test, edge), (t0, a) in marks.items():
        if edge != "begin" or (drv, rnd, test, "end") not in marks:
            continue
        t1, b = marks[(drv, rnd, test, "end")]
        if t1 <= t0:
            continue
        per = {}
        for tid, (cls, n1) in b.items():
            n0 = a.get(tid, (cls, 0))[1]
            per[cls] = per.get(cls, 0) + (n1 - n0)
        entry = out.setdefault((drv, test), {})
        for cls, n in per.items():
            entry.setdefault(cls, []).append(100.0 * n / USER_HZ / (t1 - t0))
        entry.setdefault("all_ms", []).append(1000.0 * sum(per.values()) / USER_HZ)
    return out


def fmt(v):
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}" if abs(v) >= 1 else f"{v:.4f}"


def main(out):
    meta = dict(line.split(" ", 1) for line in (out / "meta.txt").read_text().splitlines())
    section = meta.get("backend", "hub")
    metrics = dict(METRICS)
    if section != "tap":
        del metrics["tcp_host_Bps"]
    samples = {d: {m: [] for m in metrics} for d in DRIVERS}
    tcp_bytes = {d: [] for d in DRIVERS}
    features = {}
    for line in (out / "guest.log").read_text(errors="replace").splitlines():
        words = line.split()
        if len(words) == 5 and words[0] == "BENCH" and words[1] in DRIVERS:
            if words[3] in metrics:
                samples[words[1]][words[3]].append(float(words[4]) * metrics[words[3]][2])
            elif words[3] == "tcp_bytes":
                tcp_bytes[words[1]].append(float(words[4]))
        elif len(words) >= 2 and words[0] == "FEATURES" and words[1] in DRIVERS:
            features[words[1]] = sorted(int(b) for b in words[2:])
    # virtio_net has no AF_XDP zero-copy on virtio-mmio (it needs VIRTIO_F_RING_RESET): rvnet's
    # zero-copy figures stand against its copy mode.
    for zc, copy in (("xsk_zc_tx_pps", "xsk_tx_pps"), ("xsk_zc_rx_pps", "xsk_rx_pps")):
        samples["c"][zc] = list(samples["c"][copy])
    # Host CPU per QEMU thread class, and per MB of TCP A -> B.
    host = host_cpu(out / "hoststats.txt")
    for test, tlabel in HOST_TESTS.items():
        if test == "tcp_host" and section != "tap":
            continue
        for cls, clabel in HOST_CLASSES.items():
            m = f"host_{cls}_{test}"
            metrics[m] = (f"host CPU, {clabel}, during {tlabel}", "% of a CPU", 1.0, False)
            samples["rvnet"][m] = host.get(("rvnet", test), {}).get(cls, [])
            samples["c"][m] = host.get(("c", test), {}).get(cls, [])
    metrics["host_ms_per_MB"] = ("host CPU, all QEMU threads, per MB (TCP A -> B)", "ms/MB",
                                 1.0, False)
    for d in DRIVERS:
        ms = host.get((d, "tcp"), {}).get("all_ms", [])
        samples[d]["host_ms_per_MB"] = [t / (b / 1e6) for t, b in zip(ms, tcp_bytes[d]) if b]
    footprint = {}
    for line in (out / "footprint.txt").read_text().splitlines():
        name, text, data, bss = line.split()
        footprint[name] = {"text": int(text), "data": int(data), "bss": int(bss)}

    problems = []
    rows = {}
    for m, (label, unit, _, higher) in metrics.items():
        row = {"label": label, "unit": unit, "higher_is_better": higher}
        for d in DRIVERS:
            v = samples[d][m]
            if not v:
                problems.append(f"no {m} figure for {d}")
                continue
            row[d] = {"median": statistics.median(v), "min": min(v), "max": max(v), "samples": v}
        # A ratio of positive figures only: a memory delta can be noise around 0.
        if all(d in row for d in DRIVERS) and row["c"]["median"] > 0 and \
                row["rvnet"]["median"] > 0:
            row["ratio"] = row["rvnet"]["median"] / row["c"]["median"]
        rows[m] = row
    for d in DRIVERS:
        if d not in features:
            problems.append(f"no negotiated features recorded for {d}")
    if section == "hub" and len(features) == 2 and features["rvnet"] != features["c"]:
        problems.append(f"negotiated features differ: rvnet {features['rvnet']}, C {features['c']}")

    sums = {k: sum(v.values()) for k, v in footprint.items()}
    c_total = sum(s for k, s in sums.items() if k != "rvnet")
    result = {"meta": meta, "features": {d: [VIRTIO_BITS.get(b, str(b)) for b in f]
                                         for d, f in features.items()},
              "metrics": rows, "footprint": footprint,
              "footprint_ratio": sums.get("rvnet", 0) / c_total if c_total else None,
              "problems": problems}
    (out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")

    kind = ("equal features (QEMU hub, every feature rvnet lacks taken away)"
            if section == "hub" else
            "default features (vnet_hdr taps on a host bridge; each driver negotiates what it "
            "can)")
    md = [f"**{section}: {kind}.** rvnet vs in-tree virtio_net (C): {meta.get('rounds')} "
          f"alternating rounds of {meta.get('seconds')} s per test, {meta.get('layout')} "
          f"layout, -cpu {meta.get('cpu', 'max')}, {meta.get('date')}",
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
    md += ["", "Negotiated features:", "",
           "| driver | features |", "|---|---|"]
    md += [f"| {'rvnet' if d == 'rvnet' else 'C'} | "
           + " ".join(VIRTIO_BITS.get(b, str(b)) for b in f) + " |"
           for d, f in features.items()]
    md += ["",
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
    fig, ax = plt.subplots(figsize=(13, 5.5))
    colors = ["tab:green" if (v >= 1) == rows[m]["higher_is_better"] else "tab:red"
              for m, v in zip(names, values)]
    ax.bar(range(len(names)), values, color=colors)
    ax.axhline(1.0, color="black", linewidth=0.8)
    # Interrupt ratios can be far from 1 either way: a log scale keeps every bar readable.
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), [m for m in names], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("rvnet / C (median, log scale)")
    ax.set_title(f"rvnet vs in-tree virtio_net, {section} section (green: rvnet better)")
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.2f}", ha="center", va="bottom")
    fig.tight_layout()
    fig.savefig(out / "ratios.png", dpi=100)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
