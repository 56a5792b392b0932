#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The counted profile of make bench's cost section: what a packet, a transaction or a MB costs
under rvnet and under the in-tree C pair (virtio_mmio + virtio_net), from the counts of rvnet's
QEMU plugin (qemu/plugin/cost.c) and the guest's log (qemu/guest/cost.sh).

For each backend directory DIR/hub and DIR/tap: DIR/BACKEND/counts.txt (the plugin's windows)
and DIR/BACKEND/guest.log (COST, COST-SYM, COST-DEV and FEATURES lines). Kernel functions are
named from the bench kernel's System.map, the modules' from the guest's /proc/kallsyms after
each load.

Each workload ran at a small and a large amount in its own window; a figure per unit is the
difference of the two windows divided by the difference of their units (packets A sent,
transactions, MB B received), so start-up costs cancel. Figures:

  delivered      packets B received per packet A sent (pktgen: B drops what finds its
                 receive ring full; a pktgen figure is per packet sent, the fixed amount)
  insns          instructions the guest executed, all of it
  insns_net      the same less the traffic generator (pktgen's module, user space) and the
                 idle loop
  insns_driver   instructions in the driver's own modules (rvnet; virtio_net, virtio_ring,
                 virtio_mmio, virtio)
  insns_gen      the traffic generator's
  insns_idle     the idle loop's
  insns_cpu0/1   instructions by vCPU: A's side (the sender) on 0, B's (the receiver) on 1;
                 under pktgen, vCPU 0's count is per packet A sent and vCPU 1's per packet B
                 received, and every other figure is the sum of the two
  slowpath       instructions in lock slow paths (functions named *_slowpath, and the
                 rwsem/mutex slow paths)
  locked         LOCK-prefixed instructions and XCHG with memory (implicitly locked)
  serializing    serializing instructions (CPUID, IRET, WRMSR, MOV to CR, ...), fences
  pauses         PAUSE, the spin-wait hint
  rep_iters      iterations of REP string instructions, rep_bytes the bytes they moved
  mmio_r/mmio_w  reads and writes of the NICs' registers; by register in the profile files
  irq            interrupts of the NICs' lines (A's and B's); ipi interprocessor interrupts
                 (rescheduling, function calls, TLB shootdowns); irq_other every other line but
                 the local timer (whose ticks follow the wall clock, not the work)
  stops          times A's transmit queue was stopped (full ring, byte queue limits), from the
                 netdev netlink queue statistics both drivers report
  kvm_model      insns + 2,000 x (MMIO accesses + NIC interrupts + IPIs): under KVM each MMIO
                 access is an exit and each interrupt at least one, each worth some 2,000
                 guest instructions (a stated model, not a measurement)

Writes DIR/bench.md (the tables, with the repeatability line: the spread between runs of every
per-unit figure), DIR/cost.json and DIR/BACKEND/profile-TEST-DRIVER.txt (the top 25 functions,
by vCPU, and MMIO accesses by register, of run 1). Prints bench.md.

Usage: cost-report.py [--system-map FILE] DIR
"""

import bisect
import json
import os
import re
import sys
from collections import defaultdict

DRIVERS = ("rvnet", "c")
DRIVER_MODULES = {"rvnet": {"rvnet"}, "c": {"virtio_net", "virtio_ring", "virtio_mmio", "virtio"}}
GEN_MODULES = {"pktgen"}
TESTS = {  # test: (title, unit, divisor of the units)
    "pps64": ("pktgen 64 B", "packet sent", 1),
    "pps1514": ("pktgen 1514 B", "packet sent", 1),
    "rr": ("TCP request/response, 1 B", "transaction", 1),
    "tcp": ("TCP bulk A -> B", "MB", 1e6),
}
IDLE = re.compile(r"^(do_idle|cpu_startup_entry|cpuidle_idle_call|default_idle(_call)?|"
                  r"arch_cpu_idle(_enter|_exit)?|(pv_)?native_safe_halt|amd_e400_idle|"
                  r"mwait_idle|poll_idle|cpu_idle_poll|start_secondary|"
                  r"rest_init|tick_nohz_idle_.*|play_idle_precise|schedule_idle)$")
SLOWPATH = re.compile(r"(slowpath|^rwsem_down_|^__mutex_lock|^rt_mutex_slowlock|"
                      r"^__rwsem_.*wait)")
# virtio-mmio registers (VIRTIO 1.x, 4.2.2; legacy 4.2.4), by offset.
REGISTERS = {
    0x000: "MagicValue", 0x004: "Version", 0x008: "DeviceID", 0x00c: "VendorID",
    0x010: "DeviceFeatures", 0x014: "DeviceFeaturesSel", 0x020: "DriverFeatures",
    0x024: "DriverFeaturesSel", 0x028: "GuestPageSize", 0x030: "QueueSel",
    0x034: "QueueNumMax", 0x038: "QueueNum", 0x03c: "QueueAlign", 0x040: "QueuePFN",
    0x044: "QueueReady", 0x050: "QueueNotify", 0x060: "InterruptStatus",
    0x064: "InterruptACK", 0x070: "Status", 0x080: "QueueDescLow", 0x084: "QueueDescHigh",
    0x090: "QueueDriverLow", 0x094: "QueueDriverHigh", 0x0a0: "QueueDeviceLow",
    0x0a4: "QueueDeviceHigh", 0x0ac: "SHMSel", 0x0fc: "ConfigGeneration",
}
EXIT_COST = 2000  # guest instructions an exit is worth, in kvm_model
FIGURES = [  # key, title
    ("delivered", "packets B received per packet A sent"),
    ("insns", "instructions, whole guest"),
    ("insns_net", "instructions, less generator and idle"),
    ("insns_driver", "instructions in the driver's modules"),
    ("insns_gen", "instructions of the traffic generator"),
    ("insns_idle", "instructions of the idle loop"),
    ("insns_cpu0", "instructions on vCPU 0 (A, sender)"),
    ("insns_cpu1", "instructions on vCPU 1 (B, receiver)"),
    ("slowpath", "instructions in lock slow paths"),
    ("locked", "LOCK-prefixed instructions"),
    ("serializing", "serializing instructions and fences"),
    ("pauses", "PAUSE (spin waits)"),
    ("rep_iters", "REP string iterations"),
    ("rep_bytes", "bytes moved by REP strings"),
    ("mmio_r", "MMIO reads"),
    ("mmio_w", "MMIO writes"),
    ("irq", "NIC interrupts"),
    ("ipi", "interprocessor interrupts"),
    ("stops", "A's transmit queue stops (qstats tx-stop)"),
    ("irq_other", "other interrupts, but the timer"),
    ("kvm_model", "KVM model: insns + 2,000 x (MMIO + NIC interrupts + IPIs)"),
]


def demangle(name):
    """A readable form of a Rust v0 symbol ("_RNv..."): its identifiers but the crate's, with
    the module path of a trait dropped once the type is named, e.g.
    "nic::RvnetNetdev::Operations::poll"; other names as they are."""
    if not name.startswith("_R"):
        return name
    idents, i = [], 2
    while i < len(name):
        c = name[i]
        if c.isdigit():
            m = re.match(r"(\d+)_?", name[i:])
            n = int(m.group(1))
            if n:
                idents.append(name[i + m.end():i + m.end() + n])
            i += m.end() + n
        elif c in "sB":  # a disambiguator or a back-reference: base-62 digits and "_"
            end = name.find("_", i)
            i = len(name) if end < 0 else end + 1
        else:
            i += 1
    if len(idents) < 2:
        return name
    out, typed = [], False
    for j, ident in enumerate(idents[1:], 1):
        camel = ident[0].isupper()
        nxt = idents[j + 1] if j + 1 < len(idents) else ""
        if typed and not camel and nxt:
            continue  # a trait's module path, after the type
        typed |= camel
        out.append(ident)
    return "::".join(out)


class Symbols:
    """Text symbols, kernel and modules: the function an address belongs to."""

    def __init__(self, entries):
        entries = sorted(entries)
        self.addrs = [a for a, _, _ in entries]
        self.entries = entries

    def lookup(self, addr):
        """(function, module or None); user space is "[user]"."""
        if addr < 1 << 63:
            return "[user]", "user"
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return f"[unknown {addr:x}]", None
        _, name, module = self.entries[i]
        return name, module


def read_system_map(path):
    entries = []
    if not path:
        return entries
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                entries.append((int(parts[0], 16), demangle(parts[2]), None))
    return entries


def read_guest_log(path):
    """windows {N: info}, symbols {(driver, run): [(addr, name, module)]}, devices, features"""
    windows, symbols, devices, features = {}, defaultdict(list), {}, {}
    selftest = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("COST-SYM "):
                _, drv, run, addr, name, module = line.split()[:6]
                symbols[(drv, int(run))].append((int(addr, 16), demangle(name),
                                                 module.strip("[]")))
            elif line.startswith("COST-SELFTEST "):
                selftest = dict((k, int(v)) for k, v in
                                (kv.split("=", 1) for kv in line.split()[1:]))
            elif line.startswith("COST-DEV "):
                _, nic, phys = line.split()[:3]
                devices[int(phys, 16)] = nic
            elif line.startswith("FEATURES "):
                parts = line.split()
                features[parts[1]] = " ".join(parts[2:])
            elif line.startswith("COST "):
                parts = line.split()
                info = {"driver": parts[1], "run": int(parts[2]), "test": parts[3],
                        "amount": int(parts[4])}
                for kv in parts[5:]:
                    k, v = kv.split("=", 1)
                    info[k] = int(v)
                windows[info["window"]] = info
    return windows, symbols, devices, features, selftest


def read_counts(path):
    """{N: {"tbs": [...], "mmio": [...]}} from the plugin's file."""
    windows, cur, problems = {}, None, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "window":
                cur = {"tbs": [], "mmio": []}
                windows[int(parts[1])] = cur
            elif parts[0] == "tb" and cur is not None:
                cur["tbs"].append((int(parts[1], 16), int(parts[2]), int(parts[3]),
                                   int(parts[4]), int(parts[5]), int(parts[6]),
                                   *([int(x) for x in p.split(",")] for p in parts[7:10])))
            elif parts[0] == "mmio" and cur is not None:
                cur["mmio"].append((int(parts[1], 16), parts[2],
                                    [int(x) for x in parts[3].split(",")]))
            elif parts[0] == "end" and len(parts) > 2:
                problems.append(f"window {parts[1]}: {' '.join(parts[2:])}")
    return windows, problems


def check_selftest(expected, counts):
    """The plugin's census in user space of costmark's selftest window, against what the
    program executed: a list of problems, empty when every figure is exact."""
    if not expected:
        return ["no costmark selftest in the guest log"]
    n = expected.pop("window")
    if n not in counts:
        return [f"the selftest's window {n} has no counts"]
    got = defaultdict(int)
    for vaddr, _, nlock, nser, nfence, npause, execs, rep_iters, rep_bytes in counts[n]["tbs"]:
        if vaddr >= 1 << 63:
            continue
        total = sum(execs)
        got["locked"] += total * nlock
        got["serializing"] += total * (nser + nfence)
        got["pauses"] += total * npause
        got["rep_iters"] += sum(rep_iters)
        got["rep_bytes"] += sum(rep_bytes)
    return [f"selftest: {k} counted {got[k]}, executed {v}" for k, v in expected.items()
            if got[k] != v]


def register_name(phys, devices):
    for base, nic in devices.items():
        if base <= phys < base + 0x200:
            off = phys - base
            name = REGISTERS.get(off, f"config+{off - 0x100:#x}" if off >= 0x100 else f"{off:#x}")
            return f"{nic}.{name}"
    return f"{phys:#x}"


# Figures counted per vCPU ("KEY@0", "KEY@1"); the rest are the window's totals.
PER_CPU = ("insns", "insns_net", "insns_driver", "insns_gen", "insns_idle", "slowpath",
           "locked", "serializing", "pauses", "rep_iters", "rep_bytes", "mmio_r", "mmio_w",
           "irq", "kvm_model")


def analyse(counts, info, syms, devices, driver):
    """The figures of one window, by vCPU where they can be, and its per-function and
    per-register detail."""
    f = defaultdict(float)
    funcs = defaultdict(lambda: [0, 0, 0])  # name: [insns cpu0, insns cpu1, locked]
    drv_mods = DRIVER_MODULES[driver]
    for vaddr, ninsns, nlock, nser, nfence, npause, execs, rep_iters, rep_bytes in counts["tbs"]:
        name, module = syms.lookup(vaddr)
        key = name if module in (None, "user") else f"{name} [{module}]"
        for cpu, e in enumerate(execs[:2]):
            insns = e * ninsns
            c = f"@{cpu}"
            f["insns" + c] += insns
            funcs[key][cpu] += insns
            funcs[key][2] += e * nlock
            if module in drv_mods:
                f["insns_driver" + c] += insns
            if module in GEN_MODULES or module == "user":
                f["insns_gen" + c] += insns
            elif IDLE.match(name):
                f["insns_idle" + c] += insns
            if SLOWPATH.search(name):
                f["slowpath" + c] += insns
            f["locked" + c] += e * nlock
            f["serializing" + c] += e * (nser + nfence)
            f["pauses" + c] += e * npause
        for cpu, n in enumerate(rep_iters[:2]):
            f[f"rep_iters@{cpu}"] += n
        for cpu, n in enumerate(rep_bytes[:2]):
            f[f"rep_bytes@{cpu}"] += n
    regs = defaultdict(int)
    for phys, rw, per_cpu in counts["mmio"]:
        for cpu, n in enumerate(per_cpu[:2]):
            f[f"mmio_{rw}@{cpu}"] += n
        regs[(register_name(phys, devices), rw)] += sum(per_cpu)
    # A's interrupt line is on CPU 0, B's on CPU 1 (cost.sh).
    f["irq@0"], f["irq@1"] = info["irq_a"], info["irq_b"]
    for c in ("@0", "@1"):
        f["insns_net" + c] = f["insns" + c] - f["insns_gen" + c] - f["insns_idle" + c]
        f["kvm_model" + c] = f["insns" + c] + EXIT_COST * (
            f["mmio_r" + c] + f["mmio_w" + c] + f["irq" + c])
    f["ipi"] = info["ipi"]
    f["irq_other"] = info["irq_other"]
    f["stops"] = info.get("stops", 0)
    return f, funcs, regs


def per_unit(small, large, key, split):
    """KEY per unit, from the two windows. With SPLIT (pktgen), what vCPU 0 (A, the sender)
    did counts per packet A sent, and what vCPU 1 (B, the receiver) did per packet B received:
    B drops packets that find its ring full, at no cost to itself."""
    def d(k):
        return large["fig"][k] - small["fig"][k]

    def div(a, b):
        return a / b if b > 0 else float("nan")

    du = large["units"] - small["units"]
    sent = d("sent")
    delivered = d("delivered")
    if key == "delivered":
        return div(delivered, sent)
    if key in ("insns_cpu0", "insns_cpu1"):
        cpu = key[-1]
        return div(d("insns@" + cpu), delivered if split and cpu == "1" else du)
    if key == "kvm_model":
        extra = EXIT_COST * d("ipi")
        if split:
            return (div(d("kvm_model@0") + extra, sent) + div(d("kvm_model@1"), delivered))
        return div(d("kvm_model@0") + d("kvm_model@1") + extra, du)
    if key in PER_CPU:
        if split:
            return div(d(key + "@0"), sent) + div(d(key + "@1"), delivered)
        return div(d(key + "@0") + d(key + "@1"), du)
    return div(d(key), du)


def fmt(v):
    if v != v:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def backend_report(root, backend, system_map):
    bdir = os.path.join(root, backend)
    log_windows, symbols, devices, features, selftest = read_guest_log(
        os.path.join(bdir, "guest.log"))
    counts, problems = read_counts(os.path.join(bdir, "counts.txt"))
    problems += check_selftest(selftest, counts)
    kernel = read_system_map(system_map)
    # (driver, run, test) -> [window info with figures], by amount
    groups = defaultdict(list)
    details = {}
    for n, info in sorted(log_windows.items()):
        if n not in counts:
            problems.append(f"window {n} ({info['driver']} {info['test']}) has no counts")
            continue
        syms = Symbols(kernel + symbols.get((info["driver"], info["run"]), []))
        fig, funcs, regs = analyse(counts[n], info, syms, devices, info["driver"])
        # pktgen's packets are counted as A sent them, the fixed amount; B may drop some when
        # its ring is full, which the figure "delivered" shows.
        fig["delivered"] = info["b_rx"]
        fig["sent"] = info["a_tx"]
        info = dict(info, fig=fig)
        if info["test"].startswith("pps"):
            info["units"] = info["a_tx"]
        info["units"] = info["units"] / TESTS[info["test"]][2]
        groups[(info["driver"], info["run"], info["test"])].append(info)
        details[(info["driver"], info["run"], info["test"], info["amount"])] = (funcs, regs)
    results = {}  # test -> driver -> run -> {key: value}
    unit_funcs = {}  # (test, driver) -> (functions, registers, small, large), per unit, run 1
    for (drv, run, test), ws in groups.items():
        ws.sort(key=lambda w: w["amount"])
        if len(ws) < 2:
            problems.append(f"{drv} run {run} {test}: {len(ws)} window(s), 2 needed")
            continue
        small, large = ws[0], ws[-1]
        figs = {k: per_unit(small, large, k, test.startswith("pps")) for k, _ in FIGURES}
        results.setdefault(test, {}).setdefault(drv, {})[run] = figs
        # The per-unit detail of run 1, for the profile files.
        if run == 1:
            unit_funcs[(test, drv)] = per_unit_detail(
                small, large, details[(drv, run, test, small["amount"])],
                details[(drv, run, test, large["amount"])], test.startswith("pps"))
    for (test, drv), (funcs, regs, small, large) in unit_funcs.items():
        write_profile(bdir, test, drv, funcs, regs, small, large)
    for test in TESTS:
        if (test, "rvnet") in unit_funcs and (test, "c") in unit_funcs:
            write_diff(bdir, test, unit_funcs[(test, "rvnet")][0], unit_funcs[(test, "c")][0])
    return results, features, problems


def per_unit_detail(small, large, d_small, d_large, split):
    """Functions {name: (insns cpu0, insns cpu1, locked)} and registers {(name, rw): n} per
    unit, from the two windows; with SPLIT (pktgen), vCPU 1's instructions per packet B
    received, as in the tables."""
    du = large["units"] - small["units"]
    if du <= 0:
        return {}, {}, small, large
    d1 = large["fig"]["delivered"] - small["fig"]["delivered"] if split else du
    d1 = d1 if d1 > 0 else du
    funcs_s, regs_s = d_small
    funcs_l, regs_l = d_large
    funcs = {}
    for name in set(funcs_s) | set(funcs_l):
        a = funcs_s.get(name, [0, 0, 0])
        b = funcs_l.get(name, [0, 0, 0])
        funcs[name] = ((b[0] - a[0]) / du, (b[1] - a[1]) / d1, (b[2] - a[2]) / du)
    regs = {key: (regs_l.get(key, 0) - regs_s.get(key, 0)) / du
            for key in set(regs_s) | set(regs_l)}
    return funcs, regs, small, large


def write_profile(bdir, test, drv, funcs, regs, small, large):
    unit = TESTS[test][1]
    rows = sorted(((c0 + c1, c0, c1, lk, name) for name, (c0, c1, lk) in funcs.items()),
                  reverse=True)
    total = sum(r[0] for r in rows)
    path = os.path.join(bdir, f"profile-{test}-{drv}.txt")
    with open(path, "w") as f:
        f.write(f"# {TESTS[test][0]}, {drv}, run 1: per {unit} "
                f"(windows of {small['amount']} and {large['amount']})"
                f"{'; vCPU 1 per packet B received' if test.startswith('pps') else ''}\n")
        f.write(f"# {'insns':>9} {'cpu0 (A)':>9} {'cpu1 (B)':>9} {'locked':>7}  function\n")
        for r in rows[:25]:
            f.write(f"{r[0]:11.1f} {r[1]:9.1f} {r[2]:9.1f} {r[3]:7.2f}  {r[4]}\n")
        f.write(f"{total:11.1f} {'':9} {'':9} {'':7}  (all functions)\n\n")
        f.write(f"# the functions with the most LOCK-prefixed instructions per {unit}\n")
        for r in sorted(rows, key=lambda r: r[3], reverse=True)[:15]:
            if r[3] >= 0.005:
                f.write(f"{r[3]:11.2f}  {r[4]}\n")
        f.write(f"{sum(r[3] for r in rows):11.2f}  (all functions)\n\n")
        f.write(f"# MMIO accesses per {unit}, by register\n")
        for key in sorted(regs):
            if abs(regs[key]) >= 0.0005:
                f.write(f"{regs[key]:11.3f}  {key[1]} {key[0]}\n")


def write_diff(bdir, test, rvnet, c):
    """The functions whose instructions per unit differ most between the drivers."""
    unit = TESTS[test][1]
    rows = []
    for name in set(rvnet) | set(c):
        r = sum(rvnet.get(name, (0, 0, 0))[:2])
        k = sum(c.get(name, (0, 0, 0))[:2])
        rows.append((abs(r - k), r - k, r, k, name))
    rows.sort(reverse=True)
    with open(os.path.join(bdir, f"profile-{test}-diff.txt"), "w") as f:
        f.write(f"# {TESTS[test][0]}, run 1: instructions per {unit}"
                f"{' (vCPU 1: per packet B received)' if test.startswith('pps') else ''}, "
                f"the 40 functions whose count differs most between rvnet and C\n")
        f.write(f"# {'rvnet-C':>9} {'rvnet':>9} {'C':>9}  function\n")
        for _, d, r, k, name in rows[:40]:
            f.write(f"{d:+11.1f} {r:9.1f} {k:9.1f}  {name}\n")


def spread(values):
    vals = [v for v in values if v == v]
    if len(vals) < 2:
        return 0.0
    mean = sum(vals) / len(vals)
    if abs(mean) < 1e-9:
        return 0.0
    return (max(vals) - min(vals)) / abs(mean)


def main(argv):
    system_map = None
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--system-map":
        system_map = args[1]
        args = args[2:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    root = args[0]
    out, data, bad = [], {}, []
    for backend in ("hub", "tap"):
        if not os.path.exists(os.path.join(root, backend, "counts.txt")):
            continue
        results, features, problems = backend_report(root, backend, system_map)
        data[backend] = {"results": results, "features": features, "problems": problems}
        bad += [f"{backend}: {p}" for p in problems]
        shape = "equal features" if backend == "hub" else "defaults"
        out.append(f"### cost, {backend} backend ({shape})\n")
        for drv in DRIVERS:
            if drv in features:
                out.append(f"- negotiated by {drv}: feature bits {features[drv]}")
        out.append("")
        spreads = []
        for test, (title, unit, _) in TESTS.items():
            if test not in results:
                continue
            per = results[test]
            runs = sorted(set(per.get("rvnet", {})) & set(per.get("c", {})))
            if not runs:
                continue
            out.append(f"#### {title}, per {unit} (mean of {len(runs)} runs)\n")
            out.append("| figure | rvnet | C | rvnet/C |")
            out.append("|---|---:|---:|---:|")
            for key, label in FIGURES:
                if key == "delivered" and not test.startswith("pps"):
                    continue
                r = sum(per["rvnet"][n][key] for n in runs) / len(runs)
                c = sum(per["c"][n][key] for n in runs) / len(runs)
                ratio = f"{r / c:.2f}x" if abs(c) > 1e-9 and r == r and c == c else "-"
                out.append(f"| {label} | {fmt(r)} | {fmt(c)} | {ratio} |")
                for drv in DRIVERS:
                    s = spread([per[drv][n][key] for n in runs])
                    # Small figures (a fraction per unit) swing by whole events: not a spread
                    # of the method.
                    big = max(abs(per[drv][n][key]) for n in runs) >= 1
                    if big:
                        spreads.append((s, f"{test} {drv} {key}"))
            out.append("")
        if spreads:
            spreads.sort(reverse=True)
            within = sum(1 for sp, _ in spreads if sp <= 0.05)
            out.append(f"Repeatability ({backend}, {len(runs)} runs): {within} of {len(spreads)} "
                       f"per-unit figures of 1 or more agree within 5% between runs. The "
                       f"largest spread of each figure, (max - min) / mean over the runs, "
                       f"any workload and driver:\n")
            out.append("| figure | largest spread | where |")
            out.append("|---|---:|---|")
            worst = {}
            for sp, name in spreads:
                key = name.split()[-1]
                if key not in worst or sp > worst[key][0]:
                    worst[key] = (sp, name.rsplit(" ", 1)[0])
            for key, label in FIGURES:
                if key in worst:
                    sp, where = worst[key]
                    out.append(f"| {label} | {sp * 100:.1f}% | {where} |")
            out.append("")
    if bad:
        out.append("Problems: " + "; ".join(bad) + "\n")
    text = "\n".join(out)
    with open(os.path.join(root, "bench.md"), "w") as f:
        f.write(text)
    with open(os.path.join(root, "cost.json"), "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    print(text)
    return 1 if bad or not data else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
