#!/usr/bin/python3
"""Benchmark brownie against the other OCI runtimes installed (runc, crun).

    /usr/bin/python3 tests/bench.py [--iterations N] [--runs N] [--json]

(`make bench`). Not a pytest test: the name does not start with test_.

What it measures, on a copy of bundles/busybox (process `true`, no
terminal) built in a temporary directory with make-rootfs.sh:

  * the wall time of each runtime command, one phase at a time: run (which
    deletes the container when its process exits), run with a Docker-like
    seccomp profile, create, state (of the created container), start,
    delete (of the stopped container), exec (`true` in a running `sleep`
    container) and kill (SIGKILL to a running `sleep` container). Only the
    runtime command is timed (time.perf_counter around posix_spawn and
    wait4); whatever a phase needs beforehand is done outside the timed
    part. Iterations are interleaved: iteration i runs phase X for every
    runtime (in an order that rotates with i), then phase Y for every
    runtime, so that machine noise hits all of them alike. One warm-up
    iteration is not counted;
  * the peak RSS of each command, in a few extra iterations that run every
    command under the rootfs's static busybox `time` (see calibrate_rss for
    why not the wait4 rusage of the timed runs), and the RSS of the waiting
    init between create and start (/proc/PID/status of the pid file's pid);
  * --runs sequential `run`s of `true` per runtime (total seconds);
  * the size of the seccomp filter brownie compiles for a Docker-like
    default profile (tests/docker_default_seccomp.json if present, else one
    built here from brownie's syscall table), the size of the filter each
    runtime actually loads (PTRACE_SECCOMP_GET_FILTER), and what the
    profile adds to a run.

Output: Markdown for README.md (or JSON with --json) on stdout, progress on
stderr. Every container, state directory, cgroup and temporary file is
removed at the end, also on Ctrl-C, SIGTERM or a failure.

stdlib only. brownie is run as the executable it is (REPO/brownie.py, as
its first line starts it), never through the `python3` on PATH. The
bundle's ociVersion is set to 1.0.2: crun 1.8 refuses 1.3.0 and the config
uses nothing newer.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BROWNIE = REPO / "brownie.py"
BUSYBOX_BUNDLE = REPO / "bundles" / "busybox"
DOCKER_PROFILE = REPO / "tests" / "docker_default_seccomp.json"
PYTHON = "/usr/bin/python3"
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "LANG": "C.UTF-8"}
# Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored
# across execve: give the runtimes the defaults a shell would.
SIGDEF = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM,
          signal.SIGHUP, signal.SIGALRM)

PHASES = ("run", "run-seccomp", "create", "state", "start", "delete", "exec", "kill")
PHASE_TITLES = {
    "run": "run + delete (`run` of `true`)",
    "run-seccomp": "run + delete, Docker seccomp profile",
    "create": "create",
    "state": "state (created)",
    "start": "start",
    "delete": "delete (stopped)",
    "exec": "exec `true` (running)",
    "kill": "kill KILL (running)",
}

# Docker's default capabilities: what decides the cap-gated rules of a
# Docker-format profile (moby's profiles/seccomp/default.json).
DOCKER_CAPS = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
               "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
               "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

# For the built-in Docker-like profile: the x86 syscalls that Docker's
# default profile does not allow a container with the default capabilities
# (privileged: mount, module, clock, keyring, namespace, tracing-by-handle
# calls...; obsolete or never implemented: vm86, afs_syscall...), and those
# it allows only with argument checks (added as separate rules below).
DOCKER_DENIED = set("""
    _sysctl acct add_key bdflush bpf clock_settime clock_settime64
    create_module delete_module fanotify_init finit_module fsconfig fsmount
    fsopen fspick get_kernel_syms get_mempolicy init_module ioperm iopl kcmp
    kexec_file_load kexec_load keyctl listmount lookup_dcookie mbind
    migrate_pages mount mount_setattr move_mount move_pages nfsservctl
    open_by_handle_at open_tree open_tree_attr perf_event_open pidfd_getfd
    pivot_root process_madvise query_module quotactl quotactl_fd reboot
    request_key set_mempolicy set_mempolicy_home_node setdomainname
    sethostname setns settimeofday statmount stime swapoff swapon sysfs
    syslog umount umount2 unshare uselib userfaultfd ustat vhangup vm86
    vm86old
    afs_syscall break ftime getpmsg gtty idle lock mpx nice oldfstat
    oldlstat oldolduname oldstat olduname prof profil putpmsg readdir
    security sgetmask sigaction signal sigpending sigsuspend ssetmask stty
    tuxcall ulimit uprobe uretprobe vserver
    socket personality clone clone3
