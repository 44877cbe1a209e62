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
# The Debian 12 minbase root tests/pkg/installed.sh also uses.
MINBASE_TARBALL = pathlib.Path("/var/cache/cabundle-ci/"
                               "bookworm-minbase.tar.gz")


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

def dockerfile_args():
    """{name: default} of the ARG lines before the first FROM."""
    out = {}
    for ln in DOCKERFILE.read_text().splitlines():
        if ln.startswith("FROM"):
            break
        if ln.startswith("ARG "):
            k, _, v = ln[4:].strip().partition("=")
            out[k] = v
    return out


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
        elif instr == "ARG" and not stages:
            continue
        else:
            assert stages, f"{instr} before the first FROM"
            stages[-1]["steps"].append((instr, rest.strip()))
    return stages


def stage(name):
    found = [s for s in dockerfile_stages() if s["name"] == name]
    assert found, f"the Dockerfile has no stage {name}"
    return found[0]


def shell_commands(stage):
    """Every simple command of the stage's RUN lines, as word lists."""
    cmds = []
    for instr, text in stage["steps"]:
        if instr == "RUN":
            for part in re.split(r"&&|\|\||;|\|", text):
                if part.split():
                    cmds.append(shlex.split(part))
    return cmds


def exec_form(stage, instr):
    """The JSON-array value of the stage's last such instruction."""
    vals = [t for i, t in stage["steps"] if i == instr]
    assert vals, f"no {instr} in the stage"
    return json.loads(vals[-1])


def test_every_stage_is_the_local_debian_base():
    """FROM ${BASE}, BASE defaulting to Debian 12 slim: a site names its
    own loaded image with --build-arg BASE=..."""
    assert dockerfile_args().get("BASE") == BASE_IMAGE
    stages = dockerfile_stages()
    assert {s["name"] for s in stages} >= {"mirror", "static"}
    for s in stages:
        assert s["image"] == "${BASE}", s["image"]
    # The image "docker build ." makes is the mirror.
    assert stages[-1]["name"] == "mirror"


def test_no_build_step_reaches_the_network():
    """Packages come from debs/ (make image-debs) with dpkg -i: no apt,
    no download, nothing built in the image."""
    for s in dockerfile_stages():
        for c in shell_commands(s):
            assert c[0] not in ("apt-get", "apt", "curl", "wget", "make",
                                "gcc", "git"), (s["name"], c)
        dpkg = [c for c in shell_commands(s) if c[0] == "dpkg"]
        assert dpkg == [["dpkg", "-i", "/tmp/debs/*.deb"]], dpkg
        copies = [t.split() for i, t in s["steps"] if i == "COPY"]
        want = {"mirror": "cabundle", "static": "nginx"}[s["name"]]
        assert [f"debs/{want}/", "/tmp/debs/"] in copies, copies
    # make image-debs fills exactly those directories.
    assert "image-debs" in make_targets()
    text = MAKEFILE.read_text()
    assert "$(DEBS_DIR)/cabundle $(IMAGE_DEBS)" in text
    assert "$(DEBS_DIR)/nginx $(STATIC_PKGS)" in text
    assert make_var("DEBS_DIR") == ["debs"]
    assert not dockerignored("debs/cabundle/x.deb", ignore_patterns())


def test_mirror_stage_runs_cabundled_serve_as_non_root():
    final = stage("mirror")
    users = [t for i, t in final["steps"] if i == "USER"]
    assert users, "the mirror stage has no USER: it would run as root"
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


# --- the Dockerfile's steps, run: a minbase root, no network ---------

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


def context_copy(dst):
    """The build context as "docker build" sends it (.dockerignore
    applied), copied to dst."""
    pats = ignore_patterns()
    for dirpath, dirs, files in os.walk(ROOT):
        reldir = os.path.relpath(dirpath, ROOT)
        reldir = "" if reldir == "." else reldir + "/"
        dirs[:] = [d for d in dirs if d not in (".git", "debs")]
        for f in files:
            rel = reldir + f
            if not dockerignored(rel, pats):
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, dst / rel, follow_symlinks=False)


