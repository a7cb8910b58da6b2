"""The command line and the lifecycle: global flags, create/start/state/
kill/delete/run/list/spec/features, state transitions, pid files, file
descriptors and stdio."""

import json
import os
import re
import signal
import subprocess

import pytest

import brownie
from conftest import BROWNIE, make_bundle, proc_alive, proc_stat, sh, started, wait_for

LONG = ["sleep", "30"]  # a container that runs until we stop it
# pid 1 of a pid namespace only gets the signals it handles; this one
# handles TERM, says so, and tells us when the handler is in place.
TRAP_TERM = sh('trap "echo got-term; exit 7" TERM; echo ready; '
               'while :; do sleep 0.05; done')




# ---------------------------------------------------------------------------
# global flags
# ---------------------------------------------------------------------------

def test_version(rt):
    r = rt.ok("--version")
    assert brownie.__version__ in r.out
    assert brownie.OCI_VERSION in r.out
    assert r.err == ""


def test_version_without_root(tmp_path):
    p = subprocess.run([str(BROWNIE), "--version"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env={}, cwd=str(tmp_path))
    assert p.returncode == 0, p
    assert brownie.__version__.encode() in p.stdout


def test_root_flag_separates_containers(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b)
    other = tmp_path / "other-root"
    p = subprocess.run([str(BROWNIE), "--root", str(other), "list", "-q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0 and p.stdout == b"", p
    # --root=DIR spelling reaches the same containers as --root DIR.
    p = subprocess.run([str(BROWNIE), "--root=%s" % rt.root, "list", "-q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0 and p.stdout.decode().split() == [cid], p
    assert (rt.root / cid).is_dir()


def test_root_is_created(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    rt.root = tmp_path / "deep" / "er" / "state"
    r = rt.run(b)
    assert r.rc == 0, r


def _log_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_log_json_error(rt, tmp_path):
    log = tmp_path / "log.json"
    r = rt.cmd("state", "no-such-container",
               global_args=("--log", log, "--log-format", "json"))
    assert r.rc != 0
    assert r.err.startswith("brownie: ") and "does not exist" in r.err
    lines = _log_lines(log)
    errors = [e for e in lines if e["level"] == "error"]
    assert errors, lines
    assert "does not exist" in errors[-1]["msg"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", errors[-1]["time"])


def test_log_format_equals_spelling(rt, tmp_path):
    """podman: --log-format=json --log FILE, the shim: --log FILE
    --log-format json; a create error is the last "error" line."""
    log = tmp_path / "oci-log"
    b = make_bundle(tmp_path, args=["/no/such/program"])
    r = rt.cmd("create", "--bundle", b, rt.new_id(),
               global_args=("--log-format=json", "--log", log))
    assert r.rc != 0, r
    errors = [e for e in _log_lines(log) if e["level"] == "error"]
    assert errors and "no such file or directory" in errors[-1]["msg"], errors
    assert errors[-1]["msg"] in r.err


def test_log_equals_spelling(rt, tmp_path):
    log = tmp_path / "log.json"
    r = rt.cmd("kill", "nope", "9", global_args=("--log=%s" % log, "--log-format=json"))
    assert r.rc != 0
    assert [e for e in _log_lines(log) if e["level"] == "error"]


def test_log_file_created_on_success(rt, tmp_path):
    log = tmp_path / "log.json"
    rt.ok("list", global_args=("--log", log, "--log-format", "json"))
    assert log.exists()
    assert all(isinstance(e, dict) for e in _log_lines(log))


def test_log_text_format(rt, tmp_path):
    log = tmp_path / "log.txt"
    r = rt.cmd("delete", "nope", global_args=("--log", log))
    assert r.rc != 0
    text = log.read_text()
    assert "level=error" in text and "does not exist" in text


def test_unknown_global_flag_accepted(rt, tmp_path):
    """podman passes --runtime-flag k=v as --k=v before the command."""
    b = make_bundle(tmp_path, args=["echo", "hi"])
    r = rt.run(b, global_args=("--foo=bar",))
    assert r.rc == 0, r
    assert r.out == "hi\n"
    rt.ok("list", global_args=("--foo=bar", "--runtime-thing=x"))


def test_debug_flag(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    log = tmp_path / "debug.log"
    r = rt.run(b, global_args=("--debug", "--log", log, "--log-format", "json"))
    assert r.rc == 0, r
    assert log.exists()


def test_no_command_is_usage_error(rt):
    r = rt.cmd()
    assert r.rc != 0
    assert r.out == ""


# ---------------------------------------------------------------------------
# state and transitions
# ---------------------------------------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_state_fields_and_transitions(rt, tmp_path):
    annotations = {"org.example.key": "value", "other": "x y"}
    b = make_bundle(tmp_path, args=LONG, annotations=annotations)
    cid = rt.create(b)
    st = rt.state(cid)
    assert st["ociVersion"] == brownie.OCI_VERSION
    assert st["id"] == cid
    assert st["status"] == "created"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert proc_alive(st["pid"])
    assert st["bundle"] == str(b)
    assert st["annotations"] == annotations
    assert RFC3339.match(st["created"]), st["created"]
    assert "owner" in st
    pid = st["pid"]

    rt.ok("start", cid)
    st = rt.state(cid)
    assert st["status"] == "running"
    assert st["pid"] == pid
    assert st["created"] and st["bundle"] == str(b)

    rt.ok("kill", cid, "KILL")
    rt.wait_status(cid, "stopped")
    st = rt.state(cid)
    assert st["status"] == "stopped"
    assert st["pid"] == 0  # as runc: no pid once stopped
    assert st["id"] == cid

    rt.ok("delete", cid)
    assert not (rt.root / cid).exists()
    rt.fails("state", cid, needles=["does not exist"])


def test_state_without_annotations(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b)
    st = rt.state(cid)
    assert "annotations" not in st or st["annotations"] == {}


def test_created_container_waits_in_its_namespaces(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    for ns in ("pid", "net", "ipc", "uts", "mnt", "cgroup"):
        assert os.readlink("/proc/%d/ns/%s" % (pid, ns)) != os.readlink("/proc/self/ns/" + ns), ns
    for ns in ("user",):
        assert os.readlink("/proc/%d/ns/%s" % (pid, ns)) == os.readlink("/proc/self/ns/" + ns)
    with open("/proc/%d/status" % pid) as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    assert status["NSpid"].split()[-1] == "1"  # pid 1 of its namespace
    # The process has not started: it still waits in the runtime.
    assert rt.status(cid) == "created"


def test_stopped_without_being_reaped(rt, tmp_path, subreaper):
    """The init is re-parented to us (a subreaper, like conmon); after
    it exits it stays a zombie until we reap it, and state says stopped."""
    b = make_bundle(tmp_path, args=["true"])
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    assert proc_stat(pid) is not None
    with open("/proc/%d/status" % pid) as f:
        ppid = int([l for l in f if l.startswith("PPid:")][0].split()[1])
    assert ppid == os.getpid()
    rt.ok("start", cid)
    wait_for(lambda: (proc_stat(pid) or ("?",))[0] == "Z", what="the init to exit")
    assert rt.status(cid) == "stopped"
    assert proc_stat(pid)[0] == "Z"  # nobody reaped it: brownie did not
    rt.fails("kill", cid, "9", needles=["container not running"])
    rt.ok("delete", cid)
    os.waitpid(pid, 0)


def test_stopped_when_reaped_elsewhere(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    cid = rt.create(b)
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)


def test_start_of_running_container_fails(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = started(rt, b)
    assert rt.status(cid) == "running"
    rt.fails("start", cid, needles=["running"])
    assert rt.status(cid) == "running"


def test_start_of_stopped_container_fails(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    cid = started(rt, b)
    rt.wait_status(cid, "stopped")
    rt.fails("start", cid, needles=["stopped"])


def test_start_unknown_fails(rt):
    rt.fails("start", "nope", needles=["does not exist"])


def test_start_prints_nothing(rt, tmp_path):
    b = make_bundle(tmp_path, args=["echo", "from-container"])
    cid = rt.create(b)
    r = rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    assert r.out == "" and r.err == ""
    assert rt.last_create.out == "from-container\n"


def test_kill_stopped_fails(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    cid = started(rt, b)
    rt.wait_status(cid, "stopped")
    rt.fails("kill", cid, "KILL", needles=["container not running"])


def test_kill_unknown_fails(rt):
    rt.fails("kill", "nope", "9", needles=["does not exist"])


def test_kill_created_container(rt, tmp_path):
    """A created container's init dies of SIGTERM, as runc's does."""
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    rt.ok("kill", cid, "TERM")
    rt.wait_status(cid, "stopped")
    wait_for(lambda: not proc_alive(pid), what="the init to die")
    rt.ok("delete", cid)


@pytest.mark.parametrize("spelling", ["TERM", "SIGTERM", "15", "term", None])
def test_kill_term_spellings(rt, tmp_path, spelling):
    b = make_bundle(tmp_path, args=TRAP_TERM)
    cid = started(rt, b)
    wait_for(lambda: "ready" in rt.last_create.out, what="the trap")
    rt.ok("kill", cid, *([spelling] if spelling else []))
    rt.wait_status(cid, "stopped")
    assert "got-term" in rt.last_create.out


@pytest.mark.parametrize("spelling", ["KILL", "SIGKILL", "9"])
def test_kill_kill_spellings(rt, tmp_path, spelling):
    b = make_bundle(tmp_path, args=LONG)
    cid = started(rt, b)
    rt.ok("kill", cid, spelling)
    rt.wait_status(cid, "stopped")


def test_kill_bad_signal(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = started(rt, b)
    rt.fails("kill", cid, "NOTASIGNAL", needles=["signal"])
    rt.fails("kill", cid, "65", needles=["signal"])
    rt.ok("kill", cid, "0")  # is it alive? (runc takes 0 too)
    assert rt.status(cid) == "running"


def test_kill_all(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("sleep 30 & sleep 30 & wait"))
    cid = started(rt, b)
    rt.ok("kill", "--all", cid, "KILL")
    rt.wait_status(cid, "stopped")


def test_kill_all_without_pid_namespace(rt, tmp_path):
    """Without a pid namespace the init's death does not take its children
    with it: --all must signal every process of the container."""
    out = tmp_path / "out"
    out.mkdir()

    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                    if n["type"] != "pid"]
        c["mounts"].append({"destination": "/out", "type": "bind",
                            "source": str(out), "options": ["rbind"]})
    b = make_bundle(tmp_path, args=sh("sleep 30 & echo $! > /out/child; wait"),
                    edit=edit)
    cid = started(rt, b)
    child = int(wait_for(lambda: (out / "child").exists() and
                         (out / "child").read_text().strip(), what="the child pid"))
    rt.see(child)
    try:
        rt.ok("kill", "--all", cid, "KILL")
        rt.wait_status(cid, "stopped")
        wait_for(lambda: not proc_alive(child, rt.seen[child]), timeout=5,
                 what="the container's second process to die")
    finally:
        if proc_alive(child, rt.seen.get(child)):
            os.kill(child, signal.SIGKILL)


# ---------------------------------------------------------------------------
# delete
# ---------------------------------------------------------------------------

def test_delete_running_needs_force(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = started(rt, b)
    pid = rt.state(cid)["pid"]
    rt.fails("delete", cid, needles=["running"])
    assert rt.status(cid) == "running"
    assert proc_alive(pid)
    rt.ok("delete", "--force", cid)
    assert not (rt.root / cid).exists()
    wait_for(lambda: not proc_alive(pid), what="the process to die")
    rt.fails("state", cid, needles=["does not exist"])


def test_delete_created_needs_force(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    rt.fails("delete", cid, needles=["created"])
    assert rt.status(cid) == "created"
    rt.ok("delete", "-f", cid)
    wait_for(lambda: not proc_alive(pid), what="the init to die")
    assert rt.list_ids() == []


def test_delete_force_unknown_succeeds(rt):
    r = rt.ok("delete", "--force", "never-existed")
    assert r.out == "" and r.err == ""


def test_delete_unknown_fails(rt):
    rt.fails("delete", "never-existed", needles=["does not exist"])


def test_delete_stopped_leaves_nothing(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    cid = started(rt, b)
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)
    rt.assert_nothing_left()


def test_create_with_id_in_use(rt, tmp_path):
    b1 = make_bundle(tmp_path, name="one", args=sh("echo first; sleep 30"))
    b2 = make_bundle(tmp_path, name="two", args=["echo", "second"])
    cid = rt.create(b1)
    first_create = rt.last_create
    pid = rt.state(cid)["pid"]
    rt.fails("create", "--bundle", b2, cid, needles=["already exists"])
    st = rt.state(cid)
    assert st["status"] == "created" and st["pid"] == pid
    assert st["bundle"] == str(b1)
    rt.ok("start", cid)
    wait_for(lambda: "first" in first_create.out, what="the first container's output")
    assert rt.status(cid) == "running"


@pytest.mark.parametrize("bad_id", ["a/b", "..", "with space"])
def test_invalid_container_id(rt, tmp_path, bad_id):
    b = make_bundle(tmp_path, args=["true"])
    rt.fails("create", "--bundle", b, bad_id, needles=["invalid container id"])
    rt.assert_nothing_left()


# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------

def test_run_prints_and_cleans_up(rt, tmp_path):
    b = make_bundle(tmp_path, args=["echo", "hello"])
    r = rt.run(b)
    assert r.rc == 0, r
    assert r.out == "hello\n"
    assert rt.list_ids() == []


def test_run_from_a_deleted_directory(rt, tmp_path):
    """The caller's cwd is gone (runc works there): the init, a fresh
    interpreter, must not need it."""
    b = make_bundle(tmp_path, args=["echo", "fine"])
    gone = tmp_path / "gone"
    gone.mkdir()
    r = subprocess.run(["/bin/sh", "-c", 'cd "$1" && rmdir "$1" && shift && exec "$@"', "sh",
                        str(gone)] + rt.argv("run", "--bundle", b, rt.new_id()),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    # (/bin/sh, which reads line 1 of brownie.py, may say that getcwd failed)
    assert (r.returncode, r.stdout) == (0, b"fine\n"), r
    assert b"brownie" not in r.stderr and b"Fatal" not in r.stderr, r
    assert rt.list_ids() == []


@pytest.mark.parametrize("code", [0, 3, 42, 255])
def test_run_exit_status(rt, tmp_path, code):
    b = make_bundle(tmp_path, args=sh("exit %d" % code))
    r = rt.run(b)
    assert r.rc == code, r
    assert rt.list_ids() == []


def test_run_killed_by_signal(rt, tmp_path):
    """No pid namespace, so the shell can kill itself: 128 + 9."""
    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                    if n["type"] != "pid"]
    b = make_bundle(tmp_path, args=sh("kill -KILL $$"), edit=edit)
    r = rt.run(b)
    assert r.rc == 128 + signal.SIGKILL, r


def test_run_killed_from_outside(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.new_id()
    with open(tmp_path / "run.out", "wb") as out:
        p = subprocess.Popen(rt.argv("run", "--bundle", b, cid),
                             stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: (rt.root / cid).exists() and
                     rt.cmd("state", cid).rc == 0 and
                     rt.status(cid) == "running", what="running")
            rt.ok("kill", cid, "KILL")
            assert p.wait(timeout=30) == 128 + signal.SIGKILL
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert rt.list_ids() == []


def test_run_forwards_signals(rt, tmp_path):
    b = make_bundle(tmp_path, args=TRAP_TERM)
    cid = rt.new_id()
    out_path = tmp_path / "run.out"
    with open(out_path, "wb") as out:
        p = subprocess.Popen(rt.argv("run", "--bundle", b, cid),
                             stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: "ready" in out_path.read_text(), what="the trap")
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=30) == 7
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert "got-term" in out_path.read_text()


def test_run_detach(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.new_id()
    r = rt.cmd("run", "-d", "--bundle", b, cid)
    assert r.rc == 0, r
    st = rt.state(cid)
    assert st["status"] == "running"
    assert proc_alive(st["pid"])
    rt.ok("kill", cid, "9")
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)


def test_run_keep(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("exit 5"))
    cid = rt.new_id()
    r = rt.run(b, "--keep", cid=cid)
    assert r.rc == 5, r
    assert rt.list_ids() == [cid]
    assert rt.status(cid) == "stopped"
    rt.ok("delete", cid)


def test_run_failure_cleans_up(rt, tmp_path):
    b = make_bundle(tmp_path, args=["/no/such/program"])
    rt.fails("run", "--bundle", b, rt.new_id(), needles=["no such file or directory"])
    rt.assert_nothing_left()


# ---------------------------------------------------------------------------
# pid file, file descriptors, stdio
# ---------------------------------------------------------------------------

def test_pid_file(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    pid_file = tmp_path / "init.pid"
    cid = rt.create(b, "--pid-file", pid_file)
    text = pid_file.read_text()
    assert text.isdigit(), repr(text)  # no newline, as runc
    assert int(text) == rt.state(cid)["pid"]
    assert proc_alive(int(text))


def test_pid_file_relative(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b, "--pid-file", "rel.pid", cwd=str(tmp_path))
    assert int((tmp_path / "rel.pid").read_text()) == rt.state(cid)["pid"]


def test_run_pid_file(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.new_id()
    pid_file = tmp_path / "run.pid"
    rt.ok("run", "-d", "--pid-file", pid_file, "--bundle", b, cid)
    assert int(pid_file.read_text()) == rt.state(cid)["pid"]


def _fds_of_shell(output):
    """fd numbers from `ls -l /proc/$$/fd` (the shell's, not ls's own)."""
    return sorted(int(line.split()[-3]) if "->" in line else int(line.split()[-1])
                  for line in output.splitlines()
                  if line and not line.startswith("total"))


LIST_FDS = sh("ls -l /proc/$$/fd; true")


def test_no_fd_leaks(rt, tmp_path):
    """An inherited descriptor (a client's sync pipe) is not passed on."""
    b = make_bundle(tmp_path, args=LIST_FDS)
    r = rt.run(b, extra_fds={3: tmp_path / "three", 5: tmp_path / "five",
                             9: tmp_path / "nine"})
    assert r.rc == 0, r
    assert _fds_of_shell(r.out) == [0, 1, 2], r.out


def test_preserve_fds(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo to-fd-3 >&3; ls -l /proc/$$/fd; true"))
    three = tmp_path / "three"
    r = rt.run(b, "--preserve-fds", "1",
               extra_fds={3: three, 4: tmp_path / "four"})
    assert r.rc == 0, r
    assert three.read_text() == "to-fd-3\n"
    assert _fds_of_shell(r.out) == [0, 1, 2, 3], r.out
    assert (tmp_path / "four").read_text() == ""


def test_preserve_fds_through_proc(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo one > /proc/self/fd/3; echo two >&4"))
    r = rt.run(b, "--preserve-fds", "2",
               extra_fds={3: tmp_path / "a", 4: tmp_path / "b"})
    assert r.rc == 0, r
    assert (tmp_path / "a").read_text() == "one\n"
    assert (tmp_path / "b").read_text() == "two\n"


def test_stdin_passed_through(rt, tmp_path):
    b = make_bundle(tmp_path, args=["cat"])
    r = rt.run(b, input=b"line one\nline two\n")
    assert r.rc == 0, r
    assert r.out == "line one\nline two\n"


def test_stdout_and_stderr_passed_through(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo out; echo err >&2"))
    r = rt.run(b)
    assert r.rc == 0, r
    assert r.out == "out\n"
    assert r.err == "err\n"


def test_create_hands_stdio_to_the_container(rt, tmp_path):
    """create's own fds 0-2 are the container's (conmon, the shim); create
    writes nothing to stdout itself."""
    b = make_bundle(tmp_path, args=sh("cat; echo done"))
    cid = rt.new_id()
    r = rt.cmd("create", "--bundle", b, cid, input=b"via-stdin\n")
    assert r.rc == 0, r
    assert r.out == ""
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    assert r.out == "via-stdin\ndone\n"


# ---------------------------------------------------------------------------
# list, spec, features
# ---------------------------------------------------------------------------

def test_list(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    a = rt.create(b)
    c = started(rt, b)
    assert sorted(rt.list_ids()) == sorted([a, c])
    rows = json.loads(rt.ok("list", "--format", "json").out)
    by_id = {r["id"]: r for r in rows}
    assert by_id[a]["status"] == "created"
    assert by_id[c]["status"] == "running"
    assert by_id[a]["bundle"] == str(b)
    # runc's fields, which clients parse
    assert set(by_id[a]) >= {"ociVersion", "id", "pid", "status", "bundle", "rootfs",
                             "created", "owner", "annotations"}, by_id[a]
    table = rt.ok("list").out.splitlines()
    assert table[0].split()[:3] == ["ID", "PID", "STATUS"]
    assert any(line.split()[0] == a and "created" in line for line in table[1:])


def test_boolean_flags_take_explicit_values(rt, tmp_path):
    """runc (go's flag package) takes --flag=true and --flag=false; podman's
    --runtime-flag passes them so."""
    b = make_bundle(tmp_path, args=LONG)
    cid = started(rt, b)
    r = rt.ok("--debug=false", "--systemd-cgroup=false", "exec", "--detach=true", cid, "true")
    assert r.out == "", r
    rt.ok("kill", "--all=true", cid, "KILL")
    rt.wait_status(cid, "stopped")
    rt.ok("delete", "--force=true", cid)
    assert rt.list_ids() == []


@pytest.mark.parametrize("command", ["checkpoint", "restore"])
def test_checkpoint_and_restore_say_they_are_not_supported(rt, tmp_path, command):
    log = tmp_path / "log.json"
    rt.fails(command, "--image-path", tmp_path, "--work-path", tmp_path, "some-id",
             global_args=("--log", log, "--log-format", "json"),
             needles=["%s is not supported" % command])
    assert "not supported" in json.loads(log.read_text().splitlines()[-1])["msg"]


def test_list_empty_root(rt):
    assert rt.ok("list", "-q").out == ""


def test_spec(rt, tmp_path):
    d = tmp_path / "spec"
    d.mkdir()
    rt.ok("spec", "--bundle", d)
    config = json.loads((d / "config.json").read_text())
    assert config["ociVersion"] == brownie.OCI_VERSION
    assert config["root"]["path"] == "rootfs"
    rt.fails("spec", "--bundle", d, needles=["exists"])


def test_spec_runs(rt, tmp_path):
    """The default spec runs once it has a rootfs (and no terminal)."""
    b = make_bundle(tmp_path, args=["true"])
    (b / "config.json").unlink()
    rt.ok("spec", "--bundle", b)
    config = json.loads((b / "config.json").read_text())
    config["process"]["terminal"] = False
    config["process"]["args"] = ["hostname"]
    (b / "config.json").write_text(json.dumps(config))
    assert rt.output(b) == "brownie\n"


def test_features(rt):
    f = json.loads(rt.ok("features").out)
    assert f["ociVersionMax"] == brownie.OCI_VERSION
    assert set(f["hooks"]) >= {"prestart", "createRuntime", "createContainer",
                               "startContainer", "poststart", "poststop"}
    assert set(f["linux"]["namespaces"]) >= {"pid", "network", "mount", "ipc",
                                             "uts", "user", "cgroup"}
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
    assert {"ro", "nosuid", "rbind", "rprivate"} <= set(f["mountOptions"])


def test_cli_without_path_env(rt, tmp_path):
    """podman calls kill and delete with no PATH, HOME or LANG."""
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b, env={"XDG_RUNTIME_DIR": ""})
    rt.ok("start", cid, env={"XDG_RUNTIME_DIR": ""})
    rt.ok("kill", cid, "9", env={"XDG_RUNTIME_DIR": ""})
    rt.wait_status(cid, "stopped")
    rt.ok("delete", "--force", cid, env={"XDG_RUNTIME_DIR": ""})


# ---------------------------------------------------------------------------
# what new users ran into
# ---------------------------------------------------------------------------

def test_preserve_fds_that_are_not_open(rt, tmp_path):
    """runc refuses too; otherwise brownie's own descriptors would land in
    the slots the container is told are its."""
    b = make_bundle(tmp_path)
    rt.fails("create", "--bundle", b, "--preserve-fds", "2", rt.new_id(),
             needles=["--preserve-fds 2", "fd 3", "not open"])
    rt.assert_nothing_left()


def test_state_dir_of_a_killed_create_does_not_keep_the_id(rt, tmp_path):
    """A create killed between its mkdir and its first write leaves an
    empty directory: delete --force removes it, and create reuses the id."""
    b = make_bundle(tmp_path, args=["true"])
    cid = rt.new_id()
    (rt.root / cid).mkdir(parents=True)
    rt.ok("delete", "--force", cid)
    assert not (rt.root / cid).exists()
    (rt.root / cid).mkdir()
    rt.create(b, cid=cid)
    rt.ok("delete", "--force", cid)


def test_closed_stdout(rt, tmp_path):
    """runc's start, kill, delete and list work with stdout closed."""
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b)
    for args in (("start", cid), ("list",), ("state", cid), ("kill", cid, "KILL")):
        p = subprocess.run(["/bin/sh", "-c", 'exec "$@" >&-', "sh"] + rt.argv(*args),
                           stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 0 and p.stderr == b"", (args, p)
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)


@pytest.mark.parametrize("path", ["/nonexistent/dir/x.log", "/tmp"])
def test_log_that_cannot_be_opened(rt, path):
    rt.fails("list", global_args=("--log", path), needles=["--log %s" % path])


def test_rootless_takes_a_value_either_way(rt):
    rt.ok("list", global_args=("--rootless", "false"))
    rt.ok("list", global_args=("--rootless=false",))


@pytest.mark.parametrize("kind", ["directory", "missing-dir"])
def test_pid_file_that_cannot_be_written(rt, tmp_path, kind):
    target = tmp_path / "somedir" if kind == "directory" else tmp_path / "no" / "p.pid"
    if kind == "directory":
        target.mkdir()
    b = make_bundle(tmp_path)
    rt.fails("create", "--bundle", b, "--pid-file", target, rt.new_id(),
             needles=["--pid-file %s" % target])
    if target.parent.exists():
        assert not [n for n in os.listdir(target.parent) if n.endswith(".tmp")]
    rt.assert_nothing_left()


def test_run_survives_someone_elses_delete(rt, tmp_path):
    """`run` in the foreground whose container another `delete -f` removed
    exits with the process's status (137), as runc."""
    b = make_bundle(tmp_path, args=TRAP_TERM)
    cid = rt.new_id()
    p = subprocess.Popen(rt.argv("run", "--bundle", b, cid), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n"
        rt.ok("delete", "--force", cid)
        assert p.wait(timeout=30) == 128 + signal.SIGKILL
        assert b"does not exist" not in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_warnings_go_to_the_log_only(rt, tmp_path):
    """With --log, a warning is not written to stderr: under a shim that is
    the container's own output (`docker logs`)."""
    b = make_bundle(tmp_path, args=["true"], edit=lambda c: c["linux"].update(
        resources={"memory": {"kernel": 1 << 26}}))
    log = tmp_path / "log.json"
    r = rt.run(b, global_args=("--log", log, "--log-format", "json"))
    assert r.rc == 0 and r.err == "", r
    warnings = [json.loads(l) for l in log.read_text().splitlines()]
    assert any(w["level"] == "warning" and "memory.kernel" in w["msg"] for w in warnings)
    r = rt.run(b)
    assert "warning" in r.err and "memory.kernel" in r.err, r


def test_racing_creates_of_one_id(rt, tmp_path):
    """Many creates of one id at once: exactly one wins, and after delete
    nothing is left (no container a command cannot reach)."""
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.new_id()
    for round_ in range(5):
        errs = [tmp_path / ("create-%d-%d.err" % (round_, i)) for i in range(4)]
        procs = []
        for err in errs:
            with open(err, "wb") as f:  # (a file: the winner's init keeps it)
                procs.append(subprocess.Popen(rt.argv("create", "--bundle", b, cid),
                                              stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=f))
        results = [(p.wait(timeout=60), err.read_text()) for p, err in zip(procs, errs)]
        winners = [r for r in results if r[0] == 0]
        assert len(winners) == 1, results
        assert all("already exists" in err for rc, err in results if rc != 0), results
        rt.see(rt.state(cid)["pid"])
        rt.ok("delete", "--force", cid)
        rt.assert_nothing_left()


def test_copied_under_another_name(rt, tmp_path):
    """A drop-in copy (cp brownie.py /usr/local/sbin/runc) works as it is."""
    import shutil
    copy = tmp_path / "bin" / "runc"
    copy.parent.mkdir()
    shutil.copy(str(BROWNIE), str(copy))
    b = make_bundle(tmp_path, args=sh("echo ran"))
    p = subprocess.run([str(copy), "--root", str(rt.root), "run", "--bundle", str(b),
                        rt.new_id()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0 and p.stdout == b"ran\n", p


def test_second_start_after_a_killed_start(rt, tmp_path):
    """start killed after the process got its go-ahead: a second start
    says the container is running (not "connection refused")."""
    b = make_bundle(tmp_path, args=LONG)
    cid = rt.create(b)
    rt.ok("start", cid)
    state = rt.root / cid / "state.json"
    data = json.loads(state.read_text())
    data["status"] = "created"  # as a start killed before it wrote "running" leaves it
    state.write_text(json.dumps(data))
    rt.fails("start", cid, needles=["running"])
    assert rt.status(cid) == "running"
    rt.ok("delete", "--force", cid)
