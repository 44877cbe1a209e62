"""A repeat "cabundle install --python" with nothing new does not start
the interpreter (issue 21, "Speed"): the state records the certifi file
(device, inode, size, modification time; the bytes are hashed) and the
interpreter it came from.  Any change asks the interpreter again: a new
release, a certifi file touched or rewritten, another interpreter behind
the same name.  The fast path skips nothing of the signature's checks.

The interpreter here is make_python's wrapper, made to count its runs.
"""
import json
import os

from conftest import NOPROXY, body_of, make_python, run


def counting_python(tmp_path):
    """(interpreter, cacert.pem, log): each run of it adds a line."""
    py, cacert = make_python(tmp_path)
    log = tmp_path / "runs.log"
    head, rest = py.read_text().split("\n", 1)
    py.write_text(f"{head}\necho run >>{log}\n{rest}")
    return py, cacert, log


def runs(log):
    return len(log.read_text().splitlines()) if log.exists() else 0


def install(env, py, check=0):
    p = run(*env.args(targets=[]), "--python", py, check=check,
            env=NOPROXY)
    return json.loads(p.stdout)


def record(env, cacert):
    st = json.loads(env.state.read_text())
    return next(t for t in st["targets"] if t["path"] == str(cacert))


def test_repeat_install_does_not_start_the_interpreter(env, tmp_path):
    py, cacert, log = counting_python(tmp_path)
    env.publish(1)
    assert install(env, py)["result"] == "installed"
    assert runs(log) == 1
    assert cacert.read_bytes() == body_of(1)
    rec = record(env, cacert)
    st = cacert.stat()
    assert rec["python"] == str(py)
    assert (rec["file_id"]["ino"], rec["file_id"]["size"],
            rec["file_id"]["mtime_ns"]) == (st.st_ino, st.st_size,
                                            st.st_mtime_ns % 10**9)
    before = env.state.read_bytes(), st.st_ino, st.st_mtime_ns

    out = install(env, py)
    assert out["result"] == "current"
    assert out["targets"] == [{"path": str(cacert), "kind": "certifi",
                               "action": "current"}]
    assert runs(log) == 1, "the interpreter was started again"
    st = cacert.stat()
    assert (env.state.read_bytes(), st.st_ino, st.st_mtime_ns) == before


def test_a_new_release_asks_the_interpreter(env, tmp_path):
    py, cacert, log = counting_python(tmp_path)
    env.publish(1)
    install(env, py)
    env.publish(2)
    assert install(env, py)["result"] == "installed"
    assert runs(log) == 2
    assert cacert.read_bytes() == body_of(2)
    assert install(env, py)["result"] == "current"
    assert runs(log) == 2


def test_a_touched_or_rewritten_certifi_asks_the_interpreter(env, tmp_path):
    py, cacert, log = counting_python(tmp_path)
    env.publish(1)
    install(env, py)
    # Touched, same bytes: asked once, recorded again, then not asked.
    os.utime(cacert, ns=(1, 1))
    assert install(env, py)["result"] == "current"
    assert runs(log) == 2
    assert install(env, py)["result"] == "current"
    assert runs(log) == 2
    # Rewritten as pip would on an upgrade of certifi: put back.
    cacert.unlink()
    cacert.write_bytes(body_of(3))
    assert install(env, py)["result"] == "installed"
    assert runs(log) == 3
    assert cacert.read_bytes() == body_of(1)


def test_same_size_same_mtime_other_bytes_is_repaired(env, tmp_path):
    """The bytes are hashed even when the file's identity matches."""
    py, cacert, log = counting_python(tmp_path)
    env.publish(1)
    install(env, py)
    st = cacert.stat()
    data = bytearray(cacert.read_bytes())
    data[100] ^= 1
    with open(cacert, "r+b") as f:
        f.write(bytes(data))
    os.utime(cacert, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert install(env, py)["result"] == "installed"
    assert runs(log) == 2
    assert cacert.read_bytes() == body_of(1)


def test_another_interpreter_behind_the_name_is_asked(env, tmp_path):
    py, cacert, log = counting_python(tmp_path)
    env.publish(1)
    install(env, py)
    text = py.read_text()
    py.unlink()
    py.write_text(text)
    py.chmod(0o755)
    assert install(env, py)["result"] == "current"
    assert runs(log) == 2


def test_the_fast_path_still_refuses_a_bad_signature(env, tmp_path):
    py, cacert, log = counting_python(tmp_path)
    env.publish(2)
    install(env, py)
    snap = env.state.read_bytes(), cacert.read_bytes()
    env.publish(1)  # an older release, validly signed: a rollback
    out = install(env, py, check=1)
    assert out["result"] == "refused"
    assert (env.state.read_bytes(), cacert.read_bytes()) == snap
