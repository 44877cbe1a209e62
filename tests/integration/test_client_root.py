"""cabundle install and restore run as root against files an unprivileged
user planted (issue 18, SECURITY.md "Local attackers").

The attacker is `nobody`, planting with setpriv.  Each attack must
leave the victim's files as they were (bytes, mode, owner), exit non-zero
and name the path and the rule.  The positive control installs into a
root-owned directory below a root-owned sticky one (as pytest's tmp_path
under /tmp is), which the ownership rule lets through.

Key and tc are copied from test_client_attacks.py (tests import only
conftest and the helper modules).
"""
import fcntl
import json
import os
import pathlib
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import CABUNDLE, FIXTURES, NOPROXY, ORIGINAL, Key, run, tc
from fakemirror import FakeMirror, static

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

PROFILE = "org"
BODY = sorted((FIXTURES / "upstream").glob("cacert-*.pem"))[0].read_bytes()
NOBODY = 65534
RULE = "SECURITY.md: local attackers"


def as_nobody(*args):
    """Run a command as the attacker."""
    return run("setpriv", "--reuid=nobody", "--regid=nogroup",
               "--clear-groups", *args, check=0)


def who(p):
    s = os.lstat(p)
    return stat.S_IMODE(s.st_mode), s.st_uid, s.st_gid


class Env:
    """A signed release on a fake mirror; a root-owned base, a shared
    sticky directory (1777) the attacker can write, a victim directory
    of root's files the attacker must not be able to touch."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.key = Key(tmp, "k")
        self.m = FakeMirror().start()
        self.m.routes[f"/v1/{PROFILE}/1/cacert.pem"] = static(BODY)
        self.m.routes[f"/v1/{PROFILE}/cacert.pem.minisig"] = static(
            self.key.sign(BODY, tc(BODY, 1)))
        self.shared = tmp / "shared"
        self.shared.mkdir()
        os.chmod(self.shared, 0o1777)
        self.victim = tmp / "victim"
        self.victim.mkdir()
        self.secret = self.victim / "shadow"
        self.secret.write_bytes(b"root:$6$secret:19000::::::\n")
        os.chmod(self.secret, 0o640)
        (self.victim / "keep.pem").write_bytes(b"# root's own\n")
        self.state = tmp / "var" / "state.json"
        self.conf = tmp / "empty.conf"
        self.conf.write_bytes(b"")

    def install(self, *targets, state=None):
        return run(CABUNDLE, "install", "--config", self.conf, "--from",
                   self.m.url, "--profile", PROFILE, "--key", self.key.pub,
                   "--state", state or self.state, *targets, env=NOPROXY)

    def restore(self, *names, state=None):
        return run(CABUNDLE, "restore", "--config", self.conf, "--state",
                   state or self.state, *names)

    def victim_snapshot(self):
        return {p.name: (p.read_bytes(), who(p))
                for p in sorted(self.victim.iterdir())}


@pytest.fixture
def env():
    # pytest's tmp_path is below a 0700 directory the attacker cannot
    # traverse: a root-owned 0755 directory of our own in /tmp instead.
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="cabundle-root-", dir="/tmp"))
    os.chmod(tmp, 0o755)
    e = Env(tmp)
    before = e.victim_snapshot()
    try:
        yield e
        assert e.victim_snapshot() == before, "the victim's files changed"
    finally:
        e.m.stop()
        shutil.rmtree(tmp)


def refused(p, *words):
    err = p.stderr.decode(errors="replace")
    assert p.returncode != 0, f"exit 0\nstderr: {err}"
    for w in words:
        assert str(w) in err, f"{w!r} not in stderr: {err}"


# -- the positive control -------------------------------------------------

def test_root_installs_below_a_sticky_tmp(env):
    """tmp_path is root's, below /tmp (root's, sticky): allowed."""
    out = env.tmp / "etc" / "app.pem"
    out.parent.mkdir()
    out.write_bytes(ORIGINAL)
    run(*env.install("--output", out).args, check=0, env=NOPROXY)
    assert out.read_bytes() == BODY
    st = json.loads(env.state.read_text())["targets"][0]
    assert st["backup"] == f"{out}-backup" and "backup_id" in st
    env.restore(str(out))
    assert out.read_bytes() == ORIGINAL


# -- 1: the capath sweep ----------------------------------------------------

def test_capath_sweep_does_not_follow_a_planted_tree_link(env):
    d = env.shared / "certs"
    as_nobody("ln", "-s", env.victim, env.shared / ".certs.cabundle-AbC123")
    p = env.install("--capath", d)
    refused(p, ".certs.cabundle-AbC123", "did not make it", RULE)
    assert not os.path.lexists(d)


def test_capath_sweep_leaves_a_planted_directory(env):
    """A directory of the attacker's named like a tree: not ours."""
    d = env.shared / "certs"
    tree = env.shared / ".certs.cabundle-XyZ789"
    as_nobody("mkdir", tree)
    as_nobody("touch", tree / "theirs")
    p = env.install("--capath", d)
    refused(p, ".certs.cabundle-XyZ789", RULE)
    assert (tree / "theirs").exists()


