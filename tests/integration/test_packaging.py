"""Packaging: Dockerfile, docker-compose.yml and contrib/systemd.

No container engine runs here, so the compose file is checked with
"docker-compose config" (Debian's docker-compose: the parser "up" uses)
and the commands its services run are run against the built binaries;
the Dockerfile's steps are checked against the Makefile (packages,
targets, the libraries the binaries link) and its make steps are run in
a copy of the build context (.dockerignore applied).  The systemd units
go through "systemd-analyze verify" with ExecStart pointing at the built
binaries, as the Debian packages install them (/usr/bin); "make install"
and "make uninstall" run into a DESTDIR.  tests/pkg/installed.sh ("make
test-pkg", CI) installs the built packages into a chroot and runs them."""
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import (CABUNDLE, CABUNDLE_BIN, CABUNDLED, CABUNDLED_BIN, ROOT,
                      free_port, run)

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "docker-compose.yml"
MAKEFILE = ROOT / "Makefile"
SYSTEMD = ROOT / "contrib" / "systemd"
SERVER_UNITS = ("cabundled.service", "cabundled-export.service",
                "cabundled-export.timer")
CLIENT_UNITS = ("cabundle-update.service", "cabundle-update.timer")
UNITS = SERVER_UNITS + CLIENT_UNITS
DEBIAN = ROOT / "debian"
CLIENT_CONF = SYSTEMD / "cabundle.conf.example"
SYSUSERS = SYSTEMD / "cabundle-sysusers.conf"
BASE_IMAGE = "debian:bookworm-slim"


def need(tool, package):
    """The path of tool.  When it is missing and we are root, install
    its Debian package the way "make test-deps" does; skip only when
    that is not possible (not root, no network)."""
    path = shutil.which(tool)
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["sh", str(ROOT / "contrib" / "deps.sh"), package],
                       capture_output=True, timeout=900)
        path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is missing and could not be installed: "
                    f"apt-get install {package} (make test-deps)")
    return path


# ---- the Makefile ---------------------------------------------------

def make_var(name):
    """The words of a plain "NAME = ..." assignment of the Makefile."""
    text = MAKEFILE.read_text().replace("\\\n", " ")
    m = re.search(rf"^{name}\s*[:?+]?=(.*)$", text, re.M)
    assert m, f"Makefile has no {name}"
    return m.group(1).split()


def make_targets():
    return set(re.findall(r"^([A-Za-z0-9_./-]+)\s*:(?!=)",
                          MAKEFILE.read_text(), re.M))


def dpkg_owner(path):
    """The Debian package that ships path (merged /usr: tried both
    ways), without its architecture."""
    real = os.path.realpath(path)
    tries = []
    for p in (path, real):
        tries += [p, p[4:] if p.startswith("/usr/") else "/usr" + p]
    for p in tries:
        r = subprocess.run(["dpkg-query", "-S", p], capture_output=True,
                           text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].split(",")[0].strip()
    raise AssertionError(f"no Debian package ships {path}")


# ---- the Dockerfile -------------------------------------------------

def dockerfile_stages():
    """[{"image", "name", "steps": [(INSTRUCTION, text)]}] per FROM, the
    way docker reads it: comment lines dropped, continuations joined."""
    lines = [ln for ln in DOCKERFILE.read_text().splitlines()
             if not ln.lstrip().startswith("#")]
    text = "\n".join(lines).replace("\\\n", " ")
    stages = []
    for line in text.splitlines():
        if not line.strip():
            continue
        instr, _, rest = line.strip().partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            stages.append({"image": words[0],
                           "name": words[2] if len(words) > 2 else None,
                           "steps": []})
        else:
            assert stages, f"{instr} before the first FROM"
            stages[-1]["steps"].append((instr, rest.strip()))
    return stages


def shell_commands(stage):
    """Every simple command of the stage's RUN lines, as word lists."""
    cmds = []
    for instr, text in stage["steps"]:
        if instr == "RUN":
            for part in re.split(r"&&|\|\||;|\|", text):
                if part.split():
                    cmds.append(shlex.split(part))
    return cmds


