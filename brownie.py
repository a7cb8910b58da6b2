#!/usr/bin/python3 -IS
"""brownie: an OCI container runtime in one Python file.

brownie implements the OCI Runtime Specification v1.3.0 (config.json, the
lifecycle, the state and the Linux configuration) and the command line that
runc exposes, so Docker, Podman and containerd can use it in place of runc.
It needs nothing but CPython 3.8+ and the C library: every system call goes
through ctypes, the seccomp filter is assembled by hand, cgroups are written
through cgroupfs, and the container's init is this file, executed again.

Read it top to bottom; the sections follow the spec:

    1. libc and system calls          7. devices
    2. errors                         8. process attributes
    3. config loading, validation     9. seccomp
    4. state store                   10. cgroups
    5. namespaces                    11. hooks
    6. rootfs and mounts             12. container init
                                     13. the Container API (lifecycle)
                                     14. commands and CLI

As a library:

    import brownie
    c = brownie.Container.create("demo", bundle="bundles/busybox")
    c.start(); c.wait(); c.delete()
"""

__version__ = "0.1.0"
OCI_VERSION = "1.3.0"

import ctypes
import os
import platform
import signal
import struct
import sys

# ============================================================================
# 1. libc and system calls
# ============================================================================
# Every kernel interface the runtime needs, reached through ctypes. glibc and
# musl both export these names; the few calls a C library may lack
# (pivot_root, seccomp, bpf, pidfd_open) go through syscall(2) with the
# number for this machine's architecture.

_libc = ctypes.CDLL(None, use_errno=True)

MACHINE = platform.machine()
# Syscall numbers the runtime itself calls by number, per architecture.
# aarch64, riscv64 and loongarch64 share the generic table (asm-generic/unistd.h).
_GENERIC_SYSCALLS = {"pivot_root": 41, "seccomp": 277, "bpf": 280,
                     "pidfd_open": 434, "pidfd_send_signal": 424,
                     "close_range": 436}
_SYSCALL_NR = {
    "x86_64": {"pivot_root": 155, "seccomp": 317, "bpf": 321,
               "pidfd_open": 434, "pidfd_send_signal": 424,
               "close_range": 436},
    "aarch64": _GENERIC_SYSCALLS,
    "riscv64": _GENERIC_SYSCALLS,
    "ppc64le": {"pivot_root": 203, "seccomp": 358, "bpf": 361,
                "pidfd_open": 434, "pidfd_send_signal": 424,
                "close_range": 436},
    "s390x": {"pivot_root": 217, "seccomp": 348, "bpf": 351,
              "pidfd_open": 434, "pidfd_send_signal": 424,
              "close_range": 436},
}.get(MACHINE, {})

# clone(2) / unshare(2) / setns(2) flags
CLONE_NEWTIME = 0x00000080
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# mount(2) flags
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_SYNCHRONOUS = 0x10
MS_REMOUNT = 0x20
MS_MANDLOCK = 0x40
MS_DIRSYNC = 0x80
MS_NOSYMFOLLOW = 0x100
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_SILENT = 0x8000
MS_UNBINDABLE = 0x20000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MS_SHARED = 0x100000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000
MS_LAZYTIME = 0x2000000
MNT_DETACH = 0x2
MS_PROPAGATION = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE

# prctl(2) options
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_CLEAR_ALL = 4

_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                        ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong, ctypes.c_ulong]
_libc.syscall.restype = ctypes.c_long


def _fsencode(s):
    return None if s is None else os.fsencode(s)


def _check(ret, what, path=None):
    """Turn a libc -1 return into OSError(errno) naming the call."""
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)), path)
    return ret


def syscall(name, *args):
    """syscall(2) by name, for calls a C library may not wrap."""
    nr = _SYSCALL_NR.get(name)
    if nr is None:
        raise OSError(38, "%s: no syscall number known for %s" % (name, MACHINE))
    return _check(_libc.syscall(nr, *args), name)


def mount(source, target, fstype, flags=0, data=None):
    _check(_libc.mount(_fsencode(source), _fsencode(target), _fsencode(fstype),
                       flags, _fsencode(data)),
           "mount %s on %s" % (source or fstype, target), target)


def umount2(target, flags=0):
    _check(_libc.umount2(_fsencode(target), flags), "umount " + target, target)


def unshare(flags):
    _check(_libc.unshare(flags), "unshare")


def setns(fd, nstype=0):
    _check(_libc.setns(fd, nstype), "setns")


def pivot_root(new_root, put_old):
    syscall("pivot_root", _fsencode(new_root), _fsencode(put_old))


def prctl(option, arg2=0, arg3=0, arg4=0, arg5=0):
    return _check(_libc.prctl(option, arg2, arg3, arg4, arg5), "prctl(%d)" % option)


def sethostname(name):
    b = name.encode()
    _check(_libc.sethostname(b, len(b)), "sethostname")


def setdomainname(name):
    b = name.encode()
    _check(_libc.setdomainname(b, len(b)), "setdomainname")


# ============================================================================
# 2. errors
# ============================================================================
# One hierarchy. Every failure a user can cause is a BrownieError whose text
# names the object (the config field, the container, the argument); the CLI
# prints it as one line "brownie: <text>" and exits non-zero.


class BrownieError(Exception):
    """Base of every error brownie reports to its caller."""


class ConfigError(BrownieError):
    """config.json (or a process.json, a resources JSON) is invalid.

    `field` is the JSON path in the spec's dotted form, e.g.
    linux.namespaces[2].type."""

    def __init__(self, field, message, source="config.json"):
        self.field = field
        self.source = source
        text = "%s: %s" % (field, message) if field else message
        super().__init__("%s: %s" % (source, text) if source else text)


class ContainerError(BrownieError):
    """An operation is not allowed on a container in its current state, or
    the container does not exist (runc's phrases: "container does not exist",
    "container not running")."""


# ============================================================================
# 3. config loading and validation (config.md, config-linux.md)
# ============================================================================
# The bundle's config.json is read and checked once, in the `create` process,
# and turned into a "plan": plain data (dicts, lists, ints, strings) that
# says exactly what the container init must do, in order. The init receives
# the plan through marshal and never parses JSON or judges the config again,
# so every mistake in config.json is reported before anything is set up.

NAMESPACES = {  # spec name -> (clone flag, name under /proc/PID/ns)
    "pid": (CLONE_NEWPID, "pid"),
    "network": (CLONE_NEWNET, "net"),
    "mount": (CLONE_NEWNS, "mnt"),
    "ipc": (CLONE_NEWIPC, "ipc"),
    "uts": (CLONE_NEWUTS, "uts"),
    "user": (CLONE_NEWUSER, "user"),
    "cgroup": (CLONE_NEWCGROUP, "cgroup"),
    "time": (CLONE_NEWTIME, "time"),
}

