"""process.terminal: the pty master handed over a --console-socket
(SCM_RIGHTS, as runc's docs/terminals.md), the test talking to the shell
through it; consoleSize; the slave owned by the process's user; exec -t;
`run` in the foreground as the terminal; and the errors."""

import array
import contextlib
import fcntl
import os
import select
import socket
import struct
import subprocess
import termios
import time

import pytest

from conftest import make_bundle, sh


class ConsoleSocket:
    """A unix socket listening where --console-socket points; `master()`
    accepts one connection and returns the fd it carries."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(30)

    def master(self):
        conn, _ = self.sock.accept()
        with conn:
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_SPACE(fds.itemsize))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:fds.itemsize])
        assert len(fds) == 1, (msg, anc)
        return fds[0]

    def close(self):
        self.sock.close()


@pytest.fixture
def console(tmp_path):
    c = ConsoleSocket(tmp_path / "console.sock")
    yield c
    c.close()


def read_until(fd, needle, timeout=20):
    """Read the pty master until `needle` (bytes) has been seen."""
    data, deadline = b"", time.monotonic() + timeout
    while needle not in data:
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for %r in %r" % (needle, data)
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the slave side is closed
                break
            if not chunk:
                break
            data += chunk
    return data


def terminal_bundle(tmp_path, args, **process):
    def edit(c):
        c["process"]["terminal"] = True
        c["process"].update(process)
    return make_bundle(tmp_path, args=args, edit=edit)


def test_console_socket_hands_over_the_master(rt, tmp_path, console):
    b = terminal_bundle(tmp_path, ["sh"], consoleSize={"height": 33, "width": 111})
    cid = rt.create(b, "--console-socket", console.path)
    master = console.master()
    try:
        rt.ok("start", cid)
        os.write(master, b"stty size; tty; echo marker-$((6*7))\n")
        out = read_until(master, b"marker-42")
        assert b"33 111" in out, out
        assert b"/dev/pts/" in out, out
        os.write(master, b"exit 3\n")
        rt.wait_status(cid, "stopped")
    finally:
        os.close(master)
    rt.ok("delete", cid)


def test_the_pty_belongs_to_the_process_user(rt, tmp_path, console):
    """Programs that reopen their terminal (su, less, script) need it to be
    the user's, as runc makes it."""
    b = terminal_bundle(tmp_path, sh("ls -ln $(tty); echo hi > $(tty) && echo wrote-it"),
                        user={"uid": 1000, "gid": 1000})
    cid = rt.create(b, "--console-socket", console.path)
    master = console.master()
    try:
        rt.ok("start", cid)
        out = read_until(master, b"wrote-it")
        line = [l for l in out.decode().splitlines() if "/dev/pts/" in l][0]
        assert line.split()[2:4] == ["1000", "5"], line  # the group stays tty's
    finally:
        os.close(master)
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)


def test_exec_tty_through_a_console_socket(rt, tmp_path, console):
    b = make_bundle(tmp_path, args=["sleep", "60"])
    cid = rt.create(b)
    rt.ok("start", cid)
    pidfile = tmp_path / "exec.pid"
    r = rt.cmd("exec", "--tty", "--console-socket", console.path, "--detach",
               "--pid-file", pidfile, cid, "sh", "-c", "tty; echo exec-done")
    assert r.rc == 0, r
    assert r.out == "", r
    master = console.master()
    try:
        out = read_until(master, b"exec-done")
        assert b"/dev/pts/" in out, out
    finally:
        os.close(master)
    assert int(pidfile.read_text()) > 0
    rt.ok("delete", "--force", cid)


@contextlib.contextmanager
def run_under_a_pty(rt, bundle, rows=0, cols=0):
    """`run` in the foreground with a pty the test made as its terminal:
    yields (the pty master, the Popen); kills and reaps it in any case."""
    master, slave = os.openpty()
    if rows or cols:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    p = subprocess.Popen(rt.argv("run", "--bundle", bundle, rt.new_id()), stdin=slave,
                         stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        yield master, p
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)


def test_run_in_the_foreground_is_the_terminal(rt, tmp_path):
    """Without a console socket, `run` relays between its own terminal (a
    pty the test made) and the container's."""
    b = terminal_bundle(tmp_path, sh("tty; read line; echo got-$line; exit 5"))
    with run_under_a_pty(rt, b) as (master, p):
        assert b"/dev/pts/" in read_until(master, b"/dev/pts/")
        os.write(master, b"hello\n")
        assert b"got-hello" in read_until(master, b"got-hello")
        assert p.wait(timeout=30) == 5
    assert rt.list_ids() == []


def test_terminal_needs_a_console_socket_to_create(rt, tmp_path):
    b = terminal_bundle(tmp_path, ["sh"])
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["process.terminal", "--console-socket"])
    rt.assert_nothing_left()


def test_console_socket_without_terminal_is_refused(rt, tmp_path, console):
    b = make_bundle(tmp_path)
    rt.fails("create", "--bundle", b, "--console-socket", console.path, rt.new_id(),
             needles=["--console-socket", "process.terminal"])
    rt.assert_nothing_left()


def test_console_socket_nobody_listens_on(rt, tmp_path):
    b = terminal_bundle(tmp_path, ["sh"])
    rt.fails("create", "--bundle", b, "--console-socket", tmp_path / "nobody.sock",
             rt.new_id(), needles=["--console-socket", "cannot connect"])
    rt.assert_nothing_left()


def test_run_in_the_foreground_passes_the_window_size_first(rt, tmp_path):
    """The program sees the caller's terminal size from its first
    instruction (runc), not 0x0 and a SIGWINCH later."""
    b = terminal_bundle(tmp_path, sh("stty size; echo done"))
    with run_under_a_pty(rt, b, 40, 120) as (master, p):
        out = read_until(master, b"done")
        assert b"40 120" in out, out
        assert p.wait(timeout=30) == 0
    assert rt.list_ids() == []