def apt_installs(stage):
    pkgs = []
    for c in shell_commands(stage):
        if c[0] in ("apt-get", "apt") and "install" in c:
            pkgs += [w for w in c[c.index("install") + 1:]
                     if not w.startswith("-")]
    return pkgs


def copy_from(stage):
    """(stage name, [sources], destination) of each COPY --from."""
    out = []
    for instr, text in stage["steps"]:
        words = text.split()
        if instr == "COPY" and words[0].startswith("--from="):
            out.append((words[0].split("=", 1)[1], words[1:-1], words[-1]))
    return out


def exec_form(stage, instr):
    """The JSON-array value of the stage's last such instruction."""
    vals = [t for i, t in stage["steps"] if i == instr]
    assert vals, f"no {instr} in the final stage"
    return json.loads(vals[-1])


def build_and_final():
    stages = dockerfile_stages()
    final = stages[-1]
    froms = copy_from(final)
    assert froms, "the final stage copies nothing from a build stage"
    names = {s["name"]: s for s in stages if s["name"]}
    assert froms[0][0] in names, f"no stage named {froms[0][0]}"
    return names[froms[0][0]], final


def test_every_stage_is_debian_bookworm_slim():
    stages = dockerfile_stages()
    assert len(stages) >= 2, "want a multi-stage build"
    for s in stages:
        assert s["image"] == BASE_IMAGE, s["image"]


def test_build_stage_installs_what_the_makefile_builds_with():
    build, _ = build_and_final()
    pkgs = set(apt_installs(build))
    deb = set(make_var("DEB_PKGS"))
    # Nothing the Makefile does not know about...
    assert pkgs <= deb, f"not in the Makefile's DEB_PKGS: {pkgs - deb}"
    # ...and everything the compiler needs: the toolchain, and the -dev
    # package of each pkg-config module the two binaries link.
    want = {"gcc", "make", "pkg-config", "libc6-dev"}
    for mod in set(make_var("SERVER_PKGS")) | set(make_var("CLIENT_PKGS")):
        pcdir = run("pkg-config", "--variable=pcfiledir", mod,
                    check=0).stdout.decode().strip()
        want.add(dpkg_owner(f"{pcdir}/{mod}.pc"))
    assert want <= deb, f"the Makefile's DEB_PKGS lacks {want - deb}"
    assert want <= pkgs, f"the build stage does not install {want - pkgs}"


def test_runtime_stage_installs_every_library_the_binaries_link():
    build, final = build_and_final()
    runtime = set(apt_installs(final))
    assert not {p for p in runtime if p.endswith("-dev")} | (
        runtime & {"gcc", "make", "pkg-config"}), runtime
    need_pkgs = set()
    for binary in (CABUNDLED_BIN, CABUNDLE_BIN):
        dump = run("objdump", "-p", binary, check=0).stdout.decode()
        needed = re.findall(r"^\s*NEEDED\s+(\S+)", dump, re.M)
        paths = dict(re.findall(r"^\s*(\S+) => (/\S+)",
                                run("ldd", binary, check=0).stdout.decode(),
                                re.M))
        for so in needed:
            need_pkgs.add(dpkg_owner(paths[so]))
    # libc6 and libgcc-s1 are in every Debian image; the sanitizer
    # runtimes appear only in a "make SANITIZE=1" build.
    need_pkgs = {p for p in need_pkgs if p not in ("libc6", "libgcc-s1")
                 and not re.match(r"lib(asan|ubsan)\d", p)}
    assert need_pkgs, "found no libraries: objdump/ldd failed?"
    assert need_pkgs <= runtime, (
        f"the runtime stage lacks {need_pkgs - runtime}")


def test_dockerfile_make_steps_are_makefile_targets():
    build, _ = build_and_final()
    makes = [c for c in shell_commands(build) if c[0] == "make"]
    targets = [w for c in makes for w in c[1:]
               if not w.startswith("-") and "=" not in w]
    assert "all" in targets and "install" in targets, makes
    have = make_targets()
    for t in targets:
        assert t in have, f"make {t}: no such target in the Makefile"
    # The variables "make install" is given are the ones it reads.
    text = MAKEFILE.read_text()
    for c in makes:
        for w in c[1:]:
            if "=" in w:
                assert f"$({w.split('=')[0]})" in text, w