CAPABILITIES = (  # index == capability number (linux/capability.h)
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
    "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)

RLIMITS = {  # spec name -> resource number (asm-generic/resource.h)
    "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3,
    "RLIMIT_CORE": 4, "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7,
    "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10,
    "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
    "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
}

# Mount options (config.md "mounts", runc's list): name -> (clear, flag).
MOUNT_FLAGS = {
    "defaults": (False, 0), "ro": (False, MS_RDONLY), "rw": (True, MS_RDONLY),
    "suid": (True, MS_NOSUID), "nosuid": (False, MS_NOSUID),
    "dev": (True, MS_NODEV), "nodev": (False, MS_NODEV),
    "exec": (True, MS_NOEXEC), "noexec": (False, MS_NOEXEC),
    "sync": (False, MS_SYNCHRONOUS), "async": (True, MS_SYNCHRONOUS),
    "dirsync": (False, MS_DIRSYNC), "remount": (False, MS_REMOUNT),
    "mand": (False, MS_MANDLOCK), "nomand": (True, MS_MANDLOCK),
    "atime": (True, MS_NOATIME), "noatime": (False, MS_NOATIME),
    "diratime": (True, MS_NODIRATIME), "nodiratime": (False, MS_NODIRATIME),
    "bind": (False, MS_BIND), "rbind": (False, MS_BIND | MS_REC),
    "relatime": (False, MS_RELATIME), "norelatime": (True, MS_RELATIME),
    "strictatime": (False, MS_STRICTATIME),
    "nostrictatime": (True, MS_STRICTATIME),
    "lazytime": (False, MS_LAZYTIME), "nolazytime": (True, MS_LAZYTIME),
    "symfollow": (True, MS_NOSYMFOLLOW), "nosymfollow": (False, MS_NOSYMFOLLOW),
}
MOUNT_PROPAGATION = {
    "private": MS_PRIVATE, "rprivate": MS_PRIVATE | MS_REC,
    "shared": MS_SHARED, "rshared": MS_SHARED | MS_REC,
    "slave": MS_SLAVE, "rslave": MS_SLAVE | MS_REC,
    "unbindable": MS_UNBINDABLE, "runbindable": MS_UNBINDABLE | MS_REC,
}
# Recursive mount attributes (mount_setattr(2) with AT_RECURSIVE):
# name -> (attributes to set, attributes to clear).
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV = 0x1, 0x2, 0x4
MOUNT_ATTR_NOEXEC, MOUNT_ATTR__ATIME, MOUNT_ATTR_NOATIME = 0x8, 0x70, 0x10
MOUNT_ATTR_STRICTATIME, MOUNT_ATTR_NODIRATIME = 0x20, 0x80
MOUNT_ATTR_NOSYMFOLLOW = 0x200000
MOUNT_RECURSIVE_ATTRS = {
    "rro": (MOUNT_ATTR_RDONLY, 0), "rrw": (0, MOUNT_ATTR_RDONLY),
    "rnosuid": (MOUNT_ATTR_NOSUID, 0), "rsuid": (0, MOUNT_ATTR_NOSUID),
    "rnodev": (MOUNT_ATTR_NODEV, 0), "rdev": (0, MOUNT_ATTR_NODEV),
    "rnoexec": (MOUNT_ATTR_NOEXEC, 0), "rexec": (0, MOUNT_ATTR_NOEXEC),
    "rnodiratime": (MOUNT_ATTR_NODIRATIME, 0),
    "rdiratime": (0, MOUNT_ATTR_NODIRATIME),
    "rrelatime": (0, MOUNT_ATTR__ATIME), "rnorelatime": (0, 0),
    "rnoatime": (MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME), "ratime": (0, 0),
    "rstrictatime": (MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME),
    "rnostrictatime": (0, 0),
    "rnosymfollow": (MOUNT_ATTR_NOSYMFOLLOW, 0),
    "rsymfollow": (0, MOUNT_ATTR_NOSYMFOLLOW),
}

# sysctls that belong to a namespace (runc's list): only these may be set,
# since anything else would change the host.
_NAMESPACED_SYSCTLS = {"kernel.msgmax": "ipc", "kernel.msgmnb": "ipc",
                       "kernel.msgmni": "ipc", "kernel.sem": "ipc",
                       "kernel.shmall": "ipc", "kernel.shmmax": "ipc",
                       "kernel.shmmni": "ipc", "kernel.shm_rmid_forced": "ipc",
                       "kernel.hostname": "uts", "kernel.domainname": "uts"}

# Devices every container gets (config-linux.md "Default Devices").
DEFAULT_DEVICES = (  # path, type, major, minor
    ("/dev/null", "c", 1, 3), ("/dev/zero", "c", 1, 5),
    ("/dev/full", "c", 1, 7), ("/dev/random", "c", 1, 8),
    ("/dev/urandom", "c", 1, 9), ("/dev/tty", "c", 5, 0),
)
DEFAULT_DEV_SYMLINKS = (("/proc/self/fd", "/dev/fd"),
                        ("/proc/self/fd/0", "/dev/stdin"),
                        ("/proc/self/fd/1", "/dev/stdout"),
                        ("/proc/self/fd/2", "/dev/stderr"),
                        ("pts/ptmx", "/dev/ptmx"))

HOOK_NAMES = ("prestart", "createRuntime", "createContainer",
              "startContainer", "poststart", "poststop")

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def load_json_file(path, source):
    """Read a JSON object from path; errors name `source` (e.g. config.json)."""
    import json
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigError(None, "cannot read %s: %s" % (path, e.strerror),
                          source) from None
    try:
        obj = json.loads(data)
    except ValueError as e:
        raise ConfigError(None, "invalid JSON: %s" % e, source) from None
    if not isinstance(obj, dict):
        raise ConfigError(None, "must be a JSON object", source)
    return obj


class _Fields:
    """Typed access to one JSON object, naming the field on every error."""

    def __init__(self, obj, field, source="config.json"):
        self.field, self.source = field, source
        if obj is None:
            obj = {}
        if not isinstance(obj, dict):
            raise self.error(None, "must be an object")
        self.obj = obj

    def path(self, key):
        if key is None:
            return self.field
        if isinstance(key, int):
            return "%s[%d]" % (self.field, key)
        return "%s.%s" % (self.field, key) if self.field else key

    def error(self, key, message):
        return ConfigError(self.path(key), message, self.source)

    def get(self, key, kind, default=None, required=False):
        v = self.obj.get(key)
        if v is None:
            if required:
                raise self.error(key, "is required")
            return default
        if kind is int:
            ok = isinstance(v, int) and not isinstance(v, bool)
        else:
            ok = isinstance(v, kind)
        if not ok:
            names = {str: "a string", int: "an integer", bool: "a boolean",
                     list: "an array", dict: "an object"}
            raise self.error(key, "must be %s" % names.get(kind, kind.__name__))
        return v

    def sub(self, key):
        return _Fields(self.obj.get(key), self.path(key), self.source)

    def items(self, key):
        """(index, _Fields) for each object in the array at key."""
        return [(i, _Fields(v, "%s[%d]" % (self.path(key), i), self.source))
                for i, v in enumerate(self.get(key, list, []))]

    def strings(self, key):
        out = self.get(key, list, [])
        for i, s in enumerate(out):
            if not isinstance(s, str):
                raise ConfigError("%s[%d]" % (self.path(key), i),
                                  "must be a string", self.source)
        return out


def _uint(f, key, default=None, bits=64, required=False):
    v = f.get(key, int, default, required)
    if v is not None and not 0 <= v < (1 << bits):
        raise f.error(key, "must be between 0 and %d" % ((1 << bits) - 1))
    return v


def parse_capabilities(f):
    """process.capabilities -> {set name: bitmask}."""
    masks = {}
    for kind in ("bounding", "effective", "permitted", "inheritable", "ambient"):
        mask = 0
        for i, name in enumerate(f.strings(kind)):
            try:
                mask |= 1 << CAPABILITIES.index(name)
            except ValueError:
                raise ConfigError("%s.%s[%d]" % (f.field, kind, i),
                                  "unknown capability %r" % name,
                                  f.source) from None
        masks[kind] = mask
    return masks


def parse_process(p, source="config.json"):
    """config.md "process" -> the init's process plan."""
    args = p.strings("args")
    if not args:
        raise p.error("args", "must name at least the program to run")
    cwd = p.get("cwd", str, required=(source == "config.json"))
    if cwd is None:
        cwd = "/"
    if not cwd.startswith("/"):
        raise p.error("cwd", "must be an absolute path, not %r" % cwd)
    env = p.strings("env")
    for i, e in enumerate(env):
        if "=" not in e:
            raise ConfigError("%s.env[%d]" % (p.field, i),
                              "%r is not of the form KEY=value" % e, source)
    user = p.sub("user")
    rlimits, seen = [], set()
    for i, r in p.items("rlimits"):
        name = r.get("type", str, required=True)
        if name not in RLIMITS:
            raise r.error("type", "unknown rlimit %r" % name)
        if name in seen:
            raise r.error("type", "%s is set twice" % name)
        seen.add(name)
        soft, hard = _uint(r, "soft", required=True), _uint(r, "hard", required=True)
        if soft > hard:
            raise r.error("soft", "%d is above the hard limit %d" % (soft, hard))
        rlimits.append((RLIMITS[name], soft, hard))
    caps = parse_capabilities(p.sub("capabilities"))
    if "capabilities" not in p.obj:
        caps = None
    io = p.sub("ioPriority")
    io_priority = None
    if "ioPriority" in p.obj:
        classes = {"IOPRIO_CLASS_RT": 1, "IOPRIO_CLASS_BE": 2,
                   "IOPRIO_CLASS_IDLE": 3}
        cls = io.get("class", str, required=True)
        if cls not in classes:
            raise io.error("class", "unknown class %r" % cls)
        prio = io.get("priority", int, 0)
        if not 0 <= prio <= 7:
            raise io.error("priority", "must be between 0 and 7")
        io_priority = (classes[cls] << 13) | prio
    console = p.sub("consoleSize")
    oom = p.get("oomScoreAdj", int)
    if oom is not None and not -1000 <= oom <= 1000:
        raise p.error("oomScoreAdj", "must be between -1000 and 1000")
    umask = _uint(user, "umask", bits=32)
    return {
        "args": args, "env": env, "cwd": cwd,
        "terminal": p.get("terminal", bool, False),
        "console_size": (_uint(console, "height", 0, 16),
                         _uint(console, "width", 0, 16)),
        "uid": _uint(user, "uid", 0, 32), "gid": _uint(user, "gid", 0, 32),
        "groups": [_uint(_Fields({"g": g}, user.path("additionalGids[%d]" % i),
                                 source), "g", bits=32)
                   for i, g in enumerate(user.get("additionalGids", list, []))],
        "umask": 0o022 if umask is None else umask,
        "caps": caps, "rlimits": rlimits,
        "no_new_privs": p.get("noNewPrivileges", bool, False),
        "oom_score_adj": oom,
        "apparmor": p.get("apparmorProfile", str),
        "selinux": p.get("selinuxLabel", str),
        "io_priority": io_priority,
    }


def exec_process_plan(base, process_file=None, args=(), env=(), cwd=None,
                      user=None, additional_gids=(), caps=(), tty=False,
                      no_new_privs=False, apparmor=None, label=None):
    """The process of `exec`: a process.json (--process) as it is, or the
    container's own process with runc exec's flags laid over it."""
    if process_file is not None:
        if process_file == "-":
            process_file = "/dev/stdin"
        obj = load_json_file(process_file, "process.json")
        return parse_process(_Fields(obj, "", "process.json"), "process.json")
    if not args:
        raise BrownieError("exec: give a command to run, or --process")
    proc = dict(base or parse_process(_Fields({"args": ["sh"]}, "process")))
    proc["args"] = list(args)
    proc["env"] = list(proc["env"]) + list(env)
    proc["terminal"] = tty
    if cwd is not None:
        proc["cwd"] = cwd
    if user is not None:
        uid, _, gid = user.partition(":")
        try:
            proc["uid"], proc["gid"] = int(uid), int(gid or 0)
        except ValueError:
            raise BrownieError("--user %r: give uid[:gid] as numbers" % user) from None
    if additional_gids:
        proc["groups"] = [int(g) for g in additional_gids]
    if caps:
        extra = parse_capabilities(_Fields({"bounding": list(caps)}, "--cap"))["bounding"]
        proc["caps"] = {k: v | extra for k, v in (proc["caps"] or {
            k: 0 for k in ("bounding", "effective", "permitted",
                           "inheritable", "ambient")}).items()}
    if no_new_privs:
        proc["no_new_privs"] = True
    if apparmor is not None:
        proc["apparmor"] = apparmor
    if label is not None:
        proc["selinux"] = label
    return proc


def parse_hooks(cfg):
    """config.md "hooks" -> {hook name: [hook plan]}."""
    hooks = {}
    h = cfg.sub("hooks")
    for name in HOOK_NAMES:
        out = []
        for i, hook in h.items(name):
            path = hook.get("path", str, required=True)
            if not path.startswith("/"):
                raise hook.error("path", "must be an absolute path, not %r" % path)
            timeout = hook.get("timeout", int)
            if timeout is not None and timeout <= 0:
                raise hook.error("timeout", "must be greater than zero")
            out.append({"name": "%s[%d]" % (name, i), "path": path,
                        "args": hook.strings("args") or [path],
                        "env": hook.strings("env"), "timeout": timeout})
        if out:
            hooks[name] = out
    return hooks


def parse_mount_options(m, options):
    """Split mount options into (flags, propagation, recursive attrs, data)."""
    flags, clear, propagation, data = 0, 0, [], []
    attr_set = attr_clr = 0
    for opt in options:
        if opt in MOUNT_FLAGS:
            off, flag = MOUNT_FLAGS[opt]
            if off:
                flags &= ~flag
                clear |= flag
            else:
                flags |= flag
        elif opt in MOUNT_PROPAGATION:
            propagation.append(MOUNT_PROPAGATION[opt])
        elif opt in MOUNT_RECURSIVE_ATTRS:
            s, c = MOUNT_RECURSIVE_ATTRS[opt]
            attr_set, attr_clr = (attr_set & ~c) | s, (attr_clr & ~s) | c
        elif opt in ("idmap", "ridmap", "tmpcopyup"):
            raise m.error("options", "option %r is not supported by brownie" % opt)
        else:
            data.append(opt)
    return flags, clear, propagation, (attr_set, attr_clr), ",".join(data)


def parse_mounts(cfg, has_userns):
    """config.md "mounts" -> an ordered list of mount steps for the init."""
    steps = []
    for i, m in cfg.items("mounts"):
        dest = m.get("destination", str, required=True)
        if not dest.startswith("/"):
            raise m.error("destination", "must be an absolute path, not %r" % dest)
        fstype = m.get("type", str)
        source = m.get("source", str)
        options = m.strings("options")
        flags, clear, propagation, attrs, data = parse_mount_options(m, options)
        if "uidMappings" in m.obj or "gidMappings" in m.obj:
            raise m.error("uidMappings", "idmapped mounts are not supported by brownie")
        bind = bool(flags & MS_BIND) or fstype == "bind"
        if bind:
            if not source:
                raise m.error("source", "is required for a bind mount")
            flags |= MS_BIND
        elif not fstype:
            raise m.error("type", "is required (or use the bind option)")
        steps.append({
            "field": m.field, "source": source, "dest": dest,
            "type": "bind" if bind else fstype, "flags": flags,
            "propagation": propagation, "attrs": attrs, "data": data,
        })
    return steps


def parse_id_mappings(f, key):
    out = []
    for i, m in f.items(key):
        out.append((_uint(m, "containerID", bits=32, required=True),
                    _uint(m, "hostID", bits=32, required=True),
                    _uint(m, "size", bits=32, required=True)))
    return out


def parse_devices(linux):
    devices = []
    for i, d in linux.items("devices"):
        path = d.get("path", str, required=True)
        if not path.startswith("/"):
            raise d.error("path", "must be an absolute path, not %r" % path)
        kind = d.get("type", str, required=True)
        if kind not in ("c", "b", "u", "p"):
            raise d.error("type", "must be c, b, u or p, not %r" % kind)
        major = d.get("major", int, required=(kind != "p"))
        minor = d.get("minor", int, required=(kind != "p"))
        mode = _uint(d, "fileMode", 0o666, bits=32)
        devices.append((path, kind, major or 0, minor or 0, mode,
                        _uint(d, "uid", 0, 32), _uint(d, "gid", 0, 32)))
    return devices


def resolve_bundle_path(bundle, path):
    return os.path.normpath(path if path.startswith("/") else os.path.join(bundle, path))


def build_plan(config, bundle, container_id, no_pivot=False, preserve_fds=0):
    """Validate config.json and turn it into the init's plan (plain data)."""
    cfg = _Fields(config, "")
    version = cfg.get("ociVersion", str, required=True)
    if not version.startswith("1."):
        raise cfg.error("ociVersion", "unsupported version %r (brownie implements %s)"
                        % (version, OCI_VERSION))
    root = cfg.sub("root")
    rootfs = resolve_bundle_path(bundle, root.get("path", str, required=True))
    if not os.path.isdir(rootfs):
        raise root.error("path", "%s is not a directory" % rootfs)
    linux = cfg.sub("linux")
    namespaces, seen = [], {}
    for i, ns in linux.items("namespaces"):
        kind = ns.get("type", str, required=True)
        if kind not in NAMESPACES:
            raise ns.error("type", "unknown namespace %r" % kind)
        if kind in seen:
            raise ns.error("type", "namespace %r is listed twice" % kind)
        path = ns.get("path", str)
        if path is not None and not os.path.exists(path):
            raise ns.error("path", "%s does not exist" % path)
        seen[kind] = path
        namespaces.append((kind, path))
    new_ns = {k for k, p in seen.items() if p is None}
    any_ns = set(seen)
    uid_map = parse_id_mappings(linux, "uidMappings")
    gid_map = parse_id_mappings(linux, "gidMappings")
    if (uid_map or gid_map) and "user" not in new_ns:
        raise linux.error("uidMappings", "mappings need a new user namespace "
                          "(linux.namespaces has no \"user\" without a path)")
    if "user" in new_ns and not (uid_map and gid_map):
        raise linux.error("uidMappings", "a new user namespace needs "
                          "uidMappings and gidMappings")
    hostname = cfg.get("hostname", str)
    domainname = cfg.get("domainname", str)
    for key, value in (("hostname", hostname), ("domainname", domainname)):
        if value and "uts" not in any_ns:
            raise cfg.error(key, "cannot be set without a uts namespace "
                            "(it would rename the host)")
    time_offsets = None
    if "timeOffsets" in linux.obj:
        if "time" not in new_ns:
            raise linux.error("timeOffsets", "needs a new time namespace")
        lines = []
        for clock, off in linux.sub("timeOffsets").obj.items():
            if clock not in ("monotonic", "boottime"):
                raise linux.error("timeOffsets", "unknown clock %r" % clock)
            o = _Fields(off, linux.path("timeOffsets.%s" % clock))
            lines.append("%s %d %d\n" % (clock, o.get("secs", int, 0),
                                         _uint(o, "nanosecs", 0, 32)))
        time_offsets = "".join(lines)
    sysctl = []
    for key, value in sorted(linux.get("sysctl", dict, {}).items()):
        ns = _NAMESPACED_SYSCTLS.get(key)
        if ns is None:
            if key.startswith("fs.mqueue."):
                ns = "ipc"
            elif key.startswith("net."):
                ns = "network"
            else:
                raise linux.error("sysctl", "%r is not a namespaced sysctl and "
                                  "would change the host" % key)
        if ns not in any_ns:
            raise linux.error("sysctl", "%r needs a %s namespace" % (key, ns))
        if not isinstance(value, str):
            raise linux.error("sysctl", "value of %r must be a string" % key)
        sysctl.append((key, value))
    mounts = parse_mounts(cfg, "user" in new_ns)
    process = None
    if "process" in config:
        process = parse_process(cfg.sub("process"))
    propagation = linux.get("rootfsPropagation", str)
    if propagation is not None and propagation not in MOUNT_PROPAGATION:
        raise linux.error("rootfsPropagation", "unknown propagation %r" % propagation)
    personality = None
    if "personality" in linux.obj:
        pers = linux.sub("personality")
        domains = {"LINUX": 0, "LINUX32": 8}
        dom = pers.get("domain", str, required=True)
        if dom not in domains:
            raise pers.error("domain", "unknown domain %r" % dom)
        personality = domains[dom]
    dev_is_bind = any(m["dest"] == "/dev" and m["type"] == "bind" for m in mounts)
    return {
        "id": container_id, "bundle": bundle, "rootfs": rootfs,
        "readonly_root": root.get("readonly", bool, False),
        "root_propagation": MOUNT_PROPAGATION.get(propagation or "rslave"),
        "rootfs_propagation_set": propagation is not None,
        "no_pivot": no_pivot,
        "namespaces": namespaces, "uid_map": uid_map, "gid_map": gid_map,
        "time_offsets": time_offsets,
        "hostname": hostname, "domainname": domainname,
        "mounts": mounts, "setup_dev": not dev_is_bind,
        "devices": parse_devices(linux),
        "masked": linux.strings("maskedPaths"),
        "readonly": linux.strings("readonlyPaths"),
        "mount_label": linux.get("mountLabel", str),
        "sysctl": sysctl, "personality": personality,
        "process": process,
        "hooks": parse_hooks(cfg),
        "annotations": cfg.get("annotations", dict, {}),
        "preserve_fds": preserve_fds,
    }

# ============================================================================
# 4. state store (runtime.md "State")
# ============================================================================
# Each container is a directory ROOT/ID holding state.json: the spec's state
# plus what later commands need (the init's start time, cgroup paths, hooks).
# The directory is created with mkdir, so two `create`s of one ID cannot both
# win; every command that changes a container holds flock() on the directory,
# so racing commands are serialised; state.json is replaced by rename, so a
# reader never sees half a file.

DEFAULT_ROOT = "/run/brownie"
_ID_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_+-.")


def check_container_id(container_id):
    if (not container_id or container_id in (".", "..")
            or not set(container_id) <= _ID_OK):
        raise BrownieError("invalid container id %r (use letters, digits "
                           "and _+-.)" % container_id)


def process_start_time(pid):
    """Field 22 of /proc/PID/stat (clock ticks since boot), or None when the
    process is gone or a zombie. With the pid it names one process for good:
    a recycled pid has another start time."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def utc_now_rfc3339():
    import time
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
        ".%09dZ" % (ns % 10**9)


class StateDir:
    """The state directory of one container, locked while held."""

    def __init__(self, root, container_id):
        check_container_id(container_id)
        self.root = root
        self.id = container_id
        self.path = os.path.join(root, container_id)
        self.fd = None

    def make(self):
        """Create and lock the directory; fails if the id is taken."""
        os.makedirs(self.root, mode=0o711, exist_ok=True)
        try:
            os.mkdir(self.path, 0o700)
        except FileExistsError:
            raise ContainerError("container with id %r already exists"
                                 % self.id) from None
        self.lock()
        return self

    def lock(self):
        import fcntl
        try:
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ContainerError("container %r does not exist" % self.id) from None
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        # A `delete` we waited for may have removed the directory meanwhile.
        if os.fstat(self.fd).st_nlink == 0:
            self.unlock()
            raise ContainerError("container %r does not exist" % self.id)
        return self

    def unlock(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def read(self):
        import json
        try:
            with open(os.path.join(self.path, "state.json"), "rb") as f:
                return json.loads(f.read())
        except (OSError, ValueError):
            # A `create` that died before its first write leaves this.
            return None

    def write(self, state):
        import json
        tmp = os.path.join(self.path, ".state.json.tmp")
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.rename(tmp, os.path.join(self.path, "state.json"))

    def remove(self):
        import shutil
        shutil.rmtree(self.path, ignore_errors=True)
        self.unlock()


def write_pid_file(path, pid):
    """Write the pid atomically (tmp + rename), without newline, as runc."""
    path = os.path.abspath(path)
    tmp = os.path.join(os.path.dirname(path), ".%s.tmp" % os.path.basename(path))
    with open(tmp, "w") as f:
        f.write(str(pid))
    os.rename(tmp, path)

# ============================================================================
# 5. namespaces (config-linux.md "Namespaces", "User namespace mappings")
# ============================================================================
# A namespace with a path is joined with setns(2); one without is created with
# unshare(2). The user namespace goes first, joined or created, so that every
# namespace made after it is owned by it. pid and time namespaces only apply
# to children, which is why the init forks once more after unsharing.


def open_namespace_paths(namespaces):
    """Open every namespace path before joining any: after setns(mnt) the
    paths would be looked up in the other mount namespace."""
    fds = []
    for kind, path in namespaces:
        if path is not None:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as e:
                raise BrownieError("linux.namespaces: cannot open %s namespace "
                                   "%s: %s" % (kind, path, e.strerror)) from None
            fds.append((kind, path, fd))
    # setns(user) first, so that joining the others is allowed by it.
    fds.sort(key=lambda t: t[0] != "user")
    return fds


def join_namespace(kind, path, fd):
    """setns(2), with the namespace type given so that a path of the wrong
    type (a net namespace given as "pid") is refused by the kernel."""
    try:
        setns(fd, NAMESPACES[kind][0])
    except OSError as e:
        raise BrownieError("linux.namespaces: cannot join %s namespace %s: %s"
                           % (kind, path, os.strerror(e.errno))) from None
    finally:
        os.close(fd)


def unshare_flags(namespaces):
    flags = 0
    for kind, path in namespaces:
        if path is None and kind != "user":
            flags |= NAMESPACES[kind][0]
    return flags


def write_id_mappings(pid, uid_map, gid_map):
    """Write /proc/PID/{uid,gid}_map from outside the new user namespace (the
    parent holds CAP_SETUID/SETGID in the namespace that owns it)."""
    for name, mapping in (("uid_map", uid_map), ("gid_map", gid_map)):
        text = "".join("%d %d %d\n" % m for m in mapping)
        try:
            with open("/proc/%d/%s" % (pid, name), "w") as f:
                f.write(text)
        except OSError as e:
            field = "linux.uidMappings" if name == "uid_map" else "linux.gidMappings"
            raise ConfigError(field, "cannot write %s: %s" % (name, e.strerror)) from None


def bring_up_loopback():
    """A new network namespace has lo down; runc brings it up, and clients
    (podman with --network none) rely on that."""
    import fcntl
    import socket
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


# ============================================================================
# 6. rootfs and mounts (config.md "Root", "Mounts"; config-linux.md
#    "Rootfs Mount Propagation", "Masked Paths", "Readonly Paths")
# ============================================================================
# Every path inside the rootfs is resolved here by hand, one component at a
# time, reading symlinks as the container would (an absolute link starts at
# the rootfs), and a path that would climb out of the rootfs is refused: a
# mount must never land on the host because of a symlink in an image.


def resolve_in_rootfs(rootfs, path, field="path"):
    """Host path of container path `path`; components that do not exist yet
    are kept as given (to be created)."""
    parts = [p for p in path.split("/") if p and p != "."]
    done = []
    links = 0
    while parts:
        p = parts.pop(0)
        if p == "..":
            if not done:
                raise BrownieError("%s: %r leads outside the rootfs" % (field, path))
            done.pop()
            continue
        host = os.path.join(rootfs, *done, p)
        try:
            st = os.lstat(host)
        except (FileNotFoundError, NotADirectoryError):
            done.append(p)
            continue
        if (st.st_mode & 0o170000) != 0o120000:
            done.append(p)
            continue
        links += 1
        if links > 40:
            raise BrownieError("%s: %r: too many levels of symbolic links" % (field, path))
        target = os.readlink(host)
        if target.startswith("/"):
            done = []
        parts = [t for t in target.split("/") if t and t != "."] + parts
    return os.path.join(rootfs, *done)


def make_mount_target(target, is_file):
    """Create the mount point: a directory, or an empty file for a file bind."""
    if os.path.lexists(target):
        return
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
    if is_file:
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
    else:
        os.mkdir(target, 0o755)


def mount_setattr_recursive(target, attr_set, attr_clr):
    """mount_setattr(2) with AT_RECURSIVE, for the "rro"-style options."""
    attr = struct.pack("QQQQ", attr_set, attr_clr, 0, 0)
    nr = 442  # the same number on every architecture
    _check(_libc.syscall(nr, -100, _fsencode(target), 0x8000, attr, len(attr)),
           "mount_setattr " + target, target)


def _bind(source, target, flags, propagation=()):
    """A bind mount with its flags applied: the kernel ignores flags on the
    first MS_BIND, so they take a second remount, keeping the flags a user
    namespace has locked on the source (nosuid, nodev, noexec)."""
    mount(source, target, None, MS_BIND | (flags & MS_REC))
    extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT)
    if extra:
        locked = os.statvfs(target).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
        mount(None, target, None, MS_BIND | MS_REMOUNT | extra | locked)
    for p in propagation:
        mount(None, target, None, p)


def mount_cgroupfs(target, flags, cgroup_sources):
    """A "cgroup" mount: the container's own cgroups, as runc shows them. On
    cgroup v1 that is a tmpfs with one bind mount per hierarchy."""
    if len(cgroup_sources) == 1 and cgroup_sources[0][0] == "":
        _bind(cgroup_sources[0][1], target, flags | MS_BIND | MS_REC)
        return
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
    for name, host_dir in cgroup_sources:
        sub = os.path.join(target, name)
        os.makedirs(sub, exist_ok=True)
        _bind(host_dir, sub, (flags & ~MS_REMOUNT) | MS_BIND | MS_REC |
              MS_NOSUID | MS_NODEV | MS_NOEXEC)
        if "," in name:  # co-mounted controllers: cpu -> cpu,cpuacct
            for alias in name.split(","):
                if not os.path.lexists(os.path.join(target, alias)):
                    os.symlink(name, os.path.join(target, alias))
    if flags & MS_RDONLY:
        mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID |
              MS_NODEV | MS_NOEXEC)


def mount_into_rootfs(rootfs, step, mount_label=None, cgroup_sources=()):
    """Carry out one entry of config.json "mounts" inside the rootfs."""
    field = step["field"] + ".destination"
    target = resolve_in_rootfs(rootfs, step["dest"], field)
    kind, flags, data = step["type"], step["flags"], step["data"]
    source = step["source"]
    try:
        if kind == "bind":
            make_mount_target(target, not os.path.isdir(source))
            _bind(source, target, flags, step["propagation"])
        else:
            make_mount_target(target, False)
            if kind == "cgroup":
                mount_cgroupfs(target, flags, cgroup_sources)
            else:
                if (mount_label and selinux_enabled()
                        and kind not in ("proc", "sysfs", "cgroup2", "mqueue")):
                    data = ",".join(filter(None, [data, 'context="%s"' % mount_label]))
                mount(source or kind, target, kind, flags & ~MS_REMOUNT, data or None)
            for p in step["propagation"]:
                mount(None, target, None, p)
        if step["attrs"] != (0, 0):
            mount_setattr_recursive(target, *step["attrs"])
    except OSError as e:
        raise BrownieError("%s: cannot mount %s %r on %r: %s" % (
            step["field"], kind, source or kind, step["dest"],
            os.strerror(e.errno))) from None


def make_parent_mount_private(path):
    """pivot_root(2) refuses a new root whose parent mount is shared; with
    rootfsPropagation "shared" that is the case, so make it private."""
    best = "/"
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if (path == mp or path.startswith(mp.rstrip("/") + "/")) and len(mp) > len(best):
                best = mp
    mount(None, best, None, MS_PRIVATE)


def pivot_into_rootfs(rootfs, no_pivot, own_mount_ns):
    """Make rootfs the process's /. pivot_root(2) where possible, so the host's
    root is unmounted from the container; where it is refused (a rootfs on
    the initramfs) or --no-pivot asked, move the mount onto / and chroot, as
    switch_root does; without a mount namespace a chroot is all we may do."""
    os.chdir(rootfs)
    if not own_mount_ns:
        os.chroot(".")
        os.chdir("/")
        return
    if not no_pivot:
        try:
            # pivot_root(".", ".") stacks the old root on top of the new one;
            # it is then made a slave (so unmounting it does not reach the
            # host) and detached.
            pivot_root(".", ".")
        except OSError as e:
            if e.errno != 22:  # EINVAL: initramfs cannot be pivoted
                raise
        else:
            mount(None, ".", None, MS_SLAVE | MS_REC)
            umount2(".", MNT_DETACH)
            os.chdir("/")
            return
    mount(rootfs, "/", None, MS_MOVE)
    os.chroot(".")
    os.chdir("/")


def mask_paths(paths):
    """maskedPaths: /dev/null over files, an empty read-only tmpfs over dirs."""
    for path in paths:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                mount("tmpfs", path, "tmpfs", MS_RDONLY, None)
            else:
                mount("/dev/null", path, None, MS_BIND)
        except FileNotFoundError:
            pass
        except OSError as e:
            if e.errno != 2:
                raise BrownieError("linux.maskedPaths: cannot mask %s: %s"
                                   % (path, os.strerror(e.errno))) from None


def make_paths_readonly(paths):
    """readonlyPaths: a read-only bind mount of each path over itself."""
    for path in paths:
        try:
            _bind(path, path, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID |
                  MS_NODEV | MS_NOEXEC)
        except OSError as e:
            if e.errno != 2:
                raise BrownieError("linux.readonlyPaths: cannot make %s read-only:"
                                   " %s" % (path, os.strerror(e.errno))) from None


def remount_root_readonly():
    """root.readonly: remount / read-only, keeping its other flags."""
    flags = os.statvfs("/").f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)


def apply_sysctls(sysctl):
    """linux.sysctl, written before pivot_root through the host's /proc: the
    values land in the namespaces of the writer, the container's."""
    for key, value in sysctl:
        try:
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(value)
        except OSError as e:
            raise BrownieError("linux.sysctl: cannot set %s to %r: %s"
                               % (key, value, e.strerror)) from None


# ============================================================================
# 7. devices (config-linux.md "Devices", "Default Devices")
# ============================================================================


def create_device(rootfs, path, kind, major, minor, mode, uid, gid, in_userns):
    """mknod one device node inside the rootfs. In a user namespace mknod is
    refused, so the host's node is bind-mounted instead, as runc does."""
    import stat
    target = resolve_in_rootfs(rootfs, path, "linux.devices")
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
    if os.path.lexists(target) and not os.path.isdir(target):
        os.unlink(target)
    type_bits = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK,
                 "p": stat.S_IFIFO}[kind]
    try:
        if in_userns:
            raise PermissionError(1, "mknod is not allowed in a user namespace")
        os.mknod(target, type_bits | (mode & 0o7777), os.makedev(major, minor))
        os.chmod(target, mode & 0o7777)  # mknod's mode is cut by the umask
        os.chown(target, uid, gid)
    except PermissionError:
        make_mount_target(target, True)
        mount(path, target, None, MS_BIND)


