#!/bin/sh
"exec" "/usr/bin/python3" "-IS" "-c" "import sys, os, _frozen_importlib_external as i; p = os.path.realpath(sys.argv[1]); m = sys.modules['brownie'] = type(sys)('brownie'); m.__file__ = p; i.SourceFileLoader('brownie', p).exec_module(m); m.main(sys.argv[2:])" "$0" "$@"
__doc__ = """brownie: an OCI container runtime in one Python file.

Run as a program, the two lines above are a shell script that starts
/usr/bin/python3 (absolute: clients may call us with no PATH) in isolated
mode without site (-IS), and *imports* this file, whatever it is called
(copied to /usr/local/sbin/runc, say), instead of running it: a module's
bytecode is cached in __pycache__, a script is compiled on every call, and
for a file this size compiling costs far more than running. To Python
those two lines are a comment and a string.

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

import errno
import os
import struct
import sys

# The C module: signal.py would wrap the same numbers in enums, whose import
# costs more than all the rest of the init's start-up. Sockets likewise come
# from _socket, under socket.py.
import _signal as signal
import _thread

# ============================================================================
# 1. libc and system calls
# ============================================================================
# Every kernel interface the runtime needs, reached through ctypes. glibc and
# musl both export these names; the few calls a C library may lack
# (pivot_root, seccomp, bpf, pidfd_open) go through syscall(2) with the
# number for this machine's architecture.


class _LoadedOnFirstUse:
    """A module-level name whose object is made when first touched, and then
    put in its place: ctypes and dlopen cost ~3 ms of start-up that `state`,
    `start`, `kill` and `delete` never need."""

    def __init__(self, name, load):
        self._name, self._load = name, load

    def __getattr__(self, attr):
        obj = self._load()
        globals()[self._name] = obj
        return getattr(obj, attr)


def _load_libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong, ctypes.c_ulong]
    libc.syscall.restype = ctypes.c_long
    return libc


ctypes = _LoadedOnFirstUse("ctypes", lambda: __import__("ctypes"))
_libc = _LoadedOnFirstUse("_libc", _load_libc)

MACHINE = os.uname().machine  # the kernel's: what seccomp filters must cover


def _process_abi(machine, exe="/proc/self/exe", bits64=sys.maxsize > 2 ** 32):
    """The system-call ABI this interpreter uses, which is the kernel's own
    unless a 32-bit Python runs on a 64-bit kernel (arm on aarch64, x86 or
    x32 on x86_64): the ELF header of the running binary says which."""
    if bits64 or machine not in ("x86_64", "aarch64"):
        return {"i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86", "armv6l": "arm",
                "armv7l": "arm", "armv8l": "arm"}.get(machine, machine)
    with open(exe, "rb") as f:
        header = f.read(20)
    e_machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return {62: "x32", 3: "x86", 40: "arm"}.get(e_machine, machine)


# Syscall numbers the runtime itself calls by number, per ABI (the seccomp
# section has every syscall's; a test keeps the two in agreement). aarch64,
# riscv64 and loongarch64 share asm-generic/unistd.h. The calls added since
# Linux 5.1 have one number everywhere but x32, whose numbers carry bit 30.
_NEW_SYSCALLS = {"pidfd_send_signal": 424, "pidfd_open": 434, "mount_setattr": 442}
_GENERIC_SYSCALLS = dict(_NEW_SYSCALLS, pivot_root=41, seccomp=277, bpf=280,
                         ioprio_set=30, rt_sigaction=134)
_X32_SYSCALL_BIT = 0x40000000
_SYSCALL_NR_BY_MACHINE = {
    "x86_64": dict(_NEW_SYSCALLS, pivot_root=155, seccomp=317, bpf=321,
                   ioprio_set=251, rt_sigaction=13),
    "x32": {name: nr | _X32_SYSCALL_BIT for name, nr in dict(
        _NEW_SYSCALLS, pivot_root=155, seccomp=317, bpf=321, ioprio_set=251,
        rt_sigaction=512).items()},
    "x86": dict(_NEW_SYSCALLS, pivot_root=217, seccomp=354, bpf=357,
               ioprio_set=289, rt_sigaction=174),
    "aarch64": _GENERIC_SYSCALLS,
    "arm": dict(_NEW_SYSCALLS, pivot_root=218, seccomp=383, bpf=386,
                ioprio_set=314, rt_sigaction=174),
    "riscv64": _GENERIC_SYSCALLS,
    "loongarch64": _GENERIC_SYSCALLS,
    "ppc64le": dict(_NEW_SYSCALLS, pivot_root=203, seccomp=358, bpf=361,
                    ioprio_set=273, rt_sigaction=173),
    "s390x": dict(_NEW_SYSCALLS, pivot_root=217, seccomp=348, bpf=351,
                  ioprio_set=282, rt_sigaction=174),
}
PROCESS_ABI = _process_abi(MACHINE)
_SYSCALL_NR = _SYSCALL_NR_BY_MACHINE.get(PROCESS_ABI, {})

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
MS_UNBINDABLE = 0x20000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MS_SHARED = 0x100000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000
MS_LAZYTIME = 0x2000000
MNT_DETACH = 0x2

_AT_FDCWD = -100
_AT_RECURSIVE = 0x8000

# prctl(2) options
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2


def _fsencode(s):
    return None if s is None else os.fsencode(s)


def _check(ret, what, path=None):
    """Turn a libc -1 return into OSError(errno) naming the call."""
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, strerror(err)), path)
    return ret


def syscall(name, *args):
    """syscall(2) by name, for calls a C library may not wrap."""
    nr = _SYSCALL_NR.get(name)
    if nr is None:
        raise OSError(errno.ENOSYS, "%s: no syscall number known for %s" % (name, PROCESS_ABI))
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


def strerror(err):
    """An errno (or an OSError's) as text, in lower case as runc's Go prints
    it: the clients match "no such file or directory" (exit 127) and
    "permission denied" (126) in what the runtime says."""
    if isinstance(err, OSError):
        if err.errno is None:
            return str(err)
        err = err.errno
    return os.strerror(err).lower()


class ConfigError(BrownieError):
    """config.json (or a process.json, a resources JSON) is invalid.

    `field` is the JSON path in the spec's dotted form, e.g.
    linux.namespaces[2].type."""

    def __init__(self, field, message, source="config.json"):
        self.field = field
        self.message = message
        self.source = source
        text = "%s: %s" % (field, message) if field else message
        super().__init__("%s: %s" % (source, text) if source else text)


class ContainerError(BrownieError):
    """An operation is not allowed on a container in its current state, or
    the container does not exist (runc's phrases: "container does not exist",
    "container not running")."""


class ExecveFailed(BrownieError):
    """execve(2) itself failed (a script's interpreter is missing, say):
    everything else was done, and the program found."""


_warning_sink = None


def warn(message):
    """A warning for the user: to the --log file and stderr, via the CLI."""
    if _warning_sink is not None:
        _warning_sink(message)
    else:
        say("warning: " + message)


def say(message):
    """One line "brownie: ..." on stderr (which a caller may have closed)."""
    if sys.stderr is not None:  # (one line, whatever a path in it holds)
        sys.stderr.write("brownie: %s\n" % message.replace("\n", "\\n"))

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
        raise ConfigError(None, "cannot read %s: %s" % (path, strerror(e)),
                          source) from None
    try:
        obj = json.loads(data)
    except ValueError as e:
        raise ConfigError(None, "invalid JSON: %s" % e, source) from None
    except RecursionError:
        raise ConfigError(None, "invalid JSON: nested too deep", source) from None
    if not isinstance(obj, dict):
        raise ConfigError(None, "must be a JSON object", source)
    return obj


# Checks of one raw JSON value at a named field: _Fields below for the
# objects of config.md, these for the deeper structures of linux.seccomp
# and linux.resources; one wording of each error for all of them.

def _int_field(value, field, bounds, what="an integer", source="config.json"):
    if type(value) is not int:
        raise ConfigError(field, "must be %s" % what, source)
    if not bounds[0] <= value <= bounds[1]:
        raise ConfigError(field, "must be %s between %d and %d"
                          % (what, bounds[0], bounds[1]), source)
    return value


def _bool_field(value, field):
    if type(value) is not bool:
        raise ConfigError(field, "must be a boolean")


def _str_field(value, field):
    if not isinstance(value, str):
        raise ConfigError(field, "must be a string")


def _obj_field(value, field):
    if not isinstance(value, dict):
        raise ConfigError(field, "must be an object")
    return value


def _list_field(value, field):
    if not isinstance(value, list):
        raise ConfigError(field, "must be an array")
    return value


def _optional(obj, key, field, check, *args):
    if obj.get(key) is not None:
        check(obj[key], "%s.%s" % (field, key), *args)


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

    def element(self, key, i):
        """The field path of element i of the array at key."""
        return "%s[%d]" % (self.path(key), i)

    def error(self, key, message):
        return ConfigError(self.path(key), message, self.source)

    def element_error(self, key, i, message):
        return ConfigError(self.element(key, i), message, self.source)

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
        if kind is str and "\0" in v:
            # A C string ends there: the kernel would see another value.
            raise self.error(key, "must not contain a NUL byte")
        return v

    def sub(self, key):
        return _Fields(self.obj.get(key), self.path(key), self.source)

    def items(self, key):
        """(index, _Fields) for each object in the array at key."""
        return [(i, _Fields(v, self.element(key, i), self.source))
                for i, v in enumerate(self.get(key, list, []))]

    def strings(self, key):
        out = self.get(key, list, [])
        for i, s in enumerate(out):
            if not isinstance(s, str):
                raise self.element_error(key, i, "must be a string")
            if "\0" in s:
                raise self.element_error(key, i, "must not contain a NUL byte")
        return out


# uids and gids run 0..2^31-1, as runc has them: (uid_t)-1 is "leave it
# unchanged" to setresuid(2) and chown(2), and would quietly keep root.
ID_BITS = 31
NGROUPS_MAX = 65536  # setgroups(2)


def _uint(f, key, default=None, bits=64, required=False):
    v = f.get(key, int, default, required)
    if v is not None and key in f.obj:
        _int_field(v, f.path(key), (0, (1 << bits) - 1), source=f.source)
    return v


def _uints(f, key, bits=64):
    """An array of unsigned integers; errors name the element."""
    out = f.get(key, list, [])
    for i, v in enumerate(out):
        _int_field(v, f.element(key, i), (0, (1 << bits) - 1), source=f.source)
    return out


CAPABILITY_SETS = ("bounding", "effective", "permitted", "inheritable", "ambient")
CAP_SYS_ADMIN = CAPABILITIES.index("CAP_SYS_ADMIN")


def parse_capabilities(f):
    """process.capabilities -> {set name: bitmask}."""
    masks = {}
    for kind in CAPABILITY_SETS:
        mask = 0
        for i, name in enumerate(f.strings(kind)):
            try:
                mask |= 1 << CAPABILITIES.index(name)
            except ValueError:
                raise f.element_error(kind, i, "unknown capability %r" % name) from None
        masks[kind] = mask
    return masks


def grantable_capabilities(caps, field):
    """config.md: capabilities that cannot be granted are left out with a
    warning; runtimes SHOULD NOT fail for them. Those are the ones outside
    brownie's own bounding set (no process it starts can have them, user
    namespace or not), and those the kernel's rules refuse: effective but
    not permitted, inheritable but not bounding, ambient but not both
    permitted and inheritable (runc skips those too)."""
    own = own_bounding_set()
    granted = {k: v & own for k, v in caps.items()}
    granted["effective"] &= granted["permitted"]
    granted["inheritable"] &= granted["bounding"]
    granted["ambient"] &= granted["permitted"] & granted["inheritable"]
    for kind in CAPABILITY_SETS:
        left_out = [n for c, n in enumerate(CAPABILITIES)
                    if caps[kind] >> c & 1 and not granted[kind] >> c & 1]
        if left_out:
            warn("%s.%s: %s cannot be granted here, so %s left out" % (
                field, kind, ", ".join(left_out),
                "it is" if len(left_out) == 1 else "they are"))
    return granted


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
        if "=" not in e or e.startswith("="):
            raise p.element_error("env", i, "%r is not of the form KEY=value" % e)
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
    else:
        caps = grantable_capabilities(caps, p.path("capabilities"))
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
    groups = _uints(user, "additionalGids", bits=ID_BITS)
    if len(groups) > NGROUPS_MAX:
        raise user.error("additionalGids", "has %d groups, more than the kernel's "
                         "limit of %d" % (len(groups), NGROUPS_MAX))
    for kind, key, name in (("apparmor", "apparmorProfile", "AppArmor"),
                            ("selinux", "selinuxLabel", "SELinux")):
        if p.get(key, str) and not lsm_enabled(kind):
            warn("%s: ignored, %s is not enabled on this host" % (p.path(key), name))
    return {
        "args": args, "env": env, "cwd": cwd,
        "terminal": p.get("terminal", bool, False),
        "console_size": (_uint(console, "height", 0, 16),
                         _uint(console, "width", 0, 16)),
        "uid": _uint(user, "uid", 0, ID_BITS), "gid": _uint(user, "gid", 0, ID_BITS),
        "groups": groups,
        "umask": 0o022 if umask is None else umask,
        "caps": caps, "rlimits": rlimits,
        "no_new_privs": p.get("noNewPrivileges", bool, False),
        "oom_score_adj": oom,
        "apparmor": p.get("apparmorProfile", str),
        "selinux": p.get("selinuxLabel", str),
        "io_priority": io_priority,
    }


def _exec_ids(flag, text, ids):
    ids = [str(i) for i in ids]  # (digits only: int() would take " 5" and "1_000")
    if not all(i.isascii() and i.isdigit() and int(i) < 1 << ID_BITS for i in ids):
        raise BrownieError("%s %s: give numeric ids between 0 and %d"
                           % (flag, text, (1 << ID_BITS) - 1))
    return [int(i) for i in ids]


def exec_process_plan(base, process=None, args=(), env=(), cwd=None,
                      user=None, additional_gids=(), caps=(), tty=False,
                      no_new_privs=None, apparmor=None, label=None):
    """The process of `exec`: a config.md process object (the JSON of runc
    exec --process) as it is, or `base` (the container's own process plan)
    with args and runc exec's flags laid over it."""
    if process is not None:
        return parse_process(_Fields(process, "", "process.json"), "process.json")
    if not args:
        raise BrownieError("exec: give a command to run, or --process")
    # The flags get the checks process.json would (parse_process).
    if isinstance(args, str) or not all(isinstance(a, str) and "\0" not in a for a in args):
        raise BrownieError("exec: the command must be a list of strings")
    for e in env:
        if not isinstance(e, str) or "=" not in e or e.startswith("="):
            raise BrownieError("--env %r: give KEY=value" % (e,))
    if cwd is not None and not (isinstance(cwd, str) and cwd.startswith("/")):
        raise BrownieError("--cwd %r: must be an absolute path" % (cwd,))
    proc = dict(base or parse_process(_Fields({"args": ["sh"], "cwd": "/"}, "process")))
    proc["args"] = list(args)
    proc["env"] = list(proc["env"]) + list(env)
    proc["terminal"] = tty
    if cwd is not None:
        proc["cwd"] = cwd
    if user is not None:
        uid, _, gid = str(user).partition(":")
        proc["uid"], proc["gid"] = _exec_ids("--user", user, [uid, gid or "0"])
    if additional_gids:
        proc["groups"] = _exec_ids("--additional-gids", ",".join(map(str, additional_gids)),
                                   additional_gids)
    if caps:
        extra = 0
        for name in caps:
            if name not in CAPABILITIES:
                raise BrownieError("--cap %s: unknown capability" % name)
            extra |= 1 << CAPABILITIES.index(name)
        # Not inheritable or ambient: a non-root process would keep them
        # across execve (CVE-2022-29162, fixed so in runc 1.1.2).
        proc["caps"] = grantable_capabilities(
            {k: v | extra if k in ("bounding", "effective", "permitted") else v
             for k, v in (proc["caps"] or dict.fromkeys(CAPABILITY_SETS, 0)).items()},
            "--cap")
    if no_new_privs is not None:  # (runc: given, it wins over the config's)
        proc["no_new_privs"] = bool(no_new_privs)
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
            env = hook.strings("env")
            for j, e in enumerate(env):
                if "=" not in e:
                    raise hook.element_error("env", j, "%r is not of the form KEY=value" % e)
            out.append({"name": "%s[%d]" % (name, i), "path": path,
                        "args": hook.strings("args") or [path],
                        "env": env, "timeout": timeout})
        if out:
            hooks[name] = out
    return hooks


def parse_mount_options(m, options):
    """Split mount options into (flags, propagation, recursive attrs, data,
    copy up), copy up being runc's "tmpcopyup" extension."""
    flags, propagation, data = 0, [], []
    attr_set = attr_clr = 0
    copy_up = False
    for opt in options:
        if opt in MOUNT_FLAGS:
            off, flag = MOUNT_FLAGS[opt]
            if off:
                flags &= ~flag
            else:
                flags |= flag
        elif opt in MOUNT_PROPAGATION:
            propagation.append(MOUNT_PROPAGATION[opt])
        elif opt in MOUNT_RECURSIVE_ATTRS:
            s, c = MOUNT_RECURSIVE_ATTRS[opt]
            attr_set, attr_clr = (attr_set & ~c) | s, (attr_clr & ~s) | c
        elif opt == "tmpcopyup":
            copy_up = True
        elif opt in ("idmap", "ridmap"):
            raise m.error("options", "option %r is not supported by brownie" % opt)
        else:
            data.append(opt)
    return flags, propagation, (attr_set, attr_clr), ",".join(data), copy_up


def parse_mounts(cfg):
    """config.md "mounts" -> an ordered list of mount steps for the init."""
    steps = []
    for i, m in cfg.items("mounts"):
        dest = m.get("destination", str, required=True)
        if not dest.startswith("/"):
            raise m.error("destination", "must be an absolute path, not %r" % dest)
        fstype = m.get("type", str)
        source = m.get("source", str)
        options = m.strings("options")
        flags, propagation, attrs, data, copy_up = parse_mount_options(m, options)
        if "uidMappings" in m.obj or "gidMappings" in m.obj:
            raise m.error("uidMappings", "idmapped mounts are not supported by brownie")
        bind = bool(flags & MS_BIND) or fstype == "bind"
        if bind:
            if not source:
                raise m.error("source", "is required for a bind mount")
            flags |= MS_BIND
        elif not fstype:
            raise m.error("type", "is required (or use the bind option)")
        if copy_up and (bind or fstype != "tmpfs"):
            raise m.error("options", "tmpcopyup is for tmpfs mounts only")
        steps.append({
            "field": m.field, "source": source, "dest": dest,
            "type": "bind" if bind else fstype, "flags": flags,
            "propagation": propagation, "attrs": attrs, "data": data,
            "copy_up": copy_up,
        })
    return steps


def host_id(inside_id, mappings):
    """The host id a user namespace's id maps to, or None."""
    for inside, outside, size in mappings:
        if inside <= inside_id < inside + size:
            return outside + inside_id - inside
    return None


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
        major = _uint(d, "major", bits=32, required=(kind != "p"))
        minor = _uint(d, "minor", bits=32, required=(kind != "p"))
        mode = _uint(d, "fileMode", 0o666, bits=32)
        devices.append((path, kind, major or 0, minor or 0, mode,
                        _uint(d, "uid", 0, ID_BITS), _uint(d, "gid", 0, ID_BITS)))
    return devices


def resolve_bundle_path(bundle, path):
    return os.path.normpath(path if path.startswith("/") else os.path.join(bundle, path))


def build_plan(config, bundle, container_id, no_pivot=False, preserve_fds=0):
    """Validate the whole of config.json, before anything is made, and turn
    it into the init's plan (plain data): seccomp compiled, resources
    checked (section 10 writes them)."""
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
        path = ns.get("path", str) or None  # (runc: an empty path is no path)
        if path is not None:
            if not path.startswith("/"):
                raise ns.error("path", "must be an absolute path, not %r" % path)
            try:
                st = os.stat(path)
            except OSError as e:
                raise ns.error("path", "%s: %s" % (path, strerror(e))) from None
            if st.st_mode & 0o170000 != 0o100000:  # nsfs files are regular
                raise ns.error("path", "%s is not a namespace file (such as "
                               "/proc/PID/ns/%s)" % (path, NAMESPACES[kind][1]))
        seen[kind] = path
        namespaces.append((kind, path))
    new_ns = {k for k, p in seen.items() if p is None}
    any_ns = set(seen)
    uid_map = parse_id_mappings(linux, "uidMappings")
    gid_map = parse_id_mappings(linux, "gidMappings")
    if (uid_map or gid_map) and "user" not in new_ns:
        raise linux.error("uidMappings" if uid_map else "gidMappings", "mappings need a "
                          "new user namespace (linux.namespaces has no \"user\" without a path)")
    if "user" in new_ns and not (uid_map and gid_map):
        raise linux.error("gidMappings" if uid_map else "uidMappings", "a new user "
                          "namespace needs uidMappings and gidMappings")
    hostname = cfg.get("hostname", str)
    domainname = cfg.get("domainname", str)
    for key, value in (("hostname", hostname), ("domainname", domainname)):
        if value and "uts" not in any_ns:
            raise cfg.error(key, "cannot be set without a uts namespace "
                            "(it would rename the host)")
        if value and len(value.encode()) > 64:  # HOST_NAME_MAX
            raise cfg.error(key, "is longer than 64 bytes")
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
    mounts = parse_mounts(cfg)
    process = None
    if "process" in config:
        process = parse_process(cfg.sub("process"))
        if uid_map:
            check_ids_mapped(cfg.sub("process").sub("user"), process, uid_map, gid_map)
    if root.get("readonly", bool, False) and "mount" not in new_ns:
        raise root.error("readonly", "needs a mount namespace of the container's "
                         "own (it would remount a mount of the host)")
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
    # What brownie does not implement: a container wanting Intel RDT would
    # run without its cache and bandwidth limits, so it is refused; the
    # rest is tuning, ignored with a warning (runc 1.1 ignores them all).
    if "intelRdt" in linux.obj:
        raise linux.error("intelRdt", "Intel RDT is not supported by brownie")
    process_fields = cfg.sub("process")
    for fields, key in ((linux, "memoryPolicy"), (linux, "netDevices"),
                        (process_fields, "scheduler"), (process_fields, "execCPUAffinity")):
        if key in fields.obj:
            warn("%s: ignored, brownie does not implement it" % fields.path(key))
    dev_is_bind = any(m["dest"] == "/dev" and m["type"] == "bind" for m in mounts)
    return {
        "id": container_id, "bundle": bundle, "rootfs": rootfs,
        "readonly_root": root.get("readonly", bool, False),
        "root_propagation": MOUNT_PROPAGATION.get(propagation),
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
        "annotations": parse_annotations(cfg),
        "preserve_fds": preserve_fds,
        "seccomp": compile_seccomp(linux.obj.get("seccomp")),
        # For the parent, not the init (Container.create takes them out):
        "resources": validate_resources(linux.get("resources", dict, {})),
        "cgroups_path": linux.get("cgroupsPath", str),
    }


def parse_annotations(cfg):
    annotations = cfg.get("annotations", dict, {})
    for key, value in annotations.items():
        if not isinstance(value, str):
            raise cfg.error("annotations", "the value of %r must be a string" % key)
    return annotations


def check_ids_mapped(user, process, uid_map, gid_map):
    """In a new user namespace the process's ids must be mapped, or
    setresuid/setgroups fail with a bare EINVAL."""
    if host_id(process["uid"], uid_map) is None:
        raise user.error("uid", "%d is not mapped by linux.uidMappings" % process["uid"])
    if host_id(process["gid"], gid_map) is None:
        raise user.error("gid", "%d is not mapped by linux.gidMappings" % process["gid"])
    for i, gid in enumerate(process["groups"]):
        if host_id(gid, gid_map) is None:
            raise user.element_error("additionalGids", i,
                                     "%d is not mapped by linux.gidMappings" % gid)

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
        if not root:
            raise BrownieError("--root: give the state directory")
        self.root = os.path.abspath(root)
        self.id = container_id
        self.path = os.path.join(self.root, container_id)
        self.fd = None

    def make(self):
        """Create and lock the directory; fails if the id is taken."""
        try:
            os.makedirs(self.root, mode=0o711, exist_ok=True)
        except OSError as e:
            raise BrownieError("state root %s: %s" % (self.root, strerror(e))) from None
        with self._root_locked():
            try:
                os.mkdir(self.path, 0o700)
            except FileExistsError:
                if not self._remove_if_stale():
                    raise ContainerError("container with id %r already exists"
                                         % self.id) from None
                os.mkdir(self.path, 0o700)
            self.lock()
        return self

    def _root_locked(self):
        """flock on the state root, held while a new directory is made and
        locked and while a stale one is removed: neither may see the other
        half done (a create between its mkdir and its lock looks stale)."""
        return _Flock(self.root)

    def remove_if_stale(self):
        """Remove the directory if a `create` made it and died before its
        first state write (it holds the lock while it lives): such a
        directory names no container, but would keep its id taken."""
        try:
            with self._root_locked():
                return self._remove_if_stale()
        except FileNotFoundError:  # no root, no directory
            return True

    def _remove_if_stale(self):
        import fcntl
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        stale = False
        try:
            stale = self.read() is None
        finally:
            if not stale:
                self.unlock()
        if stale:
            self.remove()
        return stale

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
        """The state, or None if there is none (a `create` that died before
        its first write). Docker gives every runc-like runtime one --root,
        so the directory may hold runc's state.json instead: that is
        refused, never taken for a stale directory of ours."""
        import json
        try:
            with open(os.path.join(self.path, "state.json"), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise ContainerError("container %r: cannot read its state: %s"
                                 % (self.id, strerror(e))) from None
        try:
            state = json.loads(data)
        except ValueError:
            # (Written by rename, never half: someone else's doing.) Not
            # stale: its init and cgroups may live; delete --force says so.
            raise ContainerError("container %r: its state.json is not JSON"
                                 % self.id) from None
        if not isinstance(state, dict) or "status" not in state or "bundle" not in state:
            raise ContainerError("container %r was not made by brownie (its "
                                 "state is another runtime's)" % self.id)
        return state

    def write(self, state):
        import json
        tmp = os.path.join(self.path, ".state.json.tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps(state))  # (dump would encode in Python, not C)
        os.rename(tmp, os.path.join(self.path, "state.json"))

    def remove(self):
        # The directory is flat (state.json, start.sock, a tmp file), so
        # no shutil.rmtree, whose import costs more than the removal.
        try:
            for name in os.listdir(self.path):
                try:
                    os.unlink(os.path.join(self.path, name))
                except FileNotFoundError:
                    pass
            os.rmdir(self.path)
        except FileNotFoundError:
            pass
        finally:
            self.unlock()


class _Flock:
    """`with _Flock(directory):` holds flock(LOCK_EX) on it."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        import fcntl
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        os.close(self.fd)


def write_pid_file(path, pid):
    """Write the pid atomically (tmp + rename), without newline, as runc."""
    path = os.path.abspath(path)
    tmp = os.path.join(os.path.dirname(path), ".%s.tmp" % os.path.basename(path))
    try:
        with open(tmp, "w") as f:
            f.write(str(pid))
        os.rename(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise BrownieError("--pid-file %s: %s" % (path, strerror(e))) from None

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
                                   "%s: %s" % (kind, path, strerror(e))) from None
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
                           % (kind, path, strerror(e))) from None
    finally:
        os.close(fd)


def unshare_flags(namespaces):
    flags = 0
    for kind, path in namespaces:
        if path is None and kind != "user":
            flags |= NAMESPACES[kind][0]
    return flags


def read_id_map(path):
    """/proc/PID/uid_map or gid_map as (inside, outside, size) mappings."""
    with open(path) as f:
        return [tuple(int(n) for n in line.split()) for line in f if line.strip()]


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
            raise ConfigError(field, "cannot write %s: %s" % (name, strerror(e))) from None


def bring_up_loopback():
    """A new network namespace has lo down; runc brings it up, and clients
    (podman with --network none) rely on that."""
    import _socket
    import fcntl
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        ifreq = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
    finally:
        s.close()


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
    syscall("mount_setattr", _AT_FDCWD, _fsencode(target), _AT_RECURSIVE, attr, len(attr))


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
    cgroup v1 that is a tmpfs with one bind mount per hierarchy (read-only
    if the mount is); the tmpfs stays writable, as runc's, for the mounts
    clients add below it (docker -v X:/sys/fs/cgroup/x)."""
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


def mount_tmpfs_copy_up(target, flags, data, keep_owner):
    """A tmpfs with runc's "tmpcopyup": it starts with a copy of the
    directory it covers (podman --read-only puts such tmpfs on /tmp,
    /var/tmp and /run), read through an fd opened before mounting, and
    takes that directory's owner and mode if the image had it (one made
    just now keeps the tmpfs's own mode= option)."""
    below = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        st = os.fstat(below)
        mount("tmpfs", target, "tmpfs", flags & ~MS_RDONLY, data)
        _copy_tree(below, target)
        if keep_owner:
            os.chown(target, st.st_uid, st.st_gid)
            os.chmod(target, st.st_mode & 0o7777)
        if flags & MS_RDONLY:
            mount(None, target, None, MS_REMOUNT | flags, data)
    finally:
        os.close(below)


def _copy_tree(src_fd, dst):
    """Copy the directory open at src_fd into dst: files, directories,
    symlinks, device nodes and fifos, with owners, modes and times."""
    for entry in os.scandir(src_fd):
        st = entry.stat(follow_symlinks=False)
        kind = st.st_mode & 0o170000
        path = os.path.join(dst, entry.name)
        if kind == 0o040000:
            os.mkdir(path, 0o700)
            fd = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW |
                         os.O_CLOEXEC, dir_fd=src_fd)
            try:
                _copy_tree(fd, path)
            finally:
                os.close(fd)
        elif kind == 0o120000:
            os.symlink(os.readlink(entry.name, dir_fd=src_fd), path)
        elif kind == 0o100000:
            fin = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                          dir_fd=src_fd)
            try:
                fout = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                               os.O_CLOEXEC, 0o600)
                try:
                    while os.sendfile(fout, fin, None, 1 << 20):
                        pass
                finally:
                    os.close(fout)
            finally:
                os.close(fin)
        elif kind in (0o020000, 0o060000, 0o010000):  # char, block, fifo
            os.mknod(path, st.st_mode, st.st_rdev)
        else:  # a socket means nothing without its server
            continue
        os.chown(path, st.st_uid, st.st_gid, follow_symlinks=False)
        if kind != 0o120000:
            os.chmod(path, st.st_mode & 0o7777)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


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
            existed = os.path.isdir(target)
            make_mount_target(target, False)
            if kind == "cgroup":
                mount_cgroupfs(target, flags, cgroup_sources)
            else:
                if (mount_label and lsm_enabled("selinux")
                        and kind not in ("proc", "sysfs", "cgroup2", "mqueue")):
                    data = ",".join(filter(None, [data, 'context="%s"' % mount_label]))
                if step.get("copy_up"):
                    mount_tmpfs_copy_up(target, flags & ~MS_REMOUNT, data or None,
                                        keep_owner=existed)
                else:
                    mount(source or kind, target, kind, flags & ~MS_REMOUNT, data or None)
            for p in step["propagation"]:
                mount(None, target, None, p)
        if step["attrs"] != (0, 0):
            mount_setattr_recursive(target, *step["attrs"])
    except OSError as e:
        raise BrownieError("%s: cannot mount %s %r on %r: %s" % (
            step["field"], kind, source or kind, step["dest"],
            strerror(e))) from None


def make_parent_mount_private(path):
    """Make the mount that `path` is on private, if it is shared (runc's
    rootfsParentMountPrivate)."""
    best, shared = "", False
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" - ")[0].split()
            point = fields[4].replace("\\040", " ")
            if ((path == point or path.startswith(point.rstrip("/") + "/"))
                    and len(point) >= len(best)):
                best = point
                shared = any(o.startswith("shared:") for o in fields[6:])
    if shared:
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
        old_root = os.open("/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            # pivot_root(".", ".") stacks the old root on top of the new one,
            # and saves making a directory for it in a rootfs that may be
            # read-only.
            pivot_root(".", ".")
        except OSError as e:
            if e.errno != errno.EINVAL:  # initramfs cannot be pivoted
                raise
        else:
            # The old root is made a slave before it is detached, so that the
            # detach cannot reach the host whatever rootfsPropagation is.
            os.fchdir(old_root)
            mount(None, ".", None, MS_SLAVE | MS_REC)
            umount2(".", MNT_DETACH)
            os.chdir("/")
            return
        finally:
            os.close(old_root)
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
            raise BrownieError("linux.maskedPaths: cannot mask %s: %s"
                               % (path, strerror(e))) from None


def make_paths_readonly(paths):
    """readonlyPaths: a read-only bind mount of each path over itself."""
    for path in paths:
        try:
            _bind(path, path, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID |
                  MS_NODEV | MS_NOEXEC)
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise BrownieError("linux.readonlyPaths: cannot make %s read-only:"
                                   " %s" % (path, strerror(e))) from None


def remount_root_readonly():
    """root.readonly: remount / read-only, keeping its other flags."""
    flags = os.statvfs("/").f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)


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