""".split())


def docker_like_profile(syscall_names):
    """A Docker-like default profile from the x86 syscall names brownie
    knows: allow all but DOCKER_DENIED, plus Docker's argument rules."""
    allowed = sorted(set(syscall_names) - DOCKER_DENIED)
    rules = [{"names": allowed, "action": "SCMP_ACT_ALLOW"},
             {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
              "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]}]
    for persona in (0, 8, 0x20000, 0x20008, 0xffffffff):
        rules.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": persona, "op": "SCMP_CMP_EQ"}]})
    rules.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",  # no CLONE_NEW*
                  "args": [{"index": 0, "value": 0x7E020000,
                            "op": "SCMP_CMP_MASKED_EQ"}]})
    rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": rules}


def docker_to_oci(profile):
    """Resolve a profile in moby's template format (archMap, includes,
    excludes) the way Docker does for an amd64 container with the default
    capabilities. An OCI profile is returned unchanged."""
    syscalls = profile.get("syscalls") or []
    if "archMap" not in profile and not any(
            "includes" in s or "excludes" in s for s in syscalls):
        return profile
    kernel = tuple(int(x) for x in platform.release().split("-")[0].split(".")[:2])
    out = []
    for s in syscalls:
        inc, exc = s.get("includes") or {}, s.get("excludes") or {}
        if inc.get("arches") and "amd64" not in inc["arches"]:
            continue
        if inc.get("caps") and not set(inc["caps"]) <= DOCKER_CAPS:
            continue
        if inc.get("minKernel") and kernel < tuple(
                int(x) for x in inc["minKernel"].split(".")[:2]):
            continue
        if exc.get("arches") and "amd64" in exc["arches"]:
            continue
        if exc.get("caps") and set(exc["caps"]) & DOCKER_CAPS:
            continue
        out.append({k: s[k] for k in ("names", "action", "args", "errnoRet")
                    if s.get(k) is not None})
    result = {k: profile[k] for k in ("defaultAction", "defaultErrnoRet")
              if k in profile}
    result["architectures"] = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    result["syscalls"] = out
    return result


def seccomp_helper():
    """Run as a child (`bench.py --seccomp-helper`) so that importing
    brownie does not grow the benchmark's own memory: print the profile and
    what brownie.compile_seccomp makes of it, as JSON."""
    sys.path.insert(0, str(REPO))
    import brownie
    if DOCKER_PROFILE.exists():
        with open(DOCKER_PROFILE) as f:
            profile = docker_to_oci(json.load(f))
        source = "tests/docker_default_seccomp.json"
    else:
        tables = brownie._syscall_tables()[0]
        names = set(tables["x86_64"]) | set(tables["x86"]) | set(tables["x32"])
        profile = docker_like_profile(names)
        source = "built by bench.py from brownie's syscall table"
    names = {n for rule in profile["syscalls"] for n in rule["names"]}
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        compiled = brownie.compile_seccomp(profile)
        times.append((time.perf_counter() - t0) * 1000)
    only64 = brownie.compile_seccomp(dict(profile, architectures=["SCMP_ARCH_X86_64"]))
    json.dump({"source": source, "names": len(names),
               "rules": len(profile["syscalls"]),
               "instructions": len(compiled["program"]) // 8,
               "instructions_x86_64_only": len(only64["program"]) // 8,
               "compile_ms": statistics.median(times), "profile": profile},
              sys.stdout)


# ---------------------------------------------------------------------------
# running commands
# ---------------------------------------------------------------------------

class CommandTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CommandTimeout()


def _on_term(signum, frame):
    raise KeyboardInterrupt()


class Result:
    def __init__(self, argv, ms, status, out, err, maxrss_kb=None):
        self.argv, self.ms, self.status = argv, ms, status
        self.out, self.err, self.maxrss_kb = out, err, maxrss_kb

    @property
    def ok(self):
        return self.status == 0

    def describe(self):
        what = "exit status %s" % self.status if self.status is not None else "timed out"
        text = (self.err.strip() or self.out.strip()).splitlines()
        return "%s: %s" % (what, text[-1] if text else "(no output)")