def create_default_devices(rootfs, devices, in_userns):
    """/dev's default devices and symlinks, then linux.devices."""
    for path, kind, major, minor in DEFAULT_DEVICES:
        create_device(rootfs, path, kind, major, minor, 0o666, 0, 0, in_userns)
    for target, link in DEFAULT_DEV_SYMLINKS:
        host = resolve_in_rootfs(rootfs, link)
        if link == "/dev/ptmx" and os.path.lexists(host):
            os.unlink(host)
        try:
            os.symlink(target, host)
        except FileExistsError:
            pass
    if os.path.exists("/proc/kcore"):
        try:
            os.symlink("/proc/kcore", resolve_in_rootfs(rootfs, "/dev/core"))
        except FileExistsError:
            pass

# ============================================================================
# 8. process attributes (config.md "Process"; config-linux.md "Personality")
# ============================================================================
# What the container's process is given besides its namespaces and root: its
# user, capabilities, rlimits, no_new_privs, OOM score, I/O priority and LSM
# label. Order matters and is kept by `finalize_process` below.

_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "riscv64": 30,
               "ppc64le": 273, "s390x": 282}


def apply_rlimits(rlimits):
    """process.rlimits, set while still root so hard limits may be raised."""
    import resource
    for res, soft, hard in rlimits:
        unlimited = resource.RLIM_INFINITY
        try:
            resource.setrlimit(res, (unlimited if soft >= 1 << 63 else soft,
                                     unlimited if hard >= 1 << 63 else hard))
        except (OSError, ValueError) as e:
            name = [k for k, v in RLIMITS.items() if v == res][0]
            raise BrownieError("process.rlimits: cannot set %s to %d/%d: %s"
                               % (name, soft, hard, e)) from None


