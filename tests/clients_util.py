"""Private daemons and thin client wrappers for test_clients.py.

Each client gets its own daemon (or, for podman, its own storage) in a
temporary directory, never the default sockets, /var/lib/docker, /run/docker
or /var/lib/containers:

    Containerd  containerd with its own config: root, state, grpc and ttrpc
                sockets in the temp dir, the CRI plugin off
    Dockerd     dockerd on a unix socket in the temp dir, its data-root and
                exec-root there, no bridge, no iptables, using Containerd
    Podman      podman with --root/--runroot/--tmpdir in the temp dir, cgroupfs,
                file events, its own containers.conf
    Ctr         ctr against Containerd, in its own namespace, with
                --runc-root and --fifo-dir in the temp dir

All three expose the same small interface (run, run_detached, exec, top,
update_memory, pause, unpause, status, stop, rm, init_pid, state_dir,
cgroup_dir) so that one test body drives any client with any runtime.

Teardown (Daemons.close) is robust to a half-started or broken daemon:
containers removed through the client, then the daemon stopped by PID,
leftover shims/conmons/container processes killed by PID (found by our temp
dir in their command line or mount table), mounts under the temp dir
unmounted, and the cgroups and host dirs the clients created removed when
they did not exist before.
"""

import json
import os
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from conftest import find_processes, host_mounts_under, processes_using

REPO = Path(__file__).resolve().parent.parent
# BROWNIE_CLIENT_RUNTIME lets a patched copy of brownie.py be tried as the
# runtime without touching the repository's file.
BROWNIE = Path(os.environ.get("BROWNIE_CLIENT_RUNTIME") or
               REPO / "brownie.py").resolve()
DOCKER = "/usr/bin/docker"  # Debian's CLI, not a newer one earlier on PATH
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Directories on the host that the clients create by themselves (hard-coded
# in them); removed after the tests if they were not there before.
HOST_DIRS = ["/run/containerd/s", "/run/containerd/runc", "/run/containerd",
             "/run/docker/plugins", "/run/docker", "/var/lib/containers/cache",
             "/var/lib/containers"]
CMD_TIMEOUT = 90


def overlay_supported():
    """overlayfs is in the kernel (else dockerd and podman use vfs)."""
    try:
        with open("/proc/filesystems") as f:
            return any(line.split()[-1:] == ["overlay"] for line in f)
    except OSError:
        return False


def runtime_path(name):
    """The executable registered with the clients for a runtime name."""
    if name == "brownie":
        return str(BROWNIE)
    path = shutil.which("runc") or "/usr/sbin/runc"
    if not os.path.exists(path):
        pytest.skip("runc is not installed")
    return path


# ---------------------------------------------------------------------------
# running client commands
# ---------------------------------------------------------------------------

class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __repr__(self):
        return "<%s: rc=%s\n--- stdout\n%s\n--- stderr\n%s>" % (
            " ".join(map(str, self.argv)), self.rc, self.out, self.err)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def run(argv, input=None, timeout=CMD_TIMEOUT, env=None):
    """Run a client command; stdin is `input` (then closed) or /dev/null.
    On timeout the command (its own session) is SIGKILLed: ctr passes
    SIGTERM on to the container, whose pid 1 ignores it."""
    argv = [str(a) for a in argv]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None
                         else subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = p.communicate(
            input.encode() if isinstance(input, str) else input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(p.pid)
        out, err = p.communicate()
        pytest.fail("timed out after %ss: %r" % (timeout, Result(
            argv, None, out.decode(errors="replace"), err.decode(errors="replace"))))
    return Result(argv, p.returncode, out.decode(errors="replace"),
                  err.decode(errors="replace"))


def run_pty(argv, timeout=CMD_TIMEOUT, env=None, rows=24, cols=80, input=None):
    """Run a client command with a pseudo-terminal as its stdin, stdout and
    stderr (and controlling terminal), as `docker run -t` in a shell has.
    `input` is typed once the command has printed something. Returns a
    Result whose out is everything written to the terminal."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    argv = [str(a) for a in argv]
    pid, master = pty.fork()
    if pid == 0:  # the child: the pty's slave is its terminal now
        try:
            if env is not None:
                os.execve(argv[0], argv, env)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                _kill(pid)
                os.waitpid(pid, 0)
                pytest.fail("timed out after %ss: %r" % (timeout, Result(
                    argv, None, b"".join(chunks).decode(errors="replace"), "")))
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the slave side is closed everywhere
                break
            if not data:
                break
            chunks.append(data)
            if input:
                os.write(master, input.encode() if isinstance(input, str) else input)
                input = None
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(master)
    rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    return Result(argv, rc, b"".join(chunks).decode(errors="replace"), "")


def wait_until(predicate, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for %s" % what)
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# images without a registry
# ---------------------------------------------------------------------------

def make_rootfs_tar(workdir):
    """The busybox rootfs of bundles/busybox/make-rootfs.sh, as a tar, plus
    /var/tmp/from-image."""
    workdir = Path(workdir)
    rootfs = workdir / "rootfs"
    subprocess.run([str(REPO / "bundles" / "busybox" / "make-rootfs.sh"),
                    str(rootfs)], check=True, stdout=subprocess.DEVNULL)
    # A file under a dir that podman --read-only covers with a "tmpcopyup"
    # tmpfs: it must show through.
    (rootfs / "var" / "tmp").mkdir(parents=True, exist_ok=True)
    (rootfs / "var" / "tmp" / "from-image").write_text("copied up\n")
    tar = workdir / "busybox.tar"
    subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf",
                    str(tar), "."], check=True)
    return tar


def make_oci_archive(layer_tar, out, name):
    """An OCI image layout tarball (oci-layout, index.json, blobs) with one
    uncompressed layer, as `ctr images import` takes it; `name` becomes the
    image's reference through the io.containerd.image.name annotation."""
    import hashlib
    import io
    import platform
    layer = Path(layer_tar).read_bytes()

    def digest(data):
        return "sha256:" + hashlib.sha256(data).hexdigest()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(),
                                                       platform.machine())
    config = json.dumps({
        "architecture": arch, "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                           "/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest(layer), "size": len(layer)}],
    }).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest(manifest), "size": len(manifest),
        "annotations": {"io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]},
    }]}).encode()
    with tarfile.open(str(out), "w") as t:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        add("index.json", index)
        for blob in (config, manifest, layer):
            add("blobs/sha256/" + digest(blob)[len("sha256:"):], blob)
    return out