class Spawner:
    """posix_spawn + wait4 with stdin /dev/null, stdout and stderr to files,
    the child in a process group of its own (a Ctrl-C reaches only us; we
    stop the command and clean up), and a timeout."""

    def __init__(self, tmp, timeout, busybox=None):
        self.tmp = Path(tmp)
        self.timeout = timeout
        self.busybox = busybox
        self.rss_factor = 1.0

    def run(self, argv, rss=False, timeout=None):
        argv = [str(a) for a in argv]
        rss_file = self.tmp / "cmd.rss"
        if rss:
            argv = [self.busybox, "time", "-f", "%M", "-o", str(rss_file)] + argv
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        out = os.open(self.tmp / "cmd.out", flags, 0o644)
        err = os.open(self.tmp / "cmd.err", flags, 0o644)
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
        pid = None
        status = None
        signal.alarm(timeout or self.timeout)
        try:
            t0 = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, ENV, file_actions=actions,
                                 setpgroup=0, setsigdef=SIGDEF)
            wstatus, _ = wait_child(pid)
            t1 = time.perf_counter()
            pid = None
            # (os.waitstatus_to_exitcode is 3.9+)
            status = (os.WEXITSTATUS(wstatus) if os.WIFEXITED(wstatus)
                      else -os.WTERMSIG(wstatus))
        except CommandTimeout:
            t1 = time.perf_counter()
        finally:
            signal.alarm(0)
            os.close(out)
            os.close(err)
            if pid is not None:  # timed out or interrupted: stop it
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        maxrss = None
        if rss and status is not None:
            try:
                maxrss = int(rss_file.read_text().split()[-1]) / self.rss_factor
            except (OSError, ValueError, IndexError):
                pass
        return Result(argv, (t1 - t0) * 1000, status, _read(self.tmp / "cmd.out"),
                      _read(self.tmp / "cmd.err"), maxrss)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read(65536).decode(errors="replace")
    except OSError:
        return ""


