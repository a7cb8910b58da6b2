"""Shared fixtures for brownie's test suite.

Every test gets its own state root (``rt.root``) under its tmp_path and its
own bundles, so tests never see each other's containers. brownie is called
the way a user (or podman, or the containerd shim) calls it: as an
executable, with stdout and stderr going to files so that a container that
inherits them can never make a test hang. The teardown of the ``rt``
fixture force-deletes whatever the test left and then checks that nothing
survived: no state directory, no mount under tmp_path, no process we saw,
no process whose mount table shows our rootfs.

Helpers meant for the test modules (``from conftest import ...``):

    BROWNIE            path of brownie.py (the executable)
    make_bundle        a bundle dir from the busybox config, with changes
    copy_rootfs        a copy of the busybox rootfs somewhere else
    wait_for           poll a predicate with a deadline
    proc_alive         is a process (pid, start time) alive and not a zombie
    started            create + start a container
"""

import copy
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BROWNIE = REPO / "brownie.py"
BUSYBOX_BUNDLE = REPO / "bundles" / "busybox"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import brownie  # noqa: E402

_TEMPLATE = {}  # "rootfs": Path of the session's busybox rootfs, "config": dict
_ids = itertools.count(1)


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def wait_for(predicate, timeout=10.0, what="condition", interval=0.02):
    """Call predicate until it returns a true value; return that value.
    Fails the test after `timeout` seconds (a deadline, not an assertion
    about speed: it only bounds how long a broken runtime can stall us)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for %s" % what)
        time.sleep(interval)


def proc_stat(pid):
    """(state letter, start time) of a process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[19])


def started(rt, bundle, **kw):
    """create + start; returns the id once the container is running."""
    cid = rt.create(bundle, **kw)
    rt.ok("start", cid)
    return cid


def proc_alive(pid, start_time=None):
    """True if `pid` runs (not a zombie) and, if given, started at start_time."""
    st = proc_stat(pid)
    if st is None or st[0] in ("Z", "X"):
        return False
    return start_time is None or st[1] == start_time


def host_mounts_under(path):
    """Mount points in our own mount namespace at or below path."""
    path = str(path).rstrip("/")
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return out


def processes_using(path):
    """Pids (other than us) whose mount table mentions path: the inits and
    processes of containers whose rootfs lies under path."""
    needle = str(path).rstrip("/")
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/mountinfo" % name) as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            fields = line.split()
            if len(fields) > 4 and (fields[3].startswith(needle) or
                                    fields[4].startswith(needle)):
                st = proc_stat(int(name))
                if st and st[0] not in ("Z", "X"):
                    found.append(int(name))
                break
    return found


def cgroup_dirs(name):
    """The directories a cgroup called `name` would have, relative to our
    own cgroup, in every mounted hierarchy (brownie's default cgroupsPath
    is the container id, below the creating process's cgroup)."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                own[c] = path
    dirs = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
                continue
            if tail[0] == "cgroup2":
                key = ""
            else:
                opts = [o for o in tail[2].split(",") if o in own]
                if not opts:
                    continue
                key = opts[0]
            rel = own.get(key)
            if rel is None or not rel.startswith(fields[3].rstrip("/")):
                continue
            rel = rel[len(fields[3].rstrip("/")):]
            dirs.append(os.path.join(fields[4], rel.lstrip("/"), name))
    return dirs


def find_processes(needle):
    """Live pids (not ours) whose command line contains the string needle."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmd and proc_alive(int(name)):
            out.append(int(name))
    return out


def _merge(config, changes):
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        elif key in ("process", "linux", "root") and isinstance(value, dict):
            sub = config.setdefault(key, {})
            for k, v in value.items():
                if v is None:
                    sub.pop(k, None)
                else:
                    sub[k] = v
        else:
            config[key] = value


def base_config():
    """A fresh copy of bundles/busybox/config.json."""
    return copy.deepcopy(_TEMPLATE["config"])


def copy_rootfs(dest):
    """A private copy of the session's busybox rootfs at dest."""
    subprocess.run(["cp", "-a", str(_TEMPLATE["rootfs"]), str(dest)], check=True)
    return Path(dest)


def make_bundle(tmp_path, name="bundle", args=None, edit=None,
                rootfs=True, **changes):
    """Make tmp_path/name with config.json from the busybox bundle.

    args     replaces process.args
    changes  top-level keys; "process", "linux" and "root" dicts are merged
             into the existing object (a None value removes a key)
    edit     a function called with the config dict, for anything else
    rootfs   True: a private copy of the busybox rootfs at name/rootfs
             False: no rootfs (the test provides one)
    """
    bundle = Path(tmp_path) / name
    bundle.mkdir(parents=True)
    config = base_config()
    if args is not None:
        config["process"]["args"] = list(args)
    _merge(config, changes)
    if edit is not None:
        edit(config)
    if rootfs:
        copy_rootfs(bundle / "rootfs")
    (bundle / "config.json").write_text(json.dumps(config, indent=2))
    return bundle


