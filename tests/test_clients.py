"""brownie driven by the real clients: docker (dockerd -> containerd ->
containerd-shim-runc-v2), podman (conmon) and ctr (containerd's shim), each
test once with brownie and once with runc as the runtime (runc proves the
test itself right). The daemons are private, on sockets in a temp dir,
started once for the module (clients_util.py); images are imported from a
tarball of the busybox rootfs, no registry. Networking is always
`--network none` (ctr: no network at all).

A client whose package is not installed is skipped with the reason and the
apt-get line that installs it (pytest -rs shows it). Set
BROWNIE_CLIENT_RUNTIME=/path/to/a/patched/brownie.py to try another copy.
"""

import os
import shutil
import tempfile
import time

import pytest

from clients_util import (
    Containerd, CtrClient, Daemons, DOCKER, DockerClient,
    Dockerd, Podman, PodmanClient, cgroup_dirs, make_rootfs_tar, wait_until)
from conftest import proc_alive

CLIENTS = ["docker", "podman", "ctr"]
RUNTIMES = ["brownie", "runc"]
# pid 1 of a pid namespace gets only the signals it handles: this one
# handles TERM (and exits 42), so `stop` shows that SIGTERM arrived.
TRAP_TERM = ["sh", "-c", 'trap "exit 42" TERM; while :; do sleep 0.1; done']
INSTALL = "apt-get install --no-install-recommends docker.io podman containerd runc"


def _need(*programs):
    missing = [p for p in programs if not (shutil.which(p) or os.path.exists(p))]
    if missing:
        pytest.skip("%s not installed: %s" % (", ".join(missing), INSTALL))


