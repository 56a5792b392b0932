#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Prints one line with the CPU time each thread of QEMU process PID has used so far:
"<monotonic seconds> <tid>:<class>:<ticks> ...", ticks being utime + stime in USER_HZ units
(/proc/PID/task/TID/stat), class "vcpu" for a vCPU thread ("CPU n/TCG"), "main" for the main
loop (the thread named like the process) and "other" for the rest (RCU, workers). Used by
scripts/boot.sh at each of the bench guest's marks.

Usage: qemu-threads.py PID
"""

import os
import sys
import time


def main(pid):
    now = time.monotonic()
    fields = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue  # the thread ended meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2:].split()
        ticks = int(rest[11]) + int(rest[12])  # utime, stime: fields 14 and 15
        cls = "vcpu" if comm.startswith("CPU ") else "main" if tid == str(pid) else "other"
        fields.append(f"{tid}:{cls}:{ticks}")
    print(f"{now:.3f}", " ".join(fields))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