def test_final_stage_runs_cabundled_serve_as_non_root():
    _, final = build_and_final()
    users = [t for i, t in final["steps"] if i == "USER"]
    assert users, "the final stage has no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    assert exec_form(final, "ENTRYPOINT") == ["cabundled"]
    cmd = exec_form(final, "CMD")
    assert cmd[-1] == "serve" and "http.listen=0.0.0.0" in cmd, cmd
    assert cmd[cmd.index("-d") + 1] == "/var/lib/cabundle", cmd
    vols = " ".join(t for i, t in final["steps"] if i == "VOLUME")
    assert "/var/lib/cabundle" in vols, vols
    assert "8080" in " ".join(t for i, t in final["steps"]
                              if i == "EXPOSE")


def dockerignored(rel, patterns):
    """Whether docker leaves rel out of the build context: the last
    matching pattern wins, "!" re-includes, a match on a parent
    directory excludes everything below it, "**" spans directories."""
    def rx(p):
        out = ""
        for tok in re.split(r"(\*\*/?|\*|\?)", p.strip("/")):
            out += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*",
                    "?": "[^/]"}.get(tok, re.escape(tok))
        return re.compile(out + r"(?:/.*)?\Z")
    excluded = False
    for p in patterns:
        neg = p.startswith("!")
        if rx(p[1:] if neg else p).match(rel):
            excluded = not neg
    return excluded


def ignore_patterns():
    return [ln.strip() for ln in DOCKERIGNORE.read_text().splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def test_dockerignore_keeps_secrets_and_build_output_out():
    pats = ignore_patterns()
    for rel in (".git/HEAD", "data/cabundle.db", "data/keys/AB.key",
                "build/server/main.o", "build/common/buf.d",
                "server/main.o", "server/cabundled",
                "client/cabundle", "tests/unit/test-verify"):
        assert dockerignored(rel, pats), rel
    for rel in ("Makefile", "server/main.c", "client/opts.c",
                "common/buf.h", "schema/embed.sh",
                "tests/unit/test-verify.c"):
        assert not dockerignored(rel, pats), rel
    # Sanity of the matcher itself (Docker's documented semantics).
    assert dockerignored("a/b/x.o", ["**/*.o"])
    assert not dockerignored("a/x.c", ["a", "!a/x.c"])


def test_dockerfile_build_steps_work_on_the_build_context(tmp_path):
    """The build stage's make commands, run on what COPY . . would see,
    produce every file the runtime stage copies."""
    build, final = build_and_final()
    pats = ignore_patterns()
    ctx = tmp_path / "src"
    for dirpath, dirs, files in os.walk(ROOT):
        reldir = os.path.relpath(dirpath, ROOT)
        reldir = "" if reldir == "." else reldir + "/"
        dirs[:] = [d for d in dirs if d != ".git"]
        for f in files:
            rel = reldir + f
            if not dockerignored(rel, pats):
                (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, ctx / rel, follow_symlinks=False)
    # A clean environment, as in "docker build": not the flags of an
    # enclosing "make test SANITIZE=1".
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MAKE") and k not in (
               "MFLAGS", "SANITIZE", "WERROR", "CFLAGS", "CPPFLAGS",
               "LDFLAGS", "CC", "PREFIX", "DESTDIR")}
    # DESTDIR=/x becomes DESTDIR=tmp/x: the image's / is tmp here.
    root = tmp_path / "image"
    for c in shell_commands(build):
        if c[0] != "make":
            continue
        c = [f"DESTDIR={root}{w.split('=', 1)[1]}"
             if w.startswith("DESTDIR=") else w for w in c]
        p = subprocess.run(c, cwd=ctx, env=env, capture_output=True,
                           timeout=600)
        assert p.returncode == 0, (c, p.stderr.decode()[-3000:])
    destdir = next(w.split("=", 1)[1] for c in shell_commands(build)
                   for w in c if w.startswith("DESTDIR="))
    for _, sources, _ in copy_from(final):
        for s in sources:
            assert s.startswith(destdir + "/"), s
            f = root / s.lstrip("/")
            assert f.is_file() and os.access(f, os.X_OK), s


