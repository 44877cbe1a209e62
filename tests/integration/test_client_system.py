"""cabundle install --system: Debian's own store (/etc/ssl/certs, its
ca-certificates.crt and the Java store its hooks keep) holds exactly the
release, the Debian way, and restore puts the machine's store back.

Every test runs in a throwaway root (throwaway.py: this machine's / under
an overlay on a tmpfs, in a mount namespace of its own), never on the
host's store.  The checkers are the real consumers run inside it:
openssl verify, curl, update-ca-certificates --fresh, dpkg -i of a newer
ca-certificates package, keytool."""
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import (CABUNDLE, CA_VARS, NOPROXY, ROOT, clock_env,
                      fingerprint, pem_blocks, run)
from fakemirror import static
from throwaway import Throwaway

BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CONF = "/etc/ca-certificates.conf"
OURS = "/usr/local/share/ca-certificates/cabundle"
MOZILLA = pathlib.Path("/usr/share/ca-certificates/mozilla")
QUESTION = "ca-certificates/trust_new_crts"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/sbin/update-ca-certificates")
    or shutil.which("unshare") is None,
    reason="needs root, Debian's ca-certificates and util-linux")


def mozilla(name):
    return (MOZILLA / f"{name}.crt").read_bytes()


# Public roots the release carries beside the organization's; ISRG Root
# X1 is one it does not (the "Mozilla-only root").
KEPT = ["DigiCert_Global_Root_G2", "GTS_Root_R1", "Amazon_Root_CA_1"]
LEFT_OUT = "ISRG_Root_X1"


@pytest.fixture
def tw(env, tmp_path_factory):
    """A throwaway root sharing the test's files and the build."""
    with Throwaway(binds=[tmp_path_factory.getbasetemp(), ROOT]) as t:
        # A machine with only Debian's certificates: a local one (this
        # host has one) refuses --system, as its own test shows.
        t.sh("find /usr/local/share/ca-certificates -mindepth 1 -delete && "
             "update-ca-certificates --fresh >/dev/null 2>&1")
        yield t


def release(org_pki, extra=b""):
    body = (org_pki / "ca.pem").read_bytes() + b"".join(
        mozilla(n) for n in KEPT) + extra
    return body


def cabundle(tw, env, *args, check=None, targets=()):
    """cabundle install --system (and targets) inside, on our clock."""
    a = env.args(targets=list(targets))[:]
    return tw.run(*a, "--system", *args, check=check,
                  env=clock_env(NOPROXY))


def cabundle_cmd(tw, env, cmd, *args, check=None):
    return tw.run(CABUNDLE, cmd, "--config", env.conf, "--state", env.state,
                  *args, check=check, env=clock_env(NOPROXY))


def fps(data):
    return {fingerprint(b) for b in pem_blocks(data)}


def store(tw):
    """What the three stores, the conf, our directory and debconf hold:
    bytes, link targets, the Java store's bytes."""
    return tw.sh(
        "cd /etc/ssl/certs && for f in * .[!.]*; do [ -e \"$f\" ] || "
        "[ -L \"$f\" ] || continue; if [ -L \"$f\" ]; then echo \"$f -> "
        "$(readlink \"$f\")\"; elif [ -f \"$f\" ]; then echo \"$f "
        "$(sha256sum < \"$f\")\"; else echo \"$f dir\"; fi; done; "
        "sha256sum /etc/ssl/certs/java/cacerts " + CONF + " 2>&1; "
        "ls -la " + CONF + "-backup 2>&1; "
        "find /usr/local/share/ca-certificates /usr/local/share -maxdepth 2 "
        "| sort; echo 'GET " + QUESTION + "\nFGET " + QUESTION +
        " seen' | debconf-communicate")


def verify(tw, cert_path):
    """openssl verify against the system bundle: True when OK."""
    p = tw.run("openssl", "verify", "-CAfile", BUNDLE, cert_path,
               env=clock_env())
    return p.returncode == 0


def curl(tw, url):
    """curl with the system store (no CA variables): the exit status."""
    e = {k: v for k, v in clock_env(NOPROXY).items() if k not in CA_VARS}
    return tw.run("curl", "-sS", "-o", "/dev/null", url, env=e).returncode


def java_fps(tw):
    """The SHA-256 fingerprints keytool lists in the Java store that
    ca-certificates-java keeps, or None without one."""
    p = tw.run("keytool", "-list", "-keystore", "/etc/ssl/certs/java/cacerts",
               "-storepass", "changeit")
    if p.returncode != 0:
        return None
    return {m.replace(b":", b"").lower().decode() for m in
            re.findall(rb"\(SHA-256\): ([0-9A-F:]+)", p.stdout)}


def debian_fps():
    """Fingerprints of every certificate Debian ships."""
    return set().union(*(fps(f.read_bytes()) for f in MOZILLA.glob("*.crt")))