def set_oom_score_adj(value):
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write(str(value))


def set_io_priority(value):
    nr = _IOPRIO_SET.get(MACHINE)
    if nr is not None:
        _check(_libc.syscall(nr, 1, 0, value), "ioprio_set")  # IOPRIO_WHO_PROCESS, self


def selinux_enabled():
    return os.path.exists("/sys/fs/selinux/enforce")


def set_lsm_exec_label(kind, label):
    """AppArmor profile or SELinux label for the next execve; ignored, as by
    runc, when that LSM is not enabled on the host."""
    if kind == "apparmor":
        if not os.path.exists("/sys/kernel/security/apparmor"):
            return
        path, text = "/proc/self/attr/apparmor/exec", "exec " + label
        if not os.path.exists(path):
            path = "/proc/self/attr/exec"
    else:
        if not selinux_enabled():
            return
        path, text = "/proc/self/attr/exec", label
    with open(path, "w") as f:
        f.write(text)


def capset(effective, permitted, inheritable):
    header = struct.pack("Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = struct.pack("6I", effective & 0xFFFFFFFF, permitted & 0xFFFFFFFF,
                       inheritable & 0xFFFFFFFF, effective >> 32,
                       permitted >> 32, inheritable >> 32)
    _check(_libc.capset(header, data), "capset")


def last_capability():
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except OSError:
        return len(CAPABILITIES) - 1


def switch_user(uid, gid, groups, keep_caps):
    """setgroups, setresgid, setresuid; capabilities survive the uid change
    only with PR_SET_KEEPCAPS."""
    if keep_caps:
        prctl(PR_SET_KEEPCAPS, 1)
    try:
        os.setgroups(groups)
    except PermissionError:
        # setgroups is denied in a user namespace whose setgroups file says
        # "deny"; with no groups asked for there is nothing to lose.
        if groups:
            raise
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if keep_caps:
        prctl(PR_SET_KEEPCAPS, 0)


def drop_bounding_set(bounding):
    """process.capabilities.bounding; dropping needs CAP_SETPCAP, so this
    comes before the user changes and the other sets are narrowed."""
    for cap in range(last_capability() + 1):
        if not bounding >> cap & 1:
            prctl(PR_CAPBSET_DROP, cap)


def apply_capabilities(caps):
    """process.capabilities: effective, permitted, inheritable, then ambient
    (a capability can only be raised to ambient once it is permitted and
    inheritable)."""
    capset(caps["effective"], caps["permitted"], caps["inheritable"])
    for cap in range(last_capability() + 1):
        if caps["ambient"] >> cap & 1:
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)


def _exec_error(name, reason):
    # runc's wording; clients map "no such file or directory" to exit 127
    # and "permission denied" to 126.
    return BrownieError('exec: "%s": %s' % (name, reason))


def find_executable(args0, env):
    """Resolve process.args[0] as execvp(3) would, with the container's PATH,
    so a missing program fails `create`, as with runc, not `start`."""
    import stat
    path_var = DEFAULT_PATH
    for e in env:
        if e.startswith("PATH="):
            path_var = e[5:]
    if "/" in args0:
        candidates = [args0]
    else:
        candidates = [os.path.join(d or ".", args0) for d in path_var.split(":")]
    for c in candidates:
        try:
            st = os.stat(c)
        except OSError as e:
            if "/" in args0:
                raise _exec_error(args0, "stat %s: %s" % (args0, os.strerror(e.errno).lower()))
            continue
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o111:
            return c
        if "/" in args0:
            raise _exec_error(args0, "permission denied")
    raise _exec_error(args0, "executable file not found in $PATH")


# Terminal ioctls; powerpc numbers its TIOCSWINSZ differently.
TIOCSCTTY = 0x540E
TIOCSWINSZ = 0x80087467 if MACHINE.startswith("ppc") else 0x5414


def set_window_size(fd, rows, cols):
    import fcntl
    fcntl.ioctl(fd, TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def setup_console(console_fd, console_size, dev_console):
    """process.terminal (runc's docs/terminals.md): make a pty inside the
    container, send its master over the console socket (SCM_RIGHTS), and
    make the slave the process's stdio and controlling terminal."""
    import _socket
    import fcntl
    master, slave = os.openpty()  # the container's /dev/ptmx: its own devpts
    rows, cols = console_size
    if rows or cols:
        set_window_size(slave, rows, cols)
    if dev_console:
        # /dev/console is the pty too, as in runc.
        make_mount_target("/dev/console", True)
        mount(os.ttyname(slave), "/dev/console", None, MS_BIND)
    sock = _socket.socket(fileno=console_fd)
    try:
        sock.sendmsg([b"/dev/ptmx"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS,
                                       struct.pack("i", master))])
    finally:
        sock.close()
        os.close(master)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    fcntl.ioctl(0, TIOCSCTTY, 0)