def apply_sysctls(sysctl):
    """linux.sysctl, written before pivot_root through the host's /proc: the
    values land in the namespaces of the writer, the container's."""
    for key, value in sysctl:
        try:
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(value)
        except OSError as e:
            raise BrownieError("linux.sysctl: cannot set %s to %r: %s"
                               % (key, value, strerror(e))) from None


# ============================================================================
# 7. devices (config-linux.md "Devices", "Default Devices")
# ============================================================================


def create_device(rootfs, path, kind, major, minor, mode, uid, gid, in_userns):
    """mknod one device node inside the rootfs. In a user namespace mknod is
    refused, so the host's node is bind-mounted instead, as runc does.
    A device node already there (a default device, one of the image's) is
    replaced; anything else of the image is left as it is, as runc leaves
    it, never deleted."""
    import stat
    target = resolve_in_rootfs(rootfs, path, "linux.devices")
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
    type_bits = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK,
                 "p": stat.S_IFIFO}[kind]
    try:
        if in_userns:
            raise PermissionError(errno.EPERM, "mknod is not allowed in a user namespace")
        try:
            existing = os.lstat(target).st_mode
        except FileNotFoundError:
            existing = None
        if existing is not None:
            if not (stat.S_ISCHR(existing) or stat.S_ISBLK(existing) or stat.S_ISFIFO(existing)):
                return
            os.unlink(target)
        os.mknod(target, type_bits | (mode & 0o7777), os.makedev(major, minor))
        os.chmod(target, mode & 0o7777)  # mknod's mode is cut by the umask
        os.chown(target, uid, gid)
    except PermissionError:
        make_mount_target(target, True)
        mount(path, target, None, MS_BIND)


def create_default_devices(rootfs, in_userns):
    """/dev's default devices (linux.devices come after them)."""
    for path, kind, major, minor in DEFAULT_DEVICES:
        create_device(rootfs, path, kind, major, minor, 0o666, 0, 0, in_userns)


def create_dev_symlinks(rootfs):
    """/dev's default symlinks, after linux.devices: /dev/ptmx ends up the
    link to this container's devpts even where the device list names a
    /dev/ptmx node (as `--privileged` clients send), as with runc."""
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
            why = strerror(e) if isinstance(e, OSError) else str(e)
            # (Python says ValueError "not allowed to raise maximum limit"
            # for the kernel's EPERM.)
            if getattr(e, "errno", None) == errno.EPERM or "raise maximum" in why:
                why += " (raising a hard limit needs CAP_SYS_RESOURCE)"
            raise BrownieError("process.rlimits: cannot set %s to %d/%d: %s"
                               % (name, soft, hard, why)) from None


def set_oom_score_adj(value):
    """process.oomScoreAdj. Written before joining a user namespace: the
    /proc/self files of a non-dumpable process belong to the host's root,
    whom root in a user namespace cannot write for. Children inherit it."""
    if value is not None:
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write(str(value))
        except OSError as e:
            raise BrownieError("process.oomScoreAdj: cannot set %d: %s%s" % (
                value, strerror(e), " (lowering it needs CAP_SYS_RESOURCE)"
                if e.errno in (errno.EPERM, errno.EACCES) else "")) from None


def set_io_priority(value):
    syscall("ioprio_set", 1, 0, value)  # IOPRIO_WHO_PROCESS, self


def lsm_enabled(kind):
    """Is that LSM ("apparmor", "selinux") enabled on this host?"""
    if kind == "apparmor":
        return os.path.exists("/sys/kernel/security/apparmor")
    return os.path.exists("/sys/fs/selinux/enforce")


def set_lsm_exec_label(kind, label):
    """AppArmor profile or SELinux label for the next execve; nothing where
    that LSM is not enabled (parse_process warned), as runtime-tools'
    validation expects and as with linux.mountLabel."""
    if not lsm_enabled(kind):
        return
    if kind == "apparmor":
        path, text = "/proc/self/attr/apparmor/exec", "exec " + label
        if not os.path.exists(path):
            path = "/proc/self/attr/exec"
    else:
        path, text = "/proc/self/attr/exec", label
    with open(path, "wb") as f:  # (see _home_of)
        f.write(text.encode())


def capset(effective, permitted, inheritable):
    header = struct.pack("Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = struct.pack("6I", effective & 0xFFFFFFFF, permitted & 0xFFFFFFFF,
                       inheritable & 0xFFFFFFFF, effective >> 32,
                       permitted >> 32, inheritable >> 32)
    _check(_libc.capset(header, data), "capset")


def own_bounding_set():
    """This process's capability bounding set (all ones if /proc is not
    there to tell)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return (1 << len(CAPABILITIES)) - 1


def last_capability():
    try:
        with open("/proc/sys/kernel/cap_last_cap", "rb") as f:  # (see _home_of)
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


def apply_capabilities(caps, keep=0):
    """process.capabilities: effective, permitted, inheritable (plus the
    capabilities in `keep`, in effective and permitted until execve), then
    ambient (a capability can only be raised to ambient once it is
    permitted and inheritable)."""
    capset(caps["effective"] | keep, caps["permitted"] | keep, caps["inheritable"])
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
                raise _exec_error(args0, "stat %s: %s" % (args0, strerror(e)))
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


def setup_console(console_fd, proc, dev_console):
    """process.terminal (runc's docs/terminals.md): make a pty inside the
    container, send its master over the console socket (SCM_RIGHTS), and
    make the slave the process's stdio and controlling terminal, owned by
    the process's user (who could not reopen it otherwise); its group stays
    devpts's (tty), as with runc."""
    import _socket
    import fcntl
    master, slave = os.openpty()  # the container's /dev/ptmx: its own devpts
    os.fchown(slave, proc["uid"], -1)
    rows, cols = proc["console_size"]
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


def recv_with_fds(sock):
    """One recvmsg: (data, [fds passed with SCM_RIGHTS]). socket.recv_fds
    is Python 3.9+."""
    import _socket
    data, ancdata, _, _ = sock.recvmsg(4096, _socket.CMSG_SPACE(4))
    return data, [struct.unpack("i", d[:4])[0] for level, kind, d in ancdata
                  if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS]


def receive_console_master(sock):
    """The pty master a container sent over a console socket."""
    fds = recv_with_fds(sock)[1]
    if not fds:
        raise BrownieError("the container sent no terminal over the console socket")
    return fds[0]


def connect_console_socket(console_socket):
    """--console-socket: a path to connect to, or an already connected
    socket (run and exec in the foreground make their own pair)."""
    import _socket
    if console_socket is None or isinstance(console_socket, _socket.socket):
        return console_socket
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        s.connect(console_socket)
    except OSError as e:
        s.close()
        raise BrownieError("--console-socket %s: cannot connect: %s"
                           % (console_socket, strerror(e))) from None
    return s


def console_pair():
    """A connected pair standing in for a --console-socket: ours, theirs."""
    import _socket
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)


def copy_window_size(master):
    """The caller's terminal size onto the pty (where stdin is a terminal
    with a size; else process.consoleSize stays)."""
    if os.isatty(0):
        import fcntl
        import termios
        size = fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
        rows, cols = struct.unpack("HHHH", size)[:2]
        if rows and cols:
            set_window_size(master, rows, cols)


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
        copy_window_size(master)
    try:
        if stdin_tty:
            tty.setraw(0)
            resize()
            try:
                signal.signal(signal.SIGWINCH, resize)
            except ValueError:
                pass  # not the main thread: the size is passed on once
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


def container_env(proc):
    env = {}
    for e in proc["env"]:
        k, v = e.split("=", 1)
        env[k] = v
    if "HOME" not in env:
        env["HOME"] = _home_of(proc["uid"])
    return env


def _home_of(uid):
    """HOME from the container's /etc/passwd, as runc sets it. (Files read
    inside the container are opened in binary: a text codec not loaded yet
    could not be imported there.)"""
    try:
        with open("/etc/passwd", "rb") as f:
            for line in f:
                parts = line.rstrip(b"\n").split(b":")
                if len(parts) >= 6 and parts[2] == str(uid).encode():
                    return os.fsdecode(parts[5])
    except OSError:
        pass
    return "/"


def reset_signal_dispositions():
    """An ignored signal stays ignored across execve: give the process every
    signal's default, as a shell would. Python ignores SIGPIPE and SIGXFSZ;
    glibc's posix_spawn, which started the init, leaves its own signals 32
    and 33 ignored, and those only the raw system call may touch."""
    default = bytes(32)  # struct sigaction: SIG_DFL, no flags, empty mask
    for sig in range(1, 65):
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                syscall("rt_sigaction", sig, default, None, 8)
            except OSError:
                pass  # a number this kernel does not have


def enter_cwd(cwd, permission_ok=False):
    """chdir to process.cwd; False if refused and permission_ok."""
    try:
        os.chdir(cwd)
    except PermissionError:
        if permission_ok:
            return False
        raise BrownieError("process.cwd: cannot enter %s: permission denied" % cwd) from None
    except OSError as e:
        raise BrownieError("process.cwd: cannot enter %s: %s"
                           % (cwd, strerror(e))) from None
    return True


def finalize_process(proc, seccomp, exe):
    """Everything between the container's setup and execve, in the order the
    kernel imposes, with the seccomp filter last of all, so that nothing the
    runtime does is judged by the container's profile (a minimal allow-list
    still starts). Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN, so
    it stays in the effective set until the filter is in: execve then makes
    the process's capabilities from its bounding, inheritable and ambient
    sets (root: bounding | inheritable; other users: ambient), so nothing of
    it survives. `exe` is the program found while still root, None if
    process.cwd was not to be entered by root: then it is looked for now.
    Returns (program, the seccomp notify fd if the filter has
    SCMP_ACT_NOTIFY rules, else None)."""
    apply_rlimits(proc["rlimits"])
    if proc["io_priority"] is not None:
        set_io_priority(proc["io_priority"])
    if proc["apparmor"]:
        set_lsm_exec_label("apparmor", proc["apparmor"])
    if proc["selinux"]:
        set_lsm_exec_label("selinux", proc["selinux"])
    os.umask(proc["umask"])
    # cwd as root first: it may be a directory only root can enter; one
    # only the user can enter (a volume chowned to it) works after the
    # switch (as runc does it).
    entered = enter_cwd(proc["cwd"], permission_ok=True)
    caps = proc["caps"]
    admin = 1 << CAP_SYS_ADMIN if seccomp and not proc["no_new_privs"] else 0
    if caps is not None:
        drop_bounding_set(caps["bounding"])
    switch_user(proc["uid"], proc["gid"], proc["groups"], bool(caps is not None or admin))
    if caps is not None or (admin and proc["uid"] != 0):
        apply_capabilities(caps or dict.fromkeys(CAPABILITY_SETS, 0), admin)
    if not entered:
        enter_cwd(proc["cwd"])
    if exe is None:
        exe = find_executable(proc["args"][0], proc["env"])
    if proc["no_new_privs"]:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    return exe, install_seccomp(seccomp) if seccomp else None

# ============================================================================
# 9. seccomp
# ============================================================================
# config-linux.md "Seccomp": linux.seccomp is validated and compiled, in the
# create process, into a classic BPF program assembled here by hand (there is
# no libseccomp); the container's init loads it with seccomp(2). Actions,
# operators, architectures and the corner cases follow runc with libseccomp,
# so Docker's and Podman's profiles mean here what they mean there.
#
# What a filter does, as runc + libseccomp do it:
# - Architectures: the native one is always in the filter, plus the listed
#   ones this kernel can run (x86 and x32 on x86_64, arm on aarch64); listed
#   ones it cannot run are recognised and left out, as their AUDIT_ARCH can
#   never reach the filter. Any other AUDIT_ARCH gets KILL_PROCESS (libseccomp
#   kills only the thread; a half-killed container helps nobody).
# - x32 shares AUDIT_ARCH_X86_64 with x86_64; its syscall numbers have bit 30
#   set. Without SCMP_ARCH_X32 in the filter, x32 calls are a bad arch (and
#   are killed) except nr -1, which tracers use to skip a call (libseccomp).
# - A syscall name unknown to libseccomp's table is a ConfigError; a known
#   name missing on one architecture (say arm's cacheflush on x86_64) is
#   skipped there, as runc does.
# - Rules whose action (and errno) equal the default are dropped, as runc
#   does. An unconditional rule for a syscall overrides its conditional ones
#   (libseccomp); of the conditional rules the first that matches, in config
#   order, decides. The args of one rule are ANDed; if two of them test the
#   same argument index, runc splits the rule into one rule per arg (ORed).
# - Arguments are 64-bit and compared unsigned, high word then low word; on
#   32-bit ABIs (x86, x32, arm) only the low 32 bits of argument and value
#   are compared, as libseccomp does.
# - When the default action refuses (not ALLOW, LOG or TRACE) and its errno
#   is not already ENOSYS, syscall numbers above the highest one the profile
#   names get ENOSYS, so that a libc probing a newer syscall falls back
#   instead of failing with EPERM (runc's "-ENOSYS stub"; on s390x nr 0 too).
#
# The program, over struct seccomp_data {int nr; u32 arch; u64 ip;
# u64 args[6]}:
#
#     ld [4]                         the architecture check: one jeq per
#     jeq #AUDIT_ARCH_... jt arch.N  AUDIT_ARCH_* in the filter
#     ret KILL_PROCESS               an architecture not in the filter
#   arch.N:                          one section per AUDIT_ARCH_*
#     ld [0]                         the syscall number
#     (jge #0x40000000 ...)          x86_64 only: x32 numbers go their way
#     jge #nr ...                    binary search over runs of consecutive
#                                    numbers with one outcome; a leaf is a
#                                    shared ret or the checks of a syscall
#   x86_64.N:                        per syscall with conditional rules:
#     ld [16] ...                    each rule's arg tests, a failing test
#     ...                            tries the next rule; then
#     ret <default>
#     ret ALLOW ...                  the shared return instructions
#
# Conditional jumps reach 255 instructions at most, so the assembler works on
# symbolic labels and, where a target is further, bridges it with a ja (or a
# copy of the ret it aims at) placed right after the jump.

SECCOMP_SET_MODE_FILTER = 1
SECCOMP_MODE_FILTER = 2
SECCOMP_FILTER_FLAG_TSYNC = 0x1
SECCOMP_FILTER_FLAG_LOG = 0x2
SECCOMP_FILTER_FLAG_SPEC_ALLOW = 0x4
SECCOMP_FILTER_FLAG_NEW_LISTENER = 0x8
SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 0x20

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_KILL_THREAD = 0x00000000
SECCOMP_RET_TRAP = 0x00030000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_USER_NOTIF = 0x7fc00000
SECCOMP_RET_TRACE = 0x7ff00000
SECCOMP_RET_LOG = 0x7ffc0000
SECCOMP_RET_ALLOW = 0x7fff0000

_AUDIT_ARCH_X86_64 = 0xC000003E
_BPF_MAXINSNS = 4096             # the kernel's limit for one filter

# The classic BPF instructions the compiler emits (linux/filter.h).
_BPF_LD_W_ABS = 0x20             # A = 32 bits of seccomp_data at offset k
_BPF_AND_K = 0x54                # A &= k
_BPF_JA = 0x05                   # pc += k
_BPF_JEQ_K = 0x15                # pc += A == k ? jt : jf
_BPF_JGT_K = 0x25                # pc += A > k ? jt : jf   (unsigned)
_BPF_JGE_K = 0x35                # pc += A >= k ? jt : jf  (unsigned)
_BPF_JSET_K = 0x45               # pc += A & k ? jt : jf
_BPF_RET_K = 0x06                # return k