def test_system_install_fresh_restore(tw, env, org_pki, https_site):
    body = release(org_pki)
    want = fps(body)
    before = {p: tw.read(p) for p in (BUNDLE, CONF)}
    isrg = str(MOZILLA / f"{LEFT_OUT}.crt")
    site = org_pki / "site.pem"
    assert not verify(tw, site) and verify(tw, isrg)
    assert curl(tw, https_site) != 0

    env.publish(1, body)
    p = cabundle(tw, env, check=0)
    out = json.loads(p.stdout)
    assert out["result"] == "installed"
    assert [t["kind"] for t in out["targets"]] == ["system"]
    assert fps(tw.read(BUNDLE)) == want
    assert verify(tw, site), "openssl refuses the org's server"
    assert not verify(tw, isrg), "a root the release leaves out is trusted"
    assert curl(tw, https_site) == 0
    # One certificate per .crt file, under our directory only.
    crts = tw.sh(f"find -L /usr/local/share/ca-certificates -name '*.crt'")
    assert len(crts.split()) == len(want)
    assert all(c.startswith(OURS + "/cabundle_") for c in crts.split())
    conf = tw.read(CONF).decode()
    assert not [x for x in conf.splitlines()
                if x and x[0] not in "#!"], "a Debian cert still selected"
    assert tw.read(CONF + "-backup") == before[CONF]
    assert "0 no" in tw.sh(f"echo 'GET {QUESTION}' | debconf-communicate")
    # The Java store: the release in, every other Debian root out (an
    # entry put there by keytool itself is not ca-certificates' to drop).
    j = java_fps(tw)
    assert j is None or (want <= j and not (j & (debian_fps() - want))), j

    # A second run is current; status agrees.
    assert json.loads(cabundle(tw, env, check=0).stdout)["result"] == \
        "current"
    st = json.loads(cabundle_cmd(tw, env, "status", "--json",
                                 check=0).stdout)
    assert [(t["kind"], t["holds"]) for t in st] == [("system", True)]

    # Debian's own rebuild from scratch keeps it.
    tw.run("update-ca-certificates", "--fresh", check=0)
    assert fps(tw.read(BUNDLE)) == want
    assert verify(tw, site) and not verify(tw, isrg)
    cabundle_cmd(tw, env, "status", check=0)

    # Someone selects a Debian certificate again: status says so.
    tw.sh(f"sed -i 's|^!mozilla/{LEFT_OUT}.crt|mozilla/{LEFT_OUT}.crt|' "
          f"{CONF} && update-ca-certificates")
    p = cabundle_cmd(tw, env, "status", check=1)
    assert b"CHANGED" in p.stdout
    tw.sh(f"sed -i 's|^mozilla/{LEFT_OUT}.crt|!mozilla/{LEFT_OUT}.crt|' "
          f"{CONF} && update-ca-certificates")

    p = cabundle_cmd(tw, env, "restore", check=0)
    assert b"restored" in p.stdout
    assert tw.read(CONF) == before[CONF]
    assert tw.read(BUNDLE) == before[BUNDLE]
    assert tw.sh(f"ls -a {CONF}-backup {OURS} 2>/dev/null || true") == ""
    assert "0 yes" in tw.sh(f"echo 'GET {QUESTION}' | debconf-communicate")
    assert not verify(tw, site) and verify(tw, isrg)
    assert curl(tw, https_site) != 0


def repack(tw, tmp, extra_pem):
    """The installed ca-certificates, rebuilt as a higher version with
    one more Mozilla certificate; returns the .deb's path."""
    ver = tw.sh("dpkg-query -W -f '${Version}' ca-certificates").strip()
    d = tmp / "pkg"
    tw.sh(f"mkdir -p {d} && cd {d} && dpkg-repack ca-certificates "
          ">/dev/null 2>&1 || apt-get download ca-certificates "
          ">/dev/null 2>&1 || true")
    debs = sorted(d.glob("ca-certificates_*.deb"))
    if not debs:
        # Rebuild from the files dpkg knows.
        tw.sh(f"""set -e; R={d}/root; mkdir -p $R/DEBIAN
for f in $(dpkg -L ca-certificates); do [ -f "$f" ] && ! [ -L "$f" ] && \
  mkdir -p "$R$(dirname "$f")" && cp -a "$f" "$R$f"; true; done
cp -a /var/lib/dpkg/info/ca-certificates.config $R/DEBIAN/config
for s in postinst postrm preinst prerm templates triggers; do
  [ -f /var/lib/dpkg/info/ca-certificates.$s ] && \
    cp -a /var/lib/dpkg/info/ca-certificates.$s $R/DEBIAN/$s; true; done
dpkg-query -s ca-certificates | grep -v '^Status:' | \
  sed '/^Conffiles:/,/^[^ ]/{{/^Conffiles:/d;/^ /d}}' > $R/DEBIAN/control
""")
    else:
        tw.sh(f"cd {d} && dpkg-deb -R {debs[-1]} root")
    root = d / "root"
    newver = ver + "+cabundletest1"
    tw.sh(f"set -e; cd {root}; sed -i 's/^Version: .*/Version: {newver}/' "
          "DEBIAN/control; mkdir -p usr/share/ca-certificates/mozilla")
    (root / "usr/share/ca-certificates/mozilla/Cabundle_Test_New_Root.crt"
     ).write_bytes(extra_pem)
    tw.sh(f"cd {d} && dpkg-deb -b root new.deb >/dev/null")
    return d / "new.deb", newver