def receive_console_master(sock):
    """The pty master a container sent over a console socket."""
    import socket
    msg, ancdata, flags, addr = sock.recvmsg(4096, socket.CMSG_SPACE(4))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            return struct.unpack("i", data[:4])[0]
    raise BrownieError("the container sent no terminal over the console socket")


def proxy_terminal(master):
    """Be the console of a `run` or `exec` in the foreground: the caller's
    terminal in raw mode, copied to and from the pty master, the window size
    passed on, until the container side closes."""
    import select
    import termios
    import tty
    stdin_tty = os.isatty(0)
    saved = termios.tcgetattr(0) if stdin_tty else None

    def resize(signum=None, frame=None):
        if stdin_tty:
            import fcntl
            size = fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
            rows, cols = struct.unpack("HHHH", size)[:2]
            set_window_size(master, rows, cols)
    try:
        if stdin_tty:
            tty.setraw(0)
            resize()
            signal.signal(signal.SIGWINCH, resize)
        inputs = [master, 0]
        while True:
            try:
                ready = select.select(inputs, [], [])[0]
            except InterruptedError:
                continue
            if master in ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every slave fd is closed
                    data = b""
                if not data:
                    break
                os.write(1, data)
            if 0 in ready:
                data = os.read(0, 65536)
                if data:
                    os.write(master, data)
                else:
                    inputs.remove(0)
                    os.write(master, b"\x04")  # EOF for the pty's reader
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        os.close(master)


def finalize_process(proc, seccomp):
    """Everything between the container's setup and execve, in the order the
    kernel imposes: rlimits and OOM score while root; without no_new_privs a
    seccomp filter needs CAP_SYS_ADMIN, so it goes in before the user and
    capabilities change; with it, seccomp is the last step before execve."""
    apply_rlimits(proc["rlimits"])
    if proc["oom_score_adj"] is not None:
        set_oom_score_adj(proc["oom_score_adj"])
    if proc["io_priority"] is not None:
        set_io_priority(proc["io_priority"])
    if proc["apparmor"]:
        set_lsm_exec_label("apparmor", proc["apparmor"])
    if proc["selinux"]:
        set_lsm_exec_label("selinux", proc["selinux"])
    os.umask(proc["umask"])
    if seccomp and not proc["no_new_privs"]:
        install_seccomp(seccomp)
    caps = proc["caps"]
    if caps is not None:
        drop_bounding_set(caps["bounding"])
    switch_user(proc["uid"], proc["gid"], proc["groups"], caps is not None)
    if caps is not None:
        apply_capabilities(caps)
    try:
        os.chdir(proc["cwd"])
    except OSError as e:
        raise BrownieError("process.cwd: cannot enter %s: %s"
                           % (proc["cwd"], e.strerror)) from None
    if proc["no_new_privs"]:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        if seccomp:
            install_seccomp(seccomp)

# ============================================================================
# 9. seccomp (config-linux.md "Seccomp")
# ============================================================================
# @@SECCOMP@@ (placeholder until the compiler lands)


def compile_seccomp(seccomp, field="linux.seccomp"):
    warn("linux.seccomp ignored: not implemented yet")
    return None


def install_seccomp(compiled):
    return None


# ============================================================================
# 10. cgroups (config-linux.md "Control groups")
# ============================================================================
# @@CGROUPS@@ (placeholder)


class Cgroup:
    def __init__(self):
        self.warnings = []

    @classmethod
    def for_container(cls, container_id, cgroups_path, systemd=False):
        return cls()

    @staticmethod
    def validate_resources(resources, field="linux.resources"):
        pass

    def to_state(self):
        return {}

    @classmethod
    def from_state(cls, d):
        return cls()

    def create(self):
        pass

    def apply(self, resources, field="linux.resources"):
        pass

    def add_process(self, pid):
        pass

    def cgroup_mount_sources(self):
        return []

    def pids(self):
        return []

    def kill_all(self, sig):
        pass

    def is_frozen(self):
        return False

    def destroy(self):
        pass


# ============================================================================
# 11. hooks (config.md "POSIX-platform Hooks")
# ============================================================================
# Hooks get the container's state as JSON on stdin. prestart, createRuntime,
# poststart and poststop run in the runtime's namespaces (from the `create`,
# `start` and `delete` processes); createContainer and startContainer run in
# the container's, from its init.


def run_hook(hook, state_json):
    """Run one hook; a failure (non-zero exit, timeout, missing program) is
    a BrownieError naming it."""
    import subprocess
    env = dict(e.split("=", 1) for e in hook["env"] if "=" in e)
    try:
        r = subprocess.run(hook["args"], executable=hook["path"], env=env,
                           input=state_json.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=hook["timeout"],
                           close_fds=True)
    except subprocess.TimeoutExpired:
        raise BrownieError("hook %s (%s) timed out after %d s" % (
            hook["name"], hook["path"], hook["timeout"])) from None
    except OSError as e:
        raise BrownieError("hook %s (%s): %s" % (hook["name"], hook["path"],
                                                 e.strerror)) from None
    if r.returncode != 0:
        why = ("exit status %d" % r.returncode if r.returncode > 0
               else "killed by signal %d" % -r.returncode)
        detail = (r.stderr or r.stdout).decode(errors="replace").strip()
        raise BrownieError("hook %s (%s) failed: %s%s" % (
            hook["name"], hook["path"], why, ": " + detail if detail else ""))


def run_hooks(hooks, names, state, on_error=None):
    """Run the hooks of each name in `names`, in order. `state` is the spec
    state dict. A failure stops the run and raises, unless on_error is given:
    then it is called with the error and the next hook runs (poststop)."""
    todo = [h for n in names for h in hooks.get(n, ())]
    if todo:
        import json
        state_json = json.dumps(state)
        for hook in todo:
            try:
                run_hook(hook, state_json)
            except BrownieError as e:
                if on_error is None:
                    raise
                on_error(e)

# ============================================================================
# 12. container init (runtime.md "Lifecycle" steps 1-5)
# ============================================================================
# `create` starts this file again as `brownie.py init`, a fresh interpreter
# that shares nothing with its caller but the plan, a pair of pipes and the
# start socket. The init works in two stages:
#
#   stage 1 joins or creates the user namespace (the parent writes its id
#           maps), then every other namespace, and forks: pid and time
#           namespaces only take effect in children. It reports the child's
#           pid and exits, so the child is re-parented to the caller's
#           subreaper (conmon, the containerd shim) or to pid 1.
#   stage 2 is the container's pid 1: it builds the rootfs, lets the parent
#           run the prestart/createRuntime hooks, pivots into the rootfs,
#           reports "created", and blocks in accept() on the start socket.
#           `start` connects; stage 2 drops to the process's user and
#           capabilities and execs the process. The accepted connection is
#           close-on-exec, so `start` sees EOF exactly when execve succeeded.
#
# Messages on the pipes are length-prefixed marshal data.


def send_message(fd, *msg):
    import marshal
    data = marshal.dumps(msg)
    data = struct.pack("I", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def _read_exact(fd, n):
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_message(fd):
    """The next message as a tuple, or None at end of file."""
    import marshal
    header = _read_exact(fd, 4)
    if header is None:
        return None
    body = _read_exact(fd, struct.unpack("I", header)[0])
    return None if body is None else marshal.loads(body)


def _expect(fd, what):
    msg = recv_message(fd)
    if msg is None or msg[0] != what:
        os._exit(1)  # the parent gave up; it cleans up what we made
    return msg


def error_text(e):
    """One line for an exception, naming what failed."""
    if isinstance(e, OSError) and not isinstance(e, BrownieError):
        text = e.strerror or str(e)
        if e.filename and str(e.filename) not in text:
            text = "%s: %s" % (e.filename, text)
        return text
    return str(e) or e.__class__.__name__


def close_inherited_fds(keep):
    """Close every descriptor the init inherited but was not given on
    purpose (a client's sync pipes, say), so none leaks into the container."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def container_init(rfd, wfd, start_fd, console_fd=-1):
    """Stage 1 of the init (see the section comment)."""
    prctl(PR_SET_DUMPABLE, 0)  # no /proc/PID access into the runtime
    plan = recv_message(rfd)[0]
    try:
        close_inherited_fds({0, 1, 2, rfd, wfd, start_fd, console_fd}
                            | set(range(3, 3 + plan["preserve_fds"])))
        new = {kind for kind, path in plan["namespaces"] if path is None}
        joined = open_namespace_paths(plan["namespaces"])
        if joined and joined[0][0] == "user":
            join_namespace(*joined.pop(0))
        if "user" in new:
            unshare(CLONE_NEWUSER)
            send_message(wfd, "userns")
            _expect(rfd, "ok")
            try:
                os.setresgid(0, 0, 0)
                os.setresuid(0, 0, 0)
            except OSError:
                pass  # root is not mapped; keep the namespace's capabilities
        for ns in joined:
            join_namespace(*ns)
        unshare(unshare_flags(plan["namespaces"]))
        if plan["time_offsets"]:
            with open("/proc/self/timens_offsets", "w") as f:
                f.write(plan["time_offsets"])
        pid = os.fork()
        if pid == 0:
            try:
                container_init_stage2(plan, new, rfd, wfd, start_fd, console_fd)
            except BaseException as e:
                send_message(wfd, "error", error_text(e))
            os._exit(1)
        send_message(wfd, "pid", pid)
    except BaseException as e:
        send_message(wfd, "error", error_text(e))
        os._exit(1)
    os._exit(0)


def container_init_stage2(plan, new, rfd, wfd, start_fd, console_fd):
    """Stage 2: the container's pid 1, until it execs the process."""
    os.setsid()
    kinds = {kind for kind, path in plan["namespaces"]}
    own_mount_ns = "mount" in new
    rootfs = plan["rootfs"]
    if plan["hostname"] is not None:
        sethostname(plan["hostname"])
    if plan["domainname"] is not None:
        setdomainname(plan["domainname"])
    if "network" in new:
        bring_up_loopback()
    if own_mount_ns:
        # Nothing we mount may propagate back to the host.
        mount(None, "/", None, plan["root_propagation"])
        make_parent_mount_private(rootfs)
        mount(rootfs, rootfs, None, MS_BIND | MS_REC)
    for step in plan["mounts"]:
        mount_into_rootfs(rootfs, step, plan["mount_label"],
                          plan.get("cgroup_sources", ()))
    in_userns = "user" in kinds
    if plan["setup_dev"]:
        create_default_devices(rootfs, plan["devices"], in_userns)
    for device in plan["devices"]:
        create_device(rootfs, *device, in_userns=in_userns)
    apply_sysctls(plan["sysctl"])
    send_message(wfd, "hooks")  # the parent runs prestart and createRuntime
    state = _expect(rfd, "ok")[1]
    run_hooks(plan["hooks"], ("createContainer",), state)
    import_before_pivot(bool(plan["hooks"].get("startContainer")))
    pivot_into_rootfs(rootfs, plan["no_pivot"], own_mount_ns)
    if own_mount_ns and plan["rootfs_propagation_set"]:
        mount(None, "/", None, plan["root_propagation"])
    proc = plan["process"]
    if proc is not None and proc["terminal"]:
        setup_console(console_fd, proc["console_size"], own_mount_ns)
    make_paths_readonly(plan["readonly"])
    mask_paths(plan["masked"])
    if plan["readonly_root"]:
        remount_root_readonly()
    if plan["personality"] is not None:
        _check(_libc.personality(plan["personality"]), "personality")
    exe = None
    if proc is not None:
        try:
            os.chdir(proc["cwd"])
        except OSError as e:
            raise BrownieError("process.cwd: cannot enter %s: %s"
                               % (proc["cwd"], e.strerror)) from None
        exe = find_executable(proc["args"][0], proc["env"])
    # Until `start`, a signal with no handler would be ignored by a pid 1;
    # runc's init dies of SIGTERM and friends, and so does ours.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, lambda signum, frame: os._exit(128 + signum))
    send_message(wfd, "created")
    os.close(rfd)
    os.close(wfd)
    conn = wait_for_start(start_fd)
    if proc is None:
        # runtime-tools' start test wants this to succeed: the container
        # simply has nothing to run and stops.
        os._exit(0)
    try:
        run_hooks(plan["hooks"], ("startContainer",), dict(state, status="created"))
        exec_process(proc, exe, plan.get("seccomp"), plan["preserve_fds"])
    except BaseException as e:
        os.write(conn, error_text(e).encode())
        os._exit(1)


def import_before_pivot(with_hooks):
    """After pivot_root (or exec's chroot) the host's Python library is out
    of reach, so every module still needed is imported now."""
    import _socket  # noqa: F401  (wait_for_start, setup_console)
    import fcntl  # noqa: F401  (setup_console)
    import resource  # noqa: F401  (apply_rlimits)
    import stat  # noqa: F401  (find_executable)
    if with_hooks:
        import json  # noqa: F401
        import subprocess  # noqa: F401


def wait_for_start(start_fd):
    """Block until `start` connects to the start socket; return the
    connection (close-on-exec)."""
    import _socket
    listener = _socket.socket(fileno=start_fd)
    while True:
        conn, _ = listener._accept()
        if os.read(conn, 1) == b"s":
            listener.close()
            return conn
        os.close(conn)


def container_env(proc):
    env = {}
    for e in proc["env"]:
        k, v = e.split("=", 1)
        env[k] = v
    if "HOME" not in env:
        env["HOME"] = _home_of(proc["uid"])
    return env


def _home_of(uid):
    """HOME from the container's /etc/passwd, as runc sets it."""
    try:
        with open("/etc/passwd") as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) >= 6 and parts[2] == str(uid):
                    return parts[5]
    except OSError:
        pass
    return "/"