# -- 2: a backup name taken before the first install ------------------------

@pytest.mark.parametrize("how", ["symlink", "file", "directory", "fifo"])
def test_planted_backup_is_never_adopted(env, how):
    out = env.shared / "app.pem"
    as_nobody("sh", "-c", f"printf '# app\\n' > {out}")
    bak = env.shared / "app.pem-backup"
    if how == "symlink":
        as_nobody("ln", "-s", env.secret, bak)
    elif how == "file":
        as_nobody("sh", "-c", f"printf '# attacker CA\\n' > {bak}")
    elif how == "directory":
        as_nobody("mkdir", bak)
    else:
        as_nobody("mkfifo", bak)
    p = env.install("--output", out)
    refused(p, str(bak), "refusing to adopt it")
    assert out.read_bytes() == b"# app\n"
    assert not env.state.exists()
    env.restore()
    assert out.read_bytes() == b"# app\n"


def test_planted_capath_backup_link_is_never_adopted(env):
    d = env.shared / "certs"
    as_nobody("ln", "-s", "/etc/ssl/certs", d)
    as_nobody("ln", "-s", env.victim, env.shared / "certs-backup")
    p = env.install("--capath", d)
    refused(p, "certs-backup", "refusing to adopt it")
    assert os.readlink(d) == "/etc/ssl/certs"
    assert os.readlink(env.shared / "certs-backup") == str(env.victim)


# -- 4: restore takes the state lock ----------------------------------------