# ---------------------------------------------------------------------------
# processes, mounts, cgroups, host dirs
# ---------------------------------------------------------------------------

def stop_process(proc, timeout=30, sig=signal.SIGTERM):
    """Stop a daemon we started (a Popen): sig, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def unmount_under(path):
    for mp in sorted(host_mounts_under(path), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def cgroup_hierarchies():
    """Mount points of the cgroup hierarchies (v1 controllers, unified)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] in (["cgroup"], ["cgroup2"]):
                out.append(Path(left.split()[4]))
    return out


def cgroup_dirs(rel):
    """The directories of cgroup `rel` (e.g. "docker/<id>") that exist."""
    return [h / rel for h in cgroup_hierarchies() if (h / rel).is_dir()]


def remove_cgroup_tree(path):
    """rmdir a cgroup and its children, deepest first (best effort)."""
    for dirpath, dirnames, _ in sorted(os.walk(str(path)), key=lambda w: -len(w[0])):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


class HostSnapshot:
    """What existed before the daemons started: host dirs, cgroup parents,
    entries in shared runtime state dirs. restore() removes what is new."""

    def __init__(self, cgroup_parents):
        self.cgroup_parents = list(cgroup_parents)
        self.dirs = {d for d in HOST_DIRS if os.path.lexists(d)}
        self.cgroups = {str(p) for name in self.cgroup_parents
                        for p in cgroup_dirs(name)}
        self.shim_sockets = set(_listdir("/run/containerd/s"))

    def restore(self):
        for name in self.cgroup_parents:
            for p in cgroup_dirs(name):
                if str(p) not in self.cgroups:  # never one we found there
                    remove_cgroup_tree(p)
        for entry in set(_listdir("/run/containerd/s")) - self.shim_sockets:
            try:
                os.unlink(os.path.join("/run/containerd/s", entry))
            except OSError:
                pass
        for d in HOST_DIRS:  # deepest first, as listed
            if d not in self.dirs and os.path.isdir(d):
                shutil.rmtree(d, ignore_errors=True)


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


# ---------------------------------------------------------------------------
# the daemons
# ---------------------------------------------------------------------------

def _start(argv, log_path, env=None):
    log = open(str(log_path), "ab")
    try:
        return subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    finally:
        log.close()