def enter_container(init_pid, namespaces, keep, proc, seccomp, console,
                    preserve_fds, rfd, wfd):
    """The forked side of `exec`: join the namespaces and root of the
    container's init, fork (so a pid namespace applies), and in the child
    set the process up and wait for the go-ahead to execve."""
    close_inherited_fds(keep)
    import_before_pivot(False)  # setns(mnt) puts the host's files out of reach
    root_fd = os.open("/proc/%d/root" % init_pid, os.O_RDONLY | os.O_DIRECTORY)
    paths = []
    for kind in namespaces:
        path = "/proc/%d/ns/%s" % (init_pid, NAMESPACES[kind][1])
        mine = "/proc/self/ns/%s" % NAMESPACES[kind][1]
        if os.stat(path).st_ino != os.stat(mine).st_ino:
            paths.append((kind, path))
    for ns in open_namespace_paths(paths):
        join_namespace(*ns)
    pid = os.fork()
    if pid:
        send_message(wfd, "pid", pid)
        os._exit(0)
    try:
        os.fchdir(root_fd)
        os.chroot(".")
        os.close(root_fd)
        os.setsid()
        if console is not None:
            setup_console(console.fileno(), proc["console_size"], False)
        os.chdir(proc["cwd"])
        exe = find_executable(proc["args"][0], proc["env"])
        send_message(wfd, "ready")
        _expect(rfd, "go")
        exec_process(proc, exe, seccomp, preserve_fds)
    except BaseException as e:
        send_message(wfd, "error", error_text(e))
    os._exit(127)


def exec_process(proc, exe, seccomp, preserve_fds):
    """Become the container's process: attributes, then execve."""
    env = container_env(proc)
    for fd in range(3, 3 + preserve_fds):
        try:
            os.set_inheritable(fd, True)
        except OSError:
            pass
    # Python ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored
    # across execve, so give the process the default a shell would have.
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    finalize_process(proc, seccomp)
    os.execve(exe, proc["args"], env)

# ============================================================================
# 13. the Container API (runtime.md "Operations")
# ============================================================================
# The lifecycle as a library: the CLI below is a thin layer over this.
#
#   c = Container.create("web", bundle="/b")   # status "created"
#   c.start()                                  # status "running"
#   c.kill(signal.SIGTERM); c.wait()           # status "stopped"
#   c.delete()
#
# Status moves only creating -> created -> running (<-> paused) -> stopped;
# each method checks the move it makes and raises ContainerError otherwise.

BROWNIE_PATH = os.path.abspath(__file__)


def connect_console_socket(console_socket):
    """--console-socket: a path to connect to, or an already connected
    socket (run and exec in the foreground make their own pair)."""
    import socket
    if console_socket is None or isinstance(console_socket, socket.socket):
        return console_socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(console_socket)
    except OSError as e:
        s.close()
        raise BrownieError("--console-socket %s: cannot connect: %s"
                           % (console_socket, e.strerror)) from None
    return s
_warning_sink = None


def warn(message):
    """A warning for the user: to the --log file and stderr, via the CLI."""
    if _warning_sink is not None:
        _warning_sink(message)
    else:
        sys.stderr.write("brownie: warning: %s\n" % message)


def _pidfd_open(pid):
    try:
        return syscall("pidfd_open", pid, 0)
    except OSError:
        return None


def signal_process(pid, start_time, sig):
    """Signal the process `pid` only if it is still the one that started at
    `start_time` (a pidfd pins it, so a recycled pid is never hit)."""
    if not pid or start_time is None:
        raise ProcessLookupError(3, "No such process")
    pidfd = _pidfd_open(pid)
    try:
        if process_start_time(pid) != start_time:
            raise ProcessLookupError(3, "No such process")
        if pidfd is None:
            os.kill(pid, sig)
        else:
            syscall("pidfd_send_signal", pidfd, sig, None, 0)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def wait_for_exit(pid, start_time, timeout=None):
    """Block until the process is gone (a zombie counts as gone). Returns
    False on timeout. Uses a pidfd, which is readable once the process dies."""
    import select
    if not pid or start_time is None:
        return True
    pidfd = _pidfd_open(pid)
    if pidfd is None:  # kernels before 5.3
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while process_start_time(pid) == start_time:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True
    try:
        if process_start_time(pid) != start_time:
            return True
        p = select.poll()
        p.register(pidfd, select.POLLIN)
        return bool(p.poll(None if timeout is None else int(timeout * 1000)))
    finally:
        os.close(pidfd)


def spec_state(state, status=None):
    """The state of runtime.md, as `state` prints it and hooks read it."""
    out = {"ociVersion": OCI_VERSION, "id": state["id"],
           "status": status or state["status"], "pid": state.get("pid") or 0,
           "bundle": state["bundle"]}
    if out["status"] == "stopped":
        out["pid"] = 0
    if state.get("annotations"):
        out["annotations"] = state["annotations"]
    return out