def standin_debs(d):
    """cabundled and cabundle packages: build/deb's when "make deb" made
    them; else built here from "make install DESTDIR=... PREFIX=/usr"
    with dpkg-deb, each depending on the packages of the libraries its
    binary links."""
    version = make_var("VERSION")[0]
    real = [ROOT / "build" / "deb" / f"{n}_{version}_amd64.deb"
            for n in ("cabundled", "cabundle")]
    if all(p.exists() for p in real):
        return real
    tree = d / "install"
    p = subprocess.run(["make", "-C", ROOT, "install", f"DESTDIR={tree}",
                        "PREFIX=/usr"], capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    out = []
    for name, binary, man in (("cabundled", CABUNDLED_BIN, "man8"),
                              ("cabundle", CABUNDLE_BIN, "man1")):
        pkg = d / name
        (pkg / "DEBIAN").mkdir(parents=True)
        (pkg / "usr/bin").mkdir(parents=True)
        (pkg / "usr/share/man" / man).mkdir(parents=True)
        shutil.copy2(tree / "usr/bin" / name, pkg / "usr/bin" / name)
        page = "cabundled.8" if name == "cabundled" else "cabundle.1"
        shutil.copy2(tree / "usr/share/man" / man / page,
                     pkg / "usr/share/man" / man / page)
        dump = run("objdump", "-p", binary, check=0).stdout.decode()
        paths = dict(re.findall(r"^\s*(\S+) => (/\S+)",
                                run("ldd", binary, check=0).stdout.decode(),
                                re.M))
        deps = sorted({dpkg_owner(paths[so]) for so in re.findall(
            r"^\s*NEEDED\s+(\S+)", dump, re.M)})
        (pkg / "DEBIAN/control").write_text(
            f"Package: {name}\nVersion: {version}\nArchitecture: amd64\n"
            f"Depends: {', '.join(deps)}\n"
            "Maintainer: cabundle tests <root@localhost>\n"
            "Description: stand-in until make deb\n")
        deb = d / f"{name}_{version}_amd64.deb"
        run("dpkg-deb", "--root-owner-group", "--build", pkg, deb, check=0)
        out.append(deb)
    return out


@pytest.fixture(scope="module")
def minbase(tmp_path_factory):
    """A Debian 12 minbase root (debootstrap), what debian:bookworm-slim
    is made of.  Made once (minutes) and kept where "make test-pkg"
    (tests/pkg/installed.sh) keeps its chroot, which is the same root:
    whichever runs first makes it, the other unpacks it in seconds."""
    root = tmp_path_factory.mktemp("minbase") / "root"
    if not MINBASE_TARBALL.is_file():
        ds = need("debootstrap", "debootstrap")
        p = subprocess.run([ds, "--variant=minbase",
                            "--cache-dir=/var/cache/apt/archives",
                            "bookworm", str(root),
                            "http://deb.debian.org/debian"],
                           capture_output=True, timeout=1500)
        assert p.returncode == 0, (p.stdout + p.stderr).decode()[-3000:]
        MINBASE_TARBALL.parent.mkdir(parents=True, exist_ok=True)
        tmp = MINBASE_TARBALL.with_name(MINBASE_TARBALL.name + ".tmp")
        run("tar", "-C", root, "-czf", tmp, ".", check=0)
        tmp.rename(MINBASE_TARBALL)
    else:
        root.mkdir()
        run("tar", "-C", root, "-xzf", MINBASE_TARBALL, check=0)
    return root


@pytest.fixture(scope="module")
def image_context(tmp_path_factory):
    """The build context with debs/ as "make image-debs" fills it (apt
    downloads what the base lacks; the cabundle packages are make deb's
    or stand-ins)."""
    d = tmp_path_factory.mktemp("image")
    ctx = d / "ctx"
    context_copy(ctx)
    debs = standin_debs(d)
    p = subprocess.run(["make", "-C", ROOT, "image-debs",
                        "IMAGE_DEBS=" + " ".join(map(str, debs)),
                        f"DEBS_DIR={ctx / 'debs'}"],
                       capture_output=True, timeout=900)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()[-3000:]
    return ctx


def build_stage(name, ctx, base, root):
    """The stage's COPY and RUN steps, in order, on a copy of base at
    root: each RUN chrooted there without a network (isolated()), as a
    build with no network.  Returns the stage."""
    st = stage(name)
    subprocess.run(["cp", "-a", str(base), str(root)], check=True)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
           "DEBIAN_FRONTEND": "noninteractive"}
    for instr, text in st["steps"]:
        if instr == "COPY":
            src, dst = text.split()
            to = root / dst.lstrip("/")
            if src.endswith("/"):
                to.mkdir(parents=True, exist_ok=True)
                for f in (ctx / src).iterdir():
                    shutil.copy2(f, to / f.name)
            else:
                shutil.copy2(ctx / src, to)
        elif instr == "RUN":
            p = subprocess.run(isolated(root) + ["chroot", str(root),
                                "/bin/sh", "-c", text], env=env,
                               capture_output=True, timeout=600)
            assert p.returncode == 0, (name, text,
                                       (p.stdout + p.stderr).decode()[-3000:])
    return st


def isolated(root):
    """unshare's words for a container's view: no network, its own
    /proc (the signer re-executes /proc/self/exe)."""
    return ["unshare", "--net", "--mount", "--pid", "--fork",
            f"--mount-proc={root}/proc"]


def in_root(root, *cmd, user=None, check=0):
    """A command in the chroot, without network, as user (uid:gid)."""
    spec = [f"--userspec={user}"] if user else []
    return run(*isolated(root), "chroot", *spec, root, *cmd,
               check=check, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                 "LC_ALL": "C"})