# ---- docker-compose.yml ---------------------------------------------

@pytest.fixture(scope="module")
def compose():
    """docker-compose.yml as "docker-compose config" normalizes it."""
    dc = need("docker-compose", "docker-compose")
    import yaml
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COMPOSE_", "CABUNDLE_", "DOCKER_"))}
    p = subprocess.run([dc, "-f", str(COMPOSE), "config"], env=env,
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    assert b"WARNING" not in p.stderr, p.stderr.decode()
    return yaml.safe_load(p.stdout)


def mounts(service):
    """{target: (source, read_only)} of a service's volumes."""
    out = {}
    for v in service.get("volumes", []):
        parts = v.split(":") if isinstance(v, str) else [
            v["source"], v["target"], "ro" if v.get("read_only") else "rw"]
        out[parts[1]] = (parts[0], len(parts) > 2 and parts[2] == "ro")
    return out


def test_compose_file_is_valid_and_complete(compose):
    assert {"mirror", "static", "client"} <= set(compose["services"])


def test_compose_mirror_serves_with_a_volume_and_a_health_check(compose):
    s = compose["services"]["mirror"]
    cmd = s["command"]
    assert cmd[-1] == "serve" and "http.listen=0.0.0.0" in cmd, cmd
    datadir = cmd[cmd.index("-d") + 1]
    vol, ro = mounts(s)[datadir]
    assert vol in compose["volumes"] and not ro, (
        f"{datadir} is not a named, writable volume")
    test = s["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and "/healthz" in " ".join(test)
    assert any(p["target"] == 8080 for p in s["ports"]), s["ports"]
    # cabundled init runs before it, on the same volume.
    init = [n for n, d in s["depends_on"].items()
            if d["condition"] == "service_completed_successfully"]
    assert init, s["depends_on"]
    i = compose["services"][init[0]]
    assert "init" in i["command"]
    assert mounts(i)[datadir] == (vol, False)


def test_compose_static_serves_the_export_volume_read_only(compose):
    svc = compose["services"]
    s = svc["static"]
    assert s["image"].startswith("nginx")
    m = mounts(s)
    vol, ro = m["/srv/cabundle"]
    assert vol in compose["volumes"] and ro
    conf, ro = m["/etc/nginx/conf.d/default.conf"]
    assert os.path.realpath(conf) == str(
        ROOT / "contrib" / "nginx" / "cabundle-export.conf")
    assert ro
    assert any(p["target"] == 8081 for p in s["ports"]), s["ports"]
    # Something fills that volume: "cabundled ... export DIR" with DIR
    # the same volume, writable, and the mirror's data directory.
    fill = [(n, d) for n, d in svc.items() if n != "static"
            and mounts(d).get("/srv/cabundle", (None,))[0] == vol]
    assert fill, "nothing writes the export volume"
    d = fill[0][1]
    words = list(shlex.shlex(" ".join(d.get("entrypoint", []) +
                                      d.get("command", [])),
                             posix=True, punctuation_chars=";&|"))
    i = words.index("export")
    assert "cabundled" in words[:i]
    assert words[i + 1:][words[i + 1:].index(";") - 1] == "/srv/cabundle"
    assert mounts(d)["/var/lib/cabundle"][0] == \
        mounts(svc["mirror"])["/var/lib/cabundle"][0]
    # The command exists in the cabundled that was built.
    usage = run(CABUNDLED)
    assert b"cabundled export" in usage.stdout + usage.stderr, usage


def test_compose_client_is_a_one_shot_example(compose):
    s = compose["services"]["client"]
    assert s.get("profiles"), "the client example would start with up"
    cmd = s["entrypoint"] + s["command"]
    assert cmd[:2] == ["cabundle", "install"], cmd
    assert cmd[cmd.index("--from") + 1] == "http://mirror:8080"
    for opt in ("--key", "--profile", "--output"):
        assert opt in cmd, opt


def serve_and_check(args, tmp_path, check=None):
    """Run a cabundled serve command line (args after the binary) on a
    free port with a dead upstream; once /healthz answers, run check
    (a health check command for port 8080) against that port.  Returns
    the /healthz body."""
    port = free_port()
    args = list(args)
    args[args.index("serve"):args.index("serve")] = [
        "-o", f"http.port={port}", "-o", "upstream.retries=0",
        "-o", "upstream.url=https://127.0.0.1:1/generate/"]
    log = tmp_path / "serve.log"
    with open(log, "wb") as f:
        p = subprocess.Popen([CABUNDLED] + args, stdout=f, stderr=f)
    try:
        deadline = time.time() + 20
        while True:
            try:
                body = urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                assert p.poll() is None, log.read_text()
                assert time.time() < deadline, "serve did not come up"
                time.sleep(0.1)
        if check is not None:
            run(*[w.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
                  for w in check], check=0)
        return body
    finally:
        p.terminate()
        assert p.wait(timeout=10) == 0, log.read_text()


def test_compose_commands_run_with_the_built_binaries(compose, tmp_path):
    """init and mirror as compose runs them (data directory moved to
    tmp): init twice keeps the key, serve answers the health check."""
    svc = compose["services"]
    data = str(tmp_path / "data")

    def moved(cmd):
        return [data if w == "/var/lib/cabundle" else w for w in cmd]
    run(CABUNDLED, *moved(svc["init"]["command"]), check=0)
    again = run(CABUNDLED, *moved(svc["init"]["command"]), check=0)
    assert b"(kept)" in again.stdout
    test = svc["mirror"]["healthcheck"]["test"]
    check = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]
    # The check itself, curl flags and all, where its program exists.
    prog = check[0] if test[0] == "CMD" else shlex.split(test[1])[0]
    if not shutil.which(prog):
        check = None
    assert serve_and_check(moved(svc["mirror"]["command"]), tmp_path,
                           check) == b"ok\n"


def test_compose_client_command_is_accepted_by_cabundle(compose, mirror,
                                                        tmp_path):
    """Every option the example passes is one cabundle takes: with the
    mirror moved to an empty file:// tree it gets as far as the
    signature (exit 1), not a usage error (exit 2)."""
    s = compose["services"]["client"]
    cmd = s["entrypoint"] + s["command"]
    cmd[cmd.index("--from") + 1] = f"file://{tmp_path}/nothing"
    cmd[cmd.index("--key") + 1] = mirror.key()["public_key"]
    cmd = [str(tmp_path / w[1:]) if w.startswith("/out/") else w
           for w in cmd]
    r = run(CABUNDLE, *cmd[1:], check=1)
    assert b"cacert.pem.minisig" in r.stderr, r.stderr


# ---- systemd --------------------------------------------------------

def unit(name):
    """A unit file as {section: {key: [values]}} (keys repeat)."""
    out = {}
    section = None
    for line in (SYSTEMD / name).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = out.setdefault(line.strip("[]"), {})
            continue
        k, _, v = line.partition("=")
        section.setdefault(k.strip(), []).append(v.strip())
    return out


def one(u, key, section="Service"):
    vals = u[section].get(key)
    assert vals, f"no {key}="
    return vals[-1]


@pytest.fixture
def units_dir(tmp_path):
    """The units, ExecStart*= pointing at the built binaries, as the Debian packages install them (/usr/bin); "make install"
and "make uninstall" run into a DESTDIR.  tests/pkg/installed.sh ("make
test-pkg", CI) installs the built packages into a chroot and runs them."""
    d = tmp_path / "units"
    d.mkdir()
    for n in UNITS:
        text = (SYSTEMD / n).read_text()
        text = re.sub(r"/usr/bin/cabundled\b", CABUNDLED, text)
        text = re.sub(r"/usr/bin/cabundle\b", CABUNDLE, text)
        (d / n).write_text(text)
    return d


def test_units_pass_systemd_analyze_verify(units_dir, tmp_path):
    sa = need("systemd-analyze", "systemd")
    # verify runs "man PAGE" for each Documentation=man:PAGE: point
    # MANPATH at the project's pages (make install puts them in place).
    # Without man-db, --man=no.
    manpath = tmp_path / "manpath"
    for n in UNITS:
        for name, sec in re.findall(r"man:([\w.-]+)\((\d)\)",
                                    (SYSTEMD / n).read_text()):
            page = ROOT / "man" / f"{name}.{sec}"
            assert page.is_file(), f"{n}: no manual page {page}"
            (manpath / f"man{sec}").mkdir(parents=True, exist_ok=True)
            if not (manpath / f"man{sec}" / page.name).exists():
                (manpath / f"man{sec}" / page.name).symlink_to(page)
    env = dict(os.environ, MANPATH=str(manpath))
    man = "--man=yes" if shutil.which("man") else "--man=no"
    # verify prints a warning (and still exits 0) for a bad line, so the
    # output must not name our units at all.
    p = subprocess.run([sa, "verify", man] +
                       [str(units_dir / n) for n in UNITS],
                       capture_output=True, text=True, timeout=120,
                       env=env)
    out = p.stdout + p.stderr
    mine = [ln for ln in out.splitlines()
            if str(units_dir) in ln or any(n in ln for n in UNITS)]
    assert p.returncode == 0 and not mine, out


def test_cabundled_service_is_hardened():
    u = unit("cabundled.service")
    start = shlex.split(one(u, "ExecStart"))
    assert start[0] == "/usr/bin/cabundled" and start[-1] == "serve"
    datadir = start[start.index("-d") + 1]
    assert one(u, "User") not in ("", "root", "0")
    assert one(u, "Group") not in ("", "root", "0")
    assert datadir in one(u, "ReadWritePaths").split()
    assert "/var/lib/" + one(u, "StateDirectory") == datadir
    assert one(u, "StateDirectoryMode") == "0700"
    for key, want in (("ProtectSystem", "strict"),
                      ("NoNewPrivileges", "yes"),
                      ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
                      ("ProtectHome", "yes"),
                      ("ProtectKernelTunables", "yes"),
                      ("ProtectKernelModules", "yes"),
                      ("ProtectKernelLogs", "yes"),
                      ("ProtectControlGroups", "yes"),
                      ("ProtectClock", "yes"), ("ProtectHostname", "yes"),
                      ("RestrictNamespaces", "yes"),
                      ("LockPersonality", "yes"),
                      ("MemoryDenyWriteExecute", "yes"),
                      ("RestrictRealtime", "yes"),
                      ("RestrictSUIDSGID", "yes"),
                      ("SystemCallArchitectures", "native"),
                      ("CapabilityBoundingSet", ""),
                      ("UMask", "0077"), ("Restart", "on-failure")):
        assert one(u, key) == want, f"{key}={one(u, key)}, want {want}"
    assert set(one(u, "RestrictAddressFamilies").split()) == {
        "AF_INET", "AF_INET6", "AF_UNIX"}
    assert "@system-service" in u["Service"]["SystemCallFilter"]


def test_cabundled_service_commands_work(tmp_path):
    """ExecStartPre and ExecStart, data directory moved: init twice
    (every start runs it), then serve comes up."""
    u = unit("cabundled.service")
    data = str(tmp_path / "data")

    def moved(line):
        return [data if w == "/var/lib/cabundle" else w
                for w in shlex.split(line)[1:]]
    for _ in range(2):
        run(CABUNDLED, *moved(one(u, "ExecStartPre")), check=0)
    assert serve_and_check(moved(one(u, "ExecStart")),
                           tmp_path) == b"ok\n"


def test_security_exposure_stays_low(units_dir):
    sa = need("systemd-analyze", "systemd")
    # 1.1 and 2.2 with systemd 252 (Debian 12); dropping a few of the
    # sandboxing lines crosses the limits.
    for name, limit in (("cabundled.service", 1.5),
                        ("cabundled-export.service", 1.1),
                        ("cabundle-update.service", 2.5)):
        p = subprocess.run([sa, "security", "--offline=yes",
                            str(units_dir / name)],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+)",
                      p.stdout)
        if m is None and "offline" in p.stderr:
            pytest.skip("this systemd-analyze has no --offline")
        assert m, p.stdout + p.stderr
        assert float(m.group(1)) <= limit, (name, m.group(1))