def set_child_subreaper():
    """Orphaned container inits come to us (as to a containerd shim), so we
    can wait for them and reap them."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


_watched = {}  # pid -> None while we wait for it, then (status, rusage)


def wait_child(pid):
    """wait4 for our child `pid`, reaping every other child that exits
    meanwhile. As a subreaper we inherit orphans, a container's processes
    among them, and one left a zombie can stall a runtime: the init of a pid
    namespace does not finish exiting while a zombie of its namespace waits
    for its parent (us), so `delete --force` would wait for it forever."""
    _watched[pid] = None
    try:
        while _watched[pid] is None:
            p, status, ru = os.wait4(-1, 0)
            if p in _watched:
                _watched[p] = (status, ru)
        return _watched[pid]
    finally:
        del _watched[pid]


def _parent_of(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return int(data[data.rindex(b")") + 2:].split()[1])


def wait_exit(pid, timeout=10.0):
    """Wait until pid has exited (reaping it if it is our child)."""
    if _parent_of(pid) == os.getpid():
        signal.alarm(int(timeout) + 1)
        try:
            wait_child(pid)
            return
        except ChildProcessError:
            pass
        finally:
            signal.alarm(0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                data = f.read()
        except OSError:
            return
        if data[data.rindex(b")") + 2:][:1] in (b"Z", b"X"):
            return
        time.sleep(0.002)
    raise CommandTimeout()


def our_children():
    me = str(os.getpid())
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2:].split()
        if fields[1].decode() == me and fields[0] not in (b"Z", b"X"):
            pids.append(int(name))
    return pids


def proc_status(pid, keys=("VmRSS", "RssAnon")):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in keys:
                    out[k] = int(v.split()[0])
    except (OSError, ValueError):
        pass
    return out


# ---------------------------------------------------------------------------
# runtimes and phases
# ---------------------------------------------------------------------------

class Runtime:
    def __init__(self, name, exe, tmp):
        self.name = name
        self.exe = str(exe)
        self.root = Path(tmp) / ("root-" + name)
        self.failed = None      # why the first run failed
        self.version = ""
        self.ids = set()        # containers that may exist

    def argv(self, *args):
        return [self.exe, "--root", str(self.root)] + [str(a) for a in args]


class Bench:
    def __init__(self, opts, tmp):
        self.opts = opts
        self.tmp = Path(tmp)
        self.spawner = Spawner(tmp, opts.timeout)
        self.runtimes = []
        self.bundles = {}
        self.seq = 0
        self.prefix = "bb%d" % os.getpid()
        self.times = {}         # phase -> runtime -> [ms]
        self.rss = {}           # phase -> runtime -> [kB]
        self.init_rss = {}      # runtime -> [{"VmRSS": kB, "RssAnon": kB}]
        self.errors = {}        # runtime -> {message: count}
        self.totals = {}        # runtime -> {"seconds", "runs", "failures"}
        self.seccomp = {}
        self.loaded_filters = {}

    # -- bookkeeping --------------------------------------------------------

    def new_id(self, rt, what):
        self.seq += 1
        cid = "%s-%s-%s-%d" % (self.prefix, rt.name, what, self.seq)
        rt.ids.add(cid)
        return cid

    def error(self, rt, phase, message):
        key = "%s: %s" % (phase, message)
        self.errors.setdefault(rt.name, {})
        self.errors[rt.name][key] = self.errors[rt.name].get(key, 0) + 1

    def note_stderr(self, rt, phase, r):
        """Warnings a successful command printed are errors seen, too."""
        if r.ok and r.err.strip():
            for line in r.err.strip().splitlines():
                self.error(rt, phase, "(exit 0) " + line.strip())

    def cmd(self, rt, phase, *args, rss=False, record=True):
        r = self.spawner.run(rt.argv(*args), rss=rss)
        if not record:
            return r
        if r.ok:
            table = self.rss if rss else self.times
            value = r.maxrss_kb if rss else r.ms
            if value is not None:
                table.setdefault(phase, {}).setdefault(rt.name, []).append(value)
            self.note_stderr(rt, phase, r)
        else:
            self.error(rt, phase, r.describe())
        return r

    def force_delete(self, rt, cid):
        r = self.spawner.run(rt.argv("delete", "--force", cid), timeout=30)
        if r.ok:
            rt.ids.discard(cid)
        else:
            self.error(rt, "cleanup", "delete --force: " + r.describe())

    # -- setup --------------------------------------------------------------

    def build_bundles(self):
        rootfs = self.tmp / "rootfs"
        subprocess.run(["/bin/sh", str(BUSYBOX_BUNDLE / "make-rootfs.sh"), str(rootfs)],
                       check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, **ENV))
        self.spawner.busybox = str(rootfs / "bin" / "busybox")
        with open(BUSYBOX_BUNDLE / "config.json") as f:
            base = json.load(f)
        # crun 1.8 rejects ociVersion 1.3.0 ("unknown version specified");
        # nothing here needs more than 1.0, which every runtime accepts.
        base["ociVersion"] = "1.0.2"
        base["root"]["path"] = str(rootfs)
        base["process"]["terminal"] = False
        base["process"].pop("consoleSize", None)

        def bundle(name, args, seccomp=None):
            cfg = json.loads(json.dumps(base))
            cfg["process"]["args"] = args
            if seccomp is not None:
                cfg["linux"]["seccomp"] = seccomp
            path = self.tmp / ("bundle-" + name)
            path.mkdir()
            with open(path / "config.json", "w") as f:
                json.dump(cfg, f, indent=1)
            self.bundles[name] = str(path)

        bundle("true", ["true"])
        bundle("sleep", ["sleep", "100"])
        profile = self.seccomp.get("profile")
        if profile:
            bundle("seccomp", ["true"], profile)
            bundle("seccomp-sleep", ["sleep", "100"], profile)

    def compile_seccomp(self):
        p = subprocess.run([PYTHON, "-I", str(Path(__file__).resolve()),
                            "--seccomp-helper"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=ENV, timeout=120)
        if p.returncode != 0:
            msg = (p.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
            self.seccomp = {"error": msg}
            self.errors.setdefault("brownie", {})["seccomp compile: " + msg] = 1
            return
        self.seccomp = json.loads(p.stdout)

    def calibrate_rss(self):
        """Why busybox `time`: a child's ru_maxrss starts from the RSS of the
        process it was forked from (exec records the old mm's high-water
        mark; posix_spawn's vfork even lends it ours), so for a command we
        spawn it can never be below this benchmark's own RSS, ~12 MiB. A
        fork from the small static busybox has a floor of ~1.3 MiB.
        busybox 1.35's `time` prints ru_maxrss (already kB on Linux) as if it
        counted pages: learn the factor from a process that reports its own
        peak."""
        code = ("b = bytearray(48 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
                "print([l.split()[1] for l in open('/proc/self/status') "
                "if l.startswith('VmHWM')][0])")
        r = self.spawner.run([PYTHON, "-IS", "-c", code], rss=True)
        truth = int(r.out.strip())
        page_kb = os.sysconf("SC_PAGE_SIZE") / 1024
        ratio = r.maxrss_kb / truth
        self.spawner.rss_factor = min((1.0, page_kb), key=lambda f: abs(f - ratio))
        floor = self.spawner.run([self.spawner.busybox, "true"], rss=True)
        self.rss_floor = floor.maxrss_kb

    def find_runtimes(self):
        candidates = [("brownie", BROWNIE)]
        for name in ("runc", "crun"):
            exe = shutil.which(name, path=ENV["PATH"])
            candidates.append((name, exe))
        self.installed = {}
        for name, exe in candidates:
            if self.opts.runtimes and name not in self.opts.runtimes:
                continue
            self.installed[name] = bool(exe)
            if exe:
                self.runtimes.append(Runtime(name, exe, self.tmp))
        for rt in self.runtimes:
            r = self.spawner.run([rt.exe, "--version"], timeout=30)
            rt.version = (r.out.strip().splitlines() or ["?"])[0]
            # The first run decides whether a runtime works here at all.
            cid = self.new_id(rt, "first")
            r = self.spawner.run(rt.argv("run", "--bundle", self.bundles["true"], cid))
            if not r.ok:
                rt.failed = r.describe()
                self.force_delete(rt, cid)
            else:
                rt.ids.discard(cid)
        return [rt for rt in self.runtimes if not rt.failed]

    # -- one iteration ------------------------------------------------------

    def iteration(self, i, runtimes, rss=False):
        n = len(runtimes)
        order = [runtimes[(i + k) % n] for k in range(n)]
        record = i >= 0  # negative: warm-up
        ctx = {}

        def each(fn):
            for rt in order:
                if ctx.get(rt.name, {}).get("broken"):
                    continue
                try:
                    fn(rt, ctx.setdefault(rt.name, {}))
                except CommandTimeout:
                    self.error(rt, "wait", "container process did not exit")
                    ctx[rt.name]["broken"] = True

        def run(phase, bundle):
            def fn(rt, c):
                cid = self.new_id(rt, "run")
                r = self.cmd(rt, phase, "run", "--bundle", self.bundles[bundle], cid,
                             rss=rss, record=record)
                if r.ok:
                    rt.ids.discard(cid)
                else:
                    self.force_delete(rt, cid)
            return fn

        def create(rt, c):
            cid = self.new_id(rt, "c")
            pid_file = self.tmp / ("pid-" + rt.name)
            if pid_file.exists():
                pid_file.unlink()
            r = self.cmd(rt, "create", "create", "--bundle", self.bundles["true"],
                         "--pid-file", pid_file, cid, rss=rss, record=record)
            c["cid"] = cid
            if not r.ok:
                c["broken"] = True
                self.force_delete(rt, cid)
                return
            c["pid"] = int(pid_file.read_text().strip())
            st = proc_status(c["pid"])
            if record and not rss and st:
                self.init_rss.setdefault(rt.name, []).append(st)

        def simple(phase, command, *after):
            def fn(rt, c):
                r = self.cmd(rt, phase, command, c["cid"], *after, rss=rss, record=record)
                if not r.ok:
                    c["broken"] = True
                    self.force_delete(rt, c["cid"])
            return fn

        def delete(rt, c):
            wait_exit(c["pid"])
            r = self.cmd(rt, "delete", "delete", c["cid"], rss=rss, record=record)
            c["broken"] = True  # done with this container either way
            if r.ok:
                rt.ids.discard(c["cid"])
            else:
                self.force_delete(rt, c["cid"])

        def sleeper(rt, c):
            cid = self.new_id(rt, "s")
            pid_file = self.tmp / ("pid-" + rt.name)
            if pid_file.exists():
                pid_file.unlink()
            c.clear()
            c["cid"] = cid
            for args in (("create", "--bundle", self.bundles["sleep"],
                          "--pid-file", pid_file, cid), ("start", cid)):
                r = self.spawner.run(rt.argv(*args))
                if not r.ok:
                    self.error(rt, "exec/kill setup", "%s: %s" % (args[0], r.describe()))
                    c["broken"] = True
                    self.force_delete(rt, cid)
                    return
            c["pid"] = int(pid_file.read_text().strip())

        def kill(rt, c):
            r = self.cmd(rt, "kill", "kill", c["cid"], "KILL", rss=rss, record=record)
            if r.ok:
                wait_exit(c["pid"])
                r = self.spawner.run(rt.argv("delete", c["cid"]))
                if r.ok:
                    rt.ids.discard(c["cid"])
                    return
            self.force_delete(rt, c["cid"])

        each(run("run", "true"))
        if "seccomp" in self.bundles:
            each(run("run-seccomp", "seccomp"))
        each(create)
        each(simple("state", "state"))
        each(simple("start", "start"))
        each(delete)
        ctx.clear()
        each(sleeper)
        each(simple("exec", "exec", "true"))
        each(kill)
        reap()

    # -- the other measurements --------------------------------------------

    def sequential_runs(self, runtimes):
        for rt in runtimes:
            total, failures = 0.0, 0
            for _ in range(self.opts.runs):
                cid = self.new_id(rt, "seq")
                r = self.spawner.run(rt.argv("run", "--bundle", self.bundles["true"], cid))
                total += r.ms / 1000
                if r.ok:
                    rt.ids.discard(cid)
                else:
                    failures += 1
                    self.error(rt, "sequential run", r.describe())
                    self.force_delete(rt, cid)
            self.totals[rt.name] = {"seconds": total, "runs": self.opts.runs,
                                    "failures": failures}
            log("  %s: %d runs in %.1f s" % (rt.name, self.opts.runs, total))

    def loaded_filter_sizes(self, runtimes):
        """Instructions of the filter(s) each runtime actually loads for the
        profile, read from a running container with PTRACE_SECCOMP_GET_FILTER."""
        if "seccomp-sleep" not in self.bundles:
            return
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.restype = ctypes.c_long
        libc.ptrace.argtypes = (ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                                ctypes.c_void_p)
        for rt in runtimes:
            cid = self.new_id(rt, "filter")
            pid_file = self.tmp / ("pid-" + rt.name)
            r = self.spawner.run(rt.argv("create", "--bundle", self.bundles["seccomp-sleep"],
                                         "--pid-file", pid_file, cid))
            if r.ok:
                r = self.spawner.run(rt.argv("start", cid))
            if not r.ok:
                self.loaded_filters[rt.name] = "error: " + r.describe()
                self.force_delete(rt, cid)
                continue
            pid = int(pid_file.read_text().strip())
            sizes = []
            if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
                try:
                    os.waitpid(pid, 0x40000000)  # __WALL
                    for index in range(16):
                        n = libc.ptrace(0x420c, pid, index, None)  # ..._GET_FILTER
                        if n < 0:
                            break
                        sizes.append(n)
                finally:
                    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
            if sizes:
                self.loaded_filters[rt.name] = sizes
            else:
                self.loaded_filters[rt.name] = "error: %s" % os.strerror(ctypes.get_errno())
            self.force_delete(rt, cid)
            try:
                wait_exit(pid)
            except CommandTimeout:
                pass

    # -- cleanup ------------------------------------------------------------

    def cleanup(self):
        for rt in self.runtimes:
            ids = set(rt.ids)
            try:
                ids |= {n for n in os.listdir(rt.root) if n.startswith(self.prefix)}
            except OSError:
                pass
            for cid in sorted(ids):
                self.force_delete(rt, cid)
        for pid in our_children():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while our_children() and time.monotonic() < deadline:
            reap()
            time.sleep(0.01)
        reap()
        leftovers = remove_cgroups(self.prefix)
        if leftovers:
            log("bench: could not remove cgroups: %s" % " ".join(leftovers))


def remove_cgroups(prefix, top="/sys/fs/cgroup", depth=4):
    """rmdir what a failed delete left of our containers' cgroups."""
    left = []
    for dirpath, dirnames, _ in os.walk(top):
        level = dirpath[len(top):].count("/")
        for d in list(dirnames):
            if d.startswith(prefix):
                path = os.path.join(dirpath, d)
                for sub, _, _ in sorted(os.walk(path), key=lambda w: -len(w[0])):
                    try:
                        os.rmdir(sub)
                    except OSError:
                        pass
                if os.path.exists(path):
                    left.append(path)
                dirnames.remove(d)
        if level >= depth:
            dirnames[:] = []
    return left


def mounts_under(path):
    path = str(path).rstrip("/") + "/"
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            target = line.split()[4].replace("\\040", " ")
            if (target + "/").startswith(path):
                found.append(target)
    return found


def remove_tmp(tmp):
    mounts = mounts_under(tmp)
    if mounts:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        for target in sorted(mounts, key=len, reverse=True):
            libc.umount2(target.encode(), 2)  # MNT_DETACH
        if mounts_under(tmp):
            log("bench: mounts remain under %s; not removing it" % tmp)
            return
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def stats(values):
    if not values:
        return None
    out = {"n": len(values), "median": statistics.median(values),
           "mean": statistics.fmean(values), "min": min(values), "max": max(values)}
    if len(values) >= 2:
        q = statistics.quantiles(values, n=10, method="inclusive")
        out.update(p10=q[0], p90=q[-1], stdev=statistics.stdev(values))
    return out


def system_info(load_start):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = "?"
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=ENV, timeout=10).stdout.decode().strip() or "?"
    except (OSError, subprocess.SubprocessError):
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "kernel": platform.release(), "cpu": cpu, "cpus": os.cpu_count(),
            "python": "%s (%s)" % (platform.python_version(), PYTHON),
            "brownie_commit": commit,
            "load_average": [round(load_start[0], 2), round(os.getloadavg()[0], 2)]}