class Container:
    """One container in a state root. Create one with Container.create, find
    one with Container.load; every method re-reads the state on disk."""

    def __init__(self, root, container_id, state):
        self.root = root
        self.id = container_id
        self._state = state

    # -- finding containers -------------------------------------------------

    @classmethod
    def load(cls, container_id, root=DEFAULT_ROOT):
        sd = StateDir(root, container_id)
        state = sd.read() if os.path.isdir(sd.path) else None
        if state is None:
            raise ContainerError("container %r does not exist" % container_id)
        return cls(root, container_id, state)

    @classmethod
    def list(cls, root=DEFAULT_ROOT):
        try:
            names = sorted(os.listdir(root))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            try:
                out.append(cls.load(name, root))
            except BrownieError:
                pass
        return out

    # -- reading ---------------------------------------------------------

    @property
    def pid(self):
        return self._state.get("pid") or 0

    @property
    def bundle(self):
        return self._state["bundle"]

    @property
    def status(self):
        """created, running, paused or stopped, from the live process: a
        container whose init died reads "stopped" even before it is reaped."""
        st = self._state
        if st["status"] == "creating":
            creator = st.get("creator")
            if creator and process_start_time(creator[0]) == creator[1]:
                return "creating"
            return "stopped"
        if not self.pid or process_start_time(self.pid) != st.get("pid_start"):
            return "stopped"
        if st["status"] == "running" and self.cgroup().is_frozen():
            return "paused"
        return st["status"]

    def state(self):
        """The spec's state (runtime.md) plus runc's rootfs, created, owner."""
        out = spec_state(self._state, self.status)
        out.update(rootfs=self._state["rootfs"],
                   created=self._state["created"], owner="")
        return out

    def cgroup(self):
        return Cgroup.from_state(self._state.get("cgroup") or {})

    def _locked(self):
        sd = StateDir(self.root, self.id).lock()
        state = sd.read()
        if state is None:
            sd.unlock()
            raise ContainerError("container %r does not exist" % self.id)
        self._state = state
        return sd

    # -- create -----------------------------------------------------------

    @classmethod
    def create(cls, container_id, bundle=".", root=DEFAULT_ROOT,
               pid_file=None, console_socket=None, no_pivot=False,
               preserve_fds=0, systemd_cgroup=False):
        """runtime.md "create": set up the container and leave its process
        waiting for start. Returns once the container is "created"."""
        bundle = os.path.abspath(bundle)
        config = load_json_file(os.path.join(bundle, "config.json"), "config.json")
        plan = build_plan(config, bundle, container_id, no_pivot, preserve_fds)
        linux = config.get("linux") or {}
        if linux.get("seccomp") is not None:
            plan["seccomp"] = compile_seccomp(linux["seccomp"])
        resources = linux.get("resources") or {}
        Cgroup.validate_resources(resources)
        cgroup = Cgroup.for_container(container_id, linux.get("cgroupsPath"),
                                      systemd_cgroup)
        for w in cgroup.warnings:
            warn(w)
        terminal = (plan["process"] or {}).get("terminal")
        if terminal and console_socket is None:
            raise ConfigError("process.terminal", "is true, so a --console-socket "
                              "is needed to receive the terminal")
        if console_socket is not None and not terminal:
            raise BrownieError("--console-socket given, but process.terminal "
                               "is false in config.json")
        sd = StateDir(root, container_id).make()
        state = {
            "id": container_id, "status": "creating", "pid": 0,
            "bundle": bundle, "rootfs": plan["rootfs"],
            "annotations": plan["annotations"], "created": utc_now_rfc3339(),
            "creator": (os.getpid(), process_start_time(os.getpid())),
            "cgroup": cgroup.to_state(), "hooks": plan["hooks"],
            "shares_host_mounts": not any(k == "mount" and p is None
                                          for k, p in plan["namespaces"]),
            # What `exec` needs: the namespaces to join, the process to
            # start from, the seccomp profile to apply again.
            "namespaces": [k for k, p in plan["namespaces"]],
            "process": plan["process"],
            "seccomp": linux.get("seccomp"),
        }
        sd.write(state)
        self = cls(root, container_id, state)
        try:
            self._spawn_init(sd, plan, cgroup, resources, console_socket)
            if pid_file:
                write_pid_file(pid_file, self.pid)
        except BaseException:
            self._destroy(sd, quiet=True)
            raise
        finally:
            sd.unlock()
        return self

    def _spawn_init(self, sd, plan, cgroup, resources, console_socket):
        import socket
        state = self._state
        console = connect_console_socket(console_socket)
        cgroup.create()
        cgroup.apply(resources)
        plan["cgroup_sources"] = cgroup.cgroup_mount_sources()
        # The start socket, bound through /proc/self/fd so that a long --root
        # does not hit the 108-byte limit of a socket path.
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind("/proc/self/fd/%d/start.sock" % sd.fd)
        listener.listen(1)
        to_init_r, to_init_w = os.pipe()
        from_init_r, from_init_w = os.pipe()
        import fcntl
        low = 3 + plan["preserve_fds"]  # keep clear of the preserved fds
        child_fds = [fcntl.fcntl(fd, fcntl.F_DUPFD, low) for fd in
                     (to_init_r, from_init_w, listener.fileno())]
        if console is not None:
            child_fds.append(fcntl.fcntl(console.fileno(), fcntl.F_DUPFD, low))
            console.close()
        for fd in (to_init_r, from_init_w):
            os.close(fd)
        argv = ["python3", "-IS", BROWNIE_PATH, "init"] + [str(fd) for fd in child_fds]
        try:
            stage1 = os.posix_spawn("/proc/self/exe", argv, {})
        finally:
            for fd in child_fds:
                os.close(fd)
            listener.close()
        pids = [stage1]
        try:
            cgroup.add_process(stage1)
            send_message(to_init_w, plan)
            while True:
                msg = recv_message(from_init_r)
                if msg is None:
                    raise BrownieError("container init exited during create")
                if msg[0] == "error":
                    raise BrownieError(msg[1])
                if msg[0] == "userns":
                    write_id_mappings(stage1, plan["uid_map"], plan["gid_map"])
                    send_message(to_init_w, "ok")
                elif msg[0] == "pid":
                    pid = msg[1]
                    pids.append(pid)
                    state.update(pid=pid, pid_start=process_start_time(pid))
                    sd.write(state)
                elif msg[0] == "hooks":
                    # prestart is deprecated and runs here, in create, as the
                    # spec now says; its state reads "created" as the
                    # runtime-tools suite expects of it (runc says "creating").
                    run_hooks(plan["hooks"], ("prestart",), spec_state(state, "created"))
                    hook_state = spec_state(state, "creating")
                    run_hooks(plan["hooks"], ("createRuntime",), hook_state)
                    send_message(to_init_w, "ok", hook_state)
                elif msg[0] == "created":
                    break
            state["status"] = "created"
            del state["creator"]
            sd.write(state)
        except BaseException:
            for pid in pids[1:]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            raise
        finally:
            os.close(to_init_w)
            os.close(from_init_r)
            os.waitpid(stage1, 0)

    # -- start, kill, wait ------------------------------------------------

    def start(self):
        """runtime.md "start": run the process; poststart hooks follow, and
        if one fails the container is stopped and start fails (v1.3.0)."""
        import socket
        sd = self._locked()
        try:
            status = self.status
            if status != "created":
                raise ContainerError("cannot start a container that is %s "
                                     "(only a created one)" % status)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect("/proc/self/fd/%d/start.sock" % sd.fd)
                s.sendall(b"s")
                reply = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            try:
                os.unlink(os.path.join(sd.path, "start.sock"))
            except OSError:
                pass
            self._state["status"] = "running"
            sd.write(self._state)
            if reply:
                raise BrownieError(reply.decode(errors="replace"))
            try:
                run_hooks(self._state["hooks"], ("poststart",),
                          spec_state(self._state, "running"))
            except BrownieError:
                self._kill_all(signal.SIGKILL)
                raise
        finally:
            sd.unlock()

    def kill(self, sig=signal.SIGTERM, all=False):
        """runtime.md "kill": signal the process (or, with all, every process
        of the container)."""
        status = self.status
        if status in ("stopped", "creating"):
            raise ContainerError("container not running")
        if all:
            self.cgroup().kill_all(sig)
        try:
            signal_process(self.pid, self._state["pid_start"], sig)
        except ProcessLookupError:
            if not all:
                raise ContainerError("container not running") from None

    def _kill_all(self, sig):
        self.cgroup().kill_all(sig)
        try:
            signal_process(self.pid, self._state.get("pid_start"), sig)
        except ProcessLookupError:
            pass
        if self.pid:
            wait_for_exit(self.pid, self._state.get("pid_start"))

    def wait(self):
        """Wait for the container's process to exit. Returns its exit status
        when this process is its parent (or subreaper), else None."""
        if not self.pid:
            return None
        try:
            _, status = os.waitpid(self.pid, 0)
            return exit_status(status)
        except ChildProcessError:
            wait_for_exit(self.pid, self._state.get("pid_start"))
            return None

    # -- exec -------------------------------------------------------------

    def exec(self, process, detach=False, pid_file=None, console_socket=None,
             preserve_fds=0, ignore_paused=False):
        """runc exec: start one more process (a parsed process plan, see
        exec_process_plan) in the container's namespaces and cgroup, with
        the container's seccomp profile. Returns its exit status, or its pid
        when detach. A program that cannot be run fails here, and the
        container is left as it was."""
        status = self.status
        if status not in ("created", "running", "paused"):
            raise ContainerError("cannot exec in a %s container" % status)
        if status == "paused" and not ignore_paused:
            raise ContainerError("cannot exec in a paused container "
                                 "(use --ignore-paused)")
        master = ours = None
        if process["terminal"] and console_socket is None:
            if detach:
                raise BrownieError("process.terminal is true: a detached exec "
                                   "needs --console-socket")
            ours, console_socket = console_pair()
        console = connect_console_socket(console_socket) if process["terminal"] else None
        seccomp = None
        if self._state.get("seccomp") is not None:
            seccomp = compile_seccomp(self._state["seccomp"])
        if not detach:
            prctl(PR_SET_CHILD_SUBREAPER, 1)
        pid = self._spawn_exec(process, seccomp, console, preserve_fds)
        if pid_file:
            write_pid_file(pid_file, pid)
        if detach:
            return pid
        if ours is not None:
            master = receive_console_master(ours)
        return wait_in_foreground(pid, master)

    def _spawn_exec(self, proc, seccomp, console, preserve_fds):
        init_pid = self.pid
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        keep = {0, 1, 2, to_child_r, from_child_w} | set(range(3, 3 + preserve_fds))
        if console is not None:
            keep.add(console.fileno())
        first = os.fork()
        if first == 0:
            try:
                os.close(to_child_w)
                os.close(from_child_r)
                prctl(PR_SET_DUMPABLE, 0)
                enter_container(init_pid, self._state["namespaces"], keep,
                                proc, seccomp, console, preserve_fds,
                                to_child_r, from_child_w)
            except BaseException as e:
                send_message(from_child_w, "error", error_text(e))
            os._exit(1)
        os.close(to_child_r)
        os.close(from_child_w)
        if console is not None:
            console.close()
        try:
            os.waitpid(first, 0)
            pid = None
            while True:
                msg = recv_message(from_child_r)
                if msg is None:
                    raise BrownieError("exec failed: the process setting up "
                                       "the exec died")
                if msg[0] == "error":
                    raise BrownieError("exec failed: %s" % msg[1])
                if msg[0] == "pid":
                    pid = msg[1]
                    # In the cgroup before it runs a single instruction of
                    # the program.
                    self.cgroup().add_process(pid)
                elif msg[0] == "ready":
                    send_message(to_child_w, "go")
                    break
            # The pipe is close-on-exec: end of file means execve succeeded.
            msg = recv_message(from_child_r)
            if msg is not None:
                raise BrownieError("exec failed: %s" % msg[1])
            return pid
        finally:
            os.close(to_child_w)
            os.close(from_child_r)

    # -- delete -----------------------------------------------------------

    def delete(self, force=False):
        """runtime.md "delete": a container that is not stopped is refused
        unless force, which kills it first. poststop hooks run last."""
        sd = self._locked()
        status = self.status
        if status != "stopped":
            if not force:
                sd.unlock()
                raise ContainerError("cannot delete container %s that is not "
                                     "stopped: %s" % (self.id, status))
            if status == "paused":
                self.cgroup().thaw()
        self._destroy(sd)

    def _destroy(self, sd, quiet=False):
        """Kill whatever is left, remove the cgroups, the mounts a container
        without a mount namespace left on the host, and the state."""
        try:
            if self.status != "stopped" or self._state["status"] == "creating":
                self._kill_all(signal.SIGKILL)
            self.cgroup().destroy()
            if self._state.get("shares_host_mounts"):
                unmount_below(self._state["rootfs"])
            if self._state["status"] != "creating":
                run_hooks(self._state["hooks"], ("poststop",),
                          spec_state(self._state, "stopped"),
                          on_error=lambda e: warn(str(e)))
        except Exception:
            if not quiet:
                raise
        finally:
            sd.remove()

    # -- cgroup operations --------------------------------------------------

    def pids(self):
        return self.cgroup().pids()


def unmount_below(path):
    """Lazily unmount every mount at or below path, deepest first."""
    prefix = path.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4].replace("\\040", " ") for line in f]
    for mp in sorted((p for p in points if p == path or p.startswith(prefix)),
                     key=len, reverse=True):
        try:
            umount2(mp, MNT_DETACH)
        except OSError:
            pass


def exit_status(status):
    """A wait status as a shell reports it: the code, or 128 + signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def parse_signal(text):
    """A signal as runc takes it: a number, or a name with or without SIG."""
    if text.isdigit():
        num = int(text)
        if not 0 < num < signal.NSIG:
            raise BrownieError("invalid signal %r" % text)
        return num
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    num = getattr(signal, name, None)
    if not isinstance(num, int) or name.startswith("SIG_"):
        raise BrownieError("invalid signal %r" % text)
    return int(num)


def run_container(container_id, bundle=".", root=DEFAULT_ROOT, detach=False,
                  keep=False, **create_options):
    """runc run: create, start and (unless detach) wait, forwarding signals,
    then delete. Returns the process's exit status (128+signal if killed)."""
    if not detach:
        # The init is orphaned when stage 1 exits; as a subreaper we get it
        # back, can wait for it, and reap whatever else it leaves.
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    console = None
    if create_options.get("console_socket") is None:
        config = load_json_file(os.path.join(bundle, "config.json"), "config.json")
        if (config.get("process") or {}).get("terminal") is True:
            if detach:
                raise BrownieError("process.terminal is true: a detached run "
                                   "needs --console-socket")
            console, create_options["console_socket"] = console_pair()
    c = Container.create(container_id, bundle, root, **create_options)
    try:
        master = receive_console_master(console) if console else None
        c.start()
    except BaseException:
        c.delete(force=True)
        raise
    if detach:
        return 0
    status = wait_in_foreground(c.pid, master)
    if not keep:
        c.delete(force=True)
    return status


def console_pair():
    """A connected pair standing in for a --console-socket: ours, theirs."""
    import socket
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def wait_in_foreground(pid, master):
    """Wait for process `pid` as its subreaper, forwarding signals to it (and
    being its terminal when there is a pty master); returns its status."""
    forwarded = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM,
                 signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGCONT,
                 signal.SIGALRM, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass
    for sig in forwarded:
        signal.signal(sig, forward)
    if master is not None:
        proxy_terminal(master)
    status = 255
    while True:  # reap every orphan handed to us, until ours is among them
        try:
            reaped, wstatus = os.wait()
        except ChildProcessError:
            break
        if reaped == pid:
            status = exit_status(wstatus)
            break
    for sig in forwarded:
        signal.signal(sig, signal.SIG_DFL)
    return status


# ============================================================================
# 14. commands and CLI (runc's command line)
# ============================================================================
# runc's spelling: global flags before the command, the container id last.
# Output on stdout only where the command's job is to print (state, list,
# ps, spec, features); during create/start stdout belongs to the container.