def test_sysusers_creates_the_service_user(tmp_path):
    su = need("systemd-sysusers", "systemd")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    for f in ("passwd", "group"):
        (root / "etc" / f).write_text("")
    run(su, f"--root={root}", SYSUSERS, check=0)
    u = unit("cabundled.service")
    entry = [ln.split(":") for ln in (root / "etc/passwd").read_text()
             .splitlines() if ln.startswith(one(u, "User") + ":")]
    assert entry, (root / "etc/passwd").read_text()
    assert entry[0][5] == "/var/lib/" + one(u, "StateDirectory")
    assert entry[0][6] in ("/usr/sbin/nologin", "/sbin/nologin")


def test_update_service_and_timer():
    u = unit("cabundle-update.service")
    assert one(u, "Type") == "oneshot"
    start = shlex.split(one(u, "ExecStart"))
    assert start[:2] == ["/usr/bin/cabundle", "install"]
    assert start[start.index("--config") + 1] == "/etc/cabundle.conf"
    for key, want in (("ProtectSystem", "strict"),
                      ("NoNewPrivileges", "yes"),
                      ("ProtectHome", "read-only"),
                      ("PrivateTmp", "yes")):
        assert one(u, key) == want, f"{key}={one(u, key)}, want {want}"
    # Root's default state file is in the one writable state directory.
    opts = (ROOT / "client" / "opts.c").read_text()
    state = f"/var/lib/{one(u, 'StateDirectory')}/state.json"
    assert f'"{state}"' in opts, state
    t = unit("cabundle-update.timer")
    assert one(t, "OnCalendar", "Timer") == "daily"
    assert one(t, "Persistent", "Timer") == "true"
    assert one(t, "RandomizedDelaySec", "Timer")
    # No Unit=: the timer starts the service of the same name.
    assert "Unit" not in t["Timer"]
    assert one(t, "WantedBy", "Install") == "timers.target"