def _log_tail(path, n=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


class Containerd:
    """A private containerd. Its shims still put their sockets in the
    hard-coded /run/containerd/s (containerd 1.6)."""

    def __init__(self, tmp):
        self.dir = Path(tmp)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.address = str(self.dir / "containerd.sock")
        self.log = self.dir / "containerd.log"
        self.proc = None
        config = self.dir / "config.toml"
        config.write_text(
            'version = 2\n'
            'root = "%s"\nstate = "%s"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            '[grpc]\n  address = "%s"\n'
            '[ttrpc]\n  address = "%s.ttrpc"\n'
            '[debug]\n  level = "info"\n'
            % (self.dir / "root", self.dir / "state", self.address, self.address))
        self.config = config

    def start(self):
        self.proc = _start(["containerd", "--config", self.config], self.log)
        wait_until(lambda: self.proc.poll() is not None or
                   run(["ctr", "-a", self.address, "version"], timeout=10).rc == 0,
                   30, "containerd to answer")
        if self.proc.poll() is not None:
            pytest.fail("containerd exited: %s" % _log_tail(self.log))

    def namespaces(self):
        r = run(["ctr", "-a", self.address, "namespaces", "ls", "-q"], timeout=30)
        return r.out.split() if r.rc == 0 else []

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            for ns in self.namespaces():
                ctr = ["ctr", "-a", self.address, "-n", ns]
                for task in run(ctr + ["tasks", "ls", "-q"], timeout=30).out.split():
                    run(ctr + ["tasks", "kill", "-s", "SIGKILL", task], timeout=30)
                    run(ctr + ["tasks", "rm", "-f", task], timeout=30)
                for c in run(ctr + ["containers", "ls", "-q"], timeout=30).out.split():
                    run(ctr + ["containers", "rm", c], timeout=30)
        stop_process(self.proc)
        # Shims outlive containerd by design; ours name our socket.
        for pid in find_processes("-address " + self.address):
            _kill(pid)


class Dockerd:
    """A private dockerd on top of a private containerd, with brownie (and
    runc, its default) registered as runtimes."""

    def __init__(self, tmp, containerd):
        self.dir = Path(tmp)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sock = self.dir / "docker.sock"
        self.exec_root = self.dir / "exec"
        self.log = self.dir / "dockerd.log"
        self.env = dict(os.environ, DOCKER_CONFIG=str(self.dir / "cli"))
        self.env.pop("DOCKER_HOST", None)
        self.containerd = containerd
        self.proc = None

    def start(self):
        config = self.dir / "daemon.json"
        config.write_text("{}\n")  # not /etc/docker/daemon.json
        self.proc = _start([
            "dockerd", "--host", "unix://%s" % self.sock,
            "--config-file", config,
            "--data-root", self.dir / "data", "--exec-root", self.exec_root,
            "--pidfile", self.dir / "docker.pid",
            "--containerd", self.containerd.address,
            "--bridge=none", "--iptables=false", "--ip6tables=false",
            "--ip-masq=false",
            "--storage-driver", "overlay2" if overlay_supported() else "vfs",
            "--add-runtime", "brownie=%s" % BROWNIE,
        ], self.log)
        wait_until(lambda: self.proc.poll() is not None or
                   self.cli("version", timeout=10).rc == 0, 60, "dockerd to answer")
        if self.proc.poll() is not None:
            pytest.fail("dockerd exited: %s" % _log_tail(self.log))

    def cli(self, *args, **kw):
        kw.setdefault("env", self.env)
        return run([DOCKER, "-H", "unix://%s" % self.sock] + list(args), **kw)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            ids = self.cli("ps", "-aq", timeout=30).out.split()
            if ids:
                self.cli("rm", "-f", *ids, timeout=60)
        stop_process(self.proc)


class Podman:
    """podman with private storage and its own containers.conf."""

    def __init__(self, tmp):
        self.dir = Path(tmp)
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "containers.conf"
        # podman's default rlimits (nofile and nproc 1048576) are above the
        # hard limits here and, without CAP_SYS_RESOURCE in this sandbox, no
        # runtime may raise them (runc fails the same way): ask for less.
        conf.write_text(
            '[containers]\n'
            'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
            '[engine]\n'
            'cgroup_manager = "cgroupfs"\n'
            'events_logger = "file"\n')
        self.env = dict(os.environ, CONTAINERS_CONF=str(conf))
        self.base = ["podman", "--root", self.dir / "root",
                     "--runroot", self.dir / "runroot",
                     "--tmpdir", self.dir / "tmp",
                     "--network-config-dir", self.dir / "net",
                     "--cgroup-manager=cgroupfs", "--events-backend=file",
                     "--storage-driver", "overlay" if overlay_supported() else "vfs"]

    def cli(self, *args, runtime=None, **kw):
        kw.setdefault("env", self.env)
        rt = ["--runtime", runtime] if runtime else []
        return run(self.base + rt + list(args), **kw)

    def close(self):
        for rt in ("brownie", "runc"):
            if rt == "runc" and not shutil.which("runc"):
                continue
            self.cli("rm", "-af", "-t", "0", runtime=runtime_path(rt), timeout=60)
        # conmon and the exit command name our dirs.
        for pid in find_processes(str(self.dir)):
            _kill(pid)


class Daemons:
    """One temp dir for everything, and a teardown that always runs."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.snapshot = HostSnapshot(["docker", "libpod_parent", "brownie-ctr"])
        self.closers = []

    def add(self, closer):
        self.closers.append(closer)

    def close(self):
        problems = []
        for closer in reversed(self.closers):
            try:
                closer()
            except BaseException as e:  # keep tearing down
                problems.append("%s: %r" % (closer, e))
        for pid in processes_using(self.tmp):
            _kill(pid)
        for pid in find_processes(str(self.tmp)):
            _kill(pid)
        wait_until(lambda: not processes_using(self.tmp), 20,
                   "container processes to die")
        unmount_under(self.tmp)
        self.snapshot.restore()
        left = host_mounts_under(self.tmp)
        if left:
            problems.append("mounts left under %s: %s" % (self.tmp, left))
        else:
            shutil.rmtree(str(self.tmp), ignore_errors=True)
        return problems


# ---------------------------------------------------------------------------
# one interface over docker, podman and ctr
# ---------------------------------------------------------------------------
# Every method takes the runtime name ("brownie" or "runc") first. Options a
# client does not have raise pytest.skip with the reason.

class _Cli:
    """What docker and podman share: the same flags, inspect, top."""
    name = image = None

    def _cli(self, runtime, *args, **kw):
        raise NotImplementedError

    def _run_flags(self, runtime, rm=True, interactive=False, tty=False,
                   user=None, env=None, read_only=False, memory=None,
                   pids_limit=None, detach=False):
        flags = ["run", "--network", "none"]
        flags += ["--rm"] if rm else []
        flags += ["-d"] if detach else []
        flags += ["-i"] if interactive else []
        flags += ["-t"] if tty else []
        flags += ["--user", user] if user else []
        for k, v in (env or {}).items():
            flags += ["-e", "%s=%s" % (k, v)]
        flags += ["--read-only"] if read_only else []
        flags += ["--memory", memory] if memory else []
        flags += ["--pids-limit", str(pids_limit)] if pids_limit else []
        return flags

    def run(self, runtime, cmd, input=None, tty=False, **opts):
        """input: piped to stdin (-i), or typed on the terminal with tty."""
        argv = self._run_flags(runtime, interactive=input is not None,
                               tty=tty, **opts) + [self.image] + list(cmd)
        return self._cli(runtime, *argv, input=input, pty=tty)

    def run_detached(self, runtime, cmd, **opts):
        r = self._cli(runtime, *self._run_flags(runtime, rm=False, detach=True, **opts),
                      self.image, *cmd)
        assert r.rc == 0, r
        return r.out.strip().splitlines()[-1]

    def exec(self, runtime, cid, cmd, input=None, tty=False, user=None):
        argv = ["exec"] + (["-i"] if input is not None else []) + \
            (["-t"] if tty else []) + (["--user", user] if user else []) + \
            [cid] + list(cmd)
        return self._cli(runtime, *argv, input=input, pty=tty)

    def inspect(self, runtime, cid, fmt):
        r = self._cli(runtime, "inspect", "-f", fmt, cid)
        assert r.rc == 0, r
        return r.out.strip()

    def status(self, runtime, cid):
        return self.inspect(runtime, cid, "{{.State.Status}}")

    def exit_code(self, runtime, cid):
        return int(self.inspect(runtime, cid, "{{.State.ExitCode}}"))

    def init_pid(self, runtime, cid):
        return int(self.inspect(runtime, cid, "{{.State.Pid}}"))

    def top(self, runtime, cid):
        """Host pids the client lists for the container."""
        r = self._cli(runtime, "top", cid, *self.top_args)
        assert r.rc == 0, r
        lines = r.out.splitlines()
        col = lines[0].split().index(self.top_column)
        return [int(line.split()[col]) for line in lines[1:] if line.strip()]

    def update_memory(self, runtime, cid, limit):
        r = self._cli(runtime, "update", "--memory", limit, *self.update_extra, cid)
        assert r.rc == 0, r

    def pause(self, runtime, cid):
        r = self._cli(runtime, "pause", cid)
        assert r.rc == 0, r

    def unpause(self, runtime, cid):
        r = self._cli(runtime, "unpause", cid)
        assert r.rc == 0, r

    def stop(self, runtime, cid, timeout=10):
        r = self._cli(runtime, "stop", "-t", str(timeout), cid)
        assert r.rc == 0, r

    def rm(self, runtime, cid, force=False):
        return self._cli(runtime, "rm", *(["-f"] if force else []), cid)


class DockerClient(_Cli):
    name = "docker"
    image = "brownie-test/busybox:latest"
    top_args, top_column = (), "PID"  # runtime ps, then the host's ps -ef
    update_extra = ("--memory-swap", "256m")

    def __init__(self, dockerd, rootfs_tar):
        self.d = dockerd
        r = dockerd.cli("import", rootfs_tar, self.image, timeout=120)
        assert r.rc == 0, r

    def _cli(self, runtime, *args, input=None, pty=False):
        if args and args[0] == "run":
            args = ("run", "--runtime", runtime) + args[1:]
        if pty:
            return run_pty([DOCKER, "-H", "unix://%s" % self.d.sock] + list(args),
                           env=self.d.env, input=input)
        return self.d.cli(*args, input=input)

    def full_id(self, runtime, cid):
        return self.inspect(runtime, cid, "{{.Id}}")

    def state_dir(self, runtime, cid):
        return self.d.exec_root / "runtime-runc" / "moby" / self.full_id(runtime, cid)

    def cgroup(self, runtime, cid):
        return "docker/" + self.full_id(runtime, cid)


class PodmanClient(_Cli):
    name = "podman"
    image = "localhost/brownie-test/busybox:latest"
    top_args, top_column = ("hpid",), "HPID"  # podman reads /proc itself
    update_extra = ()

    def __init__(self, podman, rootfs_tar):
        self.p = podman
        r = podman.cli("import", rootfs_tar, self.image, timeout=120)
        assert r.rc == 0, r

    def _cli(self, runtime, *args, input=None, pty=False):
        rt = runtime_path(runtime)
        if pty:
            return run_pty([shutil.which("podman")] + [str(a) for a in self.p.base[1:]] +
                           ["--runtime", rt] + list(args), env=self.p.env, input=input)
        return self.p.cli(*args, runtime=rt, input=input)

    def full_id(self, runtime, cid):
        return self.inspect(runtime, cid, "{{.Id}}")

    def state_dir(self, runtime, cid):
        # podman passes no --root: the runtime's default state dir.
        root = "/run/brownie" if runtime == "brownie" else "/run/runc"
        return Path(root) / self.full_id(runtime, cid)

    def cgroup(self, runtime, cid):
        return "libpod_parent/libpod-" + self.full_id(runtime, cid)


class CtrClient:
    """ctr run/task: no --user, --pids-limit or update in ctr 1.6; stdin is
    always attached and never closed at EOF (true with runc as well)."""
    name = "ctr"
    image = "docker.io/brownie-test/busybox:latest"
    namespace = "brownie-ctr"

    def __init__(self, containerd, rootfs_tar, tmp):
        self.c = containerd
        self.dir = Path(tmp)
        self.runc_root = self.dir / "runc-root"
        self.fifo_dir = self.dir / "fifo"
        self.fifo_dir.mkdir(parents=True, exist_ok=True)
        self.base = [shutil.which("ctr"), "-a", containerd.address, "-n", self.namespace]
        self._n = 0
        archive = make_oci_archive(rootfs_tar, self.dir / "busybox-oci.tar", self.image)
        r = run(self.base + ["images", "import", archive], timeout=120)
        assert r.rc == 0, r

    def _new_id(self):
        self._n += 1
        return "bt-%d-%d" % (os.getpid(), self._n)

    def _ctr(self, *args, input=None, pty=False):
        if pty:
            return run_pty(self.base + list(args), input=input)
        return run(self.base + list(args), input=input)

    def _run_flags(self, runtime, rm=True, tty=False, user=None, env=None,
                   read_only=False, memory=None, pids_limit=None, detach=False):
        if user:
            pytest.skip("ctr 1.6 run has no --user (tested through task exec --user)")
        if pids_limit:
            pytest.skip("ctr 1.6 run has no pids limit option")
        flags = ["run", "--runc-binary", runtime_path(runtime),
                 "--runc-root", self.runc_root, "--fifo-dir", self.fifo_dir]
        flags += ["--rm"] if rm else []
        flags += ["-d"] if detach else []
        flags += ["-t"] if tty else []
        for k, v in (env or {}).items():
            flags += ["--env", "%s=%s" % (k, v)]
        flags += ["--read-only"] if read_only else []
        flags += ["--memory-limit", str(parse_size(memory))] if memory else []
        return flags

    def run(self, runtime, cmd, input=None, tty=False, **opts):
        cid = self._new_id()
        argv = self._run_flags(runtime, tty=tty, **opts) + [self.image, cid] + list(cmd)
        try:
            return self._ctr(*argv, input=input, pty=tty)
        finally:  # ctr run --rm leaves the container when create fails
            if cid in self.containers():
                self.rm(runtime, cid, force=True)

    def run_detached(self, runtime, cmd, **opts):
        cid = self._new_id()
        r = self._ctr(*self._run_flags(runtime, rm=False, detach=True, **opts),
                      self.image, cid, *cmd)
        assert r.rc == 0, r
        return cid

    def exec(self, runtime, cid, cmd, input=None, tty=False, user=None):
        self._n += 1
        argv = ["tasks", "exec", "--exec-id", "e%d" % self._n,
                "--fifo-dir", self.fifo_dir] + (["-t"] if tty else []) + \
            (["--user", user] if user else []) + [cid] + list(cmd)
        return self._ctr(*argv, input=input, pty=tty)

    def containers(self):
        return self._ctr("containers", "ls", "-q").out.split()

    def _task(self, cid):
        r = self._ctr("tasks", "ls")
        for line in r.out.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == cid:
                return int(fields[1]), fields[2].lower()
        return None

    def status(self, runtime, cid):
        task = self._task(cid)
        return {"stopped": "exited"}.get(task[1], task[1]) if task else "exited"

    def init_pid(self, runtime, cid):
        return self._task(cid)[0]

    def top(self, runtime, cid):
        r = self._ctr("tasks", "ps", cid)
        assert r.rc == 0, r
        return [int(line.split()[0]) for line in r.out.splitlines()[1:] if line.strip()]

    def update_memory(self, runtime, cid, limit):
        pytest.skip("ctr 1.6 has no update command")

    def pause(self, runtime, cid):
        r = self._ctr("tasks", "pause", cid)
        assert r.rc == 0, r

    def unpause(self, runtime, cid):
        r = self._ctr("tasks", "resume", cid)
        assert r.rc == 0, r

    def stop(self, runtime, cid, timeout=10):
        """docker stop's protocol: SIGTERM, SIGKILL after timeout."""
        r = self._ctr("tasks", "kill", "-s", "SIGTERM", cid)
        assert r.rc == 0, r
        deadline = time.monotonic() + timeout
        while self.status(runtime, cid) != "exited":
            if time.monotonic() > deadline:
                self._ctr("tasks", "kill", "-s", "SIGKILL", cid)
                wait_until(lambda: self.status(runtime, cid) == "exited", 20,
                           "task %s to stop" % cid)
                break
            time.sleep(0.1)

    def exit_code(self, runtime, cid):
        # `ctr tasks rm` reports a non-zero status on stderr; keep the task
        # to read it, so this deletes it.
        r = self._ctr("tasks", "rm", cid)
        assert r.rc == 0, r
        import re
        m = re.search(r"exit code (\d+)", r.err)
        return int(m.group(1)) if m else 0

    def rm(self, runtime, cid, force=False):
        if force:
            self._ctr("tasks", "kill", "-s", "SIGKILL", cid)
            if self._task(cid):
                wait_until(lambda: self.status(runtime, cid) == "exited", 20,
                           "task %s to die" % cid)
        if self._task(cid):
            r = self._ctr("tasks", "rm", cid)
            if r.rc != 0:
                return r
        return self._ctr("containers", "rm", cid)

    def state_dir(self, runtime, cid):
        return self.runc_root / self.namespace / cid

    def cgroup(self, runtime, cid):
        return "%s/%s" % (self.namespace, cid)


def parse_size(text):
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = str(text).lower()
    if text[-1:] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)
