#!/usr/bin/python3
"""timeit.py RUNS CMD [ARG...]: run CMD RUNS times, output to /dev/null,
and print the median wall time and the median CPU time (user + system,
from wait4) in milliseconds: "WALL CPU".  Fails when a run fails.

On a busy machine the wall time waits for a core; the CPU time says
what the command itself costs."""
import os
import statistics
import subprocess
import sys
import time


def main():
    runs = int(sys.argv[1])
    cmd = sys.argv[2:]
    wall, cpu = [], []
    with open(os.devnull, "wb") as null:
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=null)
            _, status, ru = os.wait4(p.pid, 0)
            wall.append((time.perf_counter() - t0) * 1000)
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode != 0:
                sys.exit(f"timeit: {' '.join(cmd)}: exit {p.returncode}")
            cpu.append((ru.ru_utime + ru.ru_stime) * 1000)
    print(f"{statistics.median(wall):.1f} {statistics.median(cpu):.1f}")


if __name__ == "__main__":
    main()