def test_update_service_runs_the_example_config(mirror, tmp_path):
    """ExecStart with the example /etc/cabundle.conf (its mirror moved
    to an empty file:// tree, a real key): every setting is accepted,
    and install gets as far as the signature (exit 1, not 2)."""
    u = unit("cabundle-update.service")
    start = shlex.split(one(u, "ExecStart"))
    conf = CLIENT_CONF.read_text()
    conf = re.sub(r"(?m)^from = .*$", f"from = file://{tmp_path}/nothing",
                  conf)
    conf = re.sub(r"(?m)^key = .*$",
                  "key = " + mirror.key()["public_key"], conf)
    conf = re.sub(r"(?m)^output = /", f"output = {tmp_path}/", conf)
    (tmp_path / "cabundle.conf").write_text(conf)
    start[start.index("--config") + 1] = str(tmp_path / "cabundle.conf")
    r = run(CABUNDLE, *start[1:], "--state", tmp_path / "state.json",
            check=1)
    assert b"cacert.pem.minisig" in r.stderr, r.stderr


def test_example_output_is_writable_under_the_update_service():
    """The example's PEM target lies below a ReadWritePaths= directory
    that the cabundle package creates: a missing one would be skipped
    ("-") and stay read-only under ProtectSystem=strict."""
    u = unit("cabundle-update.service")
    rw = [p.lstrip("-") for p in one(u, "ReadWritePaths").split()]
    outs = re.findall(r"(?m)^output = (\S+)$", CLIENT_CONF.read_text())
    assert outs, "the example has no output ="
    shipped = ["/" + ln.strip() for ln in
               (DEBIAN / "cabundle.dirs").read_text().splitlines()]
    for out in outs:
        assert not out.startswith("/etc/pki/"), out
        d = [p for p in rw if out.startswith(p + "/")]
        assert d, f"{out} is below none of {rw}"
        assert d[0] in shipped, f"{d[0]} is not in debian/cabundle.dirs"