def test_restore_waits_for_the_install_lock(env):
    out = env.tmp / "app.pem"
    out.write_bytes(ORIGINAL)
    run(*env.install("--output", out).args, check=0, env=NOPROXY)
    lock = open(f"{env.state}.lock", "r+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    p = subprocess.Popen([CABUNDLE, "restore", "--config", str(env.conf),
                          "--state", str(env.state)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    still = p.poll() is None
    assert out.read_bytes() == BODY, "restored while the lock was held"
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    p.communicate(timeout=30)
    assert still and p.returncode == 0
    assert out.read_bytes() == ORIGINAL


# -- 6: a forged state ------------------------------------------------------

def forged_state(env, path, backup, sha="0" * 64):
    env.state.parent.mkdir(exist_ok=True)
    env.state.write_text(json.dumps({
        "format": "cabundle-client/1", "floors": [],
        "targets": [{"path": str(path), "kind": "file", "profile": "org",
                     "version": 1, "sha256": sha, "key_id": "0" * 16,
                     "created": 0, "expires": 0, "installed": 0,
                     "source": "x", "backup": backup}]}))
    os.chmod(env.state, 0o600)


def test_state_backup_elsewhere_is_refused(env):
    out = env.tmp / "app.pem"
    out.write_bytes(ORIGINAL)
    forged_state(env, out, str(env.secret))
    p = env.restore()
    refused(p, str(env.state), f"is not {out}-backup", RULE)
    assert out.read_bytes() == ORIGINAL


def test_state_empty_backup_does_not_delete_any_file(env):
    forged_state(env, env.victim / "keep.pem", "")
    p = env.restore()
    refused(p, str(env.victim / "keep.pem"), "not the bundle cabundle "
            "installed")


def test_group_writable_state_is_not_believed(env):
    out = env.tmp / "app.pem"
    out.write_bytes(ORIGINAL)
    run(*env.install("--output", out).args, check=0, env=NOPROXY)
    os.chmod(env.state, 0o664)
    p = env.restore()
    refused(p, str(env.state), "writable by group", RULE)
    assert out.read_bytes() == BODY


def test_a_swapped_backup_is_not_restored(env):
    """The backup replaced after install (same name, another file)."""
    out = env.tmp / "app.pem"
    out.write_bytes(ORIGINAL)
    run(*env.install("--output", out).args, check=0, env=NOPROXY)
    bak = env.tmp / "app.pem-backup"
    bak.unlink()
    bak.write_bytes(b"# attacker CA\n")
    p = env.restore()
    refused(p, str(bak), "not the original cabundle kept", RULE)
    assert out.read_bytes() == BODY


# -- 7: another user's interpreter ------------------------------------------

def venv_of_nobody(env):
    v = env.shared / "venv"
    as_nobody("/usr/bin/python3", "-m", "venv", "--without-pip", v)
    sp = next((v / "lib").glob("python3*")) / "site-packages" / "certifi"
    marker = env.tmp / "ran-as-root"
    as_nobody("mkdir", sp)
    as_nobody("sh", "-c", f"cat > {sp}/__init__.py <<'EOF'\n"
              "import os\n"
              f"open({str(marker)!r}, 'w').write(str(os.geteuid()))\n"
              "def where():\n"
              f"    return {str(env.victim / 'keep.pem')!r}\n"
              "EOF\n")
    return v, marker


def test_python_of_another_user_is_not_run(env):
    v, marker = venv_of_nobody(env)
    p = env.install("--python", v / "bin" / "python", "--force")
    refused(p, str(v), "writable by uid 65534", RULE)
    assert not marker.exists(), "the attacker's certifi ran as root"


def test_certifi_of_another_user_is_not_run(env):
    """A root-owned interpreter whose certifi another user owns."""
    v, marker = venv_of_nobody(env)
    os.chown(v, 0, 0)
    for sub in ("bin", "lib", "include", "pyvenv.cfg"):
        if (v / sub).exists():
            os.chown(v / sub, 0, 0, follow_symlinks=False)
    for link in (v / "bin").iterdir():
        os.chown(link, 0, 0, follow_symlinks=False)
    for d in (v / "lib").rglob("*"):
        if d.name != "certifi" and d.parent.name != "certifi":
            os.chown(d, 0, 0, follow_symlinks=False)
    p = env.install("--python", v / "bin" / "python", "--force")
    refused(p, "certifi", "writable by uid 65534", RULE)
    assert not marker.exists(), "the attacker's certifi ran as root"


def test_a_pth_file_of_another_user_is_not_run(env):
    """A root-owned venv whose site-packages holds a .pth file another
    user planted (a .pth line starting with "import" runs at start-up)."""
    v, marker = venv_of_nobody(env)
    for p in [v, *v.rglob("*")]:
        os.chown(p, 0, 0, follow_symlinks=False)
    site = next((v / "lib").glob("python3*")) / "site-packages"
    pth = site / "zz-planted.pth"
    pth.write_text(f"import os; open({str(marker)!r}, 'w').write('x')\n")
    os.chown(pth, NOBODY, NOBODY)
    p = env.install("--python", v / "bin" / "python", "--force")
    refused(p, str(pth), "writable by uid 65534", RULE)
    assert not marker.exists(), "the attacker's .pth ran as root"


def test_a_pyvenv_cfg_of_another_user_is_not_believed(env):
    """pyvenv.cfg's home chooses the standard library Python runs."""
    v, marker = venv_of_nobody(env)
    for p in [v, *v.rglob("*")]:
        os.chown(p, 0, 0, follow_symlinks=False)
    os.chown(v / "pyvenv.cfg", NOBODY, NOBODY)
    p = env.install("--python", v / "bin" / "python", "--force")
    refused(p, str(v / "pyvenv.cfg"), "writable by uid 65534", RULE)
    assert not marker.exists()


# -- the configuration --------------------------------------------------------

@pytest.mark.parametrize("how", ["owned", "group-writable", "directory"])
def test_a_configuration_another_user_controls_is_not_believed(env, how):
    """A configuration naming the attacker's mirror and key would have
    root install the attacker's CA: it is refused, naming the file, and
    nothing is installed."""
    out = env.tmp / "app.pem"
    out.write_bytes(ORIGINAL)
    conf_dir = env.tmp
    if how == "directory":
        conf_dir = env.shared / "etc"
        as_nobody("mkdir", conf_dir)
    conf = conf_dir / "cabundle.conf"
    conf.write_text(f"from = {env.m.url}\nkey = {env.key.pub}\n"
                    f"profile = {PROFILE}\noutput = {out}\n"
                    f"state = {env.state}\n")
    if how == "owned":
        os.chown(conf, NOBODY, NOBODY)
    elif how == "group-writable":
        os.chmod(conf, 0o664)
    p = run(CABUNDLE, "install", f"--config={conf}", env=NOPROXY)
    words = {"owned": [str(conf), "writable by uid 65534"],
             "group-writable": [str(conf), "writable by group"],
             "directory": [str(conf_dir), "writable by uid 65534"]}[how]
    refused(p, *words, RULE)
    assert out.read_bytes() == ORIGINAL and not env.state.exists()
    # status and restore do not believe it either.
    refused(run(CABUNDLE, "status", "--config", conf), str(conf_dir))
    refused(run(CABUNDLE, "restore", "--config", conf), str(conf_dir))


def test_a_configuration_of_root_is_believed(env):
    """The control: the same file, root's and 0644, installs."""
    out = env.tmp / "app.pem"
    out.write_bytes(ORIGINAL)
    conf = env.tmp / "cabundle.conf"
    conf.write_text(f"from = {env.m.url}\nkey = {env.key.pub}\n"
                    f"profile = {PROFILE}\noutput = {out}\n"
                    f"state = {env.state}\n")
    run(CABUNDLE, "install", f"--config={conf}", env=NOPROXY, check=0)
    assert out.read_bytes() == BODY


# -- 8 and more: the lock, targets and directories --------------------------

def test_lock_symlink_is_not_followed(env):
    state = env.shared / "state.json"
    as_nobody("ln", "-s", env.secret, f"{state}.lock")
    out = env.tmp / "app.pem"
    out.write_bytes(ORIGINAL)
    p = env.install("--output", out, state=state)
    refused(p, f"{state}.lock", "symbolic link", RULE)
    assert out.read_bytes() == ORIGINAL


def test_a_directory_the_attacker_owns_is_refused(env):
    d = env.shared / "app"
    as_nobody("mkdir", d)
    out = d / "app.pem"
    p = env.install("--output", out)
    refused(p, str(d), "writable by uid 65534 (owner)",
            "refusing to write as root there", RULE)
    assert not out.exists()


def test_a_group_writable_directory_is_refused(env):
    d = env.tmp / "deploy"
    d.mkdir()
    os.chmod(d, 0o775)
    os.chown(d, 0, NOBODY)
    p = env.install("--output", d / "app.pem")
    refused(p, str(d), "writable by group 65534", RULE)


def test_a_symlink_target_is_refused(env):
    out = env.shared / "app.pem"
    as_nobody("ln", "-s", env.victim / "keep.pem", out)
    p = env.install("--output", out)
    refused(p, str(out), "symbolic link", "refusing to write through it")


def test_a_hard_link_to_a_victim_is_refused(env):
    out = env.tmp / "app.pem"
    os.link(env.victim / "keep.pem", out)
    p = env.install("--output", out)
    refused(p, str(out), "hard links")


def test_a_fifo_target_is_refused(env):
    out = env.shared / "app.pem"
    as_nobody("mkfifo", out)
    p = env.install("--output", out)
    refused(p, str(out), "not a regular file")


def test_a_directory_swapped_for_a_symlink_is_refused(env):
    """shared/app was a directory; the attacker made it a link to the
    victim's directory: its files stay."""
    link = env.shared / "app"
    as_nobody("ln", "-s", env.victim, link)
    p = env.install("--output", link / "keep.pem")
    refused(p, str(link), "symbolic link made by uid 65534", RULE)


# -- doctor explains the rule -------------------------------------------------

def test_doctor_names_the_directory_that_breaks_the_rule(env):
    app = env.shared / "app"
    as_nobody("mkdir", app)
    ok = env.tmp / "ok.pem"
    conf = env.tmp / "doctor.conf"
    conf.write_text(f"output = {app / 'ca.pem'}\noutput = {ok}\n"
                    f"capath = {env.tmp / 'certs'}\n")
    p = run(CABUNDLE, "doctor", "--config", conf, "--python",
            "/usr/bin/python3", "--json")
    assert p.returncode == 4, p.stderr
    places = {t["path"]: t for t in json.loads(p.stdout)["targets"]}
    bad = places[str(app / "ca.pem")]
    assert not bad["ok"] and bad["kind"] == "file"
    assert str(app) in bad["why"] and "writable by uid 65534" in \
        bad["why"] and RULE in bad["why"]
    assert places[str(ok)]["ok"] and places[str(env.tmp / "certs")]["ok"]
    assert places["/usr/bin/python3"]["ok"]
    text = run(CABUNDLE, "doctor", "--config", conf, "--python",
               "/usr/bin/python3", check=4).stdout.decode()
    assert f"{app / 'ca.pem'} (file): REFUSED: {app}: writable by uid " \
        "65534" in text
    assert f"{ok} (file): ok" in text and "ownership rule" in text


def test_doctor_does_not_run_another_users_python(env):
    v, marker = venv_of_nobody(env)
    conf = env.tmp / "empty.conf"
    p = run(CABUNDLE, "doctor", "--config", conf, "--python",
            v / "bin" / "python", "--json")
    assert p.returncode == 4
    py = json.loads(p.stdout)["pythons"][0]
    assert py["error"].startswith("not run: ") and \
        "writable by uid 65534" in py["error"]
    assert not marker.exists(), "doctor ran the attacker's code as root"


def test_doctor_names_a_pth_file_that_edits_certifi(env):
    """What this kind of machine has: a .pth in the interpreter's site
    directory that appends a CA to certifi whenever Python starts."""
    v = env.tmp / "venv"
    run("/usr/bin/python3", "-m", "venv", "--without-pip", v, check=0)
    site = next((v / "lib").glob("python3*")) / "site-packages"
    (site / "certifi").mkdir()
    (site / "certifi" / "__init__.py").write_text(
        "def where():\n    return __file__\n")
    (site / "extra_ca.pth").write_text(
        "import certifi  # appends our CA to certifi's bundle\n")
    conf = env.tmp / "empty.conf"
    out = json.loads(run(CABUNDLE, "doctor", "--config", conf, "--python",
                         v / "bin" / "python", "--json", check=0).stdout)
    py = out["pythons"][0]
    assert py["pth_code"] == [{"path": str(site / "extra_ca.pth"),
                               "certifi": True}]
    assert any(str(site / "extra_ca.pth") in w and "certifi" in w
               for w in py["warnings"])