def build_report(bench, info, elapsed):
    names = ["brownie", "runc", "crun"]
    status = {}
    for name in names:
        rt = next((r for r in bench.runtimes if r.name == name), None)
        if rt is None:
            status[name] = "not installed" if not bench.installed.get(name) else "skipped"
        elif rt.failed:
            status[name] = "failed"
        else:
            status[name] = "ok"
    return {
        "system": info, "elapsed_seconds": elapsed,
        "options": {"iterations": bench.opts.iterations, "warmup": bench.opts.warmup,
                    "rss_iterations": bench.opts.rss_iterations, "runs": bench.opts.runs},
        "runtimes": {rt.name: {"path": rt.exe, "version": rt.version,
                               "status": status[rt.name], "failed": rt.failed}
                     for rt in bench.runtimes},
        "status": status,
        "phases": {ph: {rt: stats(v) for rt, v in bench.times.get(ph, {}).items()}
                   for ph in PHASES},
        "samples_ms": bench.times,
        "peak_rss_kb": {ph: {rt: stats(v) for rt, v in bench.rss.get(ph, {}).items()}
                        for ph in PHASES},
        "rss_floor_kb": getattr(bench, "rss_floor", None),
        "init_rss_kb": {rt: {k: statistics.median([s[k] for s in v if k in s])
                             for k in ("VmRSS", "RssAnon") if any(k in s for s in v)}
                        for rt, v in bench.init_rss.items()},
        "sequential_runs": bench.totals,
        "seccomp": {k: v for k, v in bench.seccomp.items() if k != "profile"},
        "seccomp_loaded_instructions": bench.loaded_filters,
        "errors": bench.errors,
    }


