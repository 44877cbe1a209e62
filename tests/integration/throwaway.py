"""A throwaway root: this machine's own / under an overlay whose upper
layer is a tmpfs, in a mount namespace of its own, for tests that must
run the real update-ca-certificates, dpkg and debconf as root without
touching the host's store.

    with Throwaway(binds=[tmp_dir, build_dir]) as tw:
        tw.run("update-ca-certificates", "--fresh", check=0)

A helper process holds the namespace (unshare -m, then sleep); every
command enters it (nsenter -m) and chroots into the overlay.  What a
command writes goes to the tmpfs and is gone when the helper is killed.
The directories in binds are bind-mounted at the same paths, so the
test's files and the binaries are shared with the host.  Needs root
and util-linux (unshare, nsenter).
"""
import os
import shlex
import subprocess
import tempfile

from conftest import run

SETUP = """set -e
T={top}
mount -t tmpfs -o size=512m,mode=0755 tmpfs "$T"
mkdir "$T/u" "$T/w" "$T/m"
mount -t overlay -o lowerdir=/,upperdir="$T/u",workdir="$T/w" overlay "$T/m"
for d in /proc /dev /sys {binds}; do mount --rbind "$d" "$T/m$d"; done
echo ready
exec sleep infinity
"""


class Throwaway:
    """The overlay root; run() runs a command in it."""

    def __init__(self, binds=()):
        self.top = tempfile.mkdtemp(prefix="cabundle-throwaway-")
        os.chmod(self.top, 0o755)
        script = SETUP.format(top=shlex.quote(self.top),
                              binds=" ".join(shlex.quote(str(b))
                                             for b in binds))
        # unshare execs sh, which execs sleep: one pid holds the namespace.
        self.p = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             script], stdout=subprocess.PIPE)
        line = self.p.stdout.readline()
        if line != b"ready\n":
            self.close()
            raise RuntimeError("throwaway root: setup failed")
        self.root = self.top + "/m"

    def run(self, *args, check=None, **kw):
        """conftest.run() of args inside the throwaway root."""
        return run("nsenter", "-t", str(self.p.pid), "-m", "--", "chroot",
                   self.root, *args, check=check, **kw)

    def slow(self, *args, timeout=600, **kw):
        """A command that may take minutes (dpkg and its triggers, the
        Java store's among them); its CompletedProcess, output kept."""
        return subprocess.run(["nsenter", "-t", str(self.p.pid), "-m", "--",
                               "chroot", self.root, *map(str, args)],
                              capture_output=True, timeout=timeout, **kw)

    def sh(self, script, check=0, **kw):
        """A shell script inside; returns its standard output as text."""
        return self.run("/bin/sh", "-c", script, check=check,
                        **kw).stdout.decode()

    def read(self, path):
        """The bytes of a file inside."""
        return self.run("cat", path, check=0).stdout

    def write(self, path, data, mode=0o644):
        self.run("sh", "-c", f"cat > {shlex.quote(path)} && chmod "
                 f"{mode:o} {shlex.quote(path)}", input=data, check=0)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.p.stdout.close()
        try:
            os.rmdir(self.top)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
