#!/usr/bin/python3
"""firstok.py PORT PATH[,PATH...] LOG CMD...: start CMD (output to LOG),
print its pid and, for each PATH in turn, the milliseconds from the start
until GET PATH on 127.0.0.1:PORT answers 200.

The poll is a plain socket every millisecond from this process, so what
is timed is the server's start, not a curl process's each try.  The
server stays running; the caller stops it."""
import os
import socket
import subprocess
import sys
import time


def ok(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close"
                       "\r\n\r\n" % path).encode())
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main():
    port, paths, log = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
    cmd = sys.argv[4:]
    with open(log, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
    took = []
    for path in paths:
        while not ok(port, path):
            if p.poll() is not None:
                print("firstok: server ended, status %d" % p.returncode,
                      file=sys.stderr)
                return 1
            if time.monotonic() - t0 > 60:
                print("firstok: no answer in 60 s", file=sys.stderr)
                return 1
            time.sleep(0.001)
        took.append("%.1f" % ((time.monotonic() - t0) * 1000))
    print(p.pid, *took)
    # The server is not this process's to wait for.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