def markdown(rep):
    status = rep["status"]
    names = ["brownie", "runc", "crun"]
    s = rep["system"]
    lines = []
    w = lines.append

    def cell(name, value, fmt):
        if status[name] != "ok":
            return {"failed": "failed", "not installed": "n/a"}.get(status[name], "–")
        return fmt % value if value is not None else "–"

    def median(table, phase, name):
        st = rep[table].get(phase, {}).get(name)
        return st["median"] if st else None

    def ratio(a, b):
        return "%.2f×" % (a / b) if a and b else "–"

    o = rep["options"]
    w("### Benchmark: brownie vs runc vs crun")
    w("")
    w("%s · Linux %s · %s (%s CPUs) · Python %s · brownie %s · load average %.2f → %.2f" % (
        s["date"], s["kernel"], s["cpu"], s["cpus"], s["python"], s["brownie_commit"],
        *s["load_average"]))
    w("")
    vers = [rep["runtimes"][n]["version"].replace(" version ", " ")
            for n in names if n in rep["runtimes"]]
    w("Runtimes: " + "; ".join(vers) + ".")
    for n in names:
        if status[n] == "failed":
            w("**%s failed its first run** and was skipped: `%s`" % (
                n, rep["runtimes"][n]["failed"]))
        elif status[n] == "not installed":
            w("%s is not installed." % n)
    w("")
    w("Median wall time of the runtime command, %d interleaved iterations "
      "(+%d warm-up), busybox bundle, process `true`:" % (o["iterations"], o["warmup"]))
    w("")
    w("| phase | brownie ms | runc ms | crun ms | brownie/runc | brownie/crun |")
    w("|---|---:|---:|---:|---:|---:|")
    for ph in PHASES:
        if ph == "run-seccomp" and not rep["phases"].get(ph):
            continue
        m = {n: median("phases", ph, n) for n in names}
        w("| %s | %s | %s | %s | %s | %s |" % (
            PHASE_TITLES[ph], cell("brownie", m["brownie"], "%.1f"),
            cell("runc", m["runc"], "%.1f"), cell("crun", m["crun"], "%.1f"),
            ratio(m["brownie"], m["runc"]), ratio(m["brownie"], m["crun"])))
    w("")
    w("Peak RSS (MiB) of each command (ru_maxrss, median of %d runs under "
      "busybox `time`; floor %.1f MiB), and the waiting init between create and start:"
      % (o["rss_iterations"], (rep["rss_floor_kb"] or 0) / 1024))
    w("")
    w("| command | brownie | runc | crun |")
    w("|---|---:|---:|---:|")
    for ph in PHASES:
        if not rep["peak_rss_kb"].get(ph):
            continue
        m = {n: median("peak_rss_kb", ph, n) for n in names}
        w("| %s | %s | %s | %s |" % (PHASE_TITLES[ph], *(
            cell(n, m[n] / 1024 if m[n] else None, "%.1f") for n in names)))
    init = rep["init_rss_kb"]
    for key, title in (("VmRSS", "init waiting for start (VmRSS)"),
                       ("RssAnon", "init waiting for start (RssAnon)")):
        w("| %s | %s |" % (title, " | ".join(
            cell(n, init.get(n, {}).get(key, 0) / 1024 if init.get(n, {}).get(key) else None,
                 "%.1f") for n in names)))
    w("")
    if rep["sequential_runs"]:
        w("%d sequential `run`s of `true`:" % o["runs"])
        w("")
        w("| runtime | total s | per run ms |")
        w("|---|---:|---:|")
        for n in names:
            t = rep["sequential_runs"].get(n)
            if t:
                extra = " (%d failed)" % t["failures"] if t["failures"] else ""
                w("| %s | %.1f%s | %.1f |" % (n, t["seconds"], extra,
                                              t["seconds"] * 1000 / t["runs"]))
        w("")
    sc = rep["seccomp"]
    if "error" in sc:
        w("Seccomp: brownie could not compile the profile: `%s`" % sc["error"])
    elif sc:
        w("Seccomp, Docker-like default profile (%s; %d syscall names, %d rules, "
          "SCMP_ACT_ERRNO default, x86_64 + x86 + x32):" % (sc["source"], sc["names"], sc["rules"]))
        w("")
        w("- brownie.compile_seccomp: **%d BPF instructions** (%d for x86_64 only), "
          "compiled in %.1f ms" % (sc["instructions"], sc["instructions_x86_64_only"],
                                   sc["compile_ms"]))
        loaded = rep["seccomp_loaded_instructions"]
        parts = []
        for n in names:
            v = loaded.get(n)
            if isinstance(v, list):
                parts.append("%s %s" % (n, " + ".join(str(x) for x in v)))
            elif v:
                parts.append("%s %s" % (n, v))
        if parts:
            w("- instructions loaded in the container (PTRACE_SECCOMP_GET_FILTER): "
              + ", ".join(parts))
        deltas = []
        for n in names:
            a, b = median("phases", "run-seccomp", n), median("phases", "run", n)
            if a and b:
                deltas.append("%s %+.1f ms" % (n, a - b))
        if deltas:
            w("- cost of the profile on a run (median with − without): " + ", ".join(deltas))
        w("")
    errs = rep["errors"]
    if any(errs.values()):
        w("Errors and warnings seen:")
        w("")
        for n, msgs in errs.items():
            for msg, count in sorted(msgs.items(), key=lambda kv: -kv[1]):
                w("- %s ×%d: `%s`" % (n, count, msg[:300].replace("`", "'")))
        w("")
    w("(`make bench`, %.0f s)" % rep["elapsed_seconds"])
    return "\n".join(lines)