def test_images_build_without_network_and_their_programs_run(
        minbase, image_context, tmp_path):
    """Both stages' steps on a minbase root without network; then in
    the mirror root, as the image's user: every library resolves, init,
    the compose import of a carried file and export work; in the static
    root nginx takes the export's server block (nginx -t is a RUN)."""
    mirror = build_stage("mirror", image_context, minbase,
                         tmp_path / "mirror")
    root = tmp_path / "mirror"
    for b in ("/usr/bin/cabundled", "/usr/bin/cabundle"):
        ldd = in_root(root, "ldd", b).stdout.decode()
        assert "not found" not in ldd, ldd
    user = [t for i, t in mirror["steps"] if i == "USER"][-1]
    assert in_root(root, "cabundle", "--version").stdout.startswith(
        b"cabundle ")
    st = (root / "var/lib/cabundle").stat()
    assert (st.st_uid, st.st_mode & 0o777) == (10001, 0o700)
    args = exec_form(mirror, "CMD")
    data = args[args.index("-d") + 1]
    in_root(root, "cabundled", "-d", data, "init", "--actor", "compose",
            user=user)
    shutil.copy2(ROOT / "tests/fixtures/upstream/cacert-2026.07.22.pem",
                 root / "carry" / "cacert.pem")
    p = in_root(root, "cabundled", "-d", data, "import",
                "/carry/cacert.pem", user=user, check=5)
    assert b"quarantined" in p.stdout, p.stdout
    in_root(root, "cabundled", "-d", data, "approve", "--reason", "carried",
            "1", user=user)
    in_root(root, "cabundled", "-d", data, "publish", user=user)
    in_root(root, "cabundled", "-d", data, "export", "/srv/cabundle",
            user=user)
    assert (root / "srv/cabundle/v1/mozilla/cacert.pem.minisig").exists()

    build_stage("static", image_context, minbase, tmp_path / "static")
    static = tmp_path / "static"
    conf = (static / "etc/nginx/conf.d/cabundle-export.conf").read_text()
    assert conf == (ROOT / "contrib/nginx/cabundle-export.conf").read_text()
    assert not (static / "etc/nginx/sites-enabled/default").exists()
    in_root(static, "nginx", "-t")


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
    assert {"mirror", "static", "client", "import"} <= set(
        compose["services"])
    # Every image is built here or loaded: none is pulled from a
    # registry, and all come from the Dockerfile's local base.
    for name, svc in compose["services"].items():
        assert "build" in svc, f"{name} would pull {svc.get('image')}"
        assert svc["image"].endswith(":local"), (name, svc["image"])
        b = svc["build"]
        assert b["target"] in {s["name"] for s in dockerfile_stages()}
        assert b["args"]["BASE"] == BASE_IMAGE, (name, b)
        assert os.path.realpath(b["context"]) == str(ROOT)


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
    # nginx of the Dockerfile's static stage: the same base, debs/nginx/
    # and the export's server block inside the image.
    assert s["build"]["target"] == "static"
    st = stage("static")
    assert exec_form(st, "CMD")[0] == "nginx"
    assert ("COPY", "contrib/nginx/cabundle-export.conf "
            "/etc/nginx/conf.d/cabundle-export.conf") in st["steps"]
    m = mounts(s)
    vol, ro = m["/srv/cabundle"]
    assert vol in compose["volumes"] and ro
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


def test_compose_import_runs_a_carried_file(compose, tmp_path):
    """The import one-shot as "docker-compose run --rm import FILE" runs
    it: not started by up, the carried directory read-only at /carry,
    the mirror's data volume; its command, data directory moved, imports
    a carried bundle into the built cabundled (first contact: quarantined,
    exit 5)."""
    svc = compose["services"]
    s = svc["import"]
    assert s.get("profiles"), "import would run at every up"
    m = mounts(s)
    assert m["/carry"][1], "the carried directory must be read-only"
    assert m["/var/lib/cabundle"] == mounts(svc["mirror"])[
        "/var/lib/cabundle"]
    cmd = s["entrypoint"] + s["command"]
    assert cmd[0] == "cabundled" and "import" in cmd, cmd
    assert cmd[-1].startswith("/carry/"), cmd
    data = tmp_path / "data"
    carry = tmp_path / "carry"
    carry.mkdir()
    shutil.copy2(ROOT / "tests/fixtures/upstream/cacert-2026.07.22.pem",
                 carry / os.path.basename(cmd[-1]))

    def moved(words):
        return [str(data) if w == "/var/lib/cabundle" else
                str(carry) + w[len("/carry"):] if w.startswith("/carry/")
                else w for w in words]
    run(CABUNDLED, *moved(svc["init"]["command"]), check=0)
    p = run(CABUNDLED, *moved(cmd[1:]), check=5)
    assert b"quarantined" in p.stdout, p.stdout


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