def sh(script):
    """process.args running a busybox shell script."""
    return ["sh", "-c", script]


# ---------------------------------------------------------------------------
# calling brownie
# ---------------------------------------------------------------------------

class Result:
    """A finished brownie command. out/err re-read their files, so a
    container that inherited them and wrote later is seen too."""

    def __init__(self, argv, rc, out_path, err_path):
        self.argv, self.rc = argv, rc
        self.out_path, self.err_path = out_path, err_path

    @property
    def out(self):
        return self.out_path.read_text(errors="replace")

    @property
    def err(self):
        return self.err_path.read_text(errors="replace")

    def __repr__(self):
        return "<brownie %s: rc=%s\n--- stdout\n%s--- stderr\n%s>" % (
            " ".join(map(str, self.argv)), self.rc, self.out, self.err)


class Runtime:
    """brownie with one per-test state root."""

    def __init__(self, tmp_path, test_name):
        self.tmp = Path(tmp_path)
        self.root = self.tmp / "state"
        self.seen = {}  # pid -> start time of processes we saw
        self.ids = []  # container ids handed out
        self.dirs = [self.tmp]  # where bundles are: checked for leftovers
        self.finalizers = []  # run after cleanup
        self._name = re.sub(r"[^A-Za-z0-9_.+-]", "-", test_name)[:40].strip("-")
        self._n = itertools.count(1)

    # -- commands -------------------------------------------------------

    def argv(self, *args, global_args=()):
        return [str(BROWNIE), "--root", str(self.root), *global_args,
                *map(str, args)]

    def cmd(self, *args, input=None, timeout=60, global_args=(),
            extra_fds=None, env=None, cwd=None):
        """Run brownie with `args`; stdout/stderr to files. extra_fds
        maps a descriptor number to a file that the shell opens for
        writing there (to pass fd 3 to --preserve-fds, say)."""
        n = next(self._n)
        out_path = self.tmp / ("brownie-%d.out" % n)
        err_path = self.tmp / ("brownie-%d.err" % n)
        argv = self.argv(*args, global_args=global_args)
        run_argv = argv
        if extra_fds:
            redirs = " ".join('%d>>"%s"' % (fd, path) for fd, path in extra_fds.items())
            run_argv = ["/bin/sh", "-c", 'exec "$@" ' + redirs, "sh"] + argv
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            kw = dict(stdout=out, stderr=err, timeout=timeout, env=env, cwd=cwd)
            if input is None:
                kw["stdin"] = subprocess.DEVNULL
            else:
                kw["input"] = input if isinstance(input, bytes) else input.encode()
            p = subprocess.run(run_argv, **kw)
        return Result(argv, p.returncode, out_path, err_path)

    def ok(self, *args, **kw):
        r = self.cmd(*args, **kw)
        assert r.rc == 0, r
        return r

    def fails(self, *args, needles=(), **kw):
        """The command fails with one line "brownie: ..." on stderr that
        contains every string in needles. Returns the Result."""
        r = self.cmd(*args, **kw)
        assert r.rc != 0, r
        lines = r.err.splitlines()
        assert len(lines) == 1, r
        assert lines[0].startswith("brownie: "), r
        for needle in needles:
            assert needle in lines[0], (needle, r)
        return r

    # -- containers -----------------------------------------------------

    def new_id(self):
        cid = "%s-%d-%d" % (self._name, os.getpid(), next(_ids))
        self.ids.append(cid)
        return cid

    def see(self, pid):
        st = proc_stat(pid)
        if pid and st is not None and pid not in self.seen:
            self.seen[pid] = st[1]
        return pid

    def state(self, cid):
        r = self.ok("state", cid)
        st = json.loads(r.out)
        if st.get("pid"):
            self.see(st["pid"])
        return st

    def status(self, cid):
        return self.state(cid)["status"]

    def wait_status(self, cid, want, timeout=10):
        wait_for(lambda: self.status(cid) == want, timeout,
                 "container %s to be %s" % (cid, want))

    def create(self, bundle, *flags, cid=None, **kw):
        """`create` a container (must succeed); returns its id."""
        cid = cid or self.new_id()
        r = self.cmd("create", "--bundle", bundle, *flags, cid, **kw)
        assert r.rc == 0, r
        self.last_create = r
        self.state(cid)
        return cid

    def run(self, bundle, *flags, cid=None, **kw):
        """`run` a container to completion; returns the Result."""
        cid = cid or self.new_id()
        return self.cmd("run", "--bundle", bundle, *flags, cid, **kw)

    def output(self, bundle, *flags, **kw):
        """stdout of a successful `run`."""
        r = self.run(bundle, *flags, **kw)
        assert r.rc == 0, r
        return r.out

    def list_ids(self):
        return self.ok("list", "-q").out.split()

    # -- cleanliness ----------------------------------------------------

    def leftovers(self, timeout=5):
        """What a removed container may not leave behind, as a list of
        problems (empty when clean)."""
        problems = []
        if self.root.exists():
            left = os.listdir(self.root)
            if left:
                problems.append("state root not empty: %s" % left)
        for pid in list(self.seen):
            try:
                os.waitpid(pid, os.WNOHANG)  # ours when we are a subreaper
            except ChildProcessError:
                pass
        deadline = time.monotonic() + timeout
        while True:
            live = [p for p, t in self.seen.items() if proc_alive(p, t)]
            users = [p for d in self.dirs for p in processes_using(d)]
            if not live and not users:
                break
            if time.monotonic() > deadline:
                if live:
                    problems.append("processes still alive: %s" % live)
                if users:
                    problems.append("processes with mounts under %s: %s"
                                    % (self.dirs, users))
                break
            time.sleep(0.02)
        mounts = [m for d in self.dirs for m in host_mounts_under(d)]
        if mounts:
            problems.append("mounts left on the host: %s" % mounts)
        cgroups = [d for cid in self.ids for d in cgroup_dirs(cid)
                   if os.path.isdir(d)]
        if cgroups:
            problems.append("cgroups left: %s" % cgroups)
        return problems

    def assert_nothing_left(self):
        problems = self.leftovers()
        assert not problems, problems

    def cleanup(self):
        problems = []
        if self.root.exists():
            for cid in self.list_ids() + [d for d in os.listdir(self.root)]:
                if (self.root / cid).exists():
                    r = self.cmd("delete", "--force", cid)
                    if r.rc != 0:
                        problems.append("delete --force %s failed: %r" % (cid, r))
        problems += self.leftovers()
        # Leave the machine usable for the next test whatever happened.
        for pid, t in self.seen.items():
            if proc_alive(pid, t):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for mp in sorted((m for d in self.dirs for m in host_mounts_under(d)),
                         key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        return problems


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def busybox_template(tmp_path_factory):
    """The busybox rootfs, built once per session, and the bundle's config."""
    if os.geteuid() != 0:
        pytest.exit("brownie's tests need root", returncode=2)
    rootfs = tmp_path_factory.mktemp("template") / "rootfs"
    subprocess.run([str(BUSYBOX_BUNDLE / "make-rootfs.sh"), str(rootfs)],
                   check=True, stdout=subprocess.DEVNULL)
    with open(BUSYBOX_BUNDLE / "config.json") as f:
        config = json.load(f)
    _TEMPLATE.update(rootfs=rootfs, config=config)
    return rootfs


@pytest.fixture
def rt(tmp_path, request):
    """A Runtime with a private state root; cleans up and checks after."""
    runtime = Runtime(tmp_path, request.node.name)
    yield runtime
    problems = runtime.cleanup()
    for f in runtime.finalizers:
        f()
    if problems:
        pytest.fail("test left things behind: " + "; ".join(problems))


@pytest.fixture
def bundle(tmp_path):
    """The default busybox bundle (its process prints and exits)."""
    return make_bundle(tmp_path)


@pytest.fixture
def public_tmp(rt):
    """A directory that every uid may traverse (tmp_path is below a 0700
    directory): bundles for containers whose root is not host root, such
    as user namespace ones, go here. Watched by rt's leftover checks."""
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="brownie-test-", dir="/tmp"))
    os.chmod(d, 0o711)
    rt.dirs.append(d)

    def remove():
        if not host_mounts_under(d):
            shutil.rmtree(d, ignore_errors=True)
    rt.finalizers.append(remove)  # after rt's own cleanup
    return d


@pytest.fixture
def subreaper():
    """Make the test process a child subreaper for the test, so orphaned
    container inits become our children (as with conmon or the shim)."""
    brownie.prctl(brownie.PR_SET_CHILD_SUBREAPER, 1)
    yield
    brownie.prctl(brownie.PR_SET_CHILD_SUBREAPER, 0)