def default_spec(rootless=False):
    """The config.json `brownie spec` writes: runc's default, with sh."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    spec = {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": True, "user": {"uid": 0, "gid": 0}, "args": ["sh"],
            "env": ["PATH=" + DEFAULT_PATH, "TERM=xterm"], "cwd": "/",
            "capabilities": {k: list(caps) for k in
                             ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "brownie",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                         "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount", "cgroup")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore",
                            "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq",
                              "/proc/sys", "/proc/sysrq-trigger"],
        },
    }
    if rootless:
        linux = spec["linux"]
        del linux["resources"]
        linux["namespaces"] = [{"type": t} for t in
                               ("pid", "ipc", "uts", "mount", "cgroup", "user")]
        linux["uidMappings"] = [{"containerID": 0, "hostID": os.getuid(), "size": 1}]
        linux["gidMappings"] = [{"containerID": 0, "hostID": os.getgid(), "size": 1}]
        spec["mounts"] = [m for m in spec["mounts"] if m["type"] != "cgroup"] + [
            {"destination": "/sys/fs/cgroup", "type": "bind",
             "source": "/sys/fs/cgroup",
             "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]
        for m in spec["mounts"]:
            if m["type"] == "sysfs":
                m.update(type="bind", source="/sys",
                         options=["rbind", "nosuid", "noexec", "nodev", "ro"])
            elif m["type"] == "devpts":
                m["options"].remove("gid=5")
    return spec


def features():
    """features.md: what this build of brownie implements."""
    out = {
        "ociVersionMin": "1.0.0", "ociVersionMax": OCI_VERSION,
        "hooks": list(HOOK_NAMES),
        "mountOptions": sorted(set(MOUNT_FLAGS) | set(MOUNT_PROPAGATION)
                               | set(MOUNT_RECURSIVE_ATTRS)),
        "linux": {
            "namespaces": sorted(NAMESPACES),
            "capabilities": list(CAPABILITIES),
            "cgroup": cgroup_features(),
            "seccomp": seccomp_features(),
            "apparmor": {"enabled": True},
            "selinux": {"enabled": True},
            "intelRdt": {"enabled": False},
            "mountExtensions": {"idmap": {"enabled": False}},
        },
        "annotations": {"org.opencontainers.brownie.version": __version__},
        "potentiallyUnsafeConfigAnnotations": [],
    }
    return out


class Log:
    """--log/--log-format: runc's log lines, which the containerd shim reads
    (the last "error" line becomes the error it reports)."""

    def __init__(self, path=None, fmt="text", debug=False):
        self.path, self.fmt, self.debug_on = path, fmt, debug
        if path:
            # The shim reads this file even on success: create it now.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND |
                             os.O_CLOEXEC, 0o644))

    def write(self, level, msg):
        if not self.path or (level == "debug" and not self.debug_on):
            return
        import json
        t = utc_now_rfc3339()
        if self.fmt == "json":
            line = json.dumps({"level": level, "msg": msg, "time": t})
        else:
            line = 'time="%s" level=%s msg=%s' % (t, level, json.dumps(msg))
        with open(self.path, "a") as f:
            f.write(line + "\n")


_GLOBALS_WITH_VALUE = ("--root", "--log", "--log-format", "--criu")


def split_global_args(argv):
    """argv -> (global flags, the command and its arguments). Unknown global
    flags (podman's --runtime-flag k=v) are kept for a warning."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in _GLOBALS_WITH_VALUE:
            i += 1
        i += 1
    return argv[:i], argv[i:]


def build_parser():
    import argparse
    p = argparse.ArgumentParser(
        prog="brownie", description="An OCI container runtime in one Python file.")
    p.add_argument("--version", "-v", action="store_true", help="print the version")
    p.add_argument("--root", default=DEFAULT_ROOT, help="state directory")
    p.add_argument("--log", help="log file (errors, warnings; debug with --debug)")
    p.add_argument("--log-format", choices=("text", "json"), default="text")
    p.add_argument("--debug", action="store_true")
    p.add_argument("--systemd-cgroup", action="store_true",
                   help="cgroupsPath is slice:prefix:name")
    p.add_argument("--rootless", default="auto")
    p.add_argument("--criu", help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name, help_text, with_id=True):
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if with_id:
            sp.add_argument("id", metavar="CONTAINER_ID")
        return sp

    def creating(sp):
        sp.add_argument("--bundle", "-b", default=".", help="bundle directory")
        sp.add_argument("--pid-file", help="write the init's pid here")
        sp.add_argument("--console-socket", help="unix socket for the pty master")
        sp.add_argument("--no-pivot", action="store_true",
                        help="chroot instead of pivot_root (initramfs)")
        sp.add_argument("--no-new-keyring", action="store_true")
        sp.add_argument("--preserve-fds", type=int, default=0, metavar="N",
                        help="pass fds 3..3+N-1 to the process")

    creating(cmd("create", "create a container, its process waiting for start"))
    cmd("start", "start the process of a created container")
    cmd("state", "print the state of a container as JSON")
    sp = cmd("kill", "send a signal to the container's process")
    sp.add_argument("signal", nargs="?", default="SIGTERM")
    sp.add_argument("--all", "-a", action="store_true",
                    help="signal every process of the container")
    sp = cmd("delete", "delete a stopped container")
    sp.add_argument("--force", "-f", action="store_true",
                    help="kill a running container first")
    sp = cmd("run", "create and start a container, wait for it, delete it")
    creating(sp)
    sp.add_argument("--detach", "-d", action="store_true")
    sp.add_argument("--keep", action="store_true", help="do not delete on exit")
    sp = cmd("list", "list containers", with_id=False)
    sp.add_argument("--quiet", "-q", action="store_true", help="ids only")
    sp.add_argument("--format", "-f", choices=("table", "json"), default="table")
    sp = cmd("spec", "write a default config.json", with_id=False)
    sp.add_argument("--bundle", "-b", default=".")
    sp.add_argument("--rootless", action="store_true")
    cmd("features", "print the features of this runtime as JSON", with_id=False)
    sp = cmd("ps", "list the processes of a container")
    sp.add_argument("--format", "-f", choices=("table", "json"), default="table")
    sp.add_argument("ps_args", nargs="*", help="options for ps(1)")
    sp = cmd("exec", "run one more process in a container")
    sp.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND ...")
    sp.add_argument("--process", "-p", help="process.json to run (- for stdin)")
    sp.add_argument("--tty", "-t", action="store_true", help="allocate a pty")
    sp.add_argument("--console-socket", help="unix socket for the pty master")
    sp.add_argument("--detach", "-d", action="store_true")
    sp.add_argument("--pid-file", help="write the process's pid here")
    sp.add_argument("--env", "-e", action="append", default=[], metavar="K=V")
    sp.add_argument("--cwd", help="working directory in the container")
    sp.add_argument("--user", "-u", help="uid[:gid]")
    sp.add_argument("--additional-gids", "-g", action="append", default=[])
    sp.add_argument("--cap", "-c", action="append", default=[],
                    help="add a capability")
    sp.add_argument("--no-new-privs", action="store_true")
    sp.add_argument("--preserve-fds", type=int, default=0, metavar="N")
    sp.add_argument("--process-label", help="SELinux label")
    sp.add_argument("--apparmor", help="AppArmor profile")
    sp.add_argument("--ignore-paused", action="store_true")
    cmd("pause", "freeze every process of a container")
    cmd("resume", "thaw a paused container")
    return p


def cli(argv):
    """Run one command; returns the exit status."""
    if argv[:1] == ["init"]:
        container_init(*(int(a) for a in argv[1:5]))
    global_argv, rest = split_global_args(argv)
    parser = build_parser()
    opts, unknown = parser.parse_known_args(global_argv)
    log = Log(opts.log, opts.log_format, opts.debug)
    global _warning_sink

    def warning(msg):
        log.write("warning", msg)
        sys.stderr.write("brownie: warning: %s\n" % msg)
    _warning_sink = warning
    if unknown:
        log.write("debug", "ignoring unknown global flags %s" % " ".join(unknown))
    if opts.version:
        print("brownie version %s\nspec: %s\npython: %s"
              % (__version__, OCI_VERSION, platform.python_version()))
        return 0
    if not rest:
        parser.print_usage(sys.stderr)
        return 2
    args = parser.parse_args([a for a in global_argv if a not in unknown] + rest)
    log.write("debug", "%s %s" % (args.command, " ".join(rest[1:])))
    try:
        return COMMANDS[args.command](args, opts) or 0
    except BrownieError as e:
        msg = str(e)
    except OSError as e:
        msg = error_text(e)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug in brownie: still one line, unless --debug
        if opts.debug:
            import traceback
            traceback.print_exc()
        msg = "internal error: %s: %s (--debug shows where)" % (
            e.__class__.__name__, e)
    log.write("error", msg)
    sys.stderr.write("brownie: %s\n" % msg)
    return 1


def _print_json(obj):
    import json
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


def cmd_create(args, opts):
    Container.create(args.id, args.bundle, opts.root, pid_file=args.pid_file,
                     console_socket=args.console_socket, no_pivot=args.no_pivot,
                     preserve_fds=args.preserve_fds,
                     systemd_cgroup=opts.systemd_cgroup)


def cmd_run(args, opts):
    return run_container(args.id, args.bundle, opts.root, detach=args.detach,
                         keep=args.keep, pid_file=args.pid_file,
                         console_socket=args.console_socket,
                         no_pivot=args.no_pivot, preserve_fds=args.preserve_fds,
                         systemd_cgroup=opts.systemd_cgroup)


def cmd_start(args, opts):
    Container.load(args.id, opts.root).start()


def cmd_state(args, opts):
    _print_json(Container.load(args.id, opts.root).state())


def cmd_kill(args, opts):
    Container.load(args.id, opts.root).kill(parse_signal(args.signal), args.all)


def cmd_delete(args, opts):
    try:
        c = Container.load(args.id, opts.root)
    except ContainerError:
        if args.force:  # runc: delete --force of an unknown id succeeds
            check_container_id(args.id)
            return 0
        raise
    c.delete(args.force)


def cmd_list(args, opts):
    containers = Container.list(opts.root)
    if args.quiet:
        for c in containers:
            print(c.id)
        return
    rows = []
    for c in containers:
        st = c.state()
        rows.append({"id": c.id, "pid": st["pid"], "status": st["status"],
                     "bundle": st["bundle"], "rootfs": st["rootfs"],
                     "created": st["created"], "owner": st["owner"] or "root",
                     "annotations": st.get("annotations") or {}})
    if args.format == "json":
        _print_json(rows)
        return
    table = [("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")]
    table += [(r["id"], str(r["pid"]), r["status"], r["bundle"], r["created"],
               r["owner"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(6)]
    for row in table:
        print("   ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def cmd_spec(args, opts):
    import json
    path = os.path.join(args.bundle, "config.json")
    if os.path.exists(path):
        raise BrownieError("%s already exists; remove it first" % path)
    with open(path, "w") as f:
        json.dump(default_spec(args.rootless), f, indent=2)
        f.write("\n")


def cmd_features(args, opts):
    _print_json(features())


def cmd_ps(args, opts):
    c = Container.load(args.id, opts.root)
    pids = c.pids() or ([c.pid] if c.status != "stopped" else [])
    if args.format == "json":
        import json
        sys.stdout.write(json.dumps(pids) + "\n")
        return
    import subprocess
    out = subprocess.run(["ps"] + (args.ps_args or ["-ef"]), stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout.splitlines()
    pid_col = out[0].split().index("PID")
    print(out[0])
    for line in out[1:]:
        fields = line.split()
        if len(fields) > pid_col and fields[pid_col].isdigit() and int(fields[pid_col]) in pids:
            print(line)


def cmd_exec(args, opts):
    c = Container.load(args.id, opts.root)
    proc = exec_process_plan(
        c._state.get("process"), args.process, args.argv, args.env,
        args.cwd, args.user, args.additional_gids, args.cap, args.tty,
        args.no_new_privs, args.apparmor, args.process_label)
    result = c.exec(proc, detach=args.detach, pid_file=args.pid_file,
                    console_socket=args.console_socket,
                    preserve_fds=args.preserve_fds,
                    ignore_paused=args.ignore_paused)
    return 0 if args.detach else result


def cmd_pause(args, opts):
    Container.load(args.id, opts.root).pause()


def cmd_resume(args, opts):
    Container.load(args.id, opts.root).resume()


COMMANDS = {
    "create": cmd_create, "start": cmd_start, "state": cmd_state,
    "kill": cmd_kill, "delete": cmd_delete, "run": cmd_run, "list": cmd_list,
    "spec": cmd_spec, "features": cmd_features, "ps": cmd_ps,
    "pause": cmd_pause, "resume": cmd_resume, "exec": cmd_exec,
}


def main():
    sys.exit(cli(sys.argv[1:]))


if __name__ == "__main__":
    main()
