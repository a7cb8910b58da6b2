"""`exec`: one more process in a running container, from a process.json or
from runc exec's flags; its exit status, environment, user, cwd and
capabilities; the errors clients map to exit codes; pid files; and that a
failed exec leaves the container as it was."""

import json
import os

import pytest

from conftest import make_bundle, proc_alive, started


@pytest.fixture
def running(rt, tmp_path):
    """A running container (sleep) with env FROM_CONFIG=1; its id."""
    b = make_bundle(tmp_path, args=["sleep", "60"],
                    edit=lambda c: c["process"]["env"].append("FROM_CONFIG=1"))
    cid = rt.create(b)
    rt.ok("start", cid)
    return cid


def test_exit_status_and_output(rt, running):
    r = rt.cmd("exec", running, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert r.rc == 7, r
    assert r.out == "out\n" and r.err == "err\n", r


def test_flags_over_the_containers_process(rt, running):
    r = rt.ok("exec", "-e", "EXTRA=2", "--cwd", "/tmp", "-u", "1000:1000", running,
              "sh", "-c", "echo $FROM_CONFIG $EXTRA; pwd; id -u; id -g")
    assert r.out.split() == ["1", "2", "/tmp", "1000", "1000"], r


@pytest.mark.parametrize("user", ["-1", "4294967295", "1000:-1", "2147483648", "x:1",
                                  " 5", "1_000", "\uff15"])
def test_user_out_of_range_is_refused(rt, running, user):
    """(uid_t)-1 would leave setresuid(2) nothing to change: root."""
    rt.fails("exec", "-u", user, running, "id", needles=["--user %s" % user, "2147483647"])
    rt.fails("exec", "--additional-gids", "4294967295", running, "id",
             needles=["--additional-gids 4294967295"])


def test_no_new_privs_false_overrides_the_config(rt, tmp_path):
    """runc: --no-new-privs given (true or false) wins over the config's."""
    b = make_bundle(tmp_path, args=["sleep", "60"], process={"noNewPrivileges": True})
    cid = started(rt, b)
    for flags, expected in (((), "1"), (("--no-new-privs=false",), "0"),
                            (("--no-new-privs",), "1")):
        r = rt.ok("exec", *flags, cid, "grep", "NoNewPrivs", "/proc/self/status")
        assert r.out.split()[1] == expected, (flags, r)
    rt.ok("delete", "--force", cid)


def test_process_json_is_the_whole_process(rt, running, tmp_path):
    """--process: its env only, nothing of the container's process."""
    process = {"args": ["sh", "-c", "echo ${FROM_CONFIG:-unset} $ONLY; id -u"],
               "env": ["PATH=/bin:/usr/bin", "ONLY=here"], "cwd": "/",
               "user": {"uid": 5, "gid": 5}}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(process))
    r = rt.ok("exec", "--process", path, running)
    assert r.out.split() == ["unset", "here", "5"], r


def test_process_json_errors_name_the_field(rt, running, tmp_path):
    path = tmp_path / "process.json"
    path.write_text(json.dumps({"args": ["true"], "env": ["NOEQUALS"]}))
    rt.fails("exec", "--process", path, running, needles=["process.json", "env[0]"])


def test_cap_adds_a_capability(rt, running):
    r = rt.ok("exec", "--cap", "CAP_SYS_ADMIN", running, "grep", "CapEff", "/proc/self/status")
    eff = int(r.out.split()[1], 16)
    assert eff >> 21 & 1, r  # CAP_SYS_ADMIN
    rt.fails("exec", "--cap", "CAP_FOO", running, "true", needles=["--cap CAP_FOO"])


@pytest.mark.parametrize("program, words", [
    ("/no/such/program", "no such file or directory"),
    ("/etc/passwd", "permission denied"),
    ("nosuchcommand", "executable file not found"),
])
def test_a_program_that_cannot_run(rt, running, program, words):
    """The phrases clients map to exit 127 and 126; the container runs on."""
    r = rt.fails("exec", running, program, needles=[words])
    assert rt.status(running) == "running", r


def test_a_missing_cwd(rt, running):
    rt.fails("exec", "--cwd", "/no/such/dir", running, "true",
             needles=["process.cwd", "no such file or directory"])


def test_failure_message_under_a_subreaper(rt, running, subreaper):
    """Under the containerd shim (a subreaper) the failed process is reaped
    at once: the error is still what it was, not a cgroup error."""
    for _ in range(5):
        rt.fails("exec", running, "/no/such/program", needles=["no such file or directory"])


def test_detach_writes_the_pid_file_first(rt, running, tmp_path):
    pid_file = tmp_path / "exec.pid"
    r = rt.ok("exec", "--detach", "--pid-file", pid_file, running, "sleep", "30")
    assert r.out == "", r
    pid = rt.see(int(pid_file.read_text()))
    assert proc_alive(pid)
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"sleep", b"30"]
    assert not any(name.startswith(".") for name in os.listdir(tmp_path))  # no tmp left


def test_a_pid_file_that_cannot_be_written_ends_the_process(rt, running, tmp_path):
    before = json.loads(rt.ok("ps", "--format", "json", running).out)
    rt.fails("exec", "--detach", "--pid-file", tmp_path / "no" / "dir" / "x.pid", running,
             "sleep", "30", needles=["x.pid"])
    assert json.loads(rt.ok("ps", "--format", "json", running).out) == before


def test_preserve_fds_must_be_open(rt, running):
    rt.fails("exec", "--preserve-fds", "3", running, "true",
             needles=["--preserve-fds 3", "not open"])


def test_exec_in_a_stopped_container(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    cid = rt.create(b)
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    rt.fails("exec", cid, "true", needles=["stopped"])
    rt.ok("delete", cid)


def test_exec_without_a_command(rt, running):
    rt.fails("exec", running, needles=["give a command"])