# ---------------------------------------------------------------------------
# fixtures: one daemon of each kind for the module
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def daemons(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the clients' daemons need root")
    # A short path: podman refuses a runroot longer than 50 characters.
    d = Daemons(tempfile.mkdtemp(prefix="brownie-clients-", dir="/tmp"))
    yield d
    problems = d.close()
    assert not problems, problems


@pytest.fixture(scope="module")
def rootfs_tar(daemons):
    return make_rootfs_tar(daemons.tmp / "image")


@pytest.fixture(scope="module")
def containerd(daemons):
    _need("containerd", "ctr", "containerd-shim-runc-v2")
    c = Containerd(daemons.tmp / "containerd")
    daemons.add(c.close)
    c.start()
    return c


@pytest.fixture(scope="module")
def docker(daemons, containerd, rootfs_tar):
    _need("dockerd", DOCKER)
    d = Dockerd(daemons.tmp / "docker", containerd)
    daemons.add(d.close)
    d.start()
    return DockerClient(d, rootfs_tar)


@pytest.fixture(scope="module")
def podman(daemons, rootfs_tar):
    _need("podman", "conmon")
    p = Podman(daemons.tmp / "podman")
    daemons.add(p.close)
    return PodmanClient(p, rootfs_tar)


@pytest.fixture(scope="module")
def ctr(daemons, containerd, rootfs_tar):
    return CtrClient(containerd, rootfs_tar, daemons.tmp / "ctr")


@pytest.fixture(scope="module", params=CLIENTS)
def client(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    if request.param == "runc":
        _need("runc")
    return request.param


@pytest.fixture
def detached(client, runtime):
    """A running container (TRAP_TERM), removed after the test whatever
    happened."""
    cid = client.run_detached(runtime, TRAP_TERM)
    yield cid
    client.rm(runtime, cid, force=True)


def _host_cgroup_file(pid, controller, name):
    """A cgroup v1 file of process pid, read on the host."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                with open("/sys/fs/cgroup/%s%s/%s" % (controller, path, name)) as g:
                    return g.read().strip()
    raise AssertionError("pid %d has no %s cgroup" % (pid, controller))


# ---------------------------------------------------------------------------
# run in the foreground
# ---------------------------------------------------------------------------

def test_run_output_and_exit_code(client, runtime):
    r = client.run(runtime, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert r.rc == 3, r
    assert r.out.splitlines() == ["out"], r
    assert "err" in r.err.splitlines(), r
    r = client.run(runtime, ["true"])
    assert r.rc == 0, r


def test_run_missing_command(client, runtime):
    r = client.run(runtime, ["/no/such/program"])
    # docker and podman map the runtime's "no such file or directory" to
    # 127; ctr has no such mapping and reports 1.
    assert r.rc == (1 if client.name == "ctr" else 127), r
    assert "no such file or directory" in (r.out + r.err).lower(), r


def test_run_stdin_to_eof(client, runtime):
    if client.name == "ctr":
        # ctr never closes the container's stdin at EOF (runc too), so the
        # process reads a known amount instead of waiting for EOF.
        cmd = ["sh", "-c", "head -n 2; echo done"]
    else:
        cmd = ["sh", "-c", "cat; echo done"]
    r = client.run(runtime, cmd, input="hello\nworld\n")
    assert r.rc == 0, r
    assert r.out == "hello\nworld\ndone\n", r


def test_run_tty(client, runtime):
    # The client sizes the container's pty like its own terminal (24x80)
    # through the master the runtime sent over the console socket, just
    # after the start: poll for it.
    script = ('tty; for i in $(seq 100); do s=$(stty size 2>/dev/null); '
              'case "$s" in [1-9]*) break;; esac; sleep 0.05; done; '
              'echo "size=$s"; echo ttyout; exit 5')
    r = client.run(runtime, ["sh", "-c", script], tty=True)
    assert r.rc == 5, r
    lines = [line.strip("\r\x00") for line in r.out.splitlines()]
    assert "/dev/pts/0" in lines, r
    assert "ttyout" in lines, r
    assert "size=24 80" in lines, r


def test_run_tty_typed_input(client, runtime):
    # What is typed on the client's terminal reaches the container's pty.
    r = client.run(runtime, ["sh", "-c", 'echo ready; read x; echo "got:$x"; exit 7'],
                   tty=True, input="hello\r")
    assert r.rc == 7, r
    assert "got:hello" in [line.strip("\r\x00") for line in r.out.splitlines()], r


def test_run_user(client, runtime):
    r = client.run(runtime, ["id"], user="1000:1000")
    assert r.rc == 0, r
    assert r.out.split()[:2] in (["uid=1000", "gid=1000"],
                                 ["uid=1000(1000)", "gid=1000(1000)"]), r


def test_run_env(client, runtime):
    r = client.run(runtime, ["sh", "-c", 'echo "FOO=$FOO"'], env={"FOO": "bar"})
    assert r.rc == 0, r
    assert r.out == "FOO=bar\n", r


def test_run_read_only(client, runtime):
    r = client.run(runtime, ["sh", "-c", "touch /x || exit 9; echo wrote"],
                   read_only=True)
    assert r.rc == 9, r
    assert "Read-only file system" in r.err, r
    if client.name == "podman":
        # podman --read-only mounts tmpfs on /tmp, /var/tmp and /run, with
        # runc's "tmpcopyup" extension (the image's files copied in).
        r = client.run(runtime, ["sh", "-c", "touch /tmp/x /var/tmp/x /run/x && "
                                 "cat /var/tmp/from-image && stat -c %a /tmp"],
                       read_only=True)
        assert r.rc == 0 and r.out == "copied up\n1777\n", r


def test_run_memory_and_pids_limit(client, runtime):
    if client.name == "ctr":
        pytest.skip("ctr 1.6 run has no pids limit and no /sys/fs/cgroup "
                    "mount (its memory limit is checked in test_detached_limits)")
    r = client.run(runtime, ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                             "/sys/fs/cgroup/pids/pids.max"],
                   memory="64m", pids_limit=20)
    assert r.rc == 0, r
    assert r.out.split() == [str(64 << 20), "20"], r


# ---------------------------------------------------------------------------
# a detached container: exec, top, update, pause, stop, rm
# ---------------------------------------------------------------------------

def test_detached_limits(client, runtime):
    """The limits as the host sees them, through the init's cgroup."""
    opts = {"memory": "64m"}
    if client.name != "ctr":
        opts["pids_limit"] = 20
    cid = client.run_detached(runtime, TRAP_TERM, **opts)
    try:
        pid = client.init_pid(runtime, cid)
        assert _host_cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(64 << 20)
        if "pids_limit" in opts:
            assert _host_cgroup_file(pid, "pids", "pids.max") == "20"
    finally:
        client.rm(runtime, cid, force=True)


def test_exec(client, runtime, detached):
    r = client.exec(runtime, detached, ["sh", "-c", "echo execd; echo e >&2; exit 4"])
    assert r.rc == 4, r
    assert r.out == "execd\n", r
    assert r.err.splitlines() == ["e"], r
    cmd = ["sh", "-c", "head -n 1; echo done"] if client.name == "ctr" else \
        ["sh", "-c", "cat; echo done"]
    r = client.exec(runtime, detached, cmd, input="abc\n")
    assert r.rc == 0, r
    assert r.out == "abc\ndone\n", r
    r = client.exec(runtime, detached, ["/no/such/program"])
    assert r.rc != 0, r
    assert client.status(runtime, detached) == "running"


def test_exec_repeated(client, runtime, detached):
    # Back-to-back execs: a start-up race in the runtime shows up as an
    # occasional failure (brownie: "exec failed: <pid>", about 1 in 40).
    for i in range(15):
        r = client.exec(runtime, detached, ["true"])
        assert r.rc == 0, (i, r)


def test_exec_tty(client, runtime, detached):
    r = client.exec(runtime, detached, ["sh", "-c", "tty; exit 6"], tty=True)
    assert r.rc == 6, r
    assert any(line.strip("\r\x00").startswith("/dev/pts/")
               for line in r.out.splitlines()), r


def test_exec_user(client, runtime, detached):
    r = client.exec(runtime, detached, ["id"], user="1000:1000")
    assert r.rc == 0, r
    assert r.out.split()[:2] in (["uid=1000", "gid=1000"],
                                 ["uid=1000(1000)", "gid=1000(1000)"]), r


def test_top(client, runtime, detached):
    pid = client.init_pid(runtime, detached)
    pids = client.top(runtime, detached)
    # the init (host pid) is listed, along with its sleep children
    assert pid in pids, (pid, pids)


def test_update_memory(client, runtime, detached):
    client.update_memory(runtime, detached, "128m")
    pid = client.init_pid(runtime, detached)
    assert _host_cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(128 << 20)
    r = client.exec(runtime, detached,
                    ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"])
    assert r.rc == 0 and r.out.strip() == str(128 << 20), r


def test_pause_unpause(client, runtime, detached):
    pid = client.init_pid(runtime, detached)
    client.pause(runtime, detached)
    assert client.status(runtime, detached) == "paused"
    assert _host_cgroup_file(pid, "freezer", "freezer.state") == "FROZEN"
    client.unpause(runtime, detached)
    assert client.status(runtime, detached) == "running"
    assert _host_cgroup_file(pid, "freezer", "freezer.state") == "THAWED"
    r = client.exec(runtime, detached, ["echo", "alive"])
    assert r.rc == 0 and r.out == "alive\n", r


def test_stop_and_rm_leave_nothing(client, runtime):
    cid = client.run_detached(runtime, TRAP_TERM, memory="64m")
    try:
        pid = client.init_pid(runtime, cid)
        state_dir = client.state_dir(runtime, cid)
        cgroup = client.cgroup(runtime, cid)
        assert state_dir.is_dir(), state_dir
        assert cgroup_dirs(cgroup), cgroup
        start = time.monotonic()
        client.stop(runtime, cid, timeout=20)
        # SIGTERM reached the trap: well before the SIGKILL at 20 s.
        assert time.monotonic() - start < 15
        assert client.status(runtime, cid) == "exited"
        assert client.exit_code(runtime, cid) == 42
        wait_until(lambda: not proc_alive(pid), 10, "the init to be gone")
    finally:
        r = client.rm(runtime, cid)
    assert r.rc == 0, r
    assert not state_dir.exists(), "runtime state left: %s" % state_dir
    assert not cgroup_dirs(cgroup), "cgroups left: %s" % cgroup_dirs(cgroup)


def test_kill_running_container_rm_force(client, runtime):
    """rm -f of a running container: kill 9 then delete (docker/podman);
    ctr: task kill -s SIGKILL, task rm, container rm."""
    cid = client.run_detached(runtime, ["sleep", "1000"])
    pid = client.init_pid(runtime, cid)
    state_dir = client.state_dir(runtime, cid)
    cgroup = client.cgroup(runtime, cid)
    r = client.rm(runtime, cid, force=True)
    assert r.rc == 0, r
    wait_until(lambda: not proc_alive(pid), 10, "the init to be gone")
    assert not state_dir.exists(), "runtime state left: %s" % state_dir
    assert not cgroup_dirs(cgroup), "cgroups left: %s" % cgroup_dirs(cgroup)