def test_export_service_and_timer(tmp_path, good):
    """cabundled-export.service exports the server's data directory to
    /srv/cabundle as its user; its command works (target moved) and the
    timer starts it."""
    u = unit("cabundled-export.service")
    s = unit("cabundled.service")
    assert one(u, "Type") == "oneshot"
    assert one(u, "User") == one(s, "User")
    start = shlex.split(one(u, "ExecStart"))
    assert start[0] == "/usr/bin/cabundled" and start[-2] == "export"
    datadir = start[start.index("-d") + 1]
    assert datadir == "/var/lib/" + one(s, "StateDirectory")
    assert set(one(u, "ReadWritePaths").split()) == {datadir, start[-1]}
    assert start[-1] == "/srv/cabundle"
    t = unit("cabundled-export.timer")
    assert one(t, "OnCalendar", "Timer")
    assert "Unit" not in t["Timer"]
    assert one(t, "WantedBy", "Install") == "timers.target"
    out = tmp_path / "srv"
    words = [str(good.datadir) if w == datadir else str(out)
             if w == start[-1] else w for w in start[1:]]
    run(CABUNDLED, *words, check=0)
    assert (out / "v1" / "mozilla" / "cacert.pem.minisig").is_file()


def test_debian_changelog_carries_the_makefiles_version():
    """One version: the Makefile's VERSION line; debian/changelog's top
    entry must say the same ("make deb" refuses otherwise)."""
    p = subprocess.run(["dpkg-parsechangelog", "-l",
                        str(DEBIAN / "changelog"), "-S", "Version"],
                       capture_output=True, text=True, check=True)
    assert p.stdout.strip() == make_var("VERSION")[0]


