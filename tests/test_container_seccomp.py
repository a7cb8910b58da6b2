"""linux.seccomp in real containers: the filter the container's process
runs under, seen from inside (busybox commands and their error messages),
from `run`'s exit status, and from a seccomp agent listening on
linux.seccomp.listenerPath. The compiler itself is covered by
test_seccomp.py; here every profile goes through create/start/exec."""

import errno
import fcntl
import json
import os
import platform
import select
import shutil
import signal
import socket
import struct
import tempfile
import threading
from pathlib import Path

import pytest

from conftest import make_bundle, sh, started, wait_for

HERE = Path(__file__).resolve().parent
MACHINE = platform.machine()
X86_64 = MACHINE == "x86_64"
SIGSYS_STATUS = 128 + signal.SIGSYS  # 159 on x86 and arm
G = 1 << 30

# Linux's strerror texts, as busybox prints them.
EPERM_TEXT = "Operation not permitted"
ENOSYS_TEXT = "Function not implemented"


def profile(default="SCMP_ACT_ALLOW", *rules, **extra):
    p = {"defaultAction": default, "syscalls": list(rules)}
    p.update(extra)
    return p


def rule(names, action, *args, **extra):
    r = {"names": [names] if isinstance(names, str) else list(names), "action": action}
    if args:
        r["args"] = list(args)
    r.update(extra)
    return r


def arg(index, op, value, value_two=None):
    a = {"index": index, "value": value, "op": "SCMP_CMP_" + op}
    if value_two is not None:
        a["valueTwo"] = value_two
    return a


MKDIR = ["mkdir", "mkdirat"]


def seccomp_bundle(tmp_path, seccomp, args, nnp=True, caps=(), name="bundle", edit=None):
    """A busybox bundle running `args` under linux.seccomp `seccomp`, with
    process.noNewPrivileges = nnp and extra capabilities `caps`."""
    def change(c):
        c["linux"]["seccomp"] = seccomp
        c["process"]["noNewPrivileges"] = nnp
        for kind in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][kind] += list(caps)
        if edit is not None:
            edit(c)
    return make_bundle(tmp_path, name=name, args=args, edit=change)




# ---------------------------------------------------------------------------
# SCMP_ACT_ERRNO
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("errno_ret, text", [(None, EPERM_TEXT), (38, ENOSYS_TEXT),
                                             (errno.EROFS, "Read-only file system")])
def test_denied_syscall_returns_the_errno(rt, tmp_path, errno_ret, text):
    extra = {} if errno_ret is None else {"errnoRet": errno_ret}
    seccomp = profile("SCMP_ACT_ALLOW", rule(MKDIR, "SCMP_ACT_ERRNO", **extra))
    b = seccomp_bundle(tmp_path, seccomp,
                       sh("echo ok; grep '^Seccomp:' /proc/self/status; mkdir /tmp/x; "
                          "echo mkdir=$?; ls -d /tmp/x"))
    r = rt.run(b)
    assert r.rc != 0, r  # ls of the directory that was never made
    assert r.out.splitlines()[:3] == ["ok", "Seccomp:\t2", "mkdir=1"], r
    assert "mkdir: can't create directory '/tmp/x': %s" % text in r.err, r
    assert rt.list_ids() == []


def test_same_commands_without_seccomp(rt, tmp_path):
    """The baseline of the test above: no linux.seccomp, mkdir works."""
    b = make_bundle(tmp_path, args=sh("grep '^Seccomp:' /proc/self/status; "
                                      "mkdir /tmp/x && ls -d /tmp/x"))
    assert rt.output(b) == "Seccomp:\t0\n/tmp/x\n"


def test_default_errno_ret(rt, tmp_path):
    """defaultAction ERRNO with defaultErrnoRet: what the allow list does
    not name (mkdir here) fails with that errno; the rest runs."""
    names = [n for n in DOCKER_NAMES() if n not in MKDIR] + ["clone"]
    seccomp = profile("SCMP_ACT_ERRNO", rule(names, "SCMP_ACT_ALLOW"),
                      defaultErrnoRet=errno.EXDEV)
    b = seccomp_bundle(tmp_path, seccomp, sh("echo ok; mkdir /tmp/x; echo mkdir=$?"))
    r = rt.run(b)
    assert r.rc == 0 and r.out == "ok\nmkdir=1\n", r
    assert "Invalid cross-device link" in r.err, r


# ---------------------------------------------------------------------------
# argument comparisons, driven by busybox commands
# ---------------------------------------------------------------------------