# SCMP_ACT_* -> (SECCOMP_RET_* value, whether errnoRet applies; runc's
# default errno is EPERM, also as SCMP_ACT_TRACE's message to the tracer).
_SECCOMP_ACTIONS = {
    "SCMP_ACT_KILL": (SECCOMP_RET_KILL_THREAD, False),
    "SCMP_ACT_KILL_THREAD": (SECCOMP_RET_KILL_THREAD, False),
    "SCMP_ACT_KILL_PROCESS": (SECCOMP_RET_KILL_PROCESS, False),
    "SCMP_ACT_TRAP": (SECCOMP_RET_TRAP, False),
    "SCMP_ACT_ERRNO": (SECCOMP_RET_ERRNO, True),
    "SCMP_ACT_TRACE": (SECCOMP_RET_TRACE, True),
    "SCMP_ACT_ALLOW": (SECCOMP_RET_ALLOW, False),
    "SCMP_ACT_LOG": (SECCOMP_RET_LOG, False),
    "SCMP_ACT_NOTIFY": (SECCOMP_RET_USER_NOTIF, False),
}
_SECCOMP_RET_NAMES = {
    SECCOMP_RET_KILL_PROCESS: "KILL_PROCESS", SECCOMP_RET_KILL_THREAD: "KILL_THREAD",
    SECCOMP_RET_TRAP: "TRAP", SECCOMP_RET_ERRNO: "ERRNO",
    SECCOMP_RET_USER_NOTIF: "NOTIFY", SECCOMP_RET_TRACE: "TRACE",
    SECCOMP_RET_LOG: "LOG", SECCOMP_RET_ALLOW: "ALLOW",
}
_SECCOMP_OPERATORS = ("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                      "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ")
# The spec's flags. runc accepts TSYNC and ignores it: the init is single
# threaded, and TSYNC cannot be combined with NEW_LISTENER.
_SECCOMP_FLAGS = {
    "SECCOMP_FILTER_FLAG_TSYNC": SECCOMP_FILTER_FLAG_TSYNC,
    "SECCOMP_FILTER_FLAG_LOG": SECCOMP_FILTER_FLAG_LOG,
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": SECCOMP_FILTER_FLAG_SPEC_ALLOW,
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}
# Every architecture name the spec lists (libseccomp v2.6.0).
_SECCOMP_ARCHS = (
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB")
# The ABIs brownie can filter: SCMP_ARCH_* -> (column of _SYSCALL_TABLE,
# AUDIT_ARCH_* the kernel puts in seccomp_data.arch, bits set in its syscall
# numbers, 32-bit words of an argument compared, big endian).
_SECCOMP_ABIS = {
    "SCMP_ARCH_X86_64": ("x86_64", _AUDIT_ARCH_X86_64, 0, 2, False),
    "SCMP_ARCH_X32": ("x32", _AUDIT_ARCH_X86_64, _X32_SYSCALL_BIT, 1, False),
    "SCMP_ARCH_X86": ("x86", 0x40000003, 0, 1, False),
    "SCMP_ARCH_AARCH64": ("aarch64", 0xC00000B7, 0, 2, False),
    "SCMP_ARCH_ARM": ("arm", 0x40000028, 0, 1, False),
    "SCMP_ARCH_RISCV64": ("riscv64", 0xC00000F3, 0, 2, False),
    "SCMP_ARCH_PPC64LE": ("ppc64le", 0xC0000015, 0, 2, False),
    "SCMP_ARCH_S390X": ("s390x", 0x80000016, 0, 2, True),
    "SCMP_ARCH_LOONGARCH64": ("loongarch64", 0xC0000102, 0, 2, False),
}
# uname's machine -> the ABIs its kernel runs, the native one first.
_SECCOMP_HOST_ABIS = {
    "x86_64": ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
    "i386": ("SCMP_ARCH_X86",), "i486": ("SCMP_ARCH_X86",),
    "i586": ("SCMP_ARCH_X86",), "i686": ("SCMP_ARCH_X86",),
    "aarch64": ("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"),
    "armv6l": ("SCMP_ARCH_ARM",), "armv7l": ("SCMP_ARCH_ARM",),
    "armv8l": ("SCMP_ARCH_ARM",),
    "riscv64": ("SCMP_ARCH_RISCV64",),
    "ppc64le": ("SCMP_ARCH_PPC64LE",),
    "s390x": ("SCMP_ARCH_S390X",),
    "loongarch64": ("SCMP_ARCH_LOONGARCH64",),
}

# runtime-spec features.md "linux.seccomp". supportedFlags here assumes a
# current kernel; seccomp_features() asks the running one.
SECCOMP_FEATURES = {
    "enabled": True,
    "actions": sorted(_SECCOMP_ACTIONS),
    "operators": sorted(_SECCOMP_OPERATORS),
    "archs": sorted(_SECCOMP_ARCHS),
    "knownFlags": list(_SECCOMP_FLAGS),
    "supportedFlags": list(_SECCOMP_FLAGS),
}


def seccomp_features():
    """features.md "linux.seccomp" with supportedFlags probed on this kernel."""
    features = dict(SECCOMP_FEATURES)
    features["supportedFlags"] = [
        name for name, bit in _SECCOMP_FLAGS.items() if _seccomp_flag_supported(bit)]
    return features


def _seccomp_flag_supported(bit):
    # With no program the kernel answers EFAULT once it has accepted the
    # flags, EINVAL if it does not know one (libseccomp probes the same way).
    if bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV:
        bit |= SECCOMP_FILTER_FLAG_NEW_LISTENER  # refused on its own
    try:
        syscall("seccomp", SECCOMP_SET_MODE_FILTER, bit, None)
    except OSError as e:
        return e.errno == errno.EFAULT
    return True


def compile_seccomp(seccomp, field="linux.seccomp", machine=None):
    """Validate linux.seccomp and compile it into a BPF filter for this host
    (or for `machine`, to inspect one). Returns plain data for
    install_seccomp(), None for no seccomp; raises ConfigError(field...)."""
    if seccomp is None:
        return None
    if not isinstance(seccomp, dict):
        raise ConfigError(field, "must be an object")
    default_ret = _seccomp_return(seccomp, "defaultAction", "defaultErrnoRet", field)
    if default_ret == SECCOMP_RET_USER_NOTIF:
        # runc's rule: the init itself must be able to hand the listener over.
        raise ConfigError(field + ".defaultAction",
                          "SCMP_ACT_NOTIFY cannot be the default action")
    abis = _seccomp_abis(seccomp.get("architectures"), field, machine or MACHINE)
    rules, highest, notify = _seccomp_rules(seccomp.get("syscalls"),
                                            field + ".syscalls", abis, default_ret)
    flags = _seccomp_flags(seccomp.get("flags"), field + ".flags", notify)
    listener_path, listener_metadata = _seccomp_listener(seccomp, field, notify)

    refuses = default_ret & 0xffff0000 not in (
        SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_TRACE)
    if not refuses or default_ret == SECCOMP_RET_ERRNO | errno.ENOSYS:
        highest = {}  # no ENOSYS for unknown syscalls
    program = _seccomp_program(abis, rules, highest, default_ret)
    if len(program) // 8 > _BPF_MAXINSNS:
        raise ConfigError(field, "the filter needs %d BPF instructions, more than "
                          "the kernel's limit of %d" % (len(program) // 8, _BPF_MAXINSNS))
    return {"program": program, "flags": flags, "notify": notify,
            "listener_path": listener_path, "listener_metadata": listener_metadata}


def _seccomp_uint(obj, key, field, limit, default=None):
    value = obj.get(key, default)
    if value is None:
        raise ConfigError(field, "is required")
    return _int_field(value, field, (0, limit))


def _seccomp_return(obj, action_key, errno_key, field):
    # The SECCOMP_RET_* value of an action with its errnoRet.
    action = obj.get(action_key)
    if action is None:
        raise ConfigError(field + "." + action_key, "is required")
    if not isinstance(action, str) or action not in _SECCOMP_ACTIONS:
        raise ConfigError(field + "." + action_key, 'unknown action "%s"' % (action,))
    ret, takes_errno = _SECCOMP_ACTIONS[action]
    if obj.get(errno_key) is None:
        return ret | errno.EPERM if takes_errno else ret
    if not takes_errno:
        raise ConfigError(field + "." + errno_key, "%s takes no errno; only "
                          "SCMP_ACT_ERRNO and SCMP_ACT_TRACE do" % action)
    return ret | _seccomp_uint(obj, errno_key, field + "." + errno_key, 0xffff)


def _seccomp_abis(architectures, field, machine):
    # The ABIs in the filter: the native one, then the listed ones the kernel
    # of `machine` can run.
    host = _SECCOMP_HOST_ABIS.get(machine)
    if host is None:
        raise ConfigError(field, "seccomp is not supported on %s" % machine)
    listed = architectures or []
    if not isinstance(listed, list):
        raise ConfigError(field + ".architectures", "must be an array")
    for i, arch in enumerate(listed):
        if not isinstance(arch, str) or arch not in _SECCOMP_ARCHS:
            raise ConfigError("%s.architectures[%d]" % (field, i),
                              'unknown architecture "%s"' % (arch,))
    return [abi for abi in host if abi == host[0] or abi in listed]


def _seccomp_rules(syscalls, field, abis, default_ret):
    """-> ({abi: {nr: [(ret, conditions), ...]}} in config order,
    {abi: highest nr the profile names}, whether SCMP_ACT_NOTIFY is used)."""
    numbers, known = _syscall_tables()
    rules = {abi: {} for abi in abis}
    highest = {}
    notify = False
    if syscalls is None:
        syscalls = []
    if not isinstance(syscalls, list):
        raise ConfigError(field, "must be an array")
    for i, entry in enumerate(syscalls):
        rule_field = "%s[%d]" % (field, i)
        if not isinstance(entry, dict):
            raise ConfigError(rule_field, "must be an object")
        ret = _seccomp_return(entry, "action", "errnoRet", rule_field)
        notify = notify or ret == SECCOMP_RET_USER_NOTIF
        names = entry.get("names")
        if not isinstance(names, list) or not names:
            raise ConfigError(rule_field + ".names", "must be a non-empty array of syscall names")
        alternatives = _seccomp_conditions(entry.get("args"), rule_field + ".args")
        for j, name in enumerate(names):
            name_field = "%s.names[%d]" % (rule_field, j)
            if not isinstance(name, str) or name not in known:
                raise ConfigError(name_field, 'unknown syscall "%s"' % (name,))
            if ret == SECCOMP_RET_USER_NOTIF and name in ("write", "sendmsg"):
                # (write: runc's rule; sendmsg carries the listener itself)
                raise ConfigError(name_field, "SCMP_ACT_NOTIFY cannot be used for %s: "
                                  "the runtime needs it to hand the listener over" % name)
            for abi in abis:
                column, _, nr_bits = _SECCOMP_ABIS[abi][:3]
                nr = numbers[column].get(name)
                if nr is None:
                    continue
                nr |= nr_bits
                highest[abi] = max(highest.get(abi, nr), nr)
                if ret != default_ret:
                    rules[abi].setdefault(nr, []).extend(
                        (ret, conditions) for conditions in alternatives)
    return rules, highest, notify


def _seccomp_conditions(args, field):
    # A rule's args as alternatives, each a tuple of ANDed
    # (index, op, value, valueTwo): one alternative, or one per arg where
    # two args test the same index (runc).
    if args is None:
        return [()]
    if not isinstance(args, list):
        raise ConfigError(field, "must be an array")
    conditions = []
    for k, arg in enumerate(args):
        arg_field = "%s[%d]" % (field, k)
        if not isinstance(arg, dict):
            raise ConfigError(arg_field, "must be an object")
        index = _seccomp_uint(arg, "index", arg_field + ".index", 5)
        value = _seccomp_uint(arg, "value", arg_field + ".value", 2 ** 64 - 1)
        value_two = _seccomp_uint(arg, "valueTwo", arg_field + ".valueTwo", 2 ** 64 - 1, 0)
        op = arg.get("op")
        if op is None:
            raise ConfigError(arg_field + ".op", "is required")
        if not isinstance(op, str) or op not in _SECCOMP_OPERATORS:
            raise ConfigError(arg_field + ".op", 'unknown operator "%s"' % (op,))
        if op == "SCMP_CMP_MASKED_EQ":
            value_two &= value  # libseccomp's reading: bits outside the mask never count
        conditions.append((index, op, value, value_two))
    if not conditions:
        return [()]
    if len(set(c[0] for c in conditions)) < len(conditions):
        return [(c,) for c in conditions]
    return [tuple(conditions)]


def _seccomp_flags(names, field, notify):
    # The SECCOMP_FILTER_FLAG_* bits for seccomp(2).
    if names is None:
        # runc's default when the profile says nothing: no Speculative Store
        # Bypass mitigation forced on the container, if the kernel allows.
        supported = _seccomp_flag_supported(SECCOMP_FILTER_FLAG_SPEC_ALLOW)
        flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW if supported else 0
    elif not isinstance(names, list):
        raise ConfigError(field, "must be an array")
    else:
        flags = 0
        for i, name in enumerate(names):
            flag_field = "%s[%d]" % (field, i)
            if not isinstance(name, str) or name not in _SECCOMP_FLAGS:
                raise ConfigError(flag_field, 'unknown flag "%s"' % (name,))
            bit = _SECCOMP_FLAGS[name]
            if bit == SECCOMP_FILTER_FLAG_TSYNC:
                continue
            if bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV and not notify:
                raise ConfigError(flag_field, "%s needs an SCMP_ACT_NOTIFY rule" % name)
            if not _seccomp_flag_supported(bit):
                raise ConfigError(flag_field, "%s is not supported by this kernel" % name)
            flags |= bit
    if notify:
        flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER
    return flags


def _seccomp_listener(seccomp, field, notify):
    # (listenerPath, listenerMetadata), both None without SCMP_ACT_NOTIFY,
    # where the spec says the path is ignored. "" counts as unset (as in Go).
    path = seccomp.get("listenerPath")
    metadata = seccomp.get("listenerMetadata")
    for key, value in (("listenerPath", path), ("listenerMetadata", metadata)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(field + "." + key, "must be a string")
    if metadata and not path:
        raise ConfigError(field + ".listenerMetadata", "must not be set without listenerPath")
    if not notify:
        return None, None
    if not path:
        raise ConfigError(field + ".listenerPath", "is required when SCMP_ACT_NOTIFY is used")
    return path, metadata or None


class _BPFAssembler:
    """Classic BPF with symbolic jump targets.

    `items` holds label names (str) and [code, jt, jf, k] instructions whose
    jt and jf (and k, for ja) are label names; None in jt/jf means the next
    instruction. ret(value) names a return instruction shared by all."""

    def __init__(self):
        self.items = []
        self.returns = {}
        self.labels = 0

    def new_label(self, hint):
        self.labels += 1
        return "%s.%d" % (hint, self.labels)

    def place(self, label):
        self.items.append(label)

    def emit(self, code, k=0, jt=None, jf=None):
        self.items.append([code, jt, jf, k])

    def ret(self, value):
        if value not in self.returns:
            self.returns[value] = "ret.%08x" % value
        return self.returns[value]

    def assemble(self):
        """The program as an array of struct sock_filter (native endian)."""
        items = []
        for item in self.items:
            if isinstance(item, list) and _bpf_is_branch(item[0]) and None in item[1:3]:
                after = self.new_label("next")  # "next" made explicit, so
                item = [item[0], item[1] or after, item[2] or after, item[3]]
                items += [item, after]          # bridges can go in between
            else:
                items.append(item)
        for value, label in self.returns.items():
            items += [label, [_BPF_RET_K, None, None, value]]
        while True:
            where, code = {}, []
            for item in items:
                if isinstance(item, str):
                    where[item] = len(code)
                else:
                    code.append(item)
            far, pc = [], 0
            for i, item in enumerate(items):
                if isinstance(item, str):
                    continue
                if _bpf_is_branch(item[0]):
                    far += [(i, f) for f in (1, 2) if where[item[f]] - pc - 1 > 255]
                pc += 1
            if not far:
                break
            # Bridge each far target from right after its jump: a copy of
            # the ret it aims at, or a ja (32-bit offset). Inserting moves
            # later targets further, so go round again until none is far.
            for i, f in reversed(far):
                target = items[i][f]
                bridge = self.new_label("far")
                items[i][f] = bridge
                landing = code[where[target]]
                hop = list(landing) if landing[0] == _BPF_RET_K else [_BPF_JA, None, None, target]
                items[i + 1:i + 1] = [bridge, hop]
        program, pc = [], 0
        for item in items:
            if isinstance(item, str):
                continue
            op, jt, jf, k = item
            if op == _BPF_JA:
                k = where[k] - pc - 1
            if _bpf_is_branch(op):
                jt, jf = where[jt] - pc - 1, where[jf] - pc - 1
            else:
                jt = jf = 0
            if min(jt, jf, k) < 0:
                raise BrownieError("seccomp: internal error: backward jump at %d" % pc)
            program.append(struct.pack("=HBBI", op, jt, jf, k))
            pc += 1
        return b"".join(program)


def _bpf_is_branch(code):
    return code & 0x07 == _BPF_JA and code != _BPF_JA


def _seccomp_program(abis, rules, highest, default_ret):
    # See the layout at the top of this section.
    asm = _BPFAssembler()
    default = asm.ret(default_ret)
    sections = []  # (AUDIT_ARCH_*, [abi...]) in the order of abis
    for abi in abis:
        audit = _SECCOMP_ABIS[abi][1]
        for section in sections:
            if section[0] == audit:
                section[1].append(abi)
                break
        else:
            sections.append((audit, [abi]))
    entries = [asm.new_label("arch") for _ in sections]
    asm.emit(_BPF_LD_W_ABS, 4)
    for (audit, _), entry in zip(sections, entries):
        asm.emit(_BPF_JEQ_K, audit, jt=entry)
    asm.emit(_BPF_RET_K, SECCOMP_RET_KILL_PROCESS)
    for (audit, members), entry in zip(sections, entries):
        asm.place(entry)
        asm.emit(_BPF_LD_W_ABS, 0)
        if audit != _AUDIT_ARCH_X86_64:
            _seccomp_abi_code(asm, members[0], 0, rules, highest, default_ret)
            continue
        x86_64, x32 = asm.new_label("x86_64"), asm.new_label("x32")
        asm.emit(_BPF_JGE_K, _X32_SYSCALL_BIT, jt=x32, jf=x86_64)
        asm.place(x86_64)
        if "SCMP_ARCH_X86_64" in members:
            _seccomp_abi_code(asm, "SCMP_ARCH_X86_64", 0, rules, highest, default_ret)
        else:
            asm.emit(_BPF_RET_K, SECCOMP_RET_KILL_PROCESS)
        asm.place(x32)
        if "SCMP_ARCH_X32" in members:
            _seccomp_abi_code(asm, "SCMP_ARCH_X32", _X32_SYSCALL_BIT, rules,
                              highest, default_ret)
        else:
            asm.emit(_BPF_JEQ_K, 0xFFFFFFFF, jt=default)
            asm.emit(_BPF_RET_K, SECCOMP_RET_KILL_PROCESS)
    return asm.assemble()


def _seccomp_abi_code(asm, abi, lowest_nr, rules, highest, default_ret):
    # The syscall dispatch of one ABI (A holds nr >= lowest_nr), then the
    # argument checks of its syscalls that have conditional rules.
    column = _SECCOMP_ABIS[abi][0]
    targets, checks, above = {}, [], None
    if abi in highest:
        enosys = asm.ret(SECCOMP_RET_ERRNO | errno.ENOSYS)
        above = (highest[abi] + 1, enosys)
        if abi == "SCMP_ARCH_S390X":
            targets[0] = enosys  # where s390x sends numbers it does not know
    for nr in sorted(rules[abi]):
        if nr in targets:
            continue
        unconditional = [ret for ret, conditions in rules[abi][nr] if not conditions]
        if unconditional:
            targets[nr] = asm.ret(unconditional[0])
        else:
            targets[nr] = asm.new_label("%s.%d" % (column, nr))
            checks.append((targets[nr], rules[abi][nr]))
    _seccomp_search(asm, _seccomp_runs(lowest_nr, targets, asm.ret(default_ret), above))
    for label, nr_rules in checks:
        asm.place(label)
        _seccomp_checks(asm, abi, nr_rules, default_ret)


def _seccomp_runs(lowest_nr, targets, default, above=None):
    """[(first nr, label), ...] sorted: each run of consecutive numbers that go
    to one label, the numbers no rule names going to `default`, and numbers
    from above[0] on to above[1]."""
    runs = []

    def run(start, label):
        if runs and runs[-1][0] == start:
            runs.pop()
        if not runs or runs[-1][1] != label:
            runs.append((start, label))

    run(lowest_nr, default)
    for nr in sorted(targets):
        run(nr, targets[nr])
        run(nr + 1, default)
    if above:
        run(*above)
    return runs


def _seccomp_search(asm, runs):
    # A binary search tree of jge over the runs' first numbers; every jump
    # lands on a subtree laid out below it or directly on a run's label.
    if len(runs) == 1:
        asm.emit(_BPF_JA, runs[0][1])
        return
    middle = len(runs) // 2
    low, high = runs[:middle], runs[middle:]
    low_label = low[0][1] if len(low) == 1 else asm.new_label("nr")
    high_label = high[0][1] if len(high) == 1 else asm.new_label("nr")
    asm.emit(_BPF_JGE_K, high[0][0], jt=high_label, jf=low_label)
    for half, label in ((low, low_label), (high, high_label)):
        if len(half) > 1:
            asm.place(label)
            _seccomp_search(asm, half)


def _seccomp_checks(asm, abi, nr_rules, default_ret):
    # One syscall's conditional rules in order: the first whose conditions
    # all hold returns its action, else the default.
    for ret, conditions in nr_rules:
        next_rule = asm.new_label("rule")
        for i, condition in enumerate(conditions):
            last = i == len(conditions) - 1
            _seccomp_condition(asm, abi, condition, asm.ret(ret) if last else None, next_rule)
        asm.place(next_rule)
    asm.emit(_BPF_RET_K, default_ret)


def _seccomp_condition(asm, abi, condition, passed, failed):
    # Jump to `passed` (None: fall through) if args[index] <op> value holds,
    # to `failed` if not. A 64-bit argument is two words compared high word
    # first (lexicographically, unsigned); a 32-bit ABI compares the low word.
    index, op, value, value_two = condition
    words, big_endian = _SECCOMP_ABIS[abi][3:5]
    done = None
    if passed is None:
        passed = done = asm.new_label("and")
    offset = 16 + 8 * index
    low, high = (offset + 4, offset) if big_endian else (offset, offset + 4)
    parts = [(low, value & 0xFFFFFFFF, value_two & 0xFFFFFFFF)]
    if words == 2:
        parts.insert(0, (high, value >> 32, value_two >> 32))
    for n, (offset, word, word_two) in enumerate(parts):
        last = n == len(parts) - 1
        asm.emit(_BPF_LD_W_ABS, offset)
        if op == "SCMP_CMP_EQ":
            asm.emit(_BPF_JEQ_K, word, jt=passed if last else None, jf=failed)
        elif op == "SCMP_CMP_NE":
            asm.emit(_BPF_JEQ_K, word, jt=failed if last else None, jf=passed)
        elif op == "SCMP_CMP_MASKED_EQ":  # (arg & value) == (valueTwo & value)
            asm.emit(_BPF_AND_K, word)
            asm.emit(_BPF_JEQ_K, word_two, jt=passed if last else None, jf=failed)
        else:
            greater, less = ((passed, failed) if op in ("SCMP_CMP_GT", "SCMP_CMP_GE")
                             else (failed, passed))
            if not last:  # a higher word decides unless it is equal
                asm.emit(_BPF_JGT_K, word, jt=greater)
                asm.emit(_BPF_JEQ_K, word, jf=less)
            elif op in ("SCMP_CMP_GT", "SCMP_CMP_LE"):
                asm.emit(_BPF_JGT_K, word, jt=greater, jf=less)
            else:
                asm.emit(_BPF_JGE_K, word, jt=greater, jf=less)
    if done:
        asm.place(done)


def install_seccomp(compiled):
    """Load a compile_seccomp() filter into this process, which must have
    no_new_privs set or hold CAP_SYS_ADMIN. Returns the SCMP_ACT_NOTIFY
    listener fd (close-on-exec), or None."""
    program, flags = compiled["program"], compiled["flags"]
    code = ctypes.create_string_buffer(program, len(program))
    fprog = ctypes.create_string_buffer(  # struct sock_fprog
        struct.pack("@HP", len(program) // 8, ctypes.addressof(code)))
    try:
        fd = syscall("seccomp", SECCOMP_SET_MODE_FILTER, flags, fprog)
    except OSError as e:
        if e.errno != errno.ENOSYS or flags:
            raise OSError(e.errno, "seccomp: cannot load the filter (%d instructions, "
                          "flags %#x): %s" % (len(program) // 8, flags, strerror(e)))
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog))
        return None
    return fd if flags & SECCOMP_FILTER_FLAG_NEW_LISTENER else None


def check_seccomp_agent(listener_path):
    """At create, long before the listener exists: is an agent's socket at
    listenerPath? (runc connects at create; a missing agent fails it.)"""
    import stat
    try:
        is_socket = stat.S_ISSOCK(os.stat(listener_path).st_mode)
    except OSError as e:
        raise ConfigError("linux.seccomp.listenerPath", "%s: %s" % (listener_path, strerror(e)))
    if not is_socket:
        raise ConfigError("linux.seccomp.listenerPath", "%s: not a socket" % listener_path)


def send_seccomp_listener(notify_fd, listener_path, metadata, state, pid=None):
    """Send the container process state (config-linux.md) with the listener
    fd as SCM_RIGHTS over one connection to the agent at listenerPath.
    `state` is the container's state; `pid` the process's (default state's)."""
    import array
    import json
    import _socket
    message = {"ociVersion": OCI_VERSION, "fds": ["seccompFd"],
               "pid": state["pid"] if pid is None else pid}
    if metadata:
        message["metadata"] = metadata
    message["state"] = state
    data = json.dumps(message).encode()
    fds = array.array("i", [notify_fd])
    agent = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        agent.connect(listener_path)
        sent = agent.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        agent.sendall(data[sent:])  # the fd went with the first part
    except OSError as e:
        raise BrownieError("cannot send the seccomp listener to %s: %s"
                           % (listener_path, strerror(e)))
    finally:
        agent.close()


def disassemble_seccomp(program):
    """A listing of a compiled filter, one instruction a line with its index,
    jump targets as indexes, and notes: the word an `ld` loads, the
    architecture or syscall a comparison is against (for seccomp-dump)."""
    arches = {}
    for abi, spec in _SECCOMP_ABIS.items():
        arches.setdefault(spec[1], []).append(abi[len("SCMP_ARCH_"):])
    by_number = {column: {nr: name for name, nr in table.items()}
                 for column, table in _syscall_tables()[0].items()}

    def syscall_name(audit_arch, nr):
        if nr == _X32_SYSCALL_BIT and audit_arch == _AUDIT_ARCH_X86_64:
            return "x32 from here"
        for column, arch, bit, _, _ in _SECCOMP_ABIS.values():
            if arch == audit_arch and bool(nr & _X32_SYSCALL_BIT) == bool(bit):
                return by_number[column].get(nr & ~bit, "")
        return ""
    branches = {_BPF_JEQ_K: "jeq", _BPF_JGT_K: "jgt", _BPF_JGE_K: "jge", _BPF_JSET_K: "jset"}
    # What each instruction sees: (offset of the word last loaded, the
    # architecture tested equal), carried along the jumps (all forward);
    # None where paths that meet there disagree.
    seen = {0: (None, None)}

    def reach(target, state):
        old = seen.setdefault(target, state)
        seen[target] = tuple(a if a == b else None for a, b in zip(old, state))
    lines = []
    for pc, (op, jt, jf, k) in enumerate(struct.iter_unpack("=HBBI", program)):
        loaded, arch = seen.get(pc, (None, None))
        note = ""
        constant = "#%d" % k if k < 0x10000 else "#0x%x" % k
        if op == _BPF_LD_W_ABS:
            text = "ld [%d]" % k
            note = ({0: "nr", 4: "arch", 8: "ip", 12: "ip+4"}.get(k) or
                    "args[%d]%s" % ((k - 16) // 8, "+4" if k % 8 else ""))
            reach(pc + 1, (k, arch))
        elif op == _BPF_AND_K:
            text = "and #0x%x" % k
            reach(pc + 1, (loaded, arch))
        elif op == _BPF_JA:
            text = "ja %d" % (pc + 1 + k)
            reach(pc + 1 + k, (loaded, arch))
        elif op in branches:
            text = "%s %s jt %d jf %d" % (branches[op], constant, pc + 1 + jt, pc + 1 + jf)
            taken = (loaded, arch)
            if loaded == 4 and k in arches:
                note = "/".join(arches[k])
                if op == _BPF_JEQ_K:
                    taken = (loaded, k)
            elif loaded == 0 and arch is not None:
                note = syscall_name(arch, k)
            reach(pc + 1 + jt, taken)
            reach(pc + 1 + jf, (loaded, arch))
        elif op == _BPF_RET_K:
            action, data = k & 0xFFFF0000, k & 0xFFFF
            text = "ret " + _SECCOMP_RET_NAMES.get(action, "#0x%08x" % k)
            if action in (SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE) or (
                    data and action in _SECCOMP_RET_NAMES):
                text += "(%d)" % data
        else:
            text = "op 0x%02x jt %d jf %d k 0x%x" % (op, jt, jf, k)
        lines.append(("%4d  %-36s; %s" % (pc, text, note)) if note else "%4d  %s" % (pc, text))
    return "\n".join(lines)


_syscall_tables_cache = None


def _syscall_tables():
    """({column: {name: nr}}, every known name), parsed from _SYSCALL_TABLE
    on first use rather than at import."""
    global _syscall_tables_cache
    if _syscall_tables_cache is None:
        columns = ("x86_64", "x86", "x32", "aarch64", "arm", "riscv64",
                   "ppc64le", "s390x", "loongarch64")
        tables = {column: {} for column in columns}
        names = set()
        for line in _SYSCALL_TABLE.splitlines():
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            names.add(fields[0])
            for column, nr in zip(columns, fields[1:]):
                if nr != "-":
                    tables[column][fields[0]] = int(nr)
        _syscall_tables_cache = (tables, frozenset(names))
    return _syscall_tables_cache


# Syscall numbers from libseccomp's src/syscalls.csv (syscalls up to Linux
# 7.1), every name it knows, "-" where an architecture lacks the syscall.
# Columns: x86_64, x86 (i386), x32 (without the 0x40000000 bit), aarch64,
# arm (EABI; 0xf0000 + n are ARM's private calls), riscv64, ppc64le,
# s390x, loongarch64.
_SYSCALL_TABLE = """
#                             x64  x86  x32  a64    arm rv64  ppc s390 la64
_llseek                         -  140    -    -    140    -  140    -    -
_newselect                      -  142    -    -    142    -  142    -    -
_sysctl                       156  149    -    -    149    -  149  149    -
accept                         43    -   43  202    285  202  330    -  202
accept4                       288  364  288  242    366  242  344  364  242
access                         21   33   21    -     33    -   33   33    -
acct                          163   51  163   89     51   89   51   51   89
add_key                       248  286  248  217    309  217  269  278  217
adjtimex                      159  124  159  171    124  171  124  124  171
afs_syscall                   183  137  183    -      -    -  137  137    -
alarm                          37   27   37    -      -    -   27   27    -
arch_prctl                    158  384  158    -      -    -    -    -    -
arm_fadvise64_64                -    -    -    -    270    -    -    -    -
arm_sync_file_range             -    -    -    -    341    -    -    -    -
atomic_barrier                  -    -    -    -      -    -    -    -    -
atomic_cmpxchg_32               -    -    -    -      -    -    -    -    -
bdflush                         -  134    -    -    134    -  134  134    -
bind                           49  361   49  200    282  200  327  361  200
bpf                           321  357  321  280    386  280  361  351  280
break                           -   17    -    -      -    -   17    -    -
breakpoint                      -    -    -    - 983041    -    -    -    -
brk                            12   45   12  214     45  214   45   45  214
cachectl                        -    -    -    -      -    -    -    -    -
cacheflush                      -    -    -    - 983042    -    -    -    -
cachestat                     451  451  451  451    451  451  451  451  451
capget                        125  184  125   90    184   90  183  184   90
capset                        126  185  126   91    185   91  184  185   91
chdir                          80   12   80   49     12   49   12   12   49
chmod                          90   15   90    -     15    -   15   15    -
chown                          92  182   92    -    182    -  181  212    -
chown32                         -  212    -    -    212    -    -    -    -
chroot                        161   61  161   51     61   51   61   61   51
clock_adjtime                 305  343  305  266    372  266  347  337  266
clock_adjtime64                 -  405    -    -    405    -    -    -    -
clock_getres                  229  266  229  114    264  114  247  261  114
clock_getres_time64             -  406    -    -    406    -    -    -    -
clock_gettime                 228  265  228  113    263  113  246  260  113
clock_gettime64                 -  403    -    -    403    -    -    -    -
clock_nanosleep               230  267  230  115    265  115  248  262  115
clock_nanosleep_time64          -  407    -    -    407    -    -    -    -
clock_settime                 227  264  227  112    262  112  245  259  112
clock_settime64                 -  404    -    -    404    -    -    -    -
clone                          56  120   56  220    120  220  120  120  220
clone3                        435  435  435  435    435  435  435  435  435
close                           3    6    3   57      6   57    6    6   57
close_range                   436  436  436  436    436  436  436  436  436
connect                        42  362   42  203    283  203  328  362  203
copy_file_range               326  377  326  285    391  285  379  375  285
creat                          85    8   85    -      8    -    8    8    -
create_module                 174  127    -    -      -    -  127  127    -
delete_module                 176  129  176  106    129  106  129  129  106
dup                            32   41   32   23     41   23   41   41   23
dup2                           33   63   33    -     63    -   63   63    -
dup3                          292  330  292   24    358   24  316  326   24
epoll_create                  213  254  213    -    250    -  236  249    -
epoll_create1                 291  329  291   20    357   20  315  327   20
epoll_ctl                     233  255  233   21    251   21  237  250   21
epoll_ctl_old                 214    -    -    -      -    -    -    -    -
epoll_pwait                   281  319  281   22    346   22  303  312   22
epoll_pwait2                  441  441  441  441    441  441  441  441  441
epoll_wait                    232  256  232    -    252    -  238  251    -
epoll_wait_old                215    -    -    -      -    -    -    -    -
eventfd                       284  323  284    -    351    -  307  318    -
eventfd2                      290  328  290   19    356   19  314  323   19
execve                         59   11  520  221     11  221   11   11  221
execveat                      322  358  545  281    387  281  362  354  281
exit                           60    1   60   93      1   93    1    1   93
exit_group                    231  252  231   94    248   94  234  248   94
faccessat                     269  307  269   48    334   48  298  300   48
faccessat2                    439  439  439  439    439  439  439  439  439
fadvise64                     221  250  221  223      -  223  233  253  223
fadvise64_64                    -  272    -    -      -    -    -    -    -
fallocate                     285  324  285   47    352   47  309  314   47
fanotify_init                 300  338  300  262    367  262  323  332  262
fanotify_mark                 301  339  301  263    368  263  324  333  263
fchdir                         81  133   81   50    133   50  133  133   50
fchmod                         91   94   91   52     94   52   94   94   52
fchmodat                      268  306  268   53    333   53  297  299   53
fchmodat2                     452  452  452  452    452  452  452  452  452
fchown                         93   95   93   55     95   55   95  207   55
fchown32                        -  207    -    -    207    -    -    -    -
fchownat                      260  298  260   54    325   54  289  291   54
fcntl                          72   55   72   25     55   25   55   55   25
fcntl64                         -  221    -    -    221    -    -    -    -
fdatasync                      75  148   75   83    148   83  148  148   83
fgetxattr                     193  231  193   10    231   10  214  229   10
file_getattr                  468  468  468  468    468  468  468  468  468
file_setattr                  469  469  469  469    469  469  469  469  469
finit_module                  313  350  313  273    379  273  353  344  273
flistxattr                    196  234  196   13    234   13  217  232   13
flock                          73  143   73   32    143   32  143  143   32
fork                           57    2   57    -      2    -    2    2    -
fremovexattr                  199  237  199   16    237   16  220  235   16
fsconfig                      431  431  431  431    431  431  431  431  431
fsetxattr                     190  228  190    7    228    7  211  226    7
fsmount                       432  432  432  432    432  432  432  432  432
fsopen                        430  430  430  430    430  430  430  430  430
fspick                        433  433  433  433    433  433  433  433  433
fstat                           5  108    5   80    108   80  108  108   80
fstat64                         -  197    -    -    197    -    -    -    -
fstatat64                       -  300    -    -    327    -    -    -    -
fstatfs                       138  100  138   44    100   44  100  100   44
fstatfs64                       -  269    -    -    267    -  253  266    -
fsync                          74  118   74   82    118   82  118  118   82
ftime                           -   35    -    -      -    -   35    -    -
ftruncate                      77   93   77   46     93   46   93   93   46
ftruncate64                     -  194    -    -    194    -    -    -    -
futex                         202  240  202   98    240   98  221  238   98
futex_requeue                 456  456  456  456    456  456  456  456  456
futex_time64                    -  422    -    -    422    -    -    -    -
futex_wait                    455  455  455  455    455  455  455  455  455
futex_waitv                   449  449  449  449    449  449  449  449  449
futex_wake                    454  454  454  454    454  454  454  454  454
futimesat                     261  299  261    -    326    -  290  292    -
get_kernel_syms               177  130    -    -      -    -  130  130    -
get_mempolicy                 239  275  239  236    320  236  260  269  236
get_robust_list               274  312  531  100    339  100  299  305  100
get_thread_area               211  244    -    -      -    -    -    -    -
get_tls                         -    -    -    - 983046    -    -    -    -
getcpu                        309  318  309  168    345  168  302  311  168
getcwd                         79  183   79   17    183   17  182  183   17
getdents                       78  141   78    -    141    -  141  141    -
getdents64                    217  220  217   61    217   61  202  220   61
getegid                       108   50  108  177     50  177   50  202  177
getegid32                       -  202    -    -    202    -    -    -    -
geteuid                       107   49  107  175     49  175   49  201  175
geteuid32                       -  201    -    -    201    -    -    -    -
getgid                        104   47  104  176     47  176   47  200  176
getgid32                        -  200    -    -    200    -    -    -    -
getgroups                     115   80  115  158     80  158   80  205  158
getgroups32                     -  205    -    -    205    -    -    -    -
getitimer                      36  105   36  102    105  102  105  105  102
getpagesize                     -    -    -    -      -    -    -    -    -
getpeername                    52  368   52  205    287  205  332  368  205
getpgid                       121  132  121  155    132  155  132  132  155
getpgrp                       111   65  111    -     65    -   65   65    -
getpid                         39   20   39  172     20  172   20   20  172
getpmsg                       181  188  181    -      -    -  187  188    -
getppid                       110   64  110  173     64  173   64   64  173
getpriority                   140   96  140  141     96  141   96   96  141
getrandom                     318  355  318  278    384  278  359  349  278
getresgid                     120  171  120  150    171  150  170  211  150
getresgid32                     -  211    -    -    211    -    -    -    -
getresuid                     118  165  118  148    165  148  165  209  148
getresuid32                     -  209    -    -    209    -    -    -    -
getrlimit                      97   76   97  163      -  163   76  191    -
getrusage                      98   77   98  165     77  165   77   77  165
getsid                        124  147  124  156    147  156  147  147  156
getsockname                    51  367   51  204    286  204  331  367  204
getsockopt                     55  365  542  209    295  209  340  365  209
gettid                        186  224  186  178    224  178  207  236  178
gettimeofday                   96   78   96  169     78  169   78   78  169
getuid                        102   24  102  174     24  174   24  199  174
getuid32                        -  199    -    -    199    -    -    -    -
getxattr                      191  229  191    8    229    8  212  227    8
getxattrat                    464  464  464  464    464  464  464  464  464
gtty                            -   32    -    -      -    -   32    -    -
idle                            -  112    -    -      -    -  112  112    -
init_module                   175  128  175  105    128  105  128  128  105
inotify_add_watch             254  292  254   27    317   27  276  285   27
inotify_init                  253  291  253    -    316    -  275  284    -
inotify_init1                 294  332  294   26    360   26  318  324   26
inotify_rm_watch              255  293  255   28    318   28  277  286   28
io_cancel                     210  249  210    3    247    3  231  247    3
io_destroy                    207  246  207    1    244    1  228  244    1
io_getevents                  208  247  208    4    245    4  229  245    4
io_pgetevents                 333  385  333  292    399  292  388  382  292
io_pgetevents_time64            -  416    -    -    416    -    -    -    -
io_setup                      206  245  543    0    243    0  227  243    0
io_submit                     209  248  544    2    246    2  230  246    2
io_uring_enter                426  426  426  426    426  426  426  426  426
io_uring_register             427  427  427  427    427  427  427  427  427
io_uring_setup                425  425  425  425    425  425  425  425  425
ioctl                          16   54  514   29     54   29   54   54   29
ioperm                        173  101  173    -      -    -  101    -    -
iopl                          172  110  172    -      -    -  110    -    -
ioprio_get                    252  290  252   31    315   31  274  283   31
ioprio_set                    251  289  251   30    314   30  273  282   30
ipc                             -  117    -    -      -    -  117  117    -
kcmp                          312  349  312  272    378  272  354  343  272
kexec_file_load               320    -  320  294    401  294  382  381  294
kexec_load                    246  283  528  104    347  104  268  277  104
keyctl                        250  288  250  219    311  219  271  280  219
kill                           62   37   62  129     37  129   37   37  129
landlock_add_rule             445  445  445  445    445  445  445  445  445
landlock_create_ruleset       444  444  444  444    444  444  444  444  444
landlock_restrict_self        446  446  446  446    446  446  446  446  446
lchown                         94   16   94    -     16    -   16  198    -
lchown32                        -  198    -    -    198    -    -    -    -
lgetxattr                     192  230  192    9    230    9  213  228    9
link                           86    9   86    -      9    -    9    9    -
linkat                        265  303  265   37    330   37  294  296   37
listen                         50  363   50  201    284  201  329  363  201
listmount                     458  458  458  458    458  458  458  458  458
listns                        470  470  470  470    470  470  470  470  470
listxattr                     194  232  194   11    232   11  215  230   11
listxattrat                   465  465  465  465    465  465  465  465  465
llistxattr                    195  233  195   12    233   12  216  231   12
lock                            -   53    -    -      -    -   53    -    -
lookup_dcookie                212  253  212   18    249   18  235  110   18
lremovexattr                  198  236  198   15    236   15  219  234   15
lseek                           8   19    8   62     19   62   19   19   62
lsetxattr                     189  227  189    6    227    6  210  225    6
lsm_get_self_attr             459  459  459  459    459  459  459  459  459
lsm_list_modules              461  461  461  461    461  461  461  461  461
lsm_set_self_attr             460  460  460  460    460  460  460  460  460
lstat                           6  107    6    -    107    -  107  107    -
lstat64                         -  196    -    -    196    -    -    -    -
madvise                        28  219   28  233    220  233  205  219  233
map_shadow_stack              453  453  453  453    453  453  453  453  453
mbind                         237  274  237  235    319  235  259  268  235
membarrier                    324  375  324  283    389  283  365  356  283
memfd_create                  319  356  319  279    385  279  360  350  279
memfd_secret                  447  447  447  447      -  447    -  447    -
migrate_pages                 256  294  256  238    400  238  258  287  238
mincore                        27  218   27  232    219  232  206  218  232
mkdir                          83   39   83    -     39    -   39   39    -
mkdirat                       258  296  258   34    323   34  287  289   34
mknod                         133   14  133    -     14    -   14   14    -
mknodat                       259  297  259   33    324   33  288  290   33
mlock                         149  150  149  228    150  228  150  150  228
mlock2                        325  376  325  284    390  284  378  374  284
mlockall                      151  152  151  230    152  230  152  152  230
mmap                            9   90    9  222      -  222   90   90  222
mmap2                           -  192    -    -    192    -    -    -    -
modify_ldt                    154  123  154    -      -    -  123    -    -
mount                         165   21  165   40     21   40   21   21   40
mount_setattr                 442  442  442  442    442  442  442  442  442
move_mount                    429  429  429  429    429  429  429  429  429
move_pages                    279  317  533  239    344  239  301  310  239
mprotect                       10  125   10  226    125  226  125  125  226
mpx                             -   56    -    -      -    -   56    -    -
mq_getsetattr                 245  282  245  185    279  185  267  276  185
mq_notify                     244  281  527  184    278  184  266  275  184
mq_open                       240  277  240  180    274  180  262  271  180
mq_timedreceive               243  280  243  183    277  183  265  274  183
mq_timedreceive_time64          -  419    -    -    419    -    -    -    -
mq_timedsend                  242  279  242  182    276  182  264  273  182
mq_timedsend_time64             -  418    -    -    418    -    -    -    -
mq_unlink                     241  278  241  181    275  181  263  272  181
mremap                         25  163   25  216    163  216  163  163  216
mseal                         462  462  462  462    462  462  462  462  462
msgctl                         71  402   71  187    304  187  402  402  187
msgget                         68  399   68  186    303  186  399  399  186
msgrcv                         70  401   70  188    302  188  401  401  188
msgsnd                         69  400   69  189    301  189  400  400  189
msync                          26  144   26  227    144  227  144  144  227
multiplexer                     -    -    -    -      -    -  201    -    -
munlock                       150  151  150  229    151  229  151  151  229
munlockall                    152  153  152  231    153  231  153  153  231
munmap                         11   91   11  215     91  215   91   91  215
name_to_handle_at             303  341  303  264    370  264  345  335  264
nanosleep                      35  162   35  101    162  101  162  162  101
newfstatat                    262    -  262   79      -   79  291  293   79
nfsservctl                    180  169    -   42    169   42  168  169   42
nice                            -   34    -    -     34    -   34   34    -
oldfstat                        -   28    -    -      -    -   28    -    -
oldlstat                        -   84    -    -      -    -   84    -    -
oldolduname                     -   59    -    -      -    -   59    -    -
oldstat                         -   18    -    -      -    -   18    -    -
olduname                        -  109    -    -      -    -  109    -    -
open                            2    5    2    -      5    -    5    5    -
open_by_handle_at             304  342  304  265    371  265  346  336  265
open_tree                     428  428  428  428    428  428  428  428  428
open_tree_attr                467  467  467  467    467  467  467  467  467
openat                        257  295  257   56    322   56  286  288   56
openat2                       437  437  437  437    437  437  437  437  437
pause                          34   29   34    -     29    -   29   29    -
pciconfig_iobase                -    -    -    -    271    -  200    -    -
pciconfig_read                  -    -    -    -    272    -  198    -    -
pciconfig_write                 -    -    -    -    273    -  199    -    -
perf_event_open               298  336  298  241    364  241  319  331  241
personality                   135  136  135   92    136   92  136  136   92
pidfd_getfd                   438  438  438  438    438  438  438  438  438
pidfd_open                    434  434  434  434    434  434  434  434  434
pidfd_send_signal             424  424  424  424    424  424  424  424  424
pipe                           22   42   22    -     42    -   42   42    -
pipe2                         293  331  293   59    359   59  317  325   59
pivot_root                    155  217  155   41    218   41  203  217   41
pkey_alloc                    330  381  330  289    395  289  384  385  289
pkey_free                     331  382  331  290    396  290  385  386  290
pkey_mprotect                 329  380  329  288    394  288  386  384  288
poll                            7  168    7    -    168    -  167  168    -
ppoll                         271  309  271   73    336   73  281  302   73
ppoll_time64                    -  414    -    -    414    -    -    -    -
prctl                         157  172  157  167    172  167  171  172  167
pread64                        17  180   17   67    180   67  179  180   67
preadv                        295  333  534   69    361   69  320  328   69
preadv2                       327  378  546  286    392  286  380  376  286
prlimit64                     302  340  302  261    369  261  325  334  261
process_madvise               440  440  440  440    440  440  440  440  440
process_mrelease              448  448  448  448    448  448  448  448  448
process_vm_readv              310  347  539  270    376  270  351  340  270
process_vm_writev             311  348  540  271    377  271  352  341  271
prof                            -   44    -    -      -    -   44    -    -
profil                          -   98    -    -      -    -   98    -    -
pselect6                      270  308  270   72    335   72  280  301   72
pselect6_time64                 -  413    -    -    413    -    -    -    -
ptrace                        101   26  521  117     26  117   26   26  117
putpmsg                       182  189  182    -      -    -  188  189    -
pwrite64                       18  181   18   68    181   68  180  181   68
pwritev                       296  334  535   70    362   70  321  329   70
pwritev2                      328  379  547  287    393  287  381  377  287
query_module                  178  167    -    -      -    -  166  167    -
quotactl                      179  131  179   60    131   60  131  131   60
quotactl_fd                   443  443  443  443    443  443  443  443  443
read                            0    3    0   63      3   63    3    3   63
readahead                     187  225  187  213    225  213  191  222  213
readdir                         -   89    -    -      -    -   89   89    -
readlink                       89   85   89    -     85    -   85   85    -
readlinkat                    267  305  267   78    332   78  296  298   78
readv                          19  145  515   65    145   65  145  145   65
reboot                        169   88  169  142     88  142   88   88  142
recv                            -    -    -    -    291    -  336    -    -
recvfrom                       45  371  517  207    292  207  337  371  207
recvmmsg                      299  337  537  243    365  243  343  357  243
recvmmsg_time64                 -  417    -    -    417    -    -    -    -
recvmsg                        47  372  519  212    297  212  342  372  212
remap_file_pages              216  257  216  234    253  234  239  267  234
removexattr                   197  235  197   14    235   14  218  233   14
removexattrat                 466  466  466  466    466  466  466  466  466
rename                         82   38   82    -     38    -   38   38    -
renameat                      264  302  264   38    329    -  293  295    -
renameat2                     316  353  316  276    382  276  357  347  276
request_key                   249  287  249  218    310  218  270  279  218
restart_syscall               219    0  219  128      0  128    0    7  128
riscv_flush_icache              -    -    -    -      -  259    -    -    -
riscv_hwprobe                   -    -    -    -      -  258    -    -    -
rmdir                          84   40   84    -     40    -   40   40    -
rseq                          334  386  334  293    398  293  387  383  293
rseq_slice_yield              471  471  471  471    471  471  471  471  471
rt_sigaction                   13  174  512  134    174  134  173  174  134
rt_sigpending                 127  176  522  136    176  136  175  176  136
rt_sigprocmask                 14  175   14  135    175  135  174  175  135
rt_sigqueueinfo               129  178  524  138    178  138  177  178  138
rt_sigreturn                   15  173  513  139    173  139  172  173  139
rt_sigsuspend                 130  179  130  133    179  133  178  179  133
rt_sigtimedwait               128  177  523  137    177  137  176  177  137
rt_sigtimedwait_time64          -  421    -    -    421    -    -    -    -
rt_tgsigqueueinfo             297  335  536  240    363  240  322  330  240
rtas                            -    -    -    -      -    -  255    -    -
s390_guarded_storage            -    -    -    -      -    -    -  378    -
s390_pci_mmio_read              -    -    -    -      -    -    -  353    -
s390_pci_mmio_write             -    -    -    -      -    -    -  352    -
s390_runtime_instr              -    -    -    -      -    -    -  342    -
s390_sthyi                      -    -    -    -      -    -    -  380    -
sched_get_priority_max        146  159  146  125    159  125  159  159  125
sched_get_priority_min        147  160  147  126    160  126  160  160  126
sched_getaffinity             204  242  204  123    242  123  223  240  123
sched_getattr                 315  352  315  275    381  275  356  346  275
sched_getparam                143  155  143  121    155  121  155  155  121
sched_getscheduler            145  157  145  120    157  120  157  157  120
sched_rr_get_interval         148  161  148  127    161  127  161  161  127
sched_rr_get_interval_time64    -  423    -    -    423    -    -    -    -
sched_setaffinity             203  241  203  122    241  122  222  239  122
sched_setattr                 314  351  314  274    380  274  355  345  274
sched_setparam                142  154  142  118    154  118  154  154  118
sched_setscheduler            144  156  144  119    156  119  156  156  119
sched_yield                    24  158   24  124    158  124  158  158  124
seccomp                       317  354  317  277    383  277  358  348  277
security                      185    -  185    -      -    -    -    -    -
select                         23   82   23    -      -    -   82  142    -
semctl                         66  394   66  191    300  191  394  394  191
semget                         64  393   64  190    299  190  393  393  190
semop                          65    -   65  193    298  193    -    -  193
semtimedop                    220    -  220  192    312  192  392  392  192
semtimedop_time64               -  420    -    -    420    -    -    -    -
send                            -    -    -    -    289    -  334    -    -
sendfile                       40  187   40   71    187   71  186  187   71
sendfile64                      -  239    -    -    239    -    -    -    -
sendmmsg                      307  345  538  269    374  269  349  358  269
sendmsg                        46  370  518  211    296  211  341  370  211
sendto                         44  369   44  206    290  206  335  369  206
set_mempolicy                 238  276  238  237    321  237  261  270  237
set_mempolicy_home_node       450  450  450  450    450  450  450  450  450
set_robust_list               273  311  530   99    338   99  300  304   99
set_thread_area               205  243    -    -      -    -    -    -    -
set_tid_address               218  258  218   96    256   96  232  252   96
set_tls                         -    -    -    - 983045    -    -    -    -
setdomainname                 171  121  171  162    121  162  121  121  162
setfsgid                      123  139  123  152    139  152  139  216  152
setfsgid32                      -  216    -    -    216    -    -    -    -
setfsuid                      122  138  122  151    138  151  138  215  151
setfsuid32                      -  215    -    -    215    -    -    -    -
setgid                        106   46  106  144     46  144   46  214  144
setgid32                        -  214    -    -    214    -    -    -    -
setgroups                     116   81  116  159     81  159   81  206  159
setgroups32                     -  206    -    -    206    -    -    -    -
sethostname                   170   74  170  161     74  161   74   74  161
setitimer                      38  104   38  103    104  103  104  104  103
setns                         308  346  308  268    375  268  350  339  268
setpgid                       109   57  109  154     57  154   57   57  154
setpriority                   141   97  141  140     97  140   97   97  140
setregid                      114   71  114  143     71  143   71  204  143
setregid32                      -  204    -    -    204    -    -    -    -
setresgid                     119  170  119  149    170  149  169  210  149
setresgid32                     -  210    -    -    210    -    -    -    -
setresuid                     117  164  117  147    164  147  164  208  147
setresuid32                     -  208    -    -    208    -    -    -    -
setreuid                      113   70  113  145     70  145   70  203  145
setreuid32                      -  203    -    -    203    -    -    -    -
setrlimit                     160   75  160  164     75  164   75   75    -
setsid                        112   66  112  157     66  157   66   66  157
setsockopt                     54  366  541  208    294  208  339  366  208
settimeofday                  164   79  164  170     79  170   79   79  170
setuid                        105   23  105  146     23  146   23  213  146
setuid32                        -  213    -    -    213    -    -    -    -
setxattr                      188  226  188    5    226    5  209  224    5
setxattrat                    463  463  463  463    463  463  463  463  463
sgetmask                        -   68    -    -      -    -   68    -    -
shmat                          30  397   30  196    305  196  397  397  196
shmctl                         31  396   31  195    308  195  396  396  195
shmdt                          67  398   67  197    306  197  398  398  197
shmget                         29  395   29  194    307  194  395  395  194
shutdown                       48  373   48  210    293  210  338  373  210
sigaction                       -   67    -    -     67    -   67   67    -
sigaltstack                   131  186  525  132    186  132  185  186  132
signal                          -   48    -    -      -    -   48   48    -
signalfd                      282  321  282    -    349    -  305  316    -
signalfd4                     289  327  289   74    355   74  313  322   74
sigpending                      -   73    -    -     73    -   73   73    -
sigprocmask                     -  126    -    -    126    -  126  126    -
sigreturn                       -  119    -    -    119    -  119  119    -
sigsuspend                      -   72    -    -     72    -   72   72    -
socket                         41  359   41  198    281  198  326  359  198
socketcall                      -  102    -    -      -    -  102  102    -
socketpair                     53  360   53  199    288  199  333  360  199
splice                        275  313  275   76    340   76  283  306   76
spu_create                      -    -    -    -      -    -  279    -    -
spu_run                         -    -    -    -      -    -  278    -    -
ssetmask                        -   69    -    -      -    -   69    -    -
stat                            4  106    4    -    106    -  106  106    -
stat64                          -  195    -    -    195    -    -    -    -
statfs                        137   99  137   43     99   43   99   99   43
statfs64                        -  268    -    -    266    -  252  265    -
statmount                     457  457  457  457    457  457  457  457  457
statx                         332  383  332  291    397  291  383  379  291
stime                           -   25    -    -      -    -   25    -    -
stty                            -   31    -    -      -    -   31    -    -
subpage_prot                    -    -    -    -      -    -  310    -    -
swapcontext                     -    -    -    -      -    -  249    -    -
swapoff                       168  115  168  225    115  225  115  115  225
swapon                        167   87  167  224     87  224   87   87  224
switch_endian                   -    -    -    -      -    -  363    -    -
symlink                        88   83   88    -     83    -   83   83    -
symlinkat                     266  304  266   36    331   36  295  297   36
sync                          162   36  162   81     36   81   36   36   81
sync_file_range               277  314  277   84      -   84    -  307   84
sync_file_range2                -    -    -    -      -    -  308    -    -
syncfs                        306  344  306  267    373  267  348  338  267
sys_debug_setcontext            -    -    -    -      -    -  256    -    -
syscall                         -    -    -    -      -    -    -    -    -
sysfs                         139  135  139    -    135    -  135  135    -
sysinfo                        99  116   99  179    116  179  116  116  179
syslog                        103  103  103  116    103  116  103  103  116
sysmips                         -    -    -    -      -    -    -    -    -
tee                           276  315  276   77    342   77  284  308   77
tgkill                        234  270  234  131    268  131  250  241  131
time                          201   13  201    -      -    -   13    -    -
timer_create                  222  259  526  107    257  107  240  254  107
timer_delete                  226  263  226  111    261  111  244  258  111
timer_getoverrun              225  262  225  109    260  109  243  257  109
timer_gettime                 224  261  224  108    259  108  242  256  108
timer_gettime64                 -  408    -    -    408    -    -    -    -
timer_settime                 223  260  223  110    258  110  241  255  110
timer_settime64                 -  409    -    -    409    -    -    -    -
timerfd                         -    -    -    -      -    -    -  317    -
timerfd_create                283  322  283   85    350   85  306  319   85
timerfd_gettime               287  326  287   87    354   87  312  321   87
timerfd_gettime64               -  410    -    -    410    -    -    -    -
timerfd_settime               286  325  286   86    353   86  311  320   86
timerfd_settime64               -  411    -    -    411    -    -    -    -
times                         100   43  100  153     43  153   43   43  153
tkill                         200  238  200  130    238  130  208  237  130
truncate                       76   92   76   45     92   45   92   92   45
truncate64                      -  193    -    -    193    -    -    -    -
tuxcall                       184    -  184    -      -    -  225    -    -
ugetrlimit                      -  191    -    -    191    -  190    -    -
ulimit                          -   58    -    -      -    -   58    -    -
umask                          95   60   95  166     60  166   60   60  166
umount                          -   22    -    -      -    -   22   22    -
umount2                       166   52  166   39     52   39   52   52   39
uname                          63  122   63  160    122  160  122  122  160
unlink                         87   10   87    -     10    -   10   10    -
unlinkat                      263  301  263   35    328   35  292  294   35
unshare                       272  310  272   97    337   97  282  303   97
uprobe                        336    -  336    -      -    -    -    -    -
uretprobe                     335    -  335    -      -    -    -    -    -
uselib                        134   86    -    -     86    -   86   86    -
userfaultfd                   323  374  323  282    388  282  364  355  282
usr26                           -    -    -    - 983043    -    -    -    -
usr32                           -    -    -    - 983044    -    -    -    -
ustat                         136   62  136    -     62    -   62   62    -
utime                         132   30  132    -      -    -   30   30    -
utimensat                     280  320  280   88    348   88  304  315   88
utimensat_time64                -  412    -    -    412    -    -    -    -
utimes                        235  271  235    -    269    -  251  313    -
vfork                          58  190   58    -    190    -  189  190    -
vhangup                       153  111  153   58    111   58  111  111   58
vm86                            -  166    -    -      -    -  113    -    -
vm86old                         -  113    -    -      -    -    -    -    -
vmsplice                      278  316  532   75    343   75  285  309   75
vserver                       236  273    -    -    313    -    -    -    -
wait4                          61  114   61  260    114  260  114  114  260
waitid                        247  284  529   95    280   95  272  281   95
waitpid                         -    7    -    -      -    -    7    -    -
write                           1    4    1   64      4   64    4    4   64
writev                         20  146  516   66    146   66  146  146   66
"""


# ============================================================================
# 10. cgroups
# ============================================================================
# config-linux.md "Control groups": linux.cgroupsPath and every field of
# linux.resources, through cgroupfs only (no systemd D-Bus). The spec's values
# are cgroup v1 knobs; on cgroup v2 they are converted the way runc and crun
# do. Two layers: pure mapping, one function per controller (_map_*: spec ->
# file writes, listed in _RESOURCE_CONTROLLERS; v1_files_for and
# v2_files_for lay them out for a whole v1 or v2 host, to check them), and
# the Cgroup class, which finds the hierarchies in mountinfo, creates the
# directories, picks for each controller the hierarchy that has it (a hybrid
# host has some on v1, some on v2) and performs the writes.

CGROUP_ROOT = "/sys/fs/cgroup"

_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64 = (0, (1 << 64) - 1)
_UINT32 = (0, (1 << 32) - 1)
_UINT16 = (0, (1 << 16) - 1)
# Go's uint64(-1): runc reads a swappiness of this value as "unset".
_SWAPPINESS_UNSET = (1 << 64) - 1
# Mount options of a cgroup v1 mount that do not name a controller.
_V1_MOUNT_OPTIONS = {"rw", "ro", "noprefix", "clone_children", "xattr",
                     "cpuset_v2_mode", "favordynmods", "nofavordynmods"}


# ---------------------------------------------------------------- host layout

def cgroup_layout(mountinfo="/proc/self/mountinfo"):
    """The cgroup hierarchies mounted on this host, from mountinfo: a list of
    {"name", "version", "controllers", "mountpoint", "root"} dicts, v1 first.
    `name` is the directory under /sys/fs/cgroup ("memory", "cpu,cpuacct",
    "systemd", "unified", or "" for a cgroup2 mounted at /sys/fs/cgroup)."""
    v1, v2, seen = [], [], {}
    with open(mountinfo) as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
                continue
            dev, root = fields[2], _unescape_mountinfo(fields[3])
            mountpoint = _unescape_mountinfo(fields[4])
            # A hierarchy mounted twice (or bind-mounted in part) is one
            # hierarchy; prefer the mount that shows its root.
            if dev in seen:
                old = seen[dev]
                if old["root"] != "/" and root == "/":
                    old.update(mountpoint=mountpoint, root=root)
                continue
            if tail[0] == "cgroup":
                controllers = [o for o in tail[2].split(",")
                               if o.startswith("name=") or
                               ("=" not in o and o not in _V1_MOUNT_OPTIONS)]
                h = {"version": 1, "controllers": controllers}
                v1.append(h)
            else:
                h = {"version": 2, "controllers": []}
                v2.append(h)
            h.update(mountpoint=mountpoint, root=root)
            seen[dev] = h
    for h in v1 + v2:
        h["name"] = _hierarchy_name(h["mountpoint"])
        if h["version"] == 2:
            h["controllers"] = _read_words(os.path.join(h["mountpoint"],
                                                        "cgroup.controllers"))
    return v1 + v2[:1]


def _unescape_mountinfo(s):
    # mountinfo escapes space, tab, newline and backslash as \ooo.
    if "\\" not in s:
        return s
    return s.encode().decode("unicode_escape").encode("latin-1").decode()


def _hierarchy_name(mountpoint):
    if mountpoint == CGROUP_ROOT:
        return ""
    if mountpoint.startswith(CGROUP_ROOT + "/"):
        return mountpoint[len(CGROUP_ROOT) + 1:]
    return os.path.basename(mountpoint)


def _read_words(path):
    try:
        with open(path) as f:
            return f.read().split()
    except OSError:
        return []


def _read_text(path):
    with open(path) as f:
        return f.read()


def cgroup_features():
    """runtime-spec features.md "linux.cgroup": what this runtime supports.
    systemd is False: cgroupsPath in systemd form is honoured, but through
    cgroupfs, never through systemd's D-Bus API."""
    return {"v1": True, "v2": True, "systemd": False, "systemdUser": False,
            "rdma": True}


# --------------------------------------------------------------- cgroup paths

def _clean_cgroup_path(path):
    # Lexical clean, so "../../x" cannot climb out of the hierarchy (as runc).
    import posixpath
    cleaned = posixpath.normpath("/" + path)
    cleaned = "/" + cleaned.lstrip("/")
    return cleaned if path.startswith("/") else cleaned.lstrip("/")


def _expand_slice(slice_name):
    """systemd slice unit -> cgroup path: "a-b.slice" -> /a.slice/a-b.slice."""
    bad = ConfigError("linux.cgroupsPath", 'invalid slice name "%s"' % slice_name)
    if not slice_name.endswith(".slice") or slice_name == ".slice" or "/" in slice_name:
        raise bad
    stem = slice_name[:-len(".slice")]
    if stem == "-":
        return "/"
    path, prefix = "", ""
    for component in stem.split("-"):
        if not component:
            raise bad
        path += "/" + prefix + component + ".slice"
        prefix += component + "-"
    return path


def _systemd_cgroup_path(cgroups_path, container_id):
    """"slice:prefix:name" -> the cgroup path systemd would give the unit
    (runc's expansion: "system.slice:docker:ID" -> /system.slice/docker-ID.scope)."""
    if not cgroups_path:
        parent, prefix, name = "", "brownie", container_id
    else:
        parts = cgroups_path.split(":")
        if len(parts) != 3:
            raise ConfigError("linux.cgroupsPath", 'expected "slice:prefix:name" '
                              'for systemd cgroups, got "%s"' % cgroups_path)
        parent, prefix, name = parts
    if not name:
        raise ConfigError("linux.cgroupsPath", 'empty unit name in "%s"' % cgroups_path)
    for part in (prefix, name):
        if "/" in part or part in (".", ".."):
            # systemd refuses such unit names; as a path they could climb.
            raise ConfigError("linux.cgroupsPath", 'invalid unit name part "%s" in "%s"'
                              % (part, cgroups_path))
    if name.endswith(".slice"):
        unit = name
    else:
        unit = "%s-%s.scope" % (prefix, name) if prefix else name + ".scope"
    slice_path = _expand_slice(parent or "system.slice")
    return slice_path.rstrip("/") + "/" + unit


def _pure_v2(hierarchies):
    """No v1 hierarchy with controllers (a named one, systemd's, is no matter)."""
    return not any(h["version"] == 1 and not _named_only(h) for h in hierarchies)


def _own_cgroups(proc_cgroup="/proc/self/cgroup"):
    """This process's cgroup per hierarchy: {frozenset(controllers): path};
    the v2 entry is keyed by frozenset()."""
    own = {}
    with open(proc_cgroup) as f:
        for line in f:
            hid, controllers, path = line.rstrip("\n").split(":", 2)
            own[frozenset(c for c in controllers.split(",") if c)] = path
    return own


# ----------------------------------------------------------------- validation
# (The raw-value checks, _int_field and friends, are in section 3.)

def _cpu_list_field(value, field):
    _str_field(value, field)
    for part in value.split(",") if value else ():
        ends = part.strip().split("-")
        if len(ends) > 2 or not all(e.isdigit() for e in ends) or int(ends[0]) > int(ends[-1]):
            raise ConfigError(field, 'invalid list "%s" (expected e.g. "0-3,7")' % value)


def _memory_value(value, field):
    _int_field(value, field, _INT64)
    if value < -1:
        raise ConfigError(field, "must be -1 (unlimited) or a non-negative integer")


def _validate_device_rule(rule, field):
    _obj_field(rule, field)
    if "allow" not in rule:
        raise ConfigError(field + ".allow", "is required")
    _bool_field(rule["allow"], field + ".allow")
    _optional(rule, "type", field, _str_field)
    if rule.get("type", "a") not in ("a", "b", "c"):
        raise ConfigError(field + ".type", 'must be "a", "b" or "c", not "%s"' % rule["type"])
    for key in ("major", "minor"):
        if rule.get(key) is not None:
            _int_field(rule[key], "%s.%s" % (field, key), (-1, _UINT32[1]))
    _optional(rule, "access", field, _str_field)
    access = rule.get("access")
    if access is not None and (not access or set(access) - set("rwm")):
        raise ConfigError(field + ".access", 'must be a combination of "r", "w" and "m", not "%s"' % access)


_UNIFIED_CGROUP_KEYS = ("cgroup.max.descendants", "cgroup.max.depth")


def _or_empty(obj, key):
    """obj[key] for a list field, [] when absent or null (so that a wrong
    type, even an empty object, is still reported)."""
    value = obj.get(key)
    return [] if value is None else value


def validate_resources(resources, field="linux.resources", layout=None,
                       source="config.json"):
    """Check linux.resources against the spec's types and ranges (and
    return them); raise ConfigError naming the exact field, and `source`
    (what they came from: config.json, or `update`'s resources). `unified`
    also needs a cgroup v2 hierarchy on the host (`layout`, default: this
    host's)."""
    try:
        return _validate_resources(resources, field, layout)
    except ConfigError as e:
        if e.source == source:
            raise
        raise ConfigError(e.field, e.message, source) from None


def _validate_resources(resources, field, layout):
    r = _obj_field(resources, field)
    for i, rule in enumerate(_list_field(_or_empty(r, "devices"), field + ".devices")):
        _validate_device_rule(rule, "%s.devices[%d]" % (field, i))
    if r.get("memory") is not None:
        f = field + ".memory"
        mem = _obj_field(r["memory"], f)
        for key in ("limit", "reservation", "swap"):
            _optional(mem, key, f, _memory_value)
        for key in ("kernel", "kernelTCP"):
            _optional(mem, key, f, _int_field, _INT64)
        if mem.get("swappiness") is not None and mem["swappiness"] != _SWAPPINESS_UNSET:
            _int_field(mem["swappiness"], f + ".swappiness", (0, 100))
        for key in ("disableOOMKiller", "useHierarchy", "checkBeforeUpdate"):
            _optional(mem, key, f, _bool_field)
        limit, swap = mem.get("limit") or 0, mem.get("swap") or 0
        if limit > 0 and 0 < swap < limit:  # swap is memory+swap (v1 memsw)
            raise ConfigError(f + ".swap", "%d is below the memory limit %d (swap is "
                              "memory+swap)" % (swap, limit))
    if r.get("cpu") is not None:
        f = field + ".cpu"
        cpu = _obj_field(r["cpu"], f)
        for key in ("shares", "burst", "period", "realtimePeriod"):
            _optional(cpu, key, f, _int_field, _UINT64)
        for key in ("quota", "realtimeRuntime", "idle"):
            _optional(cpu, key, f, _int_field, _INT64)
        for key in ("cpus", "mems"):
            _optional(cpu, key, f, _cpu_list_field)
        quota, burst = cpu.get("quota") or 0, cpu.get("burst")
        if burst is not None and quota > 0 and burst > quota:
            raise ConfigError(f + ".burst", "must not be larger than quota (%d)" % quota)
    if r.get("pids") is not None:
        pids = _obj_field(r["pids"], field + ".pids")
        _optional(pids, "limit", field + ".pids", _int_field, _INT64)  # (OPTIONAL since 1.2)
    if r.get("blockIO") is not None:
        _validate_block_io(r["blockIO"], field + ".blockIO")
    for i, limit in enumerate(_list_field(_or_empty(r, "hugepageLimits"), field + ".hugepageLimits")):
        f = "%s.hugepageLimits[%d]" % (field, i)
        _obj_field(limit, f)
        size = limit.get("pageSize")
        _str_field(size, f + ".pageSize")
        if not (size[:-2].isdigit() and size[0] != "0" and size[-2:] in ("KB", "MB", "GB")):
            raise ConfigError(f + ".pageSize", 'must look like "2MB" or "1GB", not "%s"' % size)
        if limit.get("limit") is None:
            raise ConfigError(f + ".limit", "is required")
        _int_field(limit["limit"], f + ".limit", _UINT64)
    if r.get("network") is not None:
        f = field + ".network"
        net = _obj_field(r["network"], f)
        _optional(net, "classID", f, _int_field, _UINT32)
        for i, prio in enumerate(_list_field(_or_empty(net, "priorities"), f + ".priorities")):
            pf = "%s.priorities[%d]" % (f, i)
            _obj_field(prio, pf)
            _str_field(prio.get("name"), pf + ".name")
            _int_field(prio.get("priority"), pf + ".priority", _UINT32)
    if r.get("rdma") is not None:
        for device, limits in _obj_field(r["rdma"], field + ".rdma").items():
            f = '%s.rdma["%s"]' % (field, device)
            _obj_field(limits, f)
            if limits.get("hcaHandles") is None and limits.get("hcaObjects") is None:
                raise ConfigError(f, "needs hcaHandles or hcaObjects")
            for key in ("hcaHandles", "hcaObjects"):
                _optional(limits, key, f, _int_field, _UINT32)
    if r.get("unified") is not None:
        for key, value in _obj_field(r["unified"], field + ".unified").items():
            f = '%s.unified["%s"]' % (field, key)
            _str_field(value, f)
            if "/" in key or "." not in key.strip("."):
                raise ConfigError(f, "key must be a file name of the form CONTROLLER.PARAMETER")
            if key.startswith("cgroup.") and key not in _UNIFIED_CGROUP_KEYS:
                # cgroup.procs would move a host process in, cgroup.kill
                # kill, cgroup.subtree_control reshape the tree...
                raise ConfigError(f, "only the limits %s of the cgroup.* files may be set"
                                  % ", ".join(_UNIFIED_CGROUP_KEYS))
        if r["unified"] and not any(h["version"] == 2 for h in (
                cgroup_layout() if layout is None else layout)):
            raise ConfigError(field + ".unified", "this host has no cgroup v2 hierarchy mounted")
    return r


def _validate_block_io(value, field):
    bio = _obj_field(value, field)
    for key in ("weight", "leafWeight"):
        _optional(bio, key, field, _int_field, _UINT16)
    for i, dev in enumerate(_list_field(_or_empty(bio, "weightDevice"), field + ".weightDevice")):
        f = "%s.weightDevice[%d]" % (field, i)
        _block_device(dev, f)
        if dev.get("weight") is None and dev.get("leafWeight") is None:
            raise ConfigError(f, "needs weight or leafWeight")
        for key in ("weight", "leafWeight"):
            _optional(dev, key, f, _int_field, _UINT16)
    for key in _THROTTLE_FILES:
        for i, dev in enumerate(_list_field(_or_empty(bio, key), "%s.%s" % (field, key))):
            f = "%s.%s[%d]" % (field, key, i)
            _block_device(dev, f)
            if dev.get("rate") is None:
                raise ConfigError(f + ".rate", "is required")
            _int_field(dev["rate"], f + ".rate", _UINT64)


def _block_device(dev, field):
    _obj_field(dev, field)
    for key in ("major", "minor"):
        if dev.get(key) is None:
            raise ConfigError("%s.%s" % (field, key), "is required")
        _int_field(dev[key], "%s.%s" % (field, key), (0, _UINT32[1]))


# ------------------------------------------------------------ v1 -> v2 values

def cpu_shares_to_weight(shares):
    """runc's ConvertCPUSharesToCgroupV2Value: v1 cpu.shares [2..262144]
    onto v2 cpu.weight [1..10000], a quadratic in log2 that maps the
    default 1024 to 100. 0 stays 0 (unset)."""
    import math
    if shares == 0:
        return 0
    if shares <= 2:
        return 1
    if shares >= 262144:
        return 10000
    l = math.log2(shares)
    return int(math.ceil(10 ** ((l * l + 125 * l) / 612.0 - 7.0 / 34.0)))


def memory_swap_to_v2(swap, limit):
    """runc's ConvertMemorySwapToCgroupV2Value: the spec's swap is memory+swap
    (v1 memsw); v2's memory.swap.max is swap alone. 0 means unset, -1 max.
    Raises ValueError where there is no v2 equivalent."""
    if limit == -1 and swap == 0:
        return -1
    if swap in (-1, 0) or limit == -1:
        return swap
    if limit == 0:
        raise ValueError("unable to set swap limit without memory limit")
    if limit < 0:
        raise ValueError("invalid memory value: %d" % limit)
    if swap < limit:
        raise ValueError("memory+swap limit should be >= memory limit")
    return swap - limit


def blkio_weight_to_io_weight(weight):
    """runc's ConvertBlkIOToIOWeightValue: [10..1000] linearly onto [1..10000]."""
    return 0 if weight == 0 else 1 + (weight - 10) * 9999 // 990


# ------------------------------------------------------------ mapping layer

class CgroupWrite(tuple):
    """One file write: (controller, filename, value) for v1, (filename, value)
    for v2; a plain tuple to compare with, plus `field` (the spec field it
    comes from), `fallback` (a CgroupWrite tried when the file does not
    exist), and `tolerate` (errnos meaning "this kernel lacks the knob": the
    write is skipped, with warning text `note` when it is not None)."""

    def __new__(cls, items, field, fallback=None, tolerate=(), note=None):
        self = tuple.__new__(cls, items)
        self.field, self.fallback, self.tolerate, self.note = field, fallback, tolerate, note
        return self

    @property
    def filename(self):
        return self[-2]

    @property
    def value(self):
        return self[-1]

    @property
    def controller(self):
        return self[0] if len(self) == 3 else self[0].split(".", 1)[0]

    def in_controller(self, controller):
        fallback = self.fallback and self.fallback.in_controller(controller)
        return CgroupWrite((controller,) + self[-2:], self.field, fallback,
                           self.tolerate, self.note)


def _w(filename, value, field, **kw):
    return CgroupWrite((filename, str(value)), field, **kw)


def _v2_number(value):
    # v2 limits: -1 (the spec's "unlimited") is "max"; 0 means unset.
    return "" if value == 0 else "max" if value < 0 else str(value)


def _map_cpuset(res, f):
    cpu = res.get("cpu") or {}
    return [_w("cpuset." + key, cpu[key], "%s.cpu.%s" % (f, key))
            for key in ("cpus", "mems") if cpu.get(key)]


def _map_memory_v1(res, f):
    mem, f = res.get("memory") or {}, f + ".memory"
    limit, swap = mem.get("limit") or 0, mem.get("swap") or 0
    out = []
    if limit:
        out.append(_w("memory.limit_in_bytes", limit, f + ".limit"))
    if swap:
        out.append(_w("memory.memsw.limit_in_bytes", swap, f + ".swap"))
    elif limit == -1:
        # Unlimited memory with swap unset means unlimited swap too (runc),
        # where the kernel does swap accounting at all.
        out.append(_w("memory.memsw.limit_in_bytes", -1, f + ".limit", tolerate=(errno.ENOENT,)))
    if mem.get("reservation"):
        out.append(_w("memory.soft_limit_in_bytes", mem["reservation"], f + ".reservation"))
    if mem.get("disableOOMKiller") is not None:
        out.append(_w("memory.oom_control", int(mem["disableOOMKiller"]), f + ".disableOOMKiller"))
    if mem.get("swappiness") not in (None, _SWAPPINESS_UNSET):
        out.append(_w("memory.swappiness", mem["swappiness"], f + ".swappiness"))
    if mem.get("useHierarchy") is not None:
        # Since Linux 5.16 use_hierarchy is always 1 and writing 0 is EINVAL.
        out.append(_w("memory.use_hierarchy", int(mem["useHierarchy"]), f + ".useHierarchy",
                      tolerate=(errno.EINVAL,),
                      note=f + ".useHierarchy: ignored, this kernel always uses hierarchical accounting"))
    return out


def _map_memory_v2(res, f):
    mem, f = res.get("memory") or {}, f + ".memory"
    limit, swap, reservation = (mem.get(k) or 0 for k in ("limit", "swap", "reservation"))
    out = []
    if limit or swap or reservation:
        try:
            v2_swap = memory_swap_to_v2(swap, limit)
        except ValueError as e:
            raise ConfigError(f + ".swap", "cannot convert to cgroup v2: %s" % e)
        value = _v2_number(v2_swap)
        if value == "" and swap > 0:
            value = "0"  # swap == limit: no swap at all
        if value:
            # Without swap accounting there is no memory.swap.max; that is
            # fine when asking for "no swap" or "unlimited swap".
            out.append(_w("memory.swap.max", value, f + ".swap",
                          tolerate=(errno.ENOENT,) if value in ("max", "0") else ()))
        if limit:
            out.append(_w("memory.max", _v2_number(limit), f + ".limit"))
        if reservation:
            out.append(_w("memory.low", _v2_number(reservation), f + ".reservation"))
    if mem.get("disableOOMKiller"):
        raise ConfigError(f + ".disableOOMKiller", "cgroup v2 cannot disable the OOM killer")
    if mem.get("swappiness") not in (None, _SWAPPINESS_UNSET):
        raise ConfigError(f + ".swappiness", "cgroup v2 has no per-cgroup swappiness")
    if mem.get("useHierarchy") is False:
        raise ConfigError(f + ".useHierarchy", "cgroup v2 accounting is always hierarchical")
    return out


def _map_cpu_v1(res, f):
    cpu, f = res.get("cpu") or {}, f + ".cpu"
    # A write the kernel rejects because of the current value of a sibling
    # knob (period vs quota, rt period vs runtime) is retried after the
    # others by the writer, so this order is only the usual one.
    knobs = (("shares", "cpu.shares"), ("period", "cpu.cfs_period_us"),
             ("burst", "cpu.cfs_burst_us"), ("quota", "cpu.cfs_quota_us"),
             ("idle", "cpu.idle"), ("realtimePeriod", "cpu.rt_period_us"),
             ("realtimeRuntime", "cpu.rt_runtime_us"))
    out = []
    for key, filename in knobs:
        value = cpu.get(key)
        if key in ("burst", "idle") and value is not None:
            out.append(_w(filename, value, "%s.%s" % (f, key),
                          tolerate=(errno.ENOENT,) if key == "burst" else ()))
        elif value:
            out.append(_w(filename, value, "%s.%s" % (f, key)))
    return out


def _map_cpu_v2(res, f):
    cpu, f = res.get("cpu") or {}, f + ".cpu"
    out = []
    if cpu.get("idle") is not None:
        out.append(_w("cpu.idle", cpu["idle"], f + ".idle"))
    if cpu.get("shares"):
        out.append(_w("cpu.weight", cpu_shares_to_weight(cpu["shares"]), f + ".shares"))
    if cpu.get("burst") is not None:
        out.append(_w("cpu.max.burst", cpu["burst"], f + ".burst"))
    quota, period = cpu.get("quota") or 0, cpu.get("period") or 0
    if quota or period:
        value = "%s %d" % (quota if quota > 0 else "max", period or 100000)
        out.append(_w("cpu.max", value, f + (".quota" if quota else ".period")))
    for key in ("realtimePeriod", "realtimeRuntime"):
        if cpu.get(key):
            raise ConfigError("%s.%s" % (f, key), "cgroup v2 has no realtime CPU limits")
    return out


def _map_pids(res, f):
    pids = res.get("pids")
    if not pids or pids.get("limit") is None:
        return []
    # The spec: 0 is a valid limit (runc writes 1 instead, for systemd).
    limit = pids["limit"]
    return [_w("pids.max", limit if limit >= 0 else "max", f + ".pids.limit")]


_THROTTLE_FILES = {"throttleReadBpsDevice": ("blkio.throttle.read_bps_device", "rbps"),
                   "throttleWriteBpsDevice": ("blkio.throttle.write_bps_device", "wbps"),
                   "throttleReadIOPSDevice": ("blkio.throttle.read_iops_device", "riops"),
                   "throttleWriteIOPSDevice": ("blkio.throttle.write_iops_device", "wiops")}


def _map_blkio_v1(res, f):
    bio, f = res.get("blockIO") or {}, f + ".blockIO"
    out = []
    # CFQ's knobs are blkio.weight*, BFQ's blkio.bfq.weight*.
    if bio.get("weight"):
        out.append(_w("blkio.weight", bio["weight"], f + ".weight",
                      fallback=_w("blkio.bfq.weight", bio["weight"], f + ".weight")))
    if bio.get("leafWeight"):
        out.append(_w("blkio.leaf_weight", bio["leafWeight"], f + ".leafWeight"))
    for i, dev in enumerate(bio.get("weightDevice") or []):
        df, device = "%s.weightDevice[%d]" % (f, i), "%d:%d" % (dev["major"], dev["minor"])
        if dev.get("weight"):
            value = "%s %d" % (device, dev["weight"])
            out.append(_w("blkio.weight_device", value, df + ".weight",
                          fallback=_w("blkio.bfq.weight_device", value, df + ".weight")))
        if dev.get("leafWeight"):
            out.append(_w("blkio.leaf_weight_device", "%s %d" % (device, dev["leafWeight"]),
                          df + ".leafWeight"))
    for key, (filename, _) in _THROTTLE_FILES.items():
        for i, dev in enumerate(bio.get(key) or []):
            out.append(_w(filename, "%d:%d %d" % (dev["major"], dev["minor"], dev["rate"]),
                          "%s.%s[%d]" % (f, key, i)))
    return out


def _map_io_v2(res, f):
    bio, f = res.get("blockIO") or {}, f + ".blockIO"
    out = []
    # BFQ takes the v1 weight as is; without BFQ, io.weight on its own scale.
    if bio.get("weight"):
        out.append(_w("io.bfq.weight", bio["weight"], f + ".weight",
                      fallback=_w("io.weight", blkio_weight_to_io_weight(bio["weight"]), f + ".weight")))
    if bio.get("leafWeight"):
        raise ConfigError(f + ".leafWeight", "cgroup v2 has no leaf weight")
    for i, dev in enumerate(bio.get("weightDevice") or []):
        df, device = "%s.weightDevice[%d]" % (f, i), "%d:%d" % (dev["major"], dev["minor"])
        if dev.get("leafWeight"):
            raise ConfigError(df + ".leafWeight", "cgroup v2 has no leaf weight")
        if dev.get("weight"):
            io_weight = blkio_weight_to_io_weight(dev["weight"])
            out.append(_w("io.bfq.weight", "%s %d" % (device, dev["weight"]), df + ".weight",
                          fallback=_w("io.weight", "%s %d" % (device, io_weight), df + ".weight")))
    for key, (_, name) in _THROTTLE_FILES.items():
        for i, dev in enumerate(bio.get(key) or []):
            out.append(_w("io.max", "%d:%d %s=%d" % (dev["major"], dev["minor"], name, dev["rate"]),
                          "%s.%s[%d]" % (f, key, i)))
    return out


def _hugetlb_mapper(suffix):
    def map_hugetlb(res, f):
        out = []
        for i, limit in enumerate(res.get("hugepageLimits") or []):
            prefix, lf = "hugetlb." + limit["pageSize"], "%s.hugepageLimits[%d]" % (f, i)
            out.append(_w(prefix + suffix, limit["limit"], lf))
            # Reservation accounting (Linux 5.7+) is the stronger limit;
            # older kernels only have the page-fault one.
            out.append(_w(prefix + ".rsvd" + suffix, limit["limit"], lf, tolerate=(errno.ENOENT,)))
        return out
    return map_hugetlb


def _map_net_cls(res, f):
    net = res.get("network") or {}
    if net.get("classID") is None:
        return []
    return [_w("net_cls.classid", net["classID"], f + ".network.classID")]


def _map_net_prio(res, f):
    net = res.get("network") or {}
    return [_w("net_prio.ifpriomap", "%s %d" % (p["name"], p["priority"]),
               "%s.network.priorities[%d]" % (f, i))
            for i, p in enumerate(net.get("priorities") or [])]


def _map_rdma(res, f):
    out = []
    for device, limits in (res.get("rdma") or {}).items():
        value = device
        if limits.get("hcaHandles") is not None:
            value += " hca_handle=%d" % limits["hcaHandles"]
        if limits.get("hcaObjects") is not None:
            value += " hca_object=%d" % limits["hcaObjects"]
        out.append(_w("rdma.max", value, '%s.rdma["%s"]' % (f, device)))
    return out


def _map_unified(res, f):
    return [_w(key, value, '%s.unified["%s"]' % (f, key))
            for key, value in (res.get("unified") or {}).items() if value.strip()]


# Each resource controller: its v1 name, its v2 name (None: v1 only), and
# the two mappers. The order is the order of the writes.
_RESOURCE_CONTROLLERS = (
    ("cpuset", "cpuset", _map_cpuset, _map_cpuset),
    ("memory", "memory", _map_memory_v1, _map_memory_v2),
    ("cpu", "cpu", _map_cpu_v1, _map_cpu_v2),
    ("pids", "pids", _map_pids, _map_pids),
    ("blkio", "io", _map_blkio_v1, _map_io_v2),
    ("hugetlb", "hugetlb", _hugetlb_mapper(".limit_in_bytes"), _hugetlb_mapper(".max")),
    ("net_cls", None, _map_net_cls, None),
    ("net_prio", None, _map_net_prio, None),
    ("rdma", "rdma", _map_rdma, _map_rdma),
)


def v1_files_for(resources, field="linux.resources", devices_list=None, extra_devices=()):
    """The cgroup v1 writes for linux.resources, in order: a list of
    CgroupWrite (controller, filename, value). Pure. Device rules are the
    transition from `devices_list` (a devices.list text; None: unknown)."""
    out = []
    for v1_name, _, map_v1, _ in _RESOURCE_CONTROLLERS:
        out += [w.in_controller(v1_name) for w in map_v1(resources, field)]
    rules = list(resources.get("devices") or []) + list(extra_devices)
    if rules:
        out += [w.in_controller("devices")
                for w in _device_writes_v1(rules, devices_list, field + ".devices")]
    return out


def v2_files_for(resources, field="linux.resources"):
    """The cgroup v2 writes for linux.resources with the v1 values converted
    as runc/crun do, `unified` last: a list of CgroupWrite (filename, value).
    Pure; ConfigError for values cgroup v2 cannot express."""
    out = []
    for _, v2_name, _, map_v2 in _RESOURCE_CONTROLLERS:
        if v2_name:
            out += map_v2(resources, field)
    return out + _map_unified(resources, field)


# ----------------------------------------------------------- device rules

_ACCESS_ORDER = "rwm"


class DeviceRuleSet:
    """What a devices cgroup allows, modelled as cgroup v1 keeps it (runc's
    devices emulator): a default (allow or deny everything) and exceptions
    {(type, major, minor): access}, major/minor -1 meaning "*". Rules apply
    in order; an "a" rule resets the default."""

    def __init__(self, default_allow=False, exceptions=None):
        self.default_allow = default_allow
        self.exceptions = dict(exceptions or {})

    @classmethod
    def from_rules(cls, rules, field="linux.resources.devices"):
        rule_set = cls()
        for i, rule in enumerate(rules):
            rule_set.apply(rule, "%s[%d]" % (field, i))
        return rule_set

    @classmethod
    def from_devices_list(cls, text):
        """Parse a v1 devices.list: "a *:* rwm" marks allow-all."""
        rule_set = cls()
        for line in text.splitlines():
            kind, numbers, access = line.split()
            if kind == "a":
                return cls(default_allow=True)
            major, minor = (-1 if n == "*" else int(n) for n in numbers.split(":"))
            rule_set.exceptions[(kind, major, minor)] = access
        return rule_set

    def apply(self, rule, field):
        kind = rule.get("type") or "a"
        allow = rule["allow"]
        if kind == "a":
            self.default_allow, self.exceptions = allow, {}
            return
        key = (kind, _or_wildcard(rule.get("major")), _or_wildcard(rule.get("minor")))
        access = rule.get("access") or _ACCESS_ORDER
        old = self.exceptions.get(key, "")
        if allow != self.default_allow:
            self.exceptions[key] = _access_union(old, access)
            return
        # Removing access from a wildcard exception only for one device is
        # something cgroup v1 silently ignores; refuse it (runc does too).
        for wild in ((kind, -1, key[2]), (kind, key[1], -1), (kind, -1, -1)):
            if wild != key and set(self.exceptions.get(wild, "")) & set(access):
                raise ConfigError(field, "cannot %s part of the wildcard rule %s"
                                  % ("allow" if allow else "deny", _device_line(wild, self.exceptions[wild])))
        left = _access_minus(old, access)
        if left:
            self.exceptions[key] = left
        else:
            self.exceptions.pop(key, None)

    def transition_from(self, current):
        """The rules (allow, key, access) that turn the v1 devices cgroup in
        state `current` (None: unknown) into this one, least disruptive first
        choice: a reset ("a" rule) only when the default must change or the
        current state cannot be known (a v1 allow-all list hides its denials)."""
        rules, old = [], {}
        if current is None or current.default_allow or current.default_allow != self.default_allow:
            rules.append((self.default_allow, ("a", -1, -1), _ACCESS_ORDER))
        else:
            old = current.exceptions
        for key in sorted(old):
            dropped = _access_minus(old[key], self.exceptions.get(key, ""))
            if dropped:
                rules.append((self.default_allow, key, dropped))
        for key in self.exceptions:  # in the config's order, as the spec asks
            gained = _access_minus(self.exceptions[key], old.get(key, ""))
            if gained:
                rules.append((not self.default_allow, key, gained))
        return rules


def _or_wildcard(number):
    return -1 if number is None else number


def _access_union(a, b):
    return "".join(c for c in _ACCESS_ORDER if c in a or c in b)


def _access_minus(a, b):
    return "".join(c for c in _ACCESS_ORDER if c in a and c not in b)


def _device_line(key, access):
    kind, major, minor = key
    if kind == "a":
        return "a *:* rwm"
    star = lambda n: "*" if n < 0 else str(n)
    return "%s %s:%s %s" % (kind, star(major), star(minor), access)


def _device_writes_v1(rules, devices_list, field):
    target = DeviceRuleSet.from_rules(rules, field)
    current = None if devices_list is None else DeviceRuleSet.from_devices_list(devices_list)
    return [_w("devices.allow" if allow else "devices.deny", _device_line(key, access), field)
            for allow, key, access in target.transition_from(current)]


# Devices every container may use whatever its config says (runc's
# AllowedDevices): mknod of anything, and the standard /dev nodes.
ALLOWED_DEVICE_RULES = [
    {"allow": True, "type": "c", "access": "m"},
    {"allow": True, "type": "b", "access": "m"},
] + [{"allow": True, "type": "c", "major": major, "minor": minor, "access": "rwm"}
     for major, minor in ((1, 3), (1, 8), (1, 7), (5, 0), (1, 5), (1, 9),
                          (136, -1), (5, 2), (10, 200))]


# --------------------------------------------------- eBPF device filter (v2)
# cgroup v2 has no devices files: access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE
# program attached to the cgroup. Like runc's devicefilter.go (itself from
# crun's ebpf.c), the program is assembled here from the rule set: one block
# per exception, returning the exception's verdict when the request matches
# it, and the default verdict at the end.

_BPF_PROG_LOAD, _BPF_PROG_ATTACH, _BPF_PROG_DETACH = 5, 8, 9
_BPF_PROG_GET_FD_BY_ID, _BPF_PROG_QUERY = 13, 16
_BPF_PROG_TYPE_CGROUP_DEVICE, _BPF_CGROUP_DEVICE, _BPF_F_ALLOW_MULTI = 15, 6, 2
_BPF_DEVCG_ACC = {"m": 1, "r": 2, "w": 4}
_BPF_DEVCG_DEV = {"b": 1, "c": 2}
# Opcodes (class | op | source) and registers.
_LDX_W, _AND32_K, _RSH32_K, _MOV32_X = 0x61, 0x54, 0x74, 0xbc
_JNE_K, _JNE_X, _JEQ_K, _MOV64_K, _EXIT = 0x55, 0x5d, 0x15, 0xb7, 0x95
_R0, _R1, _R2, _R3, _R4, _R5 = range(6)


def _bpf_insn(code, dst=0, src=0, off=0, imm=0):
    regs = (src << 4 | dst) if sys.byteorder == "little" else (dst << 4 | src)
    return struct.pack("=BBhi", code, regs, off, imm)


def device_filter_program(rules, field="linux.resources.devices"):
    """Assemble the eBPF device filter for the spec's device rules (applied
    in order, as on v1): bytes of struct bpf_insn. Pure."""
    rule_set = DeviceRuleSet.from_rules(rules, field)
    # struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }:
    # r2 = device type, r3 = requested access, r4 = major, r5 = minor.
    code = [_bpf_insn(_LDX_W, _R2, _R1, 0), _bpf_insn(_AND32_K, _R2, imm=0xFFFF),
            _bpf_insn(_LDX_W, _R3, _R1, 0), _bpf_insn(_RSH32_K, _R3, imm=16),
            _bpf_insn(_LDX_W, _R4, _R1, 4), _bpf_insn(_LDX_W, _R5, _R1, 8)]
    for (kind, major, minor), access in sorted(rule_set.exceptions.items()):
        for n in (major, minor):
            if n >= 1 << 31:
                raise ConfigError(field, "device number %d is too large for cgroup v2" % n)
        # Each test jumps past the rest of the block when it fails; the
        # offsets are filled in once the block's length is known.
        tests = [(_JNE_K, _R2, 0, _BPF_DEVCG_DEV[kind])]
        if access != _ACCESS_ORDER:
            # As v1 decides: an allow exception must cover every requested
            # access; a deny exception applies if it shares any.
            mask = sum(_BPF_DEVCG_ACC[c] for c in access)
            tests += [(_MOV32_X, _R1, _R3, None), (_AND32_K, _R1, 0, mask),
                      (_JEQ_K, _R1, 0, 0) if rule_set.default_allow else (_JNE_X, _R1, _R3, 0)]
        if major >= 0:
            tests.append((_JNE_K, _R4, 0, major))
        if minor >= 0:
            tests.append((_JNE_K, _R5, 0, minor))
        remaining = len(tests) + 2  # + the verdict's two instructions
        for op, dst, src, imm in tests:
            remaining -= 1
            if op in (_JNE_K, _JNE_X, _JEQ_K):
                code.append(_bpf_insn(op, dst, src, off=remaining, imm=imm))
            else:
                code.append(_bpf_insn(op, dst, src, imm=imm or 0))
        code += [_bpf_insn(_MOV64_K, _R0, imm=int(not rule_set.default_allow)), _bpf_insn(_EXIT)]
    code += [_bpf_insn(_MOV64_K, _R0, imm=int(rule_set.default_allow)), _bpf_insn(_EXIT)]
    return b"".join(code)


def _bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = syscall("bpf", cmd, buf, len(attr))
    return fd, buf.raw


def _bpf_load_device_program(insns):
    insn_buf = ctypes.create_string_buffer(insns, len(insns))
    license = ctypes.create_string_buffer(b"Apache")
    log = ctypes.create_string_buffer(65536)

    def load(log_level):
        attr = struct.pack("=IIQQIIQII16sII", _BPF_PROG_TYPE_CGROUP_DEVICE, len(insns) // 8,
                           ctypes.addressof(insn_buf), ctypes.addressof(license),
                           log_level, len(log) if log_level else 0,
                           ctypes.addressof(log) if log_level else 0, 0, 0, b"brownie_dev", 0, 0)
        return _bpf(_BPF_PROG_LOAD, attr)[0]
    try:
        return load(0)
    except OSError as e:
        if e.errno == errno.EPERM:  # before Linux 5.11 BPF memory counts against RLIMIT_MEMLOCK
            import resource
            try:
                resource.setrlimit(resource.RLIMIT_MEMLOCK, (resource.RLIM_INFINITY,) * 2)
                return load(0)
            except (OSError, ValueError):
                pass
        try:
            load(1)
        except OSError:
            pass
        verifier = log.value.decode(errors="replace").strip()
        raise OSError(e.errno, "cannot load the device eBPF program: %s%s"
                      % (strerror(e), "\n" + verifier if verifier else ""))


def _bpf_attached_programs(dir_fd):
    ids = (ctypes.c_uint32 * 64)()
    attr = struct.pack("=IIIIQI4x", dir_fd, _BPF_CGROUP_DEVICE, 0, 0, ctypes.addressof(ids), 64)
    _, out = _bpf(_BPF_PROG_QUERY, attr)
    count = struct.unpack_from("=I", out, 24)[0]
    return list(ids[:count])


def attach_device_filter(cgroup_dir, rules, field="linux.resources.devices"):
    """Load the device filter for `rules` and attach it to the v2 cgroup
    `cgroup_dir` (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), then detach the
    programs that were there before, so at every moment some filter holds."""
    insns = device_filter_program(rules, field)
    dir_fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    prog_fd = -1
    try:
        old_ids = _bpf_attached_programs(dir_fd)
        prog_fd = _bpf_load_device_program(insns)
        _bpf(_BPF_PROG_ATTACH, struct.pack("=IIIII", dir_fd, prog_fd, _BPF_CGROUP_DEVICE,
                                           _BPF_F_ALLOW_MULTI, 0))
        for prog_id in old_ids:
            try:
                old_fd, _ = _bpf(_BPF_PROG_GET_FD_BY_ID, struct.pack("=III", prog_id, 0, 0))
            except OSError as e:
                if e.errno == errno.ENOENT:
                    continue
                raise
            try:
                _bpf(_BPF_PROG_DETACH, struct.pack("=IIIII", dir_fd, old_fd, _BPF_CGROUP_DEVICE, 0, 0))
            finally:
                os.close(old_fd)
    except OSError as e:
        raise BrownieError("cannot set %s: eBPF device filter on %s: %s"
                           % (field, cgroup_dir, strerror(e)))
    finally:
        if prog_fd >= 0:
            os.close(prog_fd)
        os.close(dir_fd)


def _field_paths(obj, prefix):
    """Every field path in a JSON object: {"a": {"b": 1}} -> prefix.a.b."""
    paths = []
    for key, value in (obj or {}).items():
        path = "%s.%s" % (prefix, key)
        paths += _field_paths(value, path) if isinstance(value, dict) else [path]
    return paths


def merge_resources(base, update):
    """`update` laid over `base` (both LinuxResources), objects merged key by
    key, anything else replaced: what `update` needs so that the v2
    conversions see the values the update leaves alone (cpu.max wants quota
    and period, memory.swap.max the limit)."""
    merged = dict(base or {})
    for key, value in (update or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_resources(merged[key], value)
        else:
            merged[key] = value
    return merged


# What an update writes of a resource beside the keys it names: the partner
# a conversion or the kernel's ordering needs (v2's cpu.max is quota and
# period; memory.swap.max is swap less the limit, v1 checks one against the
# other; checkBeforeUpdate guards any memory change).
_UPDATE_PARTNERS = {("cpu", "quota"): ("period",), ("cpu", "period"): ("quota",),
                    ("memory", "limit"): ("swap", "checkBeforeUpdate"),
                    ("memory", "swap"): ("limit", "checkBeforeUpdate")}


def resources_to_rewrite(merged, update):
    """The part of `merged` (merge_resources) that applying `update` must
    write: the objects and keys it names, with their partners, and nothing
    else again: a knob set at create may refuse to be set twice (cpu.shares
    of a cgroup with cpu.idle)."""
    out = {}
    for key, value in (update or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            keys = set(value).union(*(_UPDATE_PARTNERS.get((key, k), ()) for k in value))
            out[key] = {k: merged[key][k] for k in keys if k in merged[key]}
        else:
            out[key] = merged[key]
    return out


def cgroup_owner(plan):
    """config-linux.md "Cgroup ownership": the host uid:gid of the process's
    user, to whom the container's cgroup is given when it has a user and a
    cgroup namespace of its own and mounts the cgroupfs read-write (and the
    host has cgroup v2 only); else None."""
    new = {kind for kind, path in plan["namespaces"] if path is None}
    proc = plan["process"]
    if not {"user", "cgroup"} <= new or proc is None or not any(
            m["type"] == "cgroup" and not m["flags"] & MS_RDONLY for m in plan["mounts"]):
        return None
    uid, gid = host_id(proc["uid"], plan["uid_map"]), host_id(proc["gid"], plan["gid_map"])
    return None if uid is None or gid is None else (uid, gid)


# ----------------------------------------------------------------- the cgroup

class Cgroup:
    """One container's cgroup: a directory in each mounted hierarchy (every
    v1 hierarchy, and the v2 one). Holds only plain data, so that the state
    file can carry it (to_state/from_state). Non-fatal problems (a resource
    whose controller this host lacks, systemd paths done by cgroupfs) are
    appended to `warnings` for the caller to show."""

    def __init__(self, hierarchies, created=(), warnings=()):
        self.hierarchies = [dict(h) for h in hierarchies]
        self.created = list(created)
        self.warnings = list(warnings)

    # -- construction

    @classmethod
    def for_container(cls, container_id, cgroups_path, systemd=False, layout=None,
                      proc_cgroup="/proc/self/cgroup"):
        """Where the container's cgroup is in each hierarchy. cgroupsPath
        absolute: below each hierarchy's root; relative: below this process's
        own cgroup (its parent on pure v2, where the own cgroup has processes
        and so cannot delegate controllers); empty: relative "<id>" (runc's
        default). With systemd (--systemd-cgroup), "slice:prefix:name":
        systemd's path for that unit, made through cgroupfs; without it, a
        path with colons is a path, as with runc."""
        if cgroups_path is not None and not isinstance(cgroups_path, str):
            raise ConfigError("linux.cgroupsPath", "must be a string")
        path, warnings = cgroups_path or "", []
        if systemd:
            path = _systemd_cgroup_path(path, container_id)
            why = ("the systemd cgroup driver is not implemented"
                   if os.path.isdir("/run/systemd/system") else "systemd is not running")
            warnings.append("%s: using cgroupfs at %s" % (why, path))
        elif not path:
            path = container_id
        inner = _clean_cgroup_path(path)
        layout = cgroup_layout() if layout is None else layout
        if not layout:
            raise BrownieError("no cgroup hierarchy is mounted on this host")
        pure_v2 = _pure_v2(layout)
        own = _own_cgroups(proc_cgroup)
        hierarchies = []
        for h in layout:
            key = frozenset(h["controllers"]) if h["version"] == 1 else frozenset()
            own_dir = os.path.normpath(os.path.join(
                h["mountpoint"], _relative_to(own.get(key, "/"), h["root"]).lstrip("/")))
            base = "/"
            if not inner.startswith("/"):
                base = os.path.relpath(own_dir, h["mountpoint"])
                if h["version"] == 2 and pure_v2:
                    base = os.path.dirname(base)
            directory = os.path.normpath(os.path.join(h["mountpoint"], base.lstrip("/"),
                                                      inner.lstrip("/")))
            # Never the host's root cgroup or the runtime's own: delete
            # would remove what is not the container's.
            if directory in (h["mountpoint"], own_dir):
                raise ConfigError("linux.cgroupsPath", "%r is %s in the %s hierarchy "
                                  "(%s); a container needs a cgroup of its own or "
                                  "one below" % (cgroups_path or "", "the root" if
                                                 directory == h["mountpoint"]
                                                 else "brownie's own cgroup",
                                                 h["name"] or "cgroup2", directory))
            hierarchies.append(dict(h, dir=directory))
        return cls(hierarchies, warnings=warnings)

    def to_state(self):
        """Plain data for the container's state file."""
        return {"hierarchies": [dict(h) for h in self.hierarchies], "created": list(self.created)}

    @classmethod
    def from_state(cls, state):
        return cls(state["hierarchies"], state.get("created", ()))

    # -- where things are

    @property
    def paths(self):
        """{hierarchy name: the container's cgroup directory in it}."""
        return {h["name"]: h["dir"] for h in self.hierarchies}

    def _v1_dir(self, controller):
        for h in self.hierarchies:
            if h["version"] == 1 and controller in h["controllers"]:
                return h["dir"]
        return None

    def _v2(self):
        for h in self.hierarchies:
            if h["version"] == 2:
                return h
        return None

    @property
    def pure_v2(self):
        return _pure_v2(self.hierarchies)

    @property
    def owned(self):
        """Did this container make its cgroup (in some hierarchy)? The
        processes there are then the container's, and delete may kill them
        all (a container started later with the same cgroupsPath joins it,
        and shares its fate)."""
        return self._primary_dir() in self.created

    def _primary_dir(self):
        # The hierarchy whose process list the container's pids are read
        # from: the freezer's when v1 has one (freeze and list agree), else
        # v2; but one whose directory this container made, where it can.
        v2 = self._v2()
        dirs = [self._v1_dir("freezer"), v2 and v2["dir"]] + [h["dir"] for h in self.hierarchies]
        dirs = [d for d in dirs if d]
        return next((d for d in dirs if d in self.created), dirs[0])

    # -- lifecycle

    def create(self, record=None):
        """mkdir the cgroup in every hierarchy, remembering which directories
        this call makes (only those are removed by destroy). They are listed
        in `created` first and `record()` is called to save that, so that a
        create killed halfway leaves delete the list. v1 cpuset: empty
        cpus/mems are copied from the parent (a task cannot join otherwise).
        Pure v2: every available controller is enabled down to the parent."""
        steps = []  # (directory, is cpuset)
        for h in self.hierarchies:
            rel = os.path.relpath(h["dir"], h["mountpoint"])
            current = h["mountpoint"]
            for part in ([] if rel == "." else rel.split("/")):
                current = os.path.join(current, part)
                steps.append((current, h["version"] == 1 and "cpuset" in h["controllers"]))
        self.created.extend(d for d, _ in steps if not os.path.isdir(d))
        if record is not None:
            record()
        for directory, cpuset in steps:
            if directory in self.created:
                try:
                    os.mkdir(directory, 0o755)
                except FileExistsError:
                    self.created.remove(directory)  # someone else's, meanwhile
                except OSError as e:
                    raise BrownieError("cannot create cgroup %s: %s" % (directory, strerror(e)))
            if cpuset:
                _cpuset_inherit(directory)
        v2 = self._v2()
        if v2 and self.pure_v2:
            self._enable_v2_controllers(v2["controllers"], strict=False)

    def add_process(self, pid):
        """Move process `pid` (all its threads) into the cgroup in every hierarchy."""
        import time
        for h in self.hierarchies:
            procs = os.path.join(h["dir"], "cgroup.procs")
            for attempt in range(5):
                try:
                    _write_file(procs, str(pid))
                    break
                except OSError as e:
                    # EINVAL: the task is still being forked (TASK_NEW).
                    if e.errno == errno.EINVAL and attempt < 4:
                        time.sleep(0.03)
                        continue
                    raise BrownieError("cannot add process %d to cgroup %s: %s"
                                       % (pid, h["dir"], strerror(e)))

    def destroy(self):
        """Remove the directories create() made, deepest first, after killing
        whatever still runs in the cgroup and waiting for it to empty; the
        container's own sub-cgroups below them go too. Never removes a
        directory it did not create."""
        if not self.created:
            return
        # Only a cgroup this object created is the container's alone, and so
        # only there may the remaining processes be killed.
        if self.owned and self.pids():
            self.kill_all(signal.SIGKILL)
            self._wait_empty(10.0)
        # The container's own directories go with their sub-cgroups; an
        # ancestor this create made goes only when empty: by now it may hold
        # the cgroup of another container created below it.
        own = {h["dir"] for h in self.hierarchies}
        failed = []
        for directory in reversed(self.created):
            try:
                if directory in own:
                    _remove_cgroup_tree(directory)
                else:
                    os.rmdir(directory)
            except FileNotFoundError:
                pass
            except OSError as e:
                if directory in own or e.errno not in (errno.EBUSY, errno.ENOTEMPTY):
                    failed.append("%s (%s)" % (directory, strerror(e)))
        self.created = [d for d in self.created if os.path.isdir(d)]
        if failed:
            raise BrownieError("cannot remove cgroup %s" % ", ".join(failed))

    def _wait_empty(self, timeout):
        import time
        v2 = self._v2()
        if v2 and self.pure_v2:
            if _wait_keyed_file(os.path.join(v2["dir"], "cgroup.events"), "populated", "0", timeout):
                return
        # cgroup v1 sends no notification when a cgroup empties: poll,
        # backing off from 1 ms to 100 ms.
        deadline, delay = time.monotonic() + timeout, 0.001
        while self.pids() and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def delegate(self, uid, gid):
        """config-linux.md "Cgroup ownership": give the v2 cgroup directory and
        the files /sys/kernel/cgroup/delegate lists to uid:gid. The caller
        decides when (v2, a new cgroup namespace, a read-write cgroup mount);
        on v1 delegation is not secure, so this refuses."""
        v2 = self._v2()
        if not v2 or not self.pure_v2:
            raise BrownieError("cannot delegate cgroup: only cgroup v2 can be delegated safely")
        try:
            names = [line.strip() for line in _read_text("/sys/kernel/cgroup/delegate").splitlines()]
        except OSError:
            names = ["cgroup.procs", "cgroup.subtree_control", "cgroup.threads"]
        for path in [v2["dir"]] + [os.path.join(v2["dir"], n) for n in names if n]:
            try:
                os.chown(path, uid, gid)
            except FileNotFoundError:
                pass  # not every listed file exists in every cgroup
            except OSError as e:
                raise BrownieError("cannot delegate cgroup: chown %s: %s" % (path, strerror(e)))

    # -- resources

    def apply(self, resources, field="linux.resources", extra_devices=()):
        """Write linux.resources into the cgroup: for each controller, its v1
        files where v1 mounts it, else the converted v2 files where the v2
        hierarchy offers it, else a warning (the host lacks the controller:
        nothing can enforce the value). Devices are applied when `devices` is
        given or `extra_devices` (rules appended after the config's, e.g.
        ALLOWED_DEVICE_RULES) is not empty; without a devices controller that
        is an error. `unified` keys go raw to the v2 hierarchy."""
        resources = resources or {}
        validate_resources(resources, field, self.hierarchies)
        mem = resources.get("memory") or {}
        for key in ("kernel", "kernelTCP"):
            if mem.get(key) is not None:
                self.warnings.append("%s.memory.%s: ignored, kernel memory limits are "
                                     "obsolete" % (field, key))
        v2 = self._v2()
        v2_available = set(_read_words(os.path.join(v2["mountpoint"], "cgroup.controllers"))) if v2 else set()
        writes, v2_needed = [], []
        for v1_name, v2_name, map_v1, map_v2 in _RESOURCE_CONTROLLERS:
            wanted = map_v1(resources, field)
            if not wanted:
                continue
            directory = self._v1_dir(v1_name)
            if directory:
                writes += [(directory, w.in_controller(v1_name)) for w in wanted]
            elif v2_name and v2_name in v2_available:
                writes += [(v2["dir"], w) for w in map_v2(resources, field)]
                v2_needed.append(v2_name)
            else:
                self.warnings.append("%s: ignored, this host has no %s cgroup controller"
                                     % (wanted[0].field, v1_name))
        for w in _map_unified(resources, field):
            if w.controller != "cgroup" and w.controller not in v2_available:
                raise BrownieError("cannot set %s: the %s controller is not available in %s"
                                   % (w.field, w.controller, v2["mountpoint"]))
            writes.append((v2["dir"], w))
            v2_needed.append(w.controller)
        if mem.get("checkBeforeUpdate"):
            self._check_memory_usage(mem, field + ".memory")
        if v2_needed:
            self._enable_v2_controllers([c for c in v2_needed if c != "cgroup"], strict=True)
        self._write_all(writes)
        rules = list(resources.get("devices") or []) + list(extra_devices)
        if "devices" in resources or rules:
            self._apply_devices(rules, field + ".devices")

    def _apply_devices(self, rules, field):
        directory = self._v1_dir("devices")
        if directory:
            current = _read_text(os.path.join(directory, "devices.list"))
            self._write_all([(directory, w.in_controller("devices"))
                             for w in _device_writes_v1(rules, current, field)])
            return
        v2 = self._v2()
        if not v2:
            raise BrownieError("cannot set %s: this host has no devices cgroup controller" % field)
        attach_device_filter(v2["dir"], rules, field)

    def _check_memory_usage(self, mem, field):
        # checkBeforeUpdate: refuse a limit at or below the current usage
        # rather than let v2 OOM-kill the container (v1 returns EBUSY anyway).
        directory = self._v1_dir("memory")
        usage_file = os.path.join(directory, "memory.usage_in_bytes") if directory else None
        v2 = self._v2()
        if not directory and v2:
            usage_file = os.path.join(v2["dir"], "memory.current")
        try:
            usage = int(_read_text(usage_file))
        except (OSError, ValueError, TypeError):
            return  # best effort: no usage to compare with
        for key in ("limit", "swap"):
            if (mem.get(key) or 0) > 0 and mem[key] <= usage:
                raise BrownieError("cannot set %s.%s: %d is not above the current memory "
                                   "usage %d" % (field, key, mem[key], usage))

    def _enable_v2_controllers(self, controllers, strict):
        """Enable `controllers` in cgroup.subtree_control of every ancestor of
        the v2 cgroup (from the hierarchy root down to its parent)."""
        v2 = self._v2()
        rel = os.path.relpath(v2["dir"], v2["mountpoint"])
        parts = [] if rel == "." else rel.split("/")
        current = v2["mountpoint"]
        for part in parts:
            control = os.path.join(current, "cgroup.subtree_control")
            enabled = set(_read_words(control))
            for controller in controllers:
                if controller in enabled:
                    continue
                try:
                    _write_file(control, "+" + controller)
                    enabled.add(controller)
                except OSError as e:
                    if strict:
                        raise BrownieError("cannot enable the %s controller in %s: %s"
                                           % (controller, control, strerror(e)))
            current = os.path.join(current, part)

    def _write_all(self, writes):
        """Perform (directory, CgroupWrite) pairs in order. A write refused
        with EINVAL is tried again after the others: that is how the kernel
        answers a value which conflicts with a sibling knob still to be
        written (memory vs memsw limit, cfs period vs quota)."""
        retry = []
        for directory, w in writes:
            err = _try_write(directory, w)
            if err == errno.EINVAL and len(writes) > 1:
                retry.append((directory, w))
            elif err:
                self._write_failed(directory, w, err)
        for directory, w in retry:
            err = _try_write(directory, w)
            if err:
                self._write_failed(directory, w, err)

    def _write_failed(self, directory, w, err):
        if err in w.tolerate:
            if w.note:
                self.warnings.append(w.note)
            return
        raise BrownieError("cannot set %s: write %s to %s: %s"
                           % (w.field, w.value, os.path.join(directory, w.filename), strerror(err)))

    # -- freezer

    def freeze(self):
        """Freeze every process of the cgroup; returns once they are frozen."""
        directory = self._v1_dir("freezer")
        if directory:
            return _freeze_v1(directory)
        v2 = self._v2()
        if not v2 or not os.path.exists(os.path.join(v2["dir"], "cgroup.freeze")):
            raise BrownieError("cannot freeze cgroup: this host has no cgroup freezer")
        _write_or_raise(os.path.join(v2["dir"], "cgroup.freeze"), "1")
        if not _wait_keyed_file(os.path.join(v2["dir"], "cgroup.events"), "frozen", "1", 10.0):
            _write_file(os.path.join(v2["dir"], "cgroup.freeze"), "0")
            raise BrownieError("cannot freeze cgroup %s: timed out" % v2["dir"])

    def thaw(self):
        """Let the cgroup's processes run again."""
        directory = self._v1_dir("freezer")
        if directory:
            return _write_or_raise(os.path.join(directory, "freezer.state"), "THAWED")
        v2 = self._v2()
        if v2 and os.path.exists(os.path.join(v2["dir"], "cgroup.freeze")):
            _write_or_raise(os.path.join(v2["dir"], "cgroup.freeze"), "0")
            _wait_keyed_file(os.path.join(v2["dir"], "cgroup.events"), "frozen", "0", 10.0)

    def is_frozen(self):
        """Whether the cgroup itself is frozen (not merely an ancestor)."""
        import time
        directory = self._v1_dir("freezer")
        try:
            if directory:
                for _ in range(1000):
                    state = _read_text(os.path.join(directory, "freezer.state")).strip()
                    if state != "FREEZING":
                        break
                    time.sleep(0.001)
                if state != "FROZEN":
                    return False
                try:
                    return _read_text(os.path.join(directory, "freezer.self_freezing")).strip() == "1"
                except FileNotFoundError:
                    return True
            v2 = self._v2()
            return bool(v2) and _read_text(os.path.join(v2["dir"], "cgroup.freeze")).strip() == "1"
        except FileNotFoundError:
            return False

    # -- processes

    def pids(self):
        """Sorted host pids of every process in the cgroup and its sub-cgroups."""
        found = set()
        for root, _, _ in os.walk(self._primary_dir()):
            found.update(_read_procs(root))
        return sorted(found)

    def kill_all(self, sig):
        """Send `sig` to every process in the cgroup. The cgroup is frozen
        meanwhile, so that no process forks a child the signal would miss
        (runc's signalAllProcesses); SIGKILL on v2 is one cgroup.kill write."""
        v2 = self._v2()
        if (sig == signal.SIGKILL and v2 and v2["dir"] == self._primary_dir()
                and os.path.exists(os.path.join(v2["dir"], "cgroup.kill"))):
            _write_or_raise(os.path.join(v2["dir"], "cgroup.kill"), "1")
            return
        try:
            self.freeze()
            frozen = True
        except BrownieError:
            frozen = False
        try:
            for pid in self.pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        finally:
            if frozen:
                self.thaw()

    # -- statistics and events

    def stats(self):
        """Usage statistics in the shape of runc `events --stats` data
        (types.Stats): cpu, memory, pids, blkio, hugetlb. Best effort: what a
        host does not account is reported as zero."""
        v2 = self._v2()
        v2_dir = v2["dir"] if v2 else None
        stats = {"cpu": _cpu_stats(self._v1_dir("cpuacct"), self._v1_dir("cpu"), v2_dir),
                 "memory": _memory_stats(self._v1_dir("memory"), v2_dir),
                 "pids": _pids_stats(self._v1_dir("pids") or v2_dir),
                 "blkio": _blkio_stats(self._v1_dir("blkio"), v2_dir),
                 "hugetlb": _hugetlb_stats(self._v1_dir("hugetlb"), v2_dir)}
        return stats

    def oom_kill_count(self):
        """How many processes the OOM killer killed in this cgroup (None when
        the kernel does not say: v1 before Linux 4.13, or no memory controller)."""
        directory, v2 = self._v1_dir("memory"), self._v2()
        try:
            if directory:
                return _keyed_ints(os.path.join(directory, "memory.oom_control")).get("oom_kill")
            if v2:
                return _keyed_ints(os.path.join(v2["dir"], "memory.events")).get("oom_kill")
        except OSError:
            pass
        return None

    def oom_events(self):
        """An OOMNotifier for the streaming `events` command."""
        directory, v2 = self._v1_dir("memory"), self._v2()
        if directory:
            return OOMNotifier(v1_dir=directory)
        if v2:
            return OOMNotifier(v2_dir=v2["dir"])
        raise BrownieError("cannot watch OOM events: this host has no memory cgroup controller")


def _named_only(hierarchy):
    # A v1 hierarchy without controllers, like name=systemd.
    return all(c.startswith("name=") for c in hierarchy["controllers"])


def _relative_to(path, root):
    if root == "/":
        return path
    if path == root or path.startswith(root.rstrip("/") + "/"):
        return path[len(root.rstrip("/")):] or "/"
    return "/"


def _write_file(path, value):
    # A multi-line value (a `unified` entry) is one write per line, as runc
    # and crun do: cgroup files parse one line per write.
    lines = [line for line in value.split("\n") if line.strip()] if "\n" in value else [value]
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        for line in lines:
            os.write(fd, line.encode())
    finally:
        os.close(fd)


def _write_or_raise(path, value):
    try:
        _write_file(path, value)
    except OSError as e:
        raise BrownieError("cannot write %s to %s: %s" % (value, path, strerror(e)))


def _try_write(directory, w):
    """Write one CgroupWrite; 0, or the errno (after the fallback file, when
    the first file does not exist)."""
    try:
        _write_file(os.path.join(directory, w.filename), w.value)
        return 0
    except OSError as e:
        if e.errno == errno.ENOENT and w.fallback is not None:
            return _try_write(directory, w.fallback)
        return e.errno


def _cpuset_inherit(directory):
    # A v1 cpuset cgroup starts with empty cpus and mems, and no task can
    # join it until they are set: take the parent's (runc does the same).
    for name in ("cpuset.cpus", "cpuset.mems"):
        path = os.path.join(directory, name)
        try:
            if not _read_text(path).strip():
                _write_file(path, _read_text(os.path.join(os.path.dirname(directory), name)).strip())
        except OSError as e:
            raise BrownieError("cannot initialise %s: %s" % (path, strerror(e)))


def _remove_cgroup_tree(directory):
    # rmdir works on an empty cgroup only; sub-cgroups go first, and EBUSY
    # (a process still exiting) is retried with a short back-off.
    import time
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _remove_cgroup_tree(entry.path)
    delay = 0.001
    while True:
        try:
            os.rmdir(directory)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY or delay > 1:
                raise
            time.sleep(delay)
            delay *= 2


def _read_procs(directory):
    for name in ("cgroup.procs", "cgroup.threads"):
        try:
            return [int(p) for p in _read_text(os.path.join(directory, name)).split()]
        except FileNotFoundError:
            return []
        except OSError as e:
            if e.errno != errno.ENOTSUP:  # a threaded v2 cgroup lists threads only
                raise
    return []


def _freeze_v1(directory):
    # v1 may stay FREEZING while tasks keep forking: write FROZEN again and
    # re-read, thawing for 10 ms now and then (runc's empirically tuned loop).
    import time
    state_file = os.path.join(directory, "freezer.state")
    for attempt in range(1000):
        if attempt % 50 == 49:
            _write_file(state_file, "THAWED")
            time.sleep(0.01)
        _write_or_raise(state_file, "FROZEN")
        if attempt % 25 == 24:
            time.sleep(0.00001)
        state = _read_text(state_file).strip()
        if state == "FROZEN":
            return
        if state != "FREEZING":
            break
    _write_file(state_file, "THAWED")
    raise BrownieError("cannot freeze cgroup %s: it stays %s" % (directory, state))


def _keyed(text):
    pairs = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2:
            pairs[words[0]] = words[1]
    return pairs


def _keyed_ints(path):
    return {k: _to_uint(v) for k, v in _keyed(_read_text(path)).items()}


def _to_uint(text):
    text = text.strip()
    return (1 << 64) - 1 if text == "max" else int(text) if text.lstrip("-").isdigit() else 0


def _wait_keyed_file(path, key, want, timeout):
    """Wait until the v2 events file `path` says "<key> <want>". The kernel
    signals each change of such a file with POLLPRI, so this sleeps in
    poll(2) between reads instead of spinning."""
    import select
    import time
    deadline = time.monotonic() + timeout
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLPRI | select.POLLERR)
        while True:
            os.lseek(fd, 0, 0)
            if _keyed(os.read(fd, 4096).decode()).get(key) == want:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            poller.poll(min(left, 1.0) * 1000)  # re-read at least every second
    finally:
        os.close(fd)


class OOMNotifier:
    """Wakes up when the OOM killer acts in the cgroup. v1: an eventfd
    registered in cgroup.event_control for memory.oom_control; v2: POLLPRI
    on memory.events, whose oom_kill counter is compared. fileno() is
    pollable; wait() consumes the events."""

    def __init__(self, v1_dir=None, v2_dir=None):
        self.v1_dir, self.v2_dir, self.closed = v1_dir, v2_dir, False
        self._fds = []
        if v1_dir:
            efd = _check(_libc.eventfd(0, os.O_CLOEXEC), "eventfd")
            self._fds.append(efd)
            ofd = os.open(os.path.join(v1_dir, "memory.oom_control"), os.O_RDONLY | os.O_CLOEXEC)
            self._fds.append(ofd)
            _write_or_raise(os.path.join(v1_dir, "cgroup.event_control"), "%d %d" % (efd, ofd))
            self._fd = efd
        else:
            self._fd = os.open(os.path.join(v2_dir, "memory.events"), os.O_RDONLY | os.O_CLOEXEC)
            self._fds.append(self._fd)
            self._seen = self._v2_count()

    def fileno(self):
        return self._fd

    def _v2_count(self):
        os.lseek(self._fd, 0, 0)
        return _to_uint(_keyed(os.read(self._fd, 4096).decode()).get("oom_kill", "0"))

    def wait(self, timeout=None):
        """Number of OOM events since the last call (0 on timeout; sets
        `closed` when the cgroup is gone)."""
        import select
        poller = select.poll()
        poller.register(self._fd, select.POLLIN if self.v1_dir else select.POLLPRI | select.POLLERR)
        if not poller.poll(None if timeout is None else timeout * 1000):
            return 0
        if self.v1_dir:
            count = struct.unpack("=Q", os.read(self._fd, 8))[0]
            # The eventfd is also signalled when the cgroup is removed.
            if not os.path.exists(os.path.join(self.v1_dir, "memory.oom_control")):
                self.closed = True
                return 0
            return count
        try:
            count = self._v2_count()
        except OSError:
            self.closed = True
            return 0
        new, self._seen = count - self._seen, count
        return max(new, 0)

    def close(self):
        for fd in self._fds:
            os.close(fd)
        self._fds = []


# ----------------------------------------------------------------- stats

def _uint_file(directory, name):
    try:
        return _to_uint(_read_text(os.path.join(directory, name)))
    except (OSError, TypeError):
        return 0


def _uint_list(directory, name):
    try:
        return [int(x) for x in _read_text(os.path.join(directory, name)).split()]
    except OSError:
        return []


def _memory_entry(limit=0, usage=0, maximum=0, failcnt=0):
    return {"limit": limit, "usage": usage, "max": maximum, "failcnt": failcnt}


def _cpu_stats(cpuacct_dir, cpu_dir, v2_dir):
    usage = {"total": 0, "percpu": [], "percpu_kernel": [], "percpu_user": [],
             "kernel": 0, "user": 0}
    throttling = {"periods": 0, "throttledPeriods": 0, "throttledTime": 0}
    if cpuacct_dir:
        # cpuacct.stat counts USER_HZ ticks, 100 a second on Linux.
        ticks = _keyed_stat(cpuacct_dir, "cpuacct.stat")
        usage.update(total=_uint_file(cpuacct_dir, "cpuacct.usage"),
                     percpu=_uint_list(cpuacct_dir, "cpuacct.usage_percpu"),
                     user=ticks.get("user", 0) * 10 ** 7, kernel=ticks.get("system", 0) * 10 ** 7)
        rows = [line.split() for line in _safe_read(cpuacct_dir, "cpuacct.usage_all").splitlines()[1:]]
        usage["percpu_user"] = [int(r[1]) for r in rows if len(r) == 3]
        usage["percpu_kernel"] = [int(r[2]) for r in rows if len(r) == 3]
    if cpu_dir:
        stat = _keyed_stat(cpu_dir, "cpu.stat")
        throttling.update(periods=stat.get("nr_periods", 0),
                          throttledPeriods=stat.get("nr_throttled", 0),
                          throttledTime=stat.get("throttled_time", 0))
    if v2_dir and not cpuacct_dir:
        stat = _keyed_stat(v2_dir, "cpu.stat")
        usage.update(total=stat.get("usage_usec", 0) * 1000, user=stat.get("user_usec", 0) * 1000,
                     kernel=stat.get("system_usec", 0) * 1000)
        if not cpu_dir:
            throttling.update(periods=stat.get("nr_periods", 0),
                              throttledPeriods=stat.get("nr_throttled", 0),
                              throttledTime=stat.get("throttled_usec", 0) * 1000)
    return {"usage": usage, "throttling": throttling}


def _safe_read(directory, name):
    try:
        return _read_text(os.path.join(directory, name))
    except OSError:
        return ""


def _keyed_stat(directory, name):
    """A "key value" stats file as {key: int}; {} where it is missing."""
    return {k: _to_uint(v) for k, v in _keyed(_safe_read(directory, name)).items()}


def _memory_stats(v1_dir, v2_dir):
    empty = _memory_entry()
    out = {"cache": 0, "usage": empty, "swap": dict(empty), "kernel": dict(empty),
           "kernelTCP": dict(empty), "raw": {}}
    if v1_dir:
        raw = _keyed_stat(v1_dir, "memory.stat")

        def entry(prefix):
            return _memory_entry(*(_uint_file(v1_dir, prefix + suffix) for suffix in
                                   (".limit_in_bytes", ".usage_in_bytes", ".max_usage_in_bytes", ".failcnt")))
        out.update(cache=raw.get("cache", 0), raw=raw, usage=entry("memory"),
                   swap=entry("memory.memsw"), kernel=entry("memory.kmem"),
                   kernelTCP=entry("memory.kmem.tcp"))
    elif v2_dir:
        raw = _keyed_stat(v2_dir, "memory.stat")
        usage = _memory_entry(_uint_file(v2_dir, "memory.max"), _uint_file(v2_dir, "memory.current"),
                              _uint_file(v2_dir, "memory.peak"))
        # v1 reports swap as memory+swap; so does runc on v2.
        swap_limit = _uint_file(v2_dir, "memory.swap.max")
        swap = _memory_entry(swap_limit if swap_limit == (1 << 64) - 1 else
                             min(swap_limit + usage["limit"], (1 << 64) - 1),
                             _uint_file(v2_dir, "memory.swap.current") + usage["usage"])
        out.update(cache=raw.get("file", 0), raw=raw, usage=usage, swap=swap)
    return out


def _pids_stats(directory):
    if not directory:
        return {"current": 0, "limit": 0}
    limit = _uint_file(directory, "pids.max")
    current = (_uint_file(directory, "pids.current")
               if os.path.exists(os.path.join(directory, "pids.current"))
               else len(_read_procs(directory)))
    # Historically "no limit" is 0 in runc's stats.
    return {"current": current, "limit": 0 if limit == (1 << 64) - 1 else limit}


_BLKIO_STATS = (("ioServiceBytesRecursive", "io_service_bytes_recursive"),
                ("ioServicedRecursive", "io_serviced_recursive"),
                ("ioQueueRecursive", "io_queued_recursive"),
                ("ioServiceTimeRecursive", "io_service_time_recursive"),
                ("ioWaitTimeRecursive", "io_wait_time_recursive"),
                ("ioMergedRecursive", "io_merged_recursive"),
                ("ioTimeRecursive", "time_recursive"),
                ("sectorsRecursive", "sectors_recursive"))


def _blkio_stats(v1_dir, v2_dir):
    out = {key: [] for key, _ in _BLKIO_STATS}
    if v1_dir:
        # Prefer the scheduler's files (bfq, then cfq); the throttle layer's
        # counters are what remains without either.
        for key, stem in _BLKIO_STATS:
            for prefix in ("blkio.bfq.", "blkio.", "blkio.throttle."):
                text = _safe_read(v1_dir, prefix + stem)
                if text:
                    out[key] = _blkio_entries(text)
                    break
        if not out["ioServiceBytesRecursive"]:
            out["ioServiceBytesRecursive"] = _blkio_entries(_safe_read(v1_dir, "blkio.throttle.io_service_bytes"))
            out["ioServicedRecursive"] = _blkio_entries(_safe_read(v1_dir, "blkio.throttle.io_serviced"))
    elif v2_dir:
        names = {"rbytes": ("ioServiceBytesRecursive", "Read"), "wbytes": ("ioServiceBytesRecursive", "Write"),
                 "rios": ("ioServicedRecursive", "Read"), "wios": ("ioServicedRecursive", "Write")}
        for line in _safe_read(v2_dir, "io.stat").splitlines():
            words = line.split()
            if not words or ":" not in words[0]:
                continue
            major, minor = (int(n) for n in words[0].split(":"))
            for item in words[1:]:
                name, _, value = item.partition("=")
                if name in names:
                    key, op = names[name]
                    out[key].append({"major": major, "minor": minor, "op": op, "value": int(value)})
    return out


def _blkio_entries(text):
    entries = []
    for line in text.splitlines():
        words = line.replace(":", " ").split()
        if len(words) == 4:
            entries.append({"major": int(words[0]), "minor": int(words[1]), "op": words[2],
                            "value": int(words[3])})
        elif len(words) == 3:
            entries.append({"major": int(words[0]), "minor": int(words[1]), "op": "",
                            "value": int(words[2])})
    return entries


def hugepage_sizes():
    """This host's huge page sizes as cgroup files name them ("2MB", "1GB")."""
    sizes = []
    try:
        names = os.listdir("/sys/kernel/mm/hugepages")
    except OSError:
        return sizes
    for name in names:
        kb = name[len("hugepages-"):-len("kB")]
        if name.startswith("hugepages-") and name.endswith("kB") and kb.isdigit():
            kb = int(kb)
            sizes.append("%dGB" % (kb >> 20) if kb >= 1 << 20 else
                         "%dMB" % (kb >> 10) if kb >= 1 << 10 else "%dKB" % kb)
    return sorted(sizes)


def _hugetlb_stats(v1_dir, v2_dir):
    out = {}
    for size in hugepage_sizes():
        prefix = "hugetlb." + size
        if v1_dir:
            rsvd = prefix + ".rsvd" if os.path.exists(os.path.join(v1_dir, prefix + ".rsvd.usage_in_bytes")) else prefix
            out[size] = {"usage": _uint_file(v1_dir, rsvd + ".usage_in_bytes"),
                         "max": _uint_file(v1_dir, rsvd + ".max_usage_in_bytes"),
                         "failcnt": _uint_file(v1_dir, rsvd + ".failcnt")}
        elif v2_dir and os.path.exists(os.path.join(v2_dir, prefix + ".current")):
            rsvd = prefix + ".rsvd" if os.path.exists(os.path.join(v2_dir, prefix + ".rsvd.current")) else prefix
            events = _keyed_stat(v2_dir, prefix + ".events")
            out[size] = {"usage": _uint_file(v2_dir, rsvd + ".current"), "max": 0,
                         "failcnt": events.get("max", 0)}
    return out


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
    env = dict(e.split("=", 1) for e in hook["env"])
    try:
        # A session of its own, so that a timeout ends what it started too.
        p = subprocess.Popen(hook["args"], executable=hook["path"], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, close_fds=True,
                             start_new_session=True)
    except OSError as e:
        raise BrownieError("hook %s (%s): %s" % (hook["name"], hook["path"],
                                                 strerror(e))) from None
    try:
        out, err = p.communicate(state_json.encode(), timeout=hook["timeout"])
    except BaseException as e:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        if not isinstance(e, subprocess.TimeoutExpired):
            raise  # interrupted (SIGINT, SIGTERM): what the hook started goes too
        raise BrownieError("hook %s (%s) timed out after %d s" % (
            hook["name"], hook["path"], hook["timeout"])) from None
    if p.returncode != 0:
        why = ("exit status %d" % p.returncode if p.returncode > 0
               else "killed by signal %d" % -p.returncode)
        detail = (err or out).decode(errors="replace").strip()
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


def report_error(wfd, e):
    """Tell the parent why we fail; if the parent is gone (killed), quietly:
    it, or `delete`, cleans up what we made."""
    try:
        send_message(wfd, "error", error_text(e))
    except OSError:
        pass


def _expect(fd, what):
    msg = recv_message(fd)
    if msg is None or msg[0] != what:
        os._exit(1)  # the parent gave up; it cleans up what we made
    return msg


def error_text(e):
    """One line for an exception, naming what failed."""
    if isinstance(e, OSError) and not isinstance(e, BrownieError):
        text = e.strerror or str(e)  # _check's says which call failed
        if e.errno and text == os.strerror(e.errno):
            text = strerror(e)
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
        import_before_pivot(bool(plan["hooks"].get("startContainer")))
        close_inherited_fds({0, 1, 2, rfd, wfd, start_fd, console_fd}
                            | set(range(3, 3 + plan["preserve_fds"])))
        new = {kind for kind, path in plan["namespaces"] if path is None}
        set_oom_score_adj((plan["process"] or {}).get("oom_score_adj"))
        joined = open_namespace_paths(plan["namespaces"])
        if joined and joined[0][0] == "user":
            join_namespace(*joined.pop(0))
        if "user" in new:
            unshare(CLONE_NEWUSER)
            send_message(wfd, "userns")
            _expect(rfd, "ok")
        for ns in joined:
            join_namespace(*ns)
        unshare(unshare_flags(plan["namespaces"]))
        if plan["time_offsets"]:
            with open("/proc/self/timens_offsets", "w") as f:
                f.write(plan["time_offsets"])
        if "user" in {kind for kind, path in plan["namespaces"]}:
            become_namespace_root()
        pid = os.fork()
        if pid == 0:
            try:
                container_init_stage2(plan, new, rfd, wfd, start_fd, console_fd)
            except BaseException as e:
                report_error(wfd, e)
            os._exit(1)
        send_message(wfd, "pid", pid)
    except BaseException as e:
        report_error(wfd, e)
        os._exit(1)
    os._exit(0)


def become_namespace_root():
    """In a user namespace, be its root (the ids files are made with must be
    mapped, or the kernel says EOVERFLOW); last, since /proc/self is then no
    longer ours to write (see set_oom_score_adj)."""
    try:
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
    except OSError:
        pass  # root is not mapped; keep the namespace's capabilities


def container_init_stage2(plan, new, rfd, wfd, start_fd, console_fd):
    """Stage 2: the container's pid 1, until it execs the process."""
    _expect(rfd, "go")  # the parent has applied linux.resources
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
        # As runc: the host's tree gets rootfsPropagation (rslave unless it
        # says otherwise: with rshared, what the container mounts in a
        # shared volume reaches the host; "unbindable" waits until after
        # pivot_root, as the rootfs could not be bound otherwise); the mount
        # holding the rootfs is made private, so that binding the rootfs
        # onto itself propagates nowhere and pivot_root (which refuses
        # shared parents) may be used.
        propagation = plan["root_propagation"]
        if not propagation or propagation & MS_UNBINDABLE:
            propagation = MS_SLAVE | MS_REC
        mount(None, "/", None, propagation)
        make_parent_mount_private(rootfs)
        mount(rootfs, rootfs, None, MS_BIND | MS_REC)
    for step in plan["mounts"]:
        mount_into_rootfs(rootfs, step, plan["mount_label"],
                          plan.get("cgroup_sources", ()))
    in_userns = "user" in kinds
    if plan["setup_dev"]:
        create_default_devices(rootfs, in_userns)
    for i, device in enumerate(plan["devices"]):
        try:
            create_device(rootfs, *device, in_userns=in_userns)
        except OSError as e:
            raise ConfigError("linux.devices[%d].path" % i, "%s: %s" % (device[0], strerror(e)))
    if plan["setup_dev"]:
        create_dev_symlinks(rootfs)
    apply_sysctls(plan["sysctl"])
    send_message(wfd, "hooks")  # the parent runs prestart and createRuntime
    state = _expect(rfd, "ok")[1]
    run_hooks(plan["hooks"], ("createContainer",), state)
    pivot_into_rootfs(rootfs, plan["no_pivot"], own_mount_ns)
    proc = plan["process"]
    if proc is not None:
        # A missing cwd is made, inside the new root and before it turns
        # read-only, as runc does.
        try:
            os.makedirs(proc["cwd"], 0o755, exist_ok=True)
        except OSError as e:
            raise BrownieError("process.cwd: cannot create %s: %s"
                               % (proc["cwd"], strerror(e))) from None
    if proc is not None and proc["terminal"]:
        setup_console(console_fd, proc, own_mount_ns)
    make_paths_readonly(plan["readonly"])
    mask_paths(plan["masked"])
    if plan["readonly_root"]:
        remount_root_readonly()
    if own_mount_ns and plan["root_propagation"] is not None:
        # rootfsPropagation on the new root, last: the binds above could
        # not be made of an unbindable tree.
        mount(None, "/", None, plan["root_propagation"])
    if plan["personality"] is not None:
        _check(_libc.personality(plan["personality"]), "personality")
    exe = None
    if proc is not None:
        # The program is looked for now, as root, so that a missing one
        # fails create as with runc; unless process.cwd is a directory only
        # the process's user may enter (then it is done after the switch).
        if enter_cwd(proc["cwd"], permission_ok=True):
            exe = find_executable(proc["args"][0], proc["env"])
        # rlimits now, so that one the kernel refuses fails create (as with
        # runc), not start; the process inherits them.
        apply_rlimits(proc["rlimits"])
        proc = dict(proc, rlimits=())
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
        import _socket
        exec_process(proc, exe, plan.get("seccomp"), plan["preserve_fds"],
                     _socket.socket(fileno=os.dup(conn)))
    except ExecveFailed as e:
        # As with runc, whose start has returned by then: start succeeds,
        # and the process "exits 1", saying why on its stderr (docker logs;
        # a restart policy applies).
        os.write(2, ("brownie: %s\n" % e).encode())
        os._exit(1)
    except BaseException as e:
        os.write(conn, error_text(e).encode())
        os._exit(1)


def import_before_pivot(with_hooks):
    """After pivot_root (or exec's chroot) the host's Python library is out
    of reach, and in a user namespace it may not be readable (a Python
    under /root, mode 0700): every module still needed is imported now,
    before either, with the codec of open()'s default text encoding, which
    Python loads only on first use."""
    open(os.devnull).close()  # (what a text-mode open needs)
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


def enter_container(init_pid, namespaces, keep, proc, seccomp, console,
                    preserve_fds, rfd, wfd, notify_sock=None):
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
    set_oom_score_adj(proc["oom_score_adj"])
    for ns in open_namespace_paths(paths):
        join_namespace(*ns)
    if "user" in namespaces:
        become_namespace_root()
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
            setup_console(console.fileno(), proc, False)
        exe = None
        if enter_cwd(proc["cwd"], permission_ok=True):  # (as in stage 2)
            exe = find_executable(proc["args"][0], proc["env"])
        send_message(wfd, "ready")
        _expect(rfd, "go")
        exec_process(proc, exe, seccomp, preserve_fds, notify_sock)
    except BaseException as e:
        report_error(wfd, e)
    os._exit(127)


def check_preserved_fds(preserve_fds):
    """--preserve-fds N passes fds 3..3+N-1: each must be open here, or the
    runtime's own descriptors would land in those slots (runc refuses too)."""
    if type(preserve_fds) is not int or preserve_fds < 0:
        raise BrownieError("--preserve-fds %r: must be a number, 0 or more" % (preserve_fds,))
    for fd in range(3, 3 + preserve_fds):
        try:
            os.fstat(fd)
        except OSError:
            raise BrownieError("--preserve-fds %d: fd %d is not open"
                               % (preserve_fds, fd)) from None


def exec_process(proc, exe, seccomp, preserve_fds, notify_sock=None):
    """Become the container's process: attributes, then execve. A seccomp
    notify fd goes to the runtime over notify_sock (the start connection),
    which hands it on to linux.seccomp.listenerPath on the host."""
    env = container_env(proc)
    for fd in range(3, 3 + preserve_fds):
        try:
            os.set_inheritable(fd, True)
        except OSError:
            pass
    reset_signal_dispositions()
    exe, notify_fd = finalize_process(proc, seccomp, exe)
    if notify_fd is not None:  # (start and exec always give a notify_sock)
        import _socket
        notify_sock.sendmsg([b"\0"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS,
                                        struct.pack("i", notify_fd))])
        os.close(notify_fd)
        # Not one instruction of the program runs unless the agent got the
        # listener: the runtime answers once it has handed it over.
        if notify_sock.recv(1) != b"g":
            raise BrownieError("linux.seccomp.listenerPath: the listener was not handed over")
    try:
        os.execve(exe, proc["args"], env)
    except OSError as e:
        raise ExecveFailed("exec %s: %s" % (exe, strerror(e))) from None


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
# How the init is started: the running interpreter (/proc/self/exe, never
# a lookup on PATH) importing this file, as the shell lines at its top do.
BOOT = ("import sys, os, _frozen_importlib_external as i; p = os.path.realpath(sys.argv[1]); "
        "m = sys.modules['brownie'] = type(sys)('brownie'); m.__file__ = p; "
        "i.SourceFileLoader('brownie', p).exec_module(m); m.main(sys.argv[2:])")  # (line 2's)


def _pidfd_open(pid):
    """A pidfd for `pid`, or None (kernels before 5.3, or pid gone). Python
    3.9+ wraps the call; 3.8 reaches it through syscall(2)."""
    try:
        if hasattr(os, "pidfd_open"):
            return os.pidfd_open(pid)  # novermin (guarded: 3.9+)
        return syscall("pidfd_open", pid, 0)
    except OSError:
        return None


def signal_process(pid, start_time, sig):
    """Signal the process `pid` only if it is still the one that started at
    `start_time` (a pidfd pins it, so a recycled pid is never hit)."""
    if not pid or start_time is None:
        raise ProcessLookupError(errno.ESRCH, "No such process")
    pidfd = _pidfd_open(pid)
    try:
        if process_start_time(pid) != start_time:
            raise ProcessLookupError(errno.ESRCH, "No such process")
        if pidfd is None:
            os.kill(pid, sig)
        elif hasattr(signal, "pidfd_send_signal"):
            signal.pidfd_send_signal(pidfd, sig)
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


def _pid_namespace(pid):
    try:
        return os.stat("/proc/%d/ns/pid" % pid).st_ino
    except OSError:
        return None


def reap_adopted(belongs):
    """Reap the zombies among this process's children for which
    belongs(pid) holds. A subreaper (brownie itself in run_container and
    exec, or its caller) adopts a container's orphans, an exec'd process
    among them; and the init of a pid namespace cannot finish exiting while
    a zombie of its namespace waits to be reaped."""
    for task in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/children" % task) as f:
                children = [int(p) for p in f.read().split()]
        except OSError:
            continue
        for child in children:
            try:
                with open("/proc/%d/stat" % child, "rb") as f:
                    zombie = f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
            except OSError:
                continue
            if zombie and belongs(child):
                try:
                    os.waitpid(child, os.WNOHANG)
                except ChildProcessError:
                    pass


def _reap(pid):
    """waitpid for a child of ours; one the caller's SIGCHLD handler (or
    SIG_IGN) already reaped is fine too."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _end_children(pids):
    """After a failed create or exec: kill the processes it started and
    reap those that are ours (a subreaper adopts the container's init), so
    no zombie is left to the caller, and none keeps a pid namespace from
    ending."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in pids:
        _reap(pid)


class Container:
    """One container in a state root. Create one with Container.create, find
    one with Container.load. Every method and `status` re-read the state on
    disk, so two objects (or two processes) for one container agree.

    As a context manager the container is deleted (force) on leaving:

        with Container.create("job", bundle="b") as c:
            c.start(); c.wait()
    """

    def __init__(self, root, container_id, state):
        self.root = os.path.abspath(root)  # the caller may chdir later
        self.id = container_id
        self._state = state

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.discard()

    def discard(self):
        """delete(force=True), and no error if someone deleted it already."""
        try:
            self.delete(force=True)
        except ContainerError:
            pass

    # -- finding containers -------------------------------------------------

    @classmethod
    def load(cls, container_id, root=DEFAULT_ROOT):
        """The container `container_id` under `root`; ContainerError if
        there is none."""
        sd = StateDir(root, container_id)
        state = sd.read() if os.path.isdir(sd.path) else None
        if state is None:
            raise ContainerError("container %r does not exist" % container_id)
        return cls(root, container_id, state)

    @classmethod
    def list(cls, root=DEFAULT_ROOT):
        """Every container under `root`, sorted by id."""
        try:
            names = sorted(os.listdir(root))
        except FileNotFoundError:
            return []
        except OSError as e:
            raise BrownieError("state root %s: %s" % (root, strerror(e))) from None
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
        """Host pid of the container's process (its init until start), or 0."""
        return self._state.get("pid") or 0

    @property
    def bundle(self):
        return self._state["bundle"]

    def _reload(self):
        """Re-read the state (without the lock: one read of a file that is
        only ever replaced by rename). A deleted container keeps its last."""
        state = StateDir(self.root, self.id).read()
        if state is not None:
            self._state = state

    @property
    def status(self):
        """created, running, paused or stopped, from the live process: a
        container whose init died reads "stopped" even before it is reaped."""
        self._reload()
        return self._live_status()

    def _live_status(self):
        """status, from the state as last read."""
        st = self._state
        if st["status"] == "creating":
            creator = st.get("creator")
            if creator and process_start_time(creator[0]) == creator[1]:
                return "creating"
            return "stopped"
        if not self.pid or process_start_time(self.pid) != st.get("pid_start"):
            return "stopped"
        if st["status"] in ("running", "created") and self.cgroup().is_frozen():
            return "paused"
        return st["status"]

    def state(self):
        """The spec's state (runtime.md) plus runc's rootfs, created, owner."""
        out = spec_state(self._state, self.status)  # (re-reads)
        out.update(rootfs=self._state["rootfs"],
                   created=self._state["created"], owner="")
        return out

    def cgroup(self):
        """The container's Cgroup (section 10)."""
        return Cgroup.from_state(self._state.get("cgroup") or {"hierarchies": []})

    def _locked(self):
        sd = StateDir(self.root, self.id).lock()
        try:
            state = sd.read()
        except ContainerError:
            sd.unlock()
            raise
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
        check_container_id(container_id)
        check_preserved_fds(preserve_fds)
        bundle = os.path.abspath(bundle)
        config = load_json_file(os.path.join(bundle, "config.json"), "config.json")
        plan = build_plan(config, bundle, container_id, no_pivot, preserve_fds)
        if plan["seccomp"] and plan["seccomp"]["listener_path"]:
            check_seccomp_agent(plan["seccomp"]["listener_path"])
        resources = plan.pop("resources")
        cgroup = Cgroup.for_container(container_id, plan.pop("cgroups_path"),
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
            "seccomp": (config.get("linux") or {}).get("seccomp"),
            "seccomp_listener": plan["seccomp"] and (plan["seccomp"]["listener_path"],
                                                     plan["seccomp"]["listener_metadata"]),
            "resources": resources,
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
        import _socket
        state = self._state
        console = connect_console_socket(console_socket)

        def record_cgroup():
            state["cgroup"] = cgroup.to_state()  # what delete must remove
            sd.write(state)
        cgroup.create(record_cgroup)
        record_cgroup()
        # A `cgroup` mount bind-mounts these (name under /sys/fs/cgroup in
        # the container, host directory), as runc does on v1.
        plan["cgroup_sources"] = list(cgroup.paths.items())
        # The start socket, bound through /proc/self/fd so that a long --root
        # does not hit the 108-byte limit of a socket path.
        listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
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
        argv = [sys.executable or "python3", "-IS", "-c", BOOT, BROWNIE_PATH, "init"] + [
            str(fd) for fd in child_fds]
        try:
            stage1 = os.posix_spawn("/proc/self/exe", argv, {})
        finally:
            for fd in child_fds:
                os.close(fd)
            listener.close()
        alive = [stage1]  # ours to kill and reap if create fails

        def tell_init(*msg):
            try:
                send_message(to_init_w, *msg)
            except BrokenPipeError:
                raise BrownieError("container init exited during create") from None
        try:
            cgroup.add_process(stage1)
            tell_init(plan)
            while True:
                msg = recv_message(from_init_r)
                if msg is None:
                    if cgroup.oom_kill_count():
                        raise ConfigError("linux.resources.memory.limit", "is too "
                                          "low: the container's init was OOM-killed")
                    raise BrownieError("container init exited during create")
                if msg[0] == "error":
                    raise BrownieError(msg[1])
                if msg[0] == "userns":
                    write_id_mappings(stage1, plan["uid_map"], plan["gid_map"])
                    tell_init("ok")
                elif msg[0] == "pid":
                    pid = msg[1]
                    alive.append(pid)
                    ns = _pid_namespace(pid)
                    state.update(pid=pid, pid_start=process_start_time(pid),
                                 pid_ns=ns if ns != _pid_namespace(os.getpid()) else None)
                    sd.write(state)
                    # Stage 1 exits now. Only then are the limits applied,
                    # so that pids.limit 1 counts the container's pid 1
                    # alone, and a memory limit below what the init already
                    # uses is refused (EBUSY), as runc reports it; stage 2
                    # waits for "go" meanwhile.
                    _reap(alive.pop(0))
                    self._apply_resources(cgroup, resources, plan)
                    tell_init("go")
                elif msg[0] == "hooks":
                    # From here on a failure "continues the lifecycle at
                    # step 12" (runtime.md): the poststop hooks run too.
                    state["hooks_began"] = True
                    sd.write(state)
                    # prestart is deprecated and runs here, in create, as the
                    # spec now says; its state reads "created" as the
                    # runtime-tools suite expects of it (runc says "creating").
                    run_hooks(plan["hooks"], ("prestart",), spec_state(state, "created"))
                    hook_state = spec_state(state, "creating")
                    run_hooks(plan["hooks"], ("createRuntime",), hook_state)
                    tell_init("ok", hook_state)
                elif msg[0] == "created":
                    break
            state["status"] = "created"
            del state["creator"]
            sd.write(state)
        except BaseException:
            os.close(to_init_w)
            os.close(from_init_r)
            _end_children(alive)
            raise
        os.close(to_init_w)
        os.close(from_init_r)

    def _apply_resources(self, cgroup, resources, plan):
        # Like runc, every container may use the standard /dev nodes
        # whatever linux.resources.devices says; a node of linux.devices
        # only as those rules allow (docker --device /dev/x:r gives "r").
        seen = len(cgroup.warnings)
        cgroup.apply(resources, extra_devices=ALLOWED_DEVICE_RULES)
        for w in cgroup.warnings[seen:]:
            warn(w)
        owner = cgroup_owner(plan)
        if owner is not None and cgroup.pure_v2:
            cgroup.delegate(*owner)

    # -- start, kill, wait ------------------------------------------------

    def start(self):
        """runtime.md "start": run the process; poststart hooks follow, and
        if one fails the container is stopped and start fails (v1.3.0)."""
        import _socket
        sd = self._locked()
        try:
            status = self._live_status()
            if status != "created":
                raise ContainerError("cannot start a container that is %s "
                                     "(only a created one)" % status)
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                try:
                    s.connect("/proc/self/fd/%d/start.sock" % sd.fd)
                except (ConnectionRefusedError, FileNotFoundError):
                    # An earlier start got through and was killed before it
                    # could say so: the process runs.
                    self._state["status"] = "running"
                    sd.write(self._state)
                    raise ContainerError("cannot start a container that is running") from None
                s.sendall(b"s")
                # Until EOF (execve closed it): an error text, or a NUL
                # byte carrying the seccomp notify fd.
                reply = b""
                while True:
                    chunk, fds = recv_with_fds(s)
                    for fd in fds:  # if this fails, the process never runs
                        self._hand_over_listener(fd)
                        s.sendall(b"g")
                    if not chunk:
                        break
                    reply += chunk.lstrip(b"\0") if fds else chunk
            finally:
                s.close()
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

    def _hand_over_listener(self, fd, pid=None):
        """Send a listener fd to linux.seccomp.listenerPath: the init's (at
        start), or an exec'd process's (`pid`)."""
        path, metadata = self._state["seccomp_listener"]
        try:
            send_seccomp_listener(fd, path, metadata,
                                  spec_state(self._state, "running"), pid)
        finally:
            os.close(fd)

    def kill(self, sig=signal.SIGTERM, all=False):
        """runtime.md "kill": signal the process (or, with all, every process
        of the container). sig: a number, or a name with or without SIG."""
        sig = parse_signal(sig if isinstance(sig, str) else str(int(sig)))
        status = self.status
        if all and status == "stopped":
            # What the process left (in the host's pid namespace, say): runc
            # signals it, and containerd counts on that.
            self._signal_processes(sig)
            return
        if status in ("stopped", "creating"):
            raise ContainerError("container not running")
        if all:
            self._signal_processes(sig)
        try:
            signal_process(self.pid, self._state["pid_start"], sig)
        except ProcessLookupError:
            if not all:
                raise ContainerError("container not running") from None
        if sig == signal.SIGKILL and status == "paused":
            # A frozen task cannot die (cgroup v1): thaw, as runc does for
            # SIGKILL only; other signals wait for resume.
            self.cgroup().thaw()

    def _signal_processes(self, sig):
        """`sig` to every process of the container: all of its cgroup when
        the container made that cgroup. A cgroupsPath may name a cgroup that
        others use too (or even the host's root): there only the processes
        in the container's own pid namespace are its own."""
        cgroup = self.cgroup()
        if cgroup.owned and self._state.get("pid_ns") is None:
            cgroup.kill_all(sig)  # frozen meanwhile: no fork escapes it
            return
        for pid in self.pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _kill_all(self, sig):
        doomed = self.pids()
        self._signal_processes(sig)
        try:
            signal_process(self.pid, self._state.get("pid_start"), sig)
        except ProcessLookupError:
            pass
        if self.pid:
            while not wait_for_exit(self.pid, self._state.get("pid_start"), 0.05):
                self._reap_adopted(doomed)
        return doomed

    def _reap_adopted(self, pids=(), but=None):
        """reap_adopted, for this container's processes: those of its pid
        namespace, or `pids` (seen in its cgroup) without one; never `but`
        (the one a caller waits for itself)."""
        ns = self._state.get("pid_ns")
        reap_adopted(lambda p: p != but and (
            p in pids or ns is not None and _pid_namespace(p) == ns))

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

    def exec(self, process=None, args=(), detach=False, pid_file=None,
             console_socket=None, preserve_fds=0, ignore_paused=False,
             reap_orphans=False, **flags):
        """runc exec: start one more process in the container's namespaces
        and cgroup, with the container's seccomp profile. `process` is a
        config.md process object (a dict, as runc exec --process reads);
        or give `args`, run with the container's own process settings and
        runc exec's flags as keywords (env, cwd, user "uid[:gid]",
        additional_gids, caps, tty, no_new_privs, apparmor, label).
        Returns the exit status, or the pid when detach. A program that
        cannot be run fails here, and the container is left as it was."""
        check_preserved_fds(preserve_fds)
        from_json = process is not None
        process = exec_process_plan(self._state.get("process"), process,
                                    args, **flags)
        status = self.status
        if status not in ("created", "running", "paused"):
            raise ContainerError("cannot exec in a %s container" % status)
        if status == "paused" and not ignore_paused:
            raise ContainerError("cannot exec in a paused container "
                                 "(use --ignore-paused)")
        if "user" in self._state.get("namespaces", ()):
            maps = [read_id_map("/proc/%d/%s" % (self.pid, name)) for name in ("uid_map", "gid_map")]
            check_ids_mapped(_Fields({}, "process.user", "process.json" if from_json else "exec"),
                             process, *maps)
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
        if detach:
            return self._spawn_exec(process, seccomp, console, preserve_fds, pid_file)
        with Subreaper():
            pid = self._spawn_exec(process, seccomp, console, preserve_fds, pid_file)
            if ours is not None:
                master = receive_console_master(ours)
            return wait_in_foreground(pid, master, reap_orphans)

    def _spawn_exec(self, proc, seccomp, console, preserve_fds, pid_file=None):
        init_pid = self.pid
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        keep = {0, 1, 2, to_child_r, from_child_w} | set(range(3, 3 + preserve_fds))
        if console is not None:
            keep.add(console.fileno())
        # SCMP_ACT_NOTIFY: the process sends its listener fd here, and it
        # goes on to listenerPath as at start (runc does so for exec too).
        notify = theirs = None
        if seccomp is not None and seccomp.get("notify"):
            import _socket
            notify, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
            keep.add(theirs.fileno())
        first = os.fork()
        if first == 0:
            try:
                os.close(to_child_w)
                os.close(from_child_r)
                if notify is not None:
                    notify.close()
                prctl(PR_SET_DUMPABLE, 0)
                enter_container(init_pid, self._state["namespaces"], keep,
                                proc, seccomp, console, preserve_fds,
                                to_child_r, from_child_w, theirs)
            except BaseException as e:
                send_message(from_child_w, "error", error_text(e))
            os._exit(1)
        os.close(to_child_r)
        os.close(from_child_w)
        if console is not None:
            console.close()
        if theirs is not None:
            theirs.close()
        pid = None
        try:
            _reap(first)
            # "pid" comes from the intermediate process, "ready" from its
            # child: they race, and either may come first.
            ready = False
            while pid is None or not ready:
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
                    try:
                        self.cgroup().add_process(pid)
                    except BrownieError:
                        if process_start_time(pid) is not None:
                            raise
                        # It failed and exited first: its error is next.
                elif msg[0] == "ready":
                    ready = True
            if pid_file:  # (a pid file that cannot be written ends the process)
                write_pid_file(pid_file, pid)
            send_message(to_child_w, "go")
            if notify is not None:
                # The listener, just before execve (nothing if the process
                # failed before its filter); it waits for our answer.
                for fd in recv_with_fds(notify)[1]:
                    self._hand_over_listener(fd, pid)
                    notify.sendall(b"g")
            # The pipe is close-on-exec: end of file means execve succeeded.
            msg = recv_message(from_child_r)
            if msg is not None:
                raise BrownieError("exec failed: %s" % msg[1])
            return pid
        except BaseException:
            if pid is not None:
                _end_children([pid])
            raise
        finally:
            os.close(to_child_w)
            os.close(from_child_r)
            if notify is not None:
                notify.close()

    # -- delete -----------------------------------------------------------

    def delete(self, force=False):
        """runtime.md "delete": a container that is not stopped is refused
        unless force, which kills it first. poststop hooks run last."""
        sd = self._locked()
        status = self._live_status()
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
        without a mount namespace left on the host, and the state. If that
        fails the state stays, so that delete can be tried again (quiet: a
        failed create, whose error is the one to report, removes it)."""
        try:
            doomed = self.pids()
            if self._live_status() != "stopped" or self._state["status"] == "creating":
                doomed += self._kill_all(signal.SIGKILL)
            self.cgroup().destroy()  # (waits until its processes are gone)
            if self._state.get("shares_host_mounts"):
                unmount_below(self._state["rootfs"])
            # Our zombies of the container: its init when we are its
            # subreaper, and what we adopted of it.
            self._reap_adopted(doomed + [self.pid])
        except Exception:
            if not quiet:
                sd.unlock()
                raise
        try:
            if self._state["status"] != "creating" or self._state.get("hooks_began"):
                run_hooks(self._state["hooks"], ("poststop",),
                          spec_state(self._state, "stopped"),
                          on_error=lambda e: warn(str(e)))
        finally:
            sd.remove()

    # -- cgroup operations --------------------------------------------------

    def pids(self):
        """Host pids of the container's processes: those of its cgroup in
        its own pid namespace; with none of its own, every process of a
        cgroup it made, or in a cgroup it did not make (which others may
        share) its process alone."""
        cgroup = self.cgroup()
        ns = self._state.get("pid_ns")
        if ns is not None:
            return [p for p in cgroup.pids() if _pid_namespace(p) == ns]
        if cgroup.owned:
            return cgroup.pids()
        alive = self.pid and process_start_time(self.pid) == self._state.get("pid_start")
        return [self.pid] if alive else []

    def pause(self):
        """runc pause: freeze every process (the cgroup freezer). A created
        container may be paused too (runc); resume makes it created again."""
        self._freezer(("running", "created"), "container not running", Cgroup.freeze)

    def resume(self):
        """runc resume: thaw a paused container."""
        self._freezer(("paused",), "container not paused", Cgroup.thaw)

    def _freezer(self, needed, refusal, action):
        sd = self._locked()
        try:
            if self._live_status() not in needed:
                raise ContainerError(refusal)
            action(self.cgroup())
        finally:
            sd.unlock()

    def update(self, resources):
        """runc update: apply LinuxResources to a live container, merged
        with what it has (cpu quota needs its period on v2, and so on)."""
        sd = self._locked()
        try:
            if self._live_status() == "stopped":
                raise ContainerError("container not running")
            memory = (resources or {}).get("memory")
            if isinstance(memory, dict) and memory.get("limit") == -1 and "swap" not in memory:
                # runc: unlimited memory with swap unset lifts the swap limit too
                resources = dict(resources, memory=dict(memory, swap=-1))
            merged = merge_resources(self._state.get("resources") or {}, resources)
            validate_resources(merged, source="update")
            cgroup = self.cgroup()
            cgroup.apply(resources_to_rewrite(merged, resources),
                         extra_devices=ALLOWED_DEVICE_RULES)  # (as create)
            # Only what this update asked for may warn (runc warns once).
            asked = _field_paths(resources, "linux.resources")
            for w in cgroup.warnings:
                if any(w.startswith(p) for p in asked):
                    warn(w)
            self._state["resources"] = merged
            sd.write(self._state)
        finally:
            sd.unlock()

    def stats(self):
        """runc events --stats data: cpu, memory, pids, blkio, hugetlb."""
        return self.cgroup().stats()


def exit_status(status):
    """A wait status as a shell reports it: the code, or 128 + signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def parse_signal(text):
    """A signal as runc takes it: a number, or a name with or without SIG."""
    if text.isdigit():
        num = int(text)
        if not 0 <= num < signal.NSIG:  # 0: is it alive? (runc takes it)
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
                  keep=False, reap_orphans=False, **create_options):
    """runc run: create, start and (unless detach) wait, forwarding signals,
    then delete. Returns the process's exit status (128+signal if killed)."""
    if detach:
        _create_and_start(container_id, bundle, root, True, create_options)
        return 0
    with Subreaper():
        c, master = _create_and_start(container_id, bundle, root, False, create_options)
        try:
            status = wait_in_foreground(c.pid, master, reap_orphans, c)
        finally:
            if not keep:
                c.discard()
    return status


def _create_and_start(container_id, bundle, root, detach, create_options):
    """run's first half: (container, pty master or None)."""
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
        if master is not None:
            copy_window_size(master)  # before the program looks (runc)
        c.start()
    except BaseException:
        c.delete(force=True)
        raise
    return c, master


class Subreaper:
    """While held, orphaned descendants come to this process instead of pid
    1: the container's init is orphaned when stage 1 of the init exits, and
    `run` and `exec` in the foreground must wait for it (and reap whatever
    else it leaves). The flag is the process's: threads holding it at once
    share it, and the last one out puts back what was there before."""

    _lock = _thread.allocate_lock()
    _holders = 0
    _was = 0

    def __enter__(self):
        cls = Subreaper
        with cls._lock:
            if cls._holders == 0:
                flag = ctypes.c_int(0)
                prctl(PR_GET_CHILD_SUBREAPER, ctypes.addressof(flag))
                cls._was = flag.value
                prctl(PR_SET_CHILD_SUBREAPER, 1)
            cls._holders += 1
        # A caller that ignores SIGCHLD has its children reaped by the
        # kernel, and the process's exit status with them.
        self.sigchld = None
        if signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:
            try:
                self.sigchld = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            except ValueError:
                pass  # not the main thread
        return self

    def __exit__(self, *exc):
        cls = Subreaper
        with cls._lock:
            cls._holders -= 1
            if cls._holders == 0:
                prctl(PR_SET_CHILD_SUBREAPER, cls._was)
        if self.sigchld is not None:
            signal.signal(signal.SIGCHLD, self.sigchld)


def wait_in_foreground(pid, master, reap_orphans=False, container=None):
    """Wait for process `pid` as its subreaper, forwarding signals to it (and
    being its terminal when there is a pty master); returns its status. With
    reap_orphans (the CLI, whose children are all ours), every orphan the
    container leaves is reaped meanwhile, as tini does; a library caller's
    own children are left alone, but the zombies of `container` are reaped
    (its pid namespace could not end otherwise)."""
    forwarded = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM,
                 signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGCONT,
                 signal.SIGALRM, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass
    previous = {}
    try:
        for sig in forwarded:
            previous[sig] = signal.signal(sig, forward)
    except ValueError:
        pass  # not the main thread, where Python has signals: no forwarding
    if master is not None:
        proxy_terminal(master)
    status = 255
    while True:
        if not reap_orphans and container is not None:
            # Wake up now and then to reap the container's zombies (an exec
            # --detach meanwhile); the pidfd says at once when pid exits.
            while not wait_for_exit(pid, process_start_time(pid), 0.1):
                container._reap_adopted(but=pid)
        try:
            reaped, wstatus = os.wait() if reap_orphans else os.waitpid(pid, 0)
        except ChildProcessError:
            break
        if reaped == pid:
            status = exit_status(wstatus)
            break
    for sig, handler in previous.items():
        signal.signal(sig, handler)
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
                               | set(MOUNT_RECURSIVE_ATTRS) | {"tmpcopyup"}),
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


_GLOBALS_WITH_VALUE = ("--root", "--log", "--log-format", "--criu", "--rootless")


def split_global_args(argv):
    """argv -> (global flags, the command and its arguments). Unknown global
    flags (podman's --runtime-flag k=v) are kept for a warning."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in _GLOBALS_WITH_VALUE:
            i += 1
        i += 1
    return argv[:i], argv[i:]


def _explicit_booleans(args, booleans, flags_only=False):
    """--flag=true / --flag=false (runc takes them, podman's --runtime-flag
    sends them) as argparse knows them: --flag, or nothing. Unless args are
    all flags and their values (flags_only), only the flags before the first
    other word: what follows may be a program's argv."""
    out = list(args)
    for i, arg in enumerate(args):
        if not flags_only and (not arg.startswith("-") or arg == "--"):
            break
        name, eq, value = arg.partition("=")
        if eq and name in booleans and value.lower() in ("true", "false", "1", "0", "t", "f"):
            out[i] = name if value.lower() in ("true", "1", "t") else booleans[name]
    return [arg for arg in out if arg is not None]


class _Undeclared:
    """Stands in for the parser of a command that is not being run."""

    def add_argument(self, *args, **kwargs):
        pass


def build_parser(only=None):
    """runc's command line as argparse. With `only` (a command name), the
    other commands are listed but their arguments left undeclared: each
    declaration costs argparse a translation lookup, and it adds up."""
    import argparse

    def formatter(prog):
        # With a width given, argparse does not import shutil (for the
        # terminal's size) each time it checks an argument.
        return argparse.HelpFormatter(prog, width=int(os.environ.get("COLUMNS", 80)))
    p = argparse.ArgumentParser(
        prog="brownie", description="An OCI container runtime in one Python file.",
        formatter_class=formatter)
    p.boolean_flags = {}  # name -> what --name=false becomes (None: nothing)

    def boolean(parser, *names, overrides=False, **kw):
        # (go's flag package, and so runc, also takes --flag=true/false.)
        # overrides: the flag may also turn off what the config turns on,
        # so it is None unless given, and --name=false is a hidden --name-false.
        parser.add_argument(*names, action="store_true",
                            **dict(kw, default=None) if overrides else kw)
        negation = None
        if overrides:
            negation = names[0] + "-false"
            parser.add_argument(negation, action="store_false", dest=kw.get(
                "dest", names[0].lstrip("-").replace("-", "_")), help=argparse.SUPPRESS)
        p.boolean_flags.update((name, negation) for name in names)
    boolean(p, "--version", "-v", help="print the version")
    p.add_argument("--root", default=DEFAULT_ROOT, help="state directory")
    p.add_argument("--log", help="log file (errors, warnings; debug with --debug)")
    p.add_argument("--log-format", choices=("text", "json"), default="text")
    boolean(p, "--debug")
    boolean(p, "--systemd-cgroup",
               help="cgroupsPath is slice:prefix:name")
    p.add_argument("--rootless", default="auto")
    p.add_argument("--criu", help=argparse.SUPPRESS)
    # Given a prog, argparse needs no help formatter (nor its imports) now.
    sub = p.add_subparsers(dest="command", metavar="COMMAND", prog="brownie")

    def cmd(name, help_text, with_id=True):
        if only in COMMANDS and name != only:
            return _Undeclared()
        sp = sub.add_parser(name, help=help_text, description=help_text,
                            formatter_class=formatter)
        if with_id:
            sp.add_argument("id", metavar="CONTAINER_ID")
        return sp

    def creating(sp):
        sp.add_argument("--bundle", "-b", default=".", help="bundle directory")
        sp.add_argument("--pid-file", help="write the init's pid here")
        sp.add_argument("--console-socket", help="unix socket for the pty master")
        boolean(sp, "--no-pivot",
                    help="chroot instead of pivot_root (initramfs)")
        boolean(sp, "--no-new-keyring")
        sp.add_argument("--preserve-fds", type=int, default=0, metavar="N",
                        help="pass fds 3..3+N-1 to the process")

    creating(cmd("create", "create a container, its process waiting for start"))
    cmd("start", "start the process of a created container")
    cmd("state", "print the state of a container as JSON")
    sp = cmd("kill", "send a signal to the container's process")
    sp.add_argument("signal", nargs="?", default="SIGTERM")
    boolean(sp, "--all", "-a",
                help="signal every process of the container")
    sp = cmd("delete", "delete a stopped container")
    boolean(sp, "--force", "-f",
                help="kill a running container first")
    sp = cmd("run", "create and start a container, wait for it, delete it")
    creating(sp)
    boolean(sp, "--detach", "-d")
    boolean(sp, "--keep", help="do not delete on exit")
    sp = cmd("list", "list containers", with_id=False)
    boolean(sp, "--quiet", "-q", help="ids only")
    sp.add_argument("--format", "-f", choices=("table", "json"), default="table")
    sp = cmd("spec", "write a default config.json", with_id=False)
    sp.add_argument("--bundle", "-b", default=".")
    boolean(sp, "--rootless")
    cmd("features", "print the features of this runtime as JSON", with_id=False)
    for name in UNSUPPORTED_COMMANDS:
        cmd(name, "runc's %s: not supported (brownie has no CRIU)" % name, with_id=False)
    sp = cmd("ps", "list the processes of a container")
    sp.add_argument("--format", "-f", choices=("table", "json"), default="table")
    # runc's spelling: ps ID -o pid,comm (everything after the id is ps's)
    sp.add_argument("ps_args", nargs=argparse.REMAINDER, help="options for ps(1)")
    sp = cmd("exec", "run one more process in a container")
    sp.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND ...")
    sp.add_argument("--process", "-p", help="process.json to run (- for stdin)")
    boolean(sp, "--tty", "-t", help="allocate a pty")
    sp.add_argument("--console-socket", help="unix socket for the pty master")
    boolean(sp, "--detach", "-d")
    sp.add_argument("--pid-file", help="write the process's pid here")
    sp.add_argument("--env", "-e", action="append", default=[], metavar="K=V")
    sp.add_argument("--cwd", help="working directory in the container")
    sp.add_argument("--user", "-u", help="uid[:gid]")
    sp.add_argument("--additional-gids", "-g", action="append", default=[])
    sp.add_argument("--cap", "-c", action="append", default=[],
                    help="add a capability")
    boolean(sp, "--no-new-privs", overrides=True)
    sp.add_argument("--preserve-fds", type=int, default=0, metavar="N")
    sp.add_argument("--process-label", help="SELinux label")
    sp.add_argument("--apparmor", help="AppArmor profile")
    boolean(sp, "--ignore-paused")
    sp = cmd("update", "change the resources of a running container")
    sp.add_argument("--resources", "-r", metavar="FILE",
                    help="LinuxResources JSON (- for stdin)")
    for flag in UPDATE_FLAGS:
        names = ["--" + flag] + (["--cpu-shares"] if flag == "cpu-share" else [])
        sp.add_argument(*names)
    sp = cmd("events", "print statistics and OOM events as JSON")
    boolean(sp, "--stats", help="once, then exit")
    sp.add_argument("--interval", default="5s", help="between stats (5s)")
    sp = cmd("seccomp-dump", "print the BPF program of a config's seccomp",
             with_id=False)
    sp.add_argument("config", nargs="?", default="config.json")
    cmd("pause", "freeze every process of a container")
    cmd("resume", "thaw a paused container")
    return p


def cli(argv):
    """Run one command; returns the exit status."""
    if argv[:1] == ["init"]:
        container_init(*(int(a) for a in argv[1:5]))
    global_argv, rest = split_global_args(argv)
    if rest[:1] and rest[0] in UNSUPPORTED_COMMANDS:
        rest = rest[:1]  # whatever its flags: it is refused (in the log too)
    parser = build_parser(rest[0] if rest else None)
    global_argv = _explicit_booleans(global_argv, parser.boolean_flags, flags_only=True)
    rest = rest[:1] + _explicit_booleans(rest[1:], parser.boolean_flags)
    opts, unknown = parser.parse_known_args(global_argv)
    try:
        log = Log(opts.log, opts.log_format, opts.debug)
    except OSError as e:
        say("--log %s: %s" % (opts.log, strerror(e)))
        return 1
    global _warning_sink

    def warning(msg):
        # With --log, as runc: only there. Under a shim, stderr is the
        # container's own stream (`docker logs`).
        if opts.log:
            log.write("warning", msg)
        else:
            say("warning: " + msg)
    _warning_sink = warning
    if unknown:
        log.write("debug", "ignoring unknown global flags %s" % " ".join(unknown))
    if opts.version:
        print("brownie version %s\nspec: %s\npython: %s"
              % (__version__, OCI_VERSION, sys.version.split()[0]))
        return 0
    if not rest:
        parser.print_usage(sys.stderr)
        return 2
    args = parser.parse_args([a for a in global_argv if a not in unknown] + rest)
    log.write("debug", "%s %s" % (args.command, " ".join(rest[1:])))

    def terminated(signum, frame):
        raise Terminated(signum)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, terminated)
    try:
        return COMMANDS[args.command](args, opts) or 0
    except BrownieError as e:
        msg = str(e)
    except OSError as e:
        msg = error_text(e)
    except KeyboardInterrupt:
        return 130
    except Terminated as e:
        return 128 + e.signum
    except Exception as e:  # a bug in brownie: still one line, unless --debug
        if opts.debug:
            import traceback
            traceback.print_exc()
        msg = "internal error: %s: %s (--debug shows where)" % (
            e.__class__.__name__, e)
    log.write("error", msg)
    say(msg)
    return 1


class Terminated(BaseException):
    """SIGTERM, SIGHUP or SIGQUIT reached a command: like Ctrl-C, it
    unwinds, so that a create cut short removes what it made."""

    def __init__(self, signum):
        BaseException.__init__(self, signum)
        self.signum = signum


def _print_json(obj):
    import json
    print(json.dumps(obj, indent=2))  # (print: stdout may be closed)


def cmd_create(args, opts):
    Container.create(args.id, args.bundle, opts.root, pid_file=args.pid_file,
                     console_socket=args.console_socket, no_pivot=args.no_pivot,
                     preserve_fds=args.preserve_fds,
                     systemd_cgroup=opts.systemd_cgroup)


def cmd_run(args, opts):
    return run_container(args.id, args.bundle, opts.root, detach=args.detach,
                         keep=args.keep, reap_orphans=True, pid_file=args.pid_file,
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
            StateDir(opts.root, args.id).remove_if_stale()
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
        rows.append({"ociVersion": st["ociVersion"], "id": c.id, "pid": st["pid"],
                     "status": st["status"],
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
        print(json.dumps(pids))
        return
    import subprocess
    argv = ["ps"] + (args.ps_args or ["-ef"])
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
    except OSError as e:
        raise BrownieError("ps: %s" % strerror(e)) from None
    out = p.stdout.splitlines()
    if p.returncode != 0 or not out or "PID" not in out[0].split():
        why = (p.stderr.strip().splitlines() or ["its output has no PID column"])[0]
        raise BrownieError("%s: %s" % (" ".join(argv), why))
    pid_col = out[0].split().index("PID")
    print(out[0])
    for line in out[1:]:
        fields = line.split()
        if len(fields) > pid_col and fields[pid_col].isdigit() and int(fields[pid_col]) in pids:
            print(line)


def cmd_exec(args, opts):
    c = Container.load(args.id, opts.root)
    process = None
    if args.process is not None:
        path = "/dev/stdin" if args.process == "-" else args.process
        process = load_json_file(path, "process.json")
    result = c.exec(process, args.argv, detach=args.detach,
                    pid_file=args.pid_file, console_socket=args.console_socket,
                    preserve_fds=args.preserve_fds,
                    ignore_paused=args.ignore_paused, reap_orphans=True,
                    env=args.env, cwd=args.cwd, user=args.user,
                    additional_gids=args.additional_gids, caps=args.cap,
                    tty=args.tty, no_new_privs=args.no_new_privs,
                    apparmor=args.apparmor, label=args.process_label)
    return 0 if args.detach else result


def _parse_ram(text, flag):
    # go-units RAMInBytes: "512m", "1.5g", "100", "2GiB"; binary multiples.
    s = str(text).strip()
    if s == "-1":
        return -1
    low = s.lower()
    for suffix in ("ib", "b"):
        if low.endswith(suffix) and len(low) > len(suffix):
            low = low[:-len(suffix)]
            break
    scale = 1
    if low and low[-1] in "kmgtp":
        scale = 1024 ** ("kmgtp".index(low[-1]) + 1)
        low = low[:-1]
    try:
        number = float(low.strip()) if "." in low else int(low.strip())
    except ValueError:
        number = -1
    if number < 0:
        raise BrownieError('invalid value for --%s: "%s"' % (flag, text))
    return int(number * scale)


def _parse_int(text, flag, bounds):
    try:
        value = int(str(text).strip())
    except ValueError:
        value = None
    if value is None or not bounds[0] <= value <= bounds[1]:
        raise BrownieError('invalid value for --%s: "%s"' % (flag, text))
    return value


def resources_from_update_flags(memory=None, memory_swap=None, cpu_shares=None,
                                cpu_quota=None, cpu_period=None, cpuset_cpus=None,
                                cpuset_mems=None, pids_limit=None, blkio_weight=None,
                                memory_reservation=None, cpu_rt_period=None,
                                cpu_rt_runtime=None, kernel_memory=None,
                                kernel_memory_tcp=None, l3_cache_schema=None,
                                mem_bw_schema=None):
    """The LinuxResources that `runc update`'s flags ask for; only the flags
    given (not None) appear. Sizes take k/m/g/t/p suffixes (binary)."""
    if l3_cache_schema or mem_bw_schema:
        raise BrownieError("--l3-cache-schema, --mem-bw-schema: Intel RDT is "
                           "not implemented by brownie")
    res = {}
    mem = {key: _parse_ram(value, flag) for key, value, flag in (
        ("limit", memory, "memory"), ("swap", memory_swap, "memory-swap"),
        ("reservation", memory_reservation, "memory-reservation"),
        ("kernel", kernel_memory, "kernel-memory"),
        ("kernelTCP", kernel_memory_tcp, "kernel-memory-tcp")) if value not in (None, "")}
    if mem:
        res["memory"] = mem
    cpu = {key: _parse_int(value, flag, bounds) for key, value, flag, bounds in (
        ("shares", cpu_shares, "cpu-share", _UINT64), ("quota", cpu_quota, "cpu-quota", _INT64),
        ("period", cpu_period, "cpu-period", _UINT64),
        ("realtimePeriod", cpu_rt_period, "cpu-rt-period", _UINT64),
        ("realtimeRuntime", cpu_rt_runtime, "cpu-rt-runtime", _INT64))
        if value not in (None, "")}
    cpu.update({key: str(value) for key, value in (("cpus", cpuset_cpus), ("mems", cpuset_mems))
                if value not in (None, "")})
    if cpu:
        res["cpu"] = cpu
    if pids_limit not in (None, ""):
        res["pids"] = {"limit": _parse_int(pids_limit, "pids-limit", _INT64)}
    if blkio_weight not in (None, "", 0, "0"):
        res["blockIO"] = {"weight": _parse_int(blkio_weight, "blkio-weight", _UINT16)}
    return res


UPDATE_FLAGS = ("memory", "memory-swap", "memory-reservation", "cpu-share",
                "cpu-quota", "cpu-period", "cpu-rt-period", "cpu-rt-runtime",
                "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight",
                "kernel-memory", "kernel-memory-tcp", "l3-cache-schema",
                "mem-bw-schema")


def cmd_update(args, opts):
    c = Container.load(args.id, opts.root)
    flags = {f.replace("-", "_"): getattr(args, f.replace("-", "_"))
             for f in UPDATE_FLAGS}
    flags["cpu_shares"] = flags.pop("cpu_share")
    resources = resources_from_update_flags(**flags)
    if args.resources:
        path = "/dev/stdin" if args.resources == "-" else args.resources
        resources = merge_resources(load_json_file(path, "resources"), resources)
    c.update(resources)


def _parse_duration(text):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit) and text[:-len(unit)].replace(".", "", 1).isdigit():
            return float(text[:-len(unit)]) * units[unit]
    if text.replace(".", "", 1).isdigit():
        return float(text)
    raise BrownieError("--interval %r: give a duration like 5s or 500ms" % text)


def _positive_duration(text):
    seconds = _parse_duration(text)
    if seconds <= 0:
        raise BrownieError("--interval %r: must be more than zero" % text)
    return seconds


def cmd_events(args, opts):
    """runc events: {"type": "stats"|"oom", "id", "data"} JSON lines."""
    import json
    c = Container.load(args.id, opts.root)

    def emit(kind, data=None):
        event = {"type": kind, "id": c.id}
        if data is not None:
            event["data"] = data
        print(json.dumps(event), flush=True)
    if c.status == "stopped":  # runc: no events of a stopped container
        raise ContainerError("container %r is not running" % c.id)
    if args.stats:
        emit("stats", c.stats())
        return
    interval = _positive_duration(args.interval)
    oom = c.cgroup().oom_events()
    try:
        while c.status != "stopped":
            emit("stats", c.stats())
            for _ in range(oom.wait(interval) or 0):
                emit("oom")
    except BrokenPipeError:
        sys.stdout = None  # the reader is gone (`events | head`): done
    finally:
        oom.close()


def cmd_seccomp_dump(args, opts):
    config = load_json_file(args.config, "config.json")
    compiled = compile_seccomp((config.get("linux") or {}).get("seccomp"))
    if compiled is None:
        raise BrownieError("%s has no linux.seccomp" % args.config)
    print(disassemble_seccomp(compiled["program"]))


def cmd_pause(args, opts):
    Container.load(args.id, opts.root).pause()


def cmd_resume(args, opts):
    Container.load(args.id, opts.root).resume()


def cmd_unsupported(args, opts):
    raise BrownieError("%s is not supported: brownie has no checkpoint/restore (CRIU)"
                       % args.command)


UNSUPPORTED_COMMANDS = ("checkpoint", "restore")
COMMANDS = dict({name: cmd_unsupported for name in UNSUPPORTED_COMMANDS}, **{
    "create": cmd_create, "start": cmd_start, "state": cmd_state,
    "kill": cmd_kill, "delete": cmd_delete, "run": cmd_run, "list": cmd_list,
    "spec": cmd_spec, "features": cmd_features, "ps": cmd_ps,
    "pause": cmd_pause, "resume": cmd_resume, "exec": cmd_exec,
    "update": cmd_update, "events": cmd_events, "seccomp-dump": cmd_seccomp_dump,
})


def main(argv=None):
    status = cli(sys.argv[1:] if argv is None else argv)
    # Leave without tearing the interpreter down (a few ms, for nothing:
    # the process ends here); only our output must not be lost. A closed
    # stdout or stderr is None here.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except OSError:
                pass
    os._exit(status)


if __name__ == "__main__":
    main()