def test_debian_packages_split_what_make_install_installs():
    """Each unit in the package of its program, as the Makefile lists
    them; the client package needs nothing of the server's."""
    server = (DEBIAN / "cabundled.install").read_text().split()
    client = (DEBIAN / "cabundle.install").read_text().split()
    assert tuple(make_var("SERVER_UNITS")) == SERVER_UNITS
    assert tuple(make_var("CLIENT_UNITS")) == CLIENT_UNITS
    for n in SERVER_UNITS:
        assert f"lib/systemd/system/{n}" in server, n
    for n in CLIENT_UNITS:
        assert f"lib/systemd/system/{n}" in client, n
    assert "usr/bin/cabundled" in server and "usr/bin/cabundle" in client
    control = (DEBIAN / "control").read_text()
    para = control.split("\nPackage: cabundle\n")[1]
    assert "cabundled" not in re.search(r"(?m)^Depends:.*$", para).group(0)


def test_make_install_and_uninstall(tmp_path):
    """make install PREFIX=/usr/local into a DESTDIR: programs, pages,
    units naming /usr/local/bin, sysusers.d, examples; make uninstall
    removes every file again."""
    dest = tmp_path / "dest"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MAKE") and k not in (
               "MFLAGS", "PREFIX", "DESTDIR", "BINDIR", "MANDIR")}
    # The programs the suite runs, as built (as test_manpages does:
    # CABUNDLED may be in a copy of the tree), installed without a
    # rebuild (-o); B= keeps this make's flag stamp out of build/ (a
    # "make SANITIZE=1 test" must not see its flags change).
    tree = pathlib.Path(CABUNDLED).resolve().parents[1]
    tree = tree if (tree / "Makefile").is_file() else ROOT
    make = ["make", "-s", "-C", str(tree), "-o", "server/cabundled",
            "-o", "client/cabundle", f"B={tmp_path}/b",
            f"DESTDIR={dest}", "PREFIX=/usr/local"]
    p = subprocess.run(make + ["install"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    got = sorted(str(f.relative_to(dest)) for f in dest.rglob("*")
                 if f.is_file())
    want = sorted(
        ["usr/local/bin/cabundled", "usr/local/bin/cabundle",
         "usr/local/share/man/man8/cabundled.8",
         "usr/local/share/man/man1/cabundle.1",
         "usr/local/lib/sysusers.d/cabundle.conf",
         "usr/local/share/doc/cabundled/examples/cabundled.conf.example",
         "usr/local/share/doc/cabundled/examples/cabundle-export.conf",
         "usr/local/share/doc/cabundle/examples/cabundle.conf.example"] +
        [f"usr/local/lib/systemd/system/{n}" for n in UNITS])
    assert got == want
    for n in UNITS:
        text = (dest / "usr/local/lib/systemd/system" / n).read_text()
        assert "/usr/bin/" not in text, n
        for line in text.splitlines():
            if line.startswith("Exec"):
                assert "=/usr/local/bin/cabundle" in line, line
    p = subprocess.run(make + ["uninstall"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert [f for f in dest.rglob("*") if not f.is_dir()] == []