def _chmod_rules(action, op, mask, value):
    # chmod(path, mode) has the mode in arg 1, fchmodat(dirfd, path, mode) in 2.
    return [rule("chmod", action, arg(1, op, mask, value)),
            rule(["fchmodat", "fchmodat2"], action, arg(2, op, mask, value))]


CASES = {
    # ftruncate(fd, length): 5 GiB and 1 GiB have the same low 32 bits, so
    # only a comparison of the high word tells them apart.
    "ftruncate-eq-above-4G": (
        [rule(["ftruncate", "ftruncate64"], "SCMP_ACT_ERRNO", arg(1, "EQ", 5 * G))],
        ["truncate -s 5G /tmp/f"],
        ["truncate -s 1G /tmp/f", "truncate -s 9G /tmp/f", "truncate -s 6G /tmp/f"]),
    "ftruncate-gt-4G": (
        [rule(["ftruncate", "ftruncate64"], "SCMP_ACT_ERRNO", arg(1, "GT", 4 * G))],
        ["truncate -s 4294967297 /tmp/f", "truncate -s 5G /tmp/f"],
        ["truncate -s 4G /tmp/f", "truncate -s 1G /tmp/f", "truncate -s 0 /tmp/f"]),
    "ftruncate-ge-lt-range": (
        # one rule, two tests of arg 1 (split by runc into two ORed rules)
        [rule(["ftruncate", "ftruncate64"], "SCMP_ACT_ERRNO",
              arg(1, "LT", 4096), arg(1, "GE", 8 * G))],
        ["truncate -s 100 /tmp/f", "truncate -s 8G /tmp/f", "truncate -s 10G /tmp/f"],
        ["truncate -s 4096 /tmp/f", "truncate -s 3G /tmp/f", "truncate -s 7G /tmp/f"]),
    "ftruncate-le": (
        [rule(["ftruncate", "ftruncate64"], "SCMP_ACT_ERRNO", arg(1, "LE", 4 * G + 4096))],
        # 3G: the high words decide (0 < 1) though its low word is larger
        ["truncate -s 4294971392 /tmp/f", "truncate -s 3G /tmp/f", "truncate -s 1 /tmp/f"],
        ["truncate -s 4294971393 /tmp/f", "truncate -s 6G /tmp/f"]),
    # chmod's mode: refuse setuid bits (MASKED_EQ), whatever else is in it.
    "chmod-masked-eq-setuid": (
        _chmod_rules("SCMP_ACT_ERRNO", "MASKED_EQ", 0o4000, 0o4000),
        ["chmod u+s /tmp/f", "chmod 4755 /tmp/f"],
        ["chmod 755 /tmp/f", "chmod 2755 /tmp/f", "chmod 1777 /tmp/f"]),
    # odd sizes refused: valueTwo's bits outside the mask do not count, as
    # in libseccomp (so 3 under mask 1 is 1)
    "ftruncate-masked-eq-outside-bits": (
        [rule(["ftruncate", "ftruncate64"], "SCMP_ACT_ERRNO", arg(1, "MASKED_EQ", 1, 3))],
        ["truncate -s 1 /tmp/f", "truncate -s 4294967297 /tmp/f"],
        ["truncate -s 2 /tmp/f", "truncate -s 4294967296 /tmp/f"]),
    # kill(pid, sig): refuse signal 0 to pid 1 only (two args ANDed); in the
    # container's pid namespace the shell is pid 1.
    "kill-and-of-two-args": (
        [rule("kill", "SCMP_ACT_ERRNO", arg(0, "EQ", 1), arg(1, "EQ", 0))],
        ["kill -0 1"],
        ["kill -CONT 1", "sleep 5 & p=$!; kill -0 $p; r=$?; kill $p; exit $r"]),
    "kill-ne": (
        [rule("kill", "SCMP_ACT_ERRNO", arg(1, "NE", signal.SIGCONT))],
        ["kill -0 1", "kill -USR1 1"],
        ["kill -CONT 1"]),
    # setpriority(PRIO_PROCESS, pid, prio), as renice calls it.
    "setpriority-ge": (
        [rule("setpriority", "SCMP_ACT_ERRNO", arg(2, "GE", 10))],
        ["renice 10 -p $$", "renice 19 -p $$"],
        ["renice 5 -p $$", "renice 9 -p $$"]),
}
if X86_64:
    # personality(2), as linux32 (PER_LINUX32, 8) and linux64 (PER_LINUX,
    # 0) call it.
    CASES["personality-eq"] = (
        [rule("personality", "SCMP_ACT_ERRNO", arg(0, "EQ", 8))],
        ["linux32 true"],
        ["linux64 true"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_argument_comparisons(rt, tmp_path, case):
    rules, denied, allowed = CASES[case]
    seccomp = profile("SCMP_ACT_ALLOW", *rules)
    # Each command runs in a subshell; its status is printed on its own line.
    script = ["touch /tmp/f"]
    for i, command in enumerate(denied + allowed):
        script.append("(%s) >/dev/null 2>/tmp/err%d; echo %d=$?" % (command, i, i))
    script.append("for f in /tmp/err*; do cat $f; done")
    b = seccomp_bundle(tmp_path, seccomp, sh("; ".join(script)))
    r = rt.run(b)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    status = dict(line.split("=", 1) for line in lines if "=" in line and line[0].isdigit())
    for i, command in enumerate(denied):
        assert status[str(i)] != "0", (command, r)
    for i, command in enumerate(allowed, len(denied)):
        assert status[str(i)] == "0", (command, r)
    assert r.out.count(EPERM_TEXT) == len(denied), r


def test_conditional_allow_rules_under_a_refusing_default(rt, tmp_path):
    """Docker's way with personality(2): the default refuses, and rules
    allow a few argument values. PER_LINUX (0) and the query 0xffffffff are
    allowed here; PER_LINUX32 (8) falls to the default, ENOSYS."""
    seccomp = profile("SCMP_ACT_ERRNO",
                      rule(DOCKER_NAMES() + ["clone", "socket"], "SCMP_ACT_ALLOW"),
                      *[rule("personality", "SCMP_ACT_ALLOW", arg(0, "EQ", v))
                        for v in (0, 0xFFFFFFFF)],
                      defaultErrnoRet=38)
    b = seccomp_bundle(tmp_path, seccomp,
                       sh("linux64 uname -s; echo linux64=$?; linux32 uname -s; "
                          "echo linux32=$?"))
    r = rt.run(b)
    assert r.out == "Linux\nlinux64=0\nlinux32=1\n", r
    assert ENOSYS_TEXT in r.err, r


# ---------------------------------------------------------------------------
# KILL, TRAP, LOG, ALLOW
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL",
                                    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"])
def test_killing_actions_end_the_process_with_sigsys(rt, tmp_path, action):
    b = seccomp_bundle(tmp_path, profile("SCMP_ACT_ALLOW", rule(MKDIR, action)),
                       ["mkdir", "/tmp/x"])
    r = rt.run(b)
    assert r.rc == SIGSYS_STATUS, r
    assert rt.list_ids() == []


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"])
def test_killing_action_of_a_child(rt, tmp_path, action):
    """The container goes on when a child of its shell is killed: the shell
    sees 128 + SIGSYS."""
    b = seccomp_bundle(tmp_path, profile("SCMP_ACT_ALLOW", rule(MKDIR, action)),
                       sh("(mkdir /tmp/x); echo status=$?; ls -d /tmp/x; echo end"))
    r = rt.run(b)
    assert r.rc == 0, r
    assert r.out == "status=%d\nend\n" % SIGSYS_STATUS, r


def test_trap_can_be_handled_kill_process_cannot(rt, tmp_path):
    """SCMP_ACT_TRAP sends a SIGSYS the process may handle (the syscall then
    fails with ENOSYS); SCMP_ACT_KILL_PROCESS kills whatever the handler.
    `kill` is a builtin of the shell, so the shell itself makes the call."""
    script = sh("trap 'echo caught SIGSYS' SYS; echo before; kill -0 $$; "
                "echo kill=$?; echo after")
    # kill(pid, 0) only: the runtime's own kill calls (none, today) and the
    # shell's other signals are not affected.
    for action in ("SCMP_ACT_TRAP", "SCMP_ACT_KILL_PROCESS"):
        seccomp = profile("SCMP_ACT_ALLOW", rule("kill", action, arg(1, "EQ", 0)))
        b = seccomp_bundle(tmp_path, seccomp, script, name=action)
        r = rt.run(b)
        if action == "SCMP_ACT_TRAP":
            assert r.rc == 0, r
            assert r.out == "before\ncaught SIGSYS\nkill=1\nafter\n", r
        else:
            assert r.rc == SIGSYS_STATUS, r
            assert r.out == "before\n", r


@pytest.mark.parametrize("default, action", [
    ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG"),
    ("SCMP_ACT_LOG", "SCMP_ACT_LOG"),
    ("SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW"),   # mkdir allowed; the rest by name below
    ("SCMP_ACT_LOG", "SCMP_ACT_ALLOW"),
])
def test_log_and_allow_let_the_call_through(rt, tmp_path, default, action):
    rules = [rule(MKDIR, action)]
    if default == "SCMP_ACT_ERRNO":
        # everything a shell needs, but mkdir only through the rule above
        rules.append(rule([n for n in DOCKER_NAMES() if n not in MKDIR] + ["clone"],
                          "SCMP_ACT_ALLOW"))
    b = seccomp_bundle(tmp_path, profile(default, *rules),
                       sh("mkdir /tmp/x && ls -d /tmp/x"))
    assert rt.output(b) == "/tmp/x\n"


def test_log_flag_and_spec_allow_flag(rt, tmp_path):
    b = seccomp_bundle(tmp_path, profile("SCMP_ACT_ALLOW", rule(MKDIR, "SCMP_ACT_ERRNO"),
                                         flags=["SECCOMP_FILTER_FLAG_LOG",
                                                "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                "SECCOMP_FILTER_FLAG_TSYNC"]),
                       sh("mkdir /tmp/x; echo $?"))
    r = rt.run(b)
    assert r.rc == 0 and r.out == "1\n" and EPERM_TEXT in r.err, r


# ---------------------------------------------------------------------------
# SCMP_ACT_NOTIFY and the seccomp agent
# ---------------------------------------------------------------------------

SECCOMP_IOCTL_NOTIF_RECV = (3 << 30) | (80 << 16) | (ord("!") << 8) | 0
SECCOMP_IOCTL_NOTIF_SEND = (3 << 30) | (24 << 16) | (ord("!") << 8) | 1
SECCOMP_IOCTL_NOTIF_ID_VALID = (1 << 30) | (8 << 16) | (ord("!") << 8) | 2
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1


def read_string(pid, address, limit=256):
    """A NUL-terminated string from another process's memory."""
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        mem.seek(address)
        data = mem.read(limit)
    return data.split(b"\0", 1)[0].decode(errors="replace")


class SeccompAgent:
    """A seccomp agent on a unix socket: accepts the runtime's connections,
    keeps each container process state and listener fd, and answers every
    notification with decide(call) -> errno (0: let the call run,
    SECCOMP_USER_NOTIF_FLAG_CONTINUE). One thread polls the socket and all
    listeners until stop(); a listener without users left is closed."""

    def __init__(self, decide):
        # A short directory: a socket path has to fit in 108 bytes.
        self.dir = tempfile.mkdtemp(prefix="bagent-", dir="/tmp")
        self.path = os.path.join(self.dir, "agent.sock")
        self.decide = decide
        self.messages, self.calls, self.errors = [], [], []
        self.fds_received = []
        self._stop = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        listeners = set()
        try:
            while not self._stop.is_set():
                for fd, events in poller.poll(100):
                    if fd == self.sock.fileno():
                        for listener in self._accept():
                            listeners.add(listener)
                            poller.register(listener, select.POLLIN)
                    elif events & select.POLLIN:
                        self._answer(fd)
                    elif events & (select.POLLHUP | select.POLLERR):
                        poller.unregister(fd)  # no process uses the filter any more
                        listeners.discard(fd)
                        os.close(fd)
        except BaseException as e:  # reported by stop()
            self.errors.append(e)
        finally:
            for fd in listeners:
                os.close(fd)

    def _accept(self):
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(10)
            data, ancdata, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16))
            while True:  # the message may come in several parts
                more = conn.recv(65536)
                if not more:
                    break
                data += more
        fds = []
        for level, kind, payload in ancdata:
            if (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS):
                fds += [fd for (fd,) in struct.iter_unpack("i", payload[:len(payload) // 4 * 4])]
        self.fds_received.append(fds)
        self.messages.append(json.loads(data))
        return fds

    def _answer(self, fd):
        notif = bytearray(80)
        try:
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, notif, True)
        except OSError as e:
            if e.errno == errno.ENOENT:  # the caller went away
                return
            raise
        notif_id, pid, _flags, nr, _arch, _ip, *args = struct.unpack("=QIIiIQ6Q", notif)
        call = {"pid": pid, "nr": nr, "args": args}
        try:
            call["path"] = read_string(pid, args[0] if nr == _nr("mkdir") else args[1])
        except OSError:
            call["path"] = None
        try:  # the memory read was of the process that made the call
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, struct.pack("=Q", notif_id))
        except OSError as e:
            if e.errno == errno.ENOENT:
                return
            raise
        self.calls.append(call)
        error = self.decide(call)
        flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE if error == 0 else 0
        try:
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND,
                        bytearray(struct.pack("=QqiI", notif_id, 0, -error, flags)), True)
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise

    def stop(self):
        self._stop.set()
        self.thread.join(15)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        assert not self.thread.is_alive(), "the seccomp agent does not stop"
        if self.errors:
            raise self.errors[0]


def _nr(name):
    """The number of a syscall on this machine's native ABI (None if it
    has no such syscall, like mkdir on aarch64)."""
    import brownie
    tables, _ = brownie._syscall_tables()
    return tables[MACHINE].get(name)


@pytest.fixture
def agent():
    agents = []

    def start(decide):
        a = SeccompAgent(decide)
        agents.append(a)
        return a
    yield start
    for a in agents:
        a.stop()


def notify_profile(path, metadata=None):
    p = profile("SCMP_ACT_ALLOW", rule(MKDIR, "SCMP_ACT_NOTIFY"), listenerPath=path)
    if metadata is not None:
        p["listenerMetadata"] = metadata
    return p


def test_notify_agent_answers_with_an_errno(rt, tmp_path, agent):
    a = agent(lambda call: errno.EXDEV)
    b = seccomp_bundle(tmp_path, notify_profile(a.path, "who=test"), ["mkdir", "/tmp/notified"])
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)
    assert rt.list_ids() == []
    assert len(a.messages) == 1, a.messages
    message = a.messages[0]
    assert message["ociVersion"] and message["fds"] == ["seccompFd"], message
    assert message["pid"] == pid, message
    assert message["metadata"] == "who=test", message
    state = message["state"]
    assert state["id"] == cid and state["pid"] == pid, state
    assert state["bundle"] == str(b) and state["ociVersion"], state
    assert state["status"] in ("created", "running"), state
    assert len(a.fds_received[0]) == 1
    # The call itself: from the container's process, with its path.
    assert [c["path"] for c in a.calls] == ["/tmp/notified"], a.calls
    assert a.calls[0]["pid"] == pid
    assert a.calls[0]["nr"] in (_nr("mkdir"), _nr("mkdirat"))


def test_notify_errno_seen_by_the_process(rt, tmp_path, agent):
    """The agent decides per call (by path, read from the process's memory):
    EXDEV for one directory, "continue" (the kernel runs the call) for the
    other. Notifications of forked children reach the agent too."""
    a = agent(lambda call: errno.EXDEV if call["path"].endswith("/no") else 0)
    b = seccomp_bundle(tmp_path, notify_profile(a.path),
                       sh("mkdir /tmp/no; echo no=$?; mkdir /tmp/yes; echo yes=$?; "
                          "ls -d /tmp/no /tmp/yes"))
    r = rt.run(b)
    assert r.out == "no=1\nyes=0\n/tmp/yes\n", r
    assert "mkdir: can't create directory '/tmp/no': Invalid cross-device link" in r.err, r
    assert sorted(c["path"] for c in a.calls) == ["/tmp/no", "/tmp/yes"], a.calls


def test_notify_listener_path_missing_fails_create(rt, tmp_path):
    b = seccomp_bundle(tmp_path, notify_profile(str(tmp_path / "nobody.sock")),
                       ["mkdir", "/tmp/x"])
    r = rt.cmd("create", "--bundle", b, rt.new_id())
    assert r.rc != 0, r
    assert r.err.startswith("brownie: config.json: linux.seccomp.listenerPath: ") and \
        "nobody.sock: no such file or directory" in r.err, r
    assert rt.list_ids() == []
    (tmp_path / "plain").write_text("")
    b = seccomp_bundle(tmp_path, notify_profile(str(tmp_path / "plain")),
                       ["mkdir", "/tmp/x"], name="plain-file")
    r = rt.cmd("create", "--bundle", b, rt.new_id())
    assert r.rc != 0 and "plain: not a socket" in r.err, r
    assert rt.list_ids() == []


def test_notify_agent_gone_at_start_the_process_never_runs(rt, tmp_path):
    """config-linux.md: if sending to listenerPath fails, an error; and the
    process, whose filter would wait on an agent nobody runs, must not run."""
    import socket
    out = tmp_path / "out"
    out.mkdir()
    path = str(tmp_path / "agent.sock")
    agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    agent.bind(path)
    agent.listen(1)

    def mount_out(c):
        c["mounts"].append({"destination": "/out", "type": "bind", "source": str(out),
                            "options": ["rbind", "rw"]})
    b = seccomp_bundle(tmp_path, notify_profile(path), sh("touch /out/ran"), edit=mount_out)
    cid = rt.create(b)
    agent.close()  # the socket file stays; nobody listens
    r = rt.cmd("start", cid)
    assert r.rc != 0 and "cannot send the seccomp listener" in r.err, r
    rt.wait_status(cid, "stopped")
    assert not (out / "ran").exists()
    rt.ok("delete", cid)
    assert rt.list_ids() == []


def test_exec_into_a_container_with_notify_rules(rt, tmp_path, agent):
    """runc hands the listener of an exec'd process to the agent as well
    (with the exec'd process's pid); an exec must at least not fail."""
    a = agent(lambda call: errno.EXDEV)
    b = seccomp_bundle(tmp_path, notify_profile(a.path), ["sleep", "30"])
    cid = started(rt, b)
    wait_for(lambda: len(a.messages) == 1, what="the agent to get the init's listener")
    init = rt.state(cid)["pid"]
    r = rt.cmd("exec", cid, "sh", "-c", "mkdir /tmp/e; echo $?")
    assert r.rc == 0, r
    assert r.out == "1\n" and "Invalid cross-device link" in r.err, r
    assert len(a.messages) == 2, a.messages
    message = a.messages[1]
    assert message["fds"] == ["seccompFd"] and message["state"]["id"] == cid, message
    assert message["state"]["pid"] == init and message["pid"] != init, message
    assert [c["path"] for c in a.calls] == ["/tmp/e"], a.calls


# ---------------------------------------------------------------------------
# allow lists: what the runtime needs after the filter is in place
# ---------------------------------------------------------------------------

# What busybox (static, glibc) needs to run `echo ok` and exit, found with
# strace -f and by leaving names out one at a time: brk or mmap for malloc,
# mprotect for RELRO, arch_prctl for TLS on x86_64. The names missing on an
# architecture are skipped there (arch_prctl on aarch64).
PROCESS_SYSCALLS = ["execve", "exit_group", "exit", "brk", "mmap", "mprotect",
                    "arch_prctl", "write"]


@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileged"])
def test_minimal_allow_list_starts(rt, tmp_path, nnp):
    """The filter is the runtime's last step before execve, with or without
    noNewPrivileges: the process's own allow list is enough (no prctl,
    setresuid, capset or chdir for the runtime)."""
    seccomp = profile("SCMP_ACT_ERRNO", rule(PROCESS_SYSCALLS, "SCMP_ACT_ALLOW"))
    b = seccomp_bundle(tmp_path, seccomp, ["echo", "ok"], nnp=nnp)
    assert rt.output(b) == "ok\n"
    b2 = seccomp_bundle(tmp_path, seccomp, ["true"], nnp=nnp, name="true")
    assert rt.output(b2) == ""


@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileged"])
def test_minimal_allow_list_as_another_user(rt, tmp_path, nnp):
    """Without noNewPrivileges the runtime keeps CAP_SYS_ADMIN to load the
    filter after the user switch; execve takes it away again."""
    seccomp = profile("SCMP_ACT_ERRNO", rule(PROCESS_SYSCALLS + ["openat", "read",
                                                                 "close", "getuid"],
                                             "SCMP_ACT_ALLOW"))
    b = seccomp_bundle(tmp_path, seccomp,
                       sh("grep -E '^(Uid|CapEff|CapPrm):' /proc/self/status"), nnp=nnp,
                       edit=lambda c: c["process"].update(user={"uid": 1000, "gid": 1000}))
    out = rt.output(b)
    assert "Uid:\t1000\t1000\t1000\t1000" in out, out
    assert "CapEff:\t0000000000000000" in out and "CapPrm:\t0000000000000000" in out, out


@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileged"])
def test_exec_denied_by_the_profile(rt, tmp_path, nnp):
    """A profile that denies execve (and write, so that the runtime cannot
    even report it): the process never runs and `run` fails."""
    names = [n for n in PROCESS_SYSCALLS if n not in ("write", "execve")]
    seccomp = profile("SCMP_ACT_ERRNO", rule(names, "SCMP_ACT_ALLOW"))
    b = seccomp_bundle(tmp_path, seccomp, ["true"], nnp=nnp)
    r = rt.run(b)
    assert r.rc != 0, r
    assert rt.list_ids() == []


# ---------------------------------------------------------------------------
# a Docker-like default profile
# ---------------------------------------------------------------------------

DOCKER_PROFILE = HERE / "docker_default_seccomp.json"
HOST_ARCHS = {
    "x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "aarch64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
}


def docker_profile():
    with open(DOCKER_PROFILE) as f:
        p = json.load(f)
    if MACHINE in HOST_ARCHS:
        p["architectures"] = HOST_ARCHS[MACHINE]
    return p


def DOCKER_NAMES():
    return docker_profile()["syscalls"][0]["names"]


def test_docker_profile_file_shape():
    p = docker_profile()
    assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == 1
    names = DOCKER_NAMES()
    assert 300 <= len(names) == len(set(names)), len(names)
    for dangerous in ("mount", "umount2", "unshare", "setns", "pivot_root", "reboot",
                      "kexec_load", "init_module", "bpf", "ptrace", "keyctl"):
        assert dangerous not in names
    conditional = {r["names"][0] for r in p["syscalls"] if r.get("args")}
    assert {"personality", "clone", "socket"} <= conditional


BUSYBOX_SESSION = r"""
set -e
echo $(ls /)
cat /etc/passwd | wc -l
ps -o pid,comm | grep -c ps
sh -c 'echo nested $((6 * 7))'
( echo subshell ) | cat
sleep 0.1 & wait $!
echo sorted: $(printf 'b\na\nc\n' | sort | tr -d '\n')
echo x | md5sum | cut -c1-8
date +%Y >/dev/null
mkdir -p /tmp/d/e && touch /tmp/d/e/f && ln -s f /tmp/d/e/l && chmod 600 /tmp/d/e/f
echo $(find /tmp/d | sort)
tar -C /tmp -cf - d | tar -tf - | wc -l
head -c 1000 /dev/urandom | wc -c
stat -c %a /tmp/d/e/f
awk 'BEGIN { print "awk", 1 + 1 }'
echo sed | sed s/sed/SED/
id -u; hostname; uname -s
kill -0 $$ && echo signal-ok
mkdir /tmp/www; echo over-http > /tmp/www/index.html
httpd -f -p 127.0.0.1:8080 -h /tmp/www & server=$!
i=0
until wget -q -O /tmp/got http://127.0.0.1:8080/index.html 2>/dev/null; do
  i=$((i+1)); [ $i -lt 200 ]; sleep 0.05
done
kill $server; cat /tmp/got
"""
BUSYBOX_EXPECTED = """bin dev etc home linuxrc proc root sbin sys tmp usr var
2
1
nested 42
subshell
sorted: abc
401b30e3
/tmp/d /tmp/d/e /tmp/d/e/f /tmp/d/e/l
4
1000
600
awk 2
SED
0
brownie
Linux
signal-ok
over-http
"""


def test_docker_profile_runs_a_busybox_session(rt, tmp_path):
    b = seccomp_bundle(tmp_path, docker_profile(), sh(BUSYBOX_SESSION))
    r = rt.run(b)
    assert r.rc == 0, r
    assert r.out == BUSYBOX_EXPECTED, r


def test_docker_profile_is_in_force(rt, tmp_path):
    """With CAP_SYS_ADMIN (so that capabilities are not what stops them),
    unshare, mount and sethostname work without the profile, and fail under
    it: EPERM by default, ENOSYS from its ERRNO rule for sethostname."""
    script = sh("for c in 'unshare -m true' 'mount -t tmpfs t /tmp' 'hostname renamed' "
                "'linux32 true'; do $c && echo ok: $c || echo failed: $c; done; "
                "grep '^Seccomp:' /proc/self/status")
    caps = ["CAP_SYS_ADMIN"]
    plain = make_bundle(tmp_path, name="plain", args=script,
                        edit=lambda c: [c["process"]["capabilities"][k].extend(caps)
                                        for k in ("bounding", "effective", "permitted")])
    r = rt.run(plain)
    assert r.out == ("ok: unshare -m true\nok: mount -t tmpfs t /tmp\nok: hostname renamed\n"
                     "ok: linux32 true\nSeccomp:\t0\n"), r
    b = seccomp_bundle(tmp_path, docker_profile(), script, caps=caps)
    r = rt.run(b)
    assert r.rc == 0, r
    assert r.out == ("failed: unshare -m true\nfailed: mount -t tmpfs t /tmp\n"
                     "failed: hostname renamed\nok: linux32 true\nSeccomp:\t2\n"), r
    assert "unshare(0x20000): %s" % EPERM_TEXT in r.err, r
    assert "mount: permission denied" in r.err, r
    assert "sethostname: %s" % ENOSYS_TEXT in r.err, r


@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileged"])
def test_docker_profile_with_and_without_no_new_privileges(rt, tmp_path, nnp):
    b = seccomp_bundle(tmp_path, docker_profile(), sh("echo ok; grep -E "
                                                      "'^(NoNewPrivs|Seccomp):' /proc/self/status"),
                       nnp=nnp)
    assert rt.output(b) == "ok\nNoNewPrivs:\t%d\nSeccomp:\t2\n" % nnp


def test_seccomp_dump_lists_the_program(rt, tmp_path):
    b = seccomp_bundle(tmp_path, docker_profile(), ["true"])
    r = rt.ok("seccomp-dump", b / "config.json")
    lines = r.out.splitlines()
    assert len(lines) > 50, r
    assert lines[0].split()[:3] == ["0", "ld", "[4]"], lines[0]
    for i, line in enumerate(lines):
        assert line.split()[0] == str(i), line
    text = r.out
    assert "; arch" in text and "; nr" in text and "; args[0]" in text
    assert "ret ALLOW" in text and "ret ERRNO(1)" in text and "ret ERRNO(38)" in text
    assert "ret KILL_PROCESS" in text
    if X86_64:
        assert "X86_64" in text and "X86" in text
    # A config without linux.seccomp: a one-line error.
    plain = make_bundle(tmp_path, name="plain")
    rt.fails("seccomp-dump", plain / "config.json", needles=["linux.seccomp"])


def test_seccomp_dump_of_a_bad_profile_names_the_field(rt, tmp_path):
    b = seccomp_bundle(tmp_path, profile("SCMP_ACT_ALLOW", rule("no_such_syscall",
                                                                 "SCMP_ACT_ERRNO")), ["true"])
    rt.fails("seccomp-dump", b / "config.json", needles=["linux.seccomp.syscalls"])


def test_features_lists_seccomp(rt):
    features = json.loads(rt.ok("features").out)
    sc = features["linux"]["seccomp"]
    assert sc["enabled"] is True
    for action in ("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS",
                   "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE"):
        assert action in sc["actions"]
    assert "SCMP_CMP_MASKED_EQ" in sc["operators"]
    for arch in HOST_ARCHS.get(MACHINE, []):
        assert arch in sc["archs"]
    assert "SECCOMP_FILTER_FLAG_LOG" in sc["supportedFlags"]


# ---------------------------------------------------------------------------
# exec
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileged"])
def test_exec_gets_the_filter(rt, tmp_path, nnp):
    seccomp = profile("SCMP_ACT_ALLOW", rule(MKDIR, "SCMP_ACT_ERRNO", errnoRet=38))
    b = seccomp_bundle(tmp_path, seccomp, ["sleep", "30"], nnp=nnp)
    cid = started(rt, b)
    r = rt.ok("exec", cid, "grep", "^Seccomp", "/proc/self/status")
    assert r.out == "Seccomp:\t2\nSeccomp_filters:\t1\n", r
    r = rt.cmd("exec", cid, "mkdir", "/tmp/from-exec")
    assert r.rc == 1 and ENOSYS_TEXT in r.err, r
    r = rt.ok("exec", "--no-new-privs", cid, "sh", "-c", "mkdir /tmp/e2; echo $?")
    assert r.out == "1\n", r
    rt.ok("kill", cid, "KILL")
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)


def test_exec_with_docker_profile(rt, tmp_path):
    b = seccomp_bundle(tmp_path, docker_profile(), ["sleep", "30"])
    cid = started(rt, b)
    r = rt.ok("exec", cid, "sh", "-c", "ls /proc/1/ >/dev/null; ps -o pid | wc -l; "
              "grep '^Seccomp:' /proc/self/status")
    assert r.out.splitlines()[-1] == "Seccomp:\t2", r
    r = rt.cmd("exec", cid, "unshare", "-m", "true")
    assert r.rc != 0 and EPERM_TEXT in r.err, r
    rt.ok("delete", "--force", cid)