# ---------------------------------------------------------------------------

def main():
    if sys.argv[1:] == ["--seccomp-helper"]:
        seccomp_helper()
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iterations", "-n", type=int, default=50,
                   help="timed iterations of every phase (default 50)")
    p.add_argument("--warmup", type=int, default=1, help="uncounted iterations (1)")
    p.add_argument("--rss-iterations", type=int, default=5,
                   help="iterations measuring peak RSS (5)")
    p.add_argument("--runs", type=int, default=100,
                   help="sequential runs of `true` per runtime (100)")
    p.add_argument("--runtime", dest="runtimes", action="append",
                   choices=("brownie", "runc", "crun"),
                   help="only these runtimes (repeatable; default all installed)")
    p.add_argument("--timeout", type=int, default=60, help="seconds per command")
    p.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    opts = p.parse_args()
    if os.geteuid() != 0:
        log("bench: needs root (the runtimes create namespaces and cgroups)")
        return 2

    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)
    set_child_subreaper()
    started = time.monotonic()
    load_start = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="brownie-bench-")
    bench = Bench(opts, tmp)
    interrupted = False
    try:
        log("bench: compiling the seccomp profile with brownie")
        bench.compile_seccomp()
        log("bench: building the busybox bundle in %s" % tmp)
        bench.build_bundles()
        bench.calibrate_rss()
        working = bench.find_runtimes()
        for rt in bench.runtimes:
            log("bench: %s %s%s" % (rt.name, rt.version,
                                    " FAILED: " + rt.failed if rt.failed else ""))
        if not working:
            raise SystemExit("bench: no runtime works")
        for i in range(-opts.warmup, opts.iterations):
            t0 = time.monotonic()
            bench.iteration(i, working)
            log("bench: %s (%.1f s)" % ("warm-up" if i < 0 else "iteration %d/%d" % (
                i + 1, opts.iterations), time.monotonic() - t0))
        for i in range(opts.rss_iterations):
            bench.iteration(i, working, rss=True)
        log("bench: peak RSS measured (%d iterations)" % opts.rss_iterations)
        if opts.runs:
            log("bench: %d sequential runs per runtime" % opts.runs)
            bench.sequential_runs(working)
        bench.loaded_filter_sizes(working)
    except KeyboardInterrupt:
        interrupted = True
        log("bench: interrupted; cleaning up")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        try:
            bench.cleanup()
        finally:
            remove_tmp(tmp)
    if interrupted:
        return 130
    rep = build_report(bench, system_info(load_start), time.monotonic() - started)
    if opts.json:
        json.dump(rep, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(markdown(rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