def test_system_survives_a_package_upgrade(tw, env, org_pki, tmp_path):
    body = release(org_pki)
    env.publish(1, body)
    cabundle(tw, env, check=0)
    extra = (MOZILLA / f"{LEFT_OUT}.crt").read_bytes()
    deb, newver = repack(tw, tmp_path, extra)
    p = tw.slow("env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "-i", deb)
    assert p.returncode == 0, p.stderr
    assert tw.sh("dpkg-query -W -f '${Version}' ca-certificates") == newver
    conf = tw.read(CONF).decode().splitlines()
    assert "!mozilla/Cabundle_Test_New_Root.crt" in conf, p.stdout
    assert fps(tw.read(BUNDLE)) == fps(body)
    assert not verify(tw, str(MOZILLA / f"{LEFT_OUT}.crt"))
    cabundle_cmd(tw, env, "status", check=0)


def test_system_refusals_leave_every_store_as_it_was(tw, env, org_pki,
                                                     keys):
    body = release(org_pki)
    snap = store(tw)
    # Tampered: the body is not the one signed.
    env.publish(1, body)
    env.m.routes["/v1/org/1/cacert.pem"] = static(body[:-2] + b"X\n")
    cabundle(tw, env, check=1)
    assert store(tw) == snap
    # Signed by a key not trusted.
    env.publish(1, body, key=keys.k3)
    cabundle(tw, env, check=1)
    assert store(tw) == snap

    # Installed v2, then an older release is refused.
    env.publish(2, body)
    cabundle(tw, env, check=0)
    snap = store(tw)
    env.publish(1, release(org_pki, mozilla("GTS_Root_R2")))
    cabundle(tw, env, check=1)
    assert store(tw) == snap


def test_system_put_back_when_another_target_fails(tw, env, org_pki,
                                                   tmp_path):
    snap = store(tw)
    env.publish(1, release(org_pki))
    # A full file system under an --output: its write fails after the
    # system store was replaced.
    full = tmp_path / "full"
    full.mkdir()
    tw.sh(f"mount -t tmpfs -o size=4k tmpfs {full} && "
          f"head -c 4096 /dev/zero > {full}/filler 2>/dev/null; true")
    p = cabundle(tw, env, targets=[full / "cacert.pem"], check=4)
    assert b"every target is as it was" in p.stderr, p.stderr
    assert store(tw) == snap


def test_system_refuses_a_foreign_certificate_or_link(tw, env, org_pki):
    env.publish(1, release(org_pki))
    tw.write("/usr/local/share/ca-certificates/someone.crt",
             mozilla(LEFT_OUT))
    snap = store(tw)
    p = cabundle(tw, env, check=4)
    assert b"someone.crt: a certificate cabundle did not put there" in \
        p.stderr
    assert store(tw) == snap
    tw.run("rm", "/usr/local/share/ca-certificates/someone.crt", check=0)

    cabundle(tw, env, check=0)
    # A link planted in our directory: the next install refuses.
    tw.run("ln", "-s", "/usr/share/ca-certificates/mozilla/"
           f"{LEFT_OUT}.crt", OURS + "/cabundle_0000000000000000.crt",
           check=0)
    env.publish(2, release(org_pki, mozilla("GTS_Root_R2")))
    snap = store(tw)
    p = cabundle(tw, env, check=4)
    assert b"not a file cabundle made" in p.stderr
    assert store(tw) == snap


def test_system_put_back_when_update_ca_certificates_fails(tw, env,
                                                           org_pki):
    env.publish(1, release(org_pki))
    snap = store(tw)
    # A hook cannot fail the update (its errors are printed), but a
    # bundle that cannot be written can: a directory in its way while
    # our certificates are in place.
    tw.sh("sed -i '2i [ -d /usr/local/share/ca-certificates/cabundle ] "
          "\\&\\& exit 9' /usr/sbin/update-ca-certificates")
    assert "exit 9" in tw.sh("cat /usr/sbin/update-ca-certificates")
    p = cabundle(tw, env, check=4)
    assert b"update-ca-certificates: failed" in p.stderr, p.stderr
    assert store(tw) == snap
