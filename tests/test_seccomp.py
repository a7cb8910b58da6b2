"""Tests of brownie's seccomp section (config-linux.md "Seccomp").

Compiler tests run the BPF programs in a small classic-BPF interpreter below;
kernel tests fork a child that sets no_new_privs, loads the filter with
install_seccomp() and makes system calls, reporting results through a pipe.
"""

import ctypes
import errno
import fcntl
import json
import marshal
import mmap
import os
import select
import signal
import socket
import struct
import subprocess
import sys

import pytest

import brownie

NATIVE = brownie._SECCOMP_HOST_ABIS.get(brownie.MACHINE, (None,))[0]
needs_host = pytest.mark.skipif(NATIVE is None, reason="no seccomp tables for this machine")
x86_64_only = pytest.mark.skipif(brownie.MACHINE != "x86_64", reason="x86_64 host needed")

M32 = 0xFFFFFFFF
AUDIT = {abi: spec[1] for abi, spec in brownie._SECCOMP_ABIS.items()}
ALLOW = brownie.SECCOMP_RET_ALLOW
ERRNO = brownie.SECCOMP_RET_ERRNO
KILL_PROCESS = brownie.SECCOMP_RET_KILL_PROCESS

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


# ---------------------------------------------------------------- helpers


def nr_of(name, abi=None):
    tables, _ = brownie._syscall_tables()
    column, _, bits = brownie._SECCOMP_ABIS[abi or NATIVE][:3]
    return tables[column][name] | bits


def raw_syscall(nr, *args):
    """syscall(2) with full 64-bit args; -errno on failure."""
    ctypes.set_errno(0)
    ret = _libc.syscall(ctypes.c_long(nr), *[ctypes.c_ulong(a) for a in args])
    return -ctypes.get_errno() if ret == -1 else ret


def bpf_run(program, nr, arch, args=(0,) * 6, big_endian=False):
    """Run a seccomp program on a synthetic seccomp_data; the return value."""
    return bpf_trace(program, nr, arch, args, big_endian)[0]


def bpf_trace(program, nr, arch, args=(0,) * 6, big_endian=False):
    """(return value, instructions executed)."""
    order = ">" if big_endian else "<"
    data = struct.pack(order + "IIQ6Q", nr & M32, arch, 0, *args)
    code = list(struct.iter_unpack("=HBBI", program))
    pc, acc, steps = 0, 0, 0
    while True:
        op, jt, jf, k = code[pc]
        steps += 1
        assert steps <= len(code), "loop"
        if op == 0x20:
            acc = struct.unpack_from(order + "I", data, k)[0]
            pc += 1
        elif op == 0x54:
            acc &= k
            pc += 1
        elif op == 0x05:
            pc += 1 + k
        elif op in (0x15, 0x25, 0x35, 0x45):
            test = {0x15: acc == k, 0x25: acc > k, 0x35: acc >= k, 0x45: bool(acc & k)}[op]
            pc += 1 + (jt if test else jf)
        elif op == 0x06:
            return k, steps
        else:
            raise AssertionError("unexpected opcode %#x at %d" % (op, pc))


def instructions(program):
    return list(struct.iter_unpack("=HBBI", program))


def allow_profile(exclude=("mkdir", "mkdirat", "getppid", "mount", "umount2",
                           "reboot", "kexec_load", "init_module", "finit_module",
                           "delete_module", "swapon", "swapoff", "pivot_root",
                           "unshare", "setns", "bpf", "perf_event_open",
                           "open_by_handle_at", "name_to_handle_at", "acct",
                           "settimeofday", "clock_settime", "adjtimex",
                           "iopl", "ioperm", "create_module", "get_kernel_syms",
                           "query_module", "nfsservctl", "uselib", "userfaultfd",
                           "lookup_dcookie", "quotactl", "vhangup", "syslog",
                           "_sysctl", "sysfs", "ustat", "keyctl", "add_key",
                           "request_key", "move_pages", "mbind", "set_mempolicy",
                           "get_mempolicy", "kcmp", "process_vm_readv",
                           "process_vm_writev", "ptrace", "personality"),
                  arches=None, **extra):
    """A Docker-sized allow list: every native syscall but the excluded."""
    tables, _ = brownie._syscall_tables()
    names = sorted(n for n in tables[brownie._SECCOMP_ABIS[NATIVE][0]] if n not in exclude)
    profile = {"defaultAction": "SCMP_ACT_ERRNO",
               "syscalls": [{"names": names, "action": "SCMP_ACT_ALLOW"}]}
    if arches:
        profile["architectures"] = arches
    profile.update(extra)
    return profile


class Child:
    """Outcome of run_filtered(): the child's wait status and its report."""

    def __init__(self, status, report):
        self.status, self.report = status, report

    @property
    def signal(self):
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None

    def result(self):
        assert os.WIFEXITED(self.status), "child died of signal %s" % self.signal
        kind, value = self.report
        assert kind == "ok", value
        return value


def run_filtered(seccomp, body, parent=None, timeout=30):
    """Fork; the child loads the filter (a profile, or a compiled one) and
    returns body(notify_fd) through a pipe; the parent runs parent(pid)
    meanwhile. The child is always reaped (killed after `timeout` s)."""
    compiled = seccomp if "program" in seccomp else brownie.compile_seccomp(seccomp)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(rfd)
            import resource
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGSYS dumps core
            brownie.prctl(brownie.PR_SET_NO_NEW_PRIVS, 1)
            notify_fd = brownie.install_seccomp(compiled)
            report = ("ok", body(notify_fd))
            status = 0
        except BaseException as e:  # reported to the parent, which fails
            report = ("error", "%s: %s" % (type(e).__name__, e))
        try:
            os.write(wfd, marshal.dumps(report))
        finally:
            os._exit(status)
    os.close(wfd)
    data, reaped = b"", False
    try:
        if parent is not None:
            parent(pid)
        while True:
            ready, _, _ = select.select([rfd], [], [], timeout)
            if not ready:
                raise AssertionError("child %d timed out" % pid)
            chunk = os.read(rfd, 65536)
            if not chunk:
                break
            data += chunk
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(rfd)
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return Child(status, marshal.loads(data) if data else None)


# ------------------------------------------------------ validation errors


def rule(**kw):
    base = {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}
    base.update(kw)
    return base


@pytest.mark.parametrize("seccomp, field, message", [
    ({}, "linux.seccomp.defaultAction", "is required"),
    ({"defaultAction": "SCMP_ACT_FOO"}, "linux.seccomp.defaultAction",
     'unknown action "SCMP_ACT_FOO"'),
    ({"defaultAction": "SCMP_ACT_NOTIFY"}, "linux.seccomp.defaultAction",
     "cannot be the default"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1},
     "linux.seccomp.defaultErrnoRet", "SCMP_ACT_ALLOW takes no errno"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1},
     "linux.seccomp.defaultErrnoRet", "between 0 and 65535"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": True},
     "linux.seccomp.defaultErrnoRet", "integer"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]},
     "linux.seccomp.architectures[0]", 'unknown architecture "SCMP_ARCH_Z80"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": "SCMP_ARCH_X86"},
     "linux.seccomp.architectures", "must be an array"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]},
     "linux.seccomp.flags[0]", 'unknown flag "SECCOMP_FILTER_FLAG_NEW_LISTENER"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]},
     "linux.seccomp.flags[0]", "needs an SCMP_ACT_NOTIFY rule"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}},
     "linux.seccomp.syscalls", "must be an array"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule(), rule(names=[])]},
     "linux.seccomp.syscalls[1].names", "non-empty array"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [rule(), rule(), rule(), rule(names=["read", "foo"])]},
     "linux.seccomp.syscalls[3].names[1]", 'unknown syscall "foo"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule(action="SCMP_ACT_BAR")]},
     "linux.seccomp.syscalls[0].action", 'unknown action "SCMP_ACT_BAR"'),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]},
     "linux.seccomp.syscalls[0].action", "is required"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [rule(action="SCMP_ACT_KILL_PROCESS", errnoRet=5)]},
     "linux.seccomp.syscalls[0].errnoRet", "takes no errno"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule(errnoRet=70000)]},
     "linux.seccomp.syscalls[0].errnoRet", "between 0 and 65535"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [rule(args=[{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                              {"index": 1, "value": 1, "op": "SCMP_CMP_XX"}])]},
     "linux.seccomp.syscalls[0].args[1].op", 'unknown operator "SCMP_CMP_XX"'),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [rule(args=[{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}])]},
     "linux.seccomp.syscalls[0].args[0].index", "between 0 and 5"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [rule(args=[{"index": 0, "value": 2 ** 64, "op": "SCMP_CMP_EQ"}])]},
     "linux.seccomp.syscalls[0].args[0].value", "between 0 and 18446744073709551615"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [rule(args=[{"index": 0, "op": "SCMP_CMP_EQ"}])]},
     "linux.seccomp.syscalls[0].args[0].value", "is required"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [rule(args=[{"index": 0, "value": 1, "valueTwo": "x",
                               "op": "SCMP_CMP_MASKED_EQ"}])]},
     "linux.seccomp.syscalls[0].args[0].valueTwo", "integer"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule(action="SCMP_ACT_NOTIFY")]},
     "linux.seccomp.listenerPath", "required when SCMP_ACT_NOTIFY"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"},
     "linux.seccomp.listenerMetadata", "without listenerPath"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x",
      "syscalls": [rule(names=["read", "write"], action="SCMP_ACT_NOTIFY")]},
     "linux.seccomp.syscalls[0].names[1]", "cannot be used for write"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x",
      "syscalls": [rule(names=["sendmsg"], action="SCMP_ACT_NOTIFY")]},
     "linux.seccomp.syscalls[0].names[0]", "cannot be used for sendmsg"),
])
def test_validation_names_the_field(seccomp, field, message):
    with pytest.raises(brownie.ConfigError) as err:
        brownie.compile_seccomp(seccomp, machine="x86_64")
    assert err.value.field == field
    assert message in str(err.value)
    assert str(err.value).startswith("config.json: " + field + ": ")


def test_validation_uses_callers_field_prefix():
    with pytest.raises(brownie.ConfigError) as err:
        brownie.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW",
                                 "syscalls": [rule(names=["nope"])]},
                                field="process.seccomp", machine="x86_64")
    assert err.value.field == "process.seccomp.syscalls[0].names[0]"


def test_no_seccomp_compiles_to_none():
    assert brownie.compile_seccomp(None) is None


def test_unsupported_machine_is_an_error():
    with pytest.raises(brownie.ConfigError, match="not supported on mips"):
        brownie.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW"}, machine="mips")


def test_name_known_only_on_other_arches_is_skipped():
    # cacheflush exists on arm and s390x only: skipped on x86_64, as runc
    # skips names libseccomp cannot resolve; a typo is still an error.
    compiled = brownie.compile_seccomp(
        {"defaultAction": "SCMP_ACT_ALLOW",
         "syscalls": [{"names": ["cacheflush", "getppid"], "action": "SCMP_ACT_ERRNO"}]},
        machine="x86_64")
    x86_64 = AUDIT["SCMP_ARCH_X86_64"]
    assert bpf_run(compiled["program"], 110, x86_64) == ERRNO | 1
    assert bpf_run(compiled["program"], 123, x86_64) == ALLOW


# ------------------------------------------------------------- features


def test_features_lists_what_the_spec_lists():
    f = brownie.SECCOMP_FEATURES
    assert f["enabled"] is True
    assert set(f["actions"]) == {
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
        "SCMP_ACT_NOTIFY"}
    assert set(f["operators"]) == {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                   "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                   "SCMP_CMP_MASKED_EQ"}
    assert len(f["archs"]) == 23 and "SCMP_ARCH_X86_64" in f["archs"]
    assert set(f["knownFlags"]) == {
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}
    json.dumps(f)


def test_supported_flags_probed_from_kernel():
    f = brownie.seccomp_features()
    assert set(f["supportedFlags"]) <= set(f["knownFlags"])
    # Linux 4.14 has LOG, 4.17 SPEC_ALLOW, 5.19 WAIT_KILLABLE_RECV.
    release = tuple(int(x) for x in os.uname().release.split(".")[:2])
    if release >= (5, 19):
        assert set(f["supportedFlags"]) == set(f["knownFlags"])
    assert brownie.SECCOMP_FEATURES["supportedFlags"] == f["knownFlags"]  # unchanged


# --------------------------------------------------------------- tables


def test_syscall_tables_match_known_numbers():
    tables, names = brownie._syscall_tables()
    assert len(names) > 500
    assert tables["x86_64"]["read"] == 0 and tables["x86_64"]["getpid"] == 39
    assert tables["x86_64"]["openat"] == 257 and tables["x86_64"]["clone3"] == 435
    assert tables["x86"]["getpid"] == 20 and tables["x86"]["socketcall"] == 102
    assert tables["x32"]["getpid"] == 39 and tables["x32"]["rt_sigaction"] == 512
    assert tables["aarch64"]["openat"] == 56 and "open" not in tables["aarch64"]
    assert tables["arm"]["cacheflush"] == 0xF0002
    assert tables["riscv64"]["getpid"] == 172
    assert tables["ppc64le"]["getpid"] == 20
    assert tables["s390x"]["getpid"] == 20
    assert tables["loongarch64"]["getpid"] == 172
    for column in ("x86_64", "x86", "x32", "aarch64", "arm", "riscv64", "ppc64le", "s390x"):
        assert 320 <= len(tables[column]) <= 470, column


def test_tables_parsed_lazily_not_at_import():
    code = "import brownie; assert brownie._syscall_tables_cache is None; print('ok')"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(brownie.__file__))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


# ------------------------------------------------------- program shape


def test_disassembly_format():
    compiled = brownie.compile_seccomp(
        {"defaultAction": "SCMP_ACT_ALLOW", "flags": [],
         "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
                      {"names": ["getppid"], "action": "SCMP_ACT_TRACE",
                       "args": [{"index": 1, "value": 7, "op": "SCMP_CMP_EQ"}]}]},
        machine="x86_64")
    text = brownie.disassemble_seccomp(compiled["program"])
    lines = text.splitlines()
    assert len(lines) == len(compiled["program"]) // 8
    assert lines[0].split(None, 1) == ["0", "ld [4]                              ; arch"]
    assert lines[1].startswith("   1  jeq #0xc000003e jt 3 jf 2") and "X86_64" in lines[1]
    assert lines[2] == "   2  ret KILL_PROCESS"
    assert lines[3].startswith("   3  ld [0]") and lines[3].endswith("; nr")
    assert "jge #0x40000000" in lines[4]
    assert "ret ALLOW" in text and "ret ERRNO(1)" in text and "ret TRACE(1)" in text
    assert "; args[1]+4" in text and "; args[1]" in text
    assert compiled["flags"] == 0 and compiled["notify"] is False


def test_disassembly_of_every_return():
    names = {brownie.SECCOMP_RET_KILL_PROCESS: "ret KILL_PROCESS",
             brownie.SECCOMP_RET_KILL_THREAD: "ret KILL_THREAD",
             brownie.SECCOMP_RET_TRAP: "ret TRAP",
             brownie.SECCOMP_RET_ERRNO | 38: "ret ERRNO(38)",
             brownie.SECCOMP_RET_USER_NOTIF: "ret NOTIFY",
             brownie.SECCOMP_RET_TRACE | 9: "ret TRACE(9)",
             brownie.SECCOMP_RET_LOG: "ret LOG",
             brownie.SECCOMP_RET_ALLOW: "ret ALLOW",
             0x12345678: "ret #0x12345678"}
    for value, text in names.items():
        assert brownie.disassemble_seccomp(struct.pack("=HBBI", 6, 0, 0, value)) == "   0  " + text
    assert "and #0xff" in brownie.disassemble_seccomp(struct.pack("=HBBI", 0x54, 0, 0, 255))
    assert "ja 8" in brownie.disassemble_seccomp(struct.pack("=HBBI", 5, 0, 0, 7))


def test_actions_and_errnos_compile_to_return_values():
    x86_64 = AUDIT["SCMP_ARCH_X86_64"]
    cases = [("SCMP_ACT_KILL", None, 0), ("SCMP_ACT_KILL_THREAD", None, 0),
             ("SCMP_ACT_KILL_PROCESS", None, 0x80000000), ("SCMP_ACT_TRAP", None, 0x30000),
             ("SCMP_ACT_ERRNO", None, 0x50001), ("SCMP_ACT_ERRNO", 38, 0x50026),
             ("SCMP_ACT_ERRNO", 0, 0x50000), ("SCMP_ACT_TRACE", None, 0x7FF00001),
             ("SCMP_ACT_TRACE", 1234, 0x7FF004D2), ("SCMP_ACT_ALLOW", None, 0x7FFF0000),
             ("SCMP_ACT_LOG", None, 0x7FFC0000), ("SCMP_ACT_NOTIFY", None, 0x7FC00000)]
    for action, errno_ret, value in cases:
        entry = {"names": ["getppid"], "action": action}
        if errno_ret is not None:
            entry["errnoRet"] = errno_ret
        default = "SCMP_ACT_LOG" if action == "SCMP_ACT_ALLOW" else "SCMP_ACT_ALLOW"
        compiled = brownie.compile_seccomp(
            {"defaultAction": default, "listenerPath": "/run/agent.sock", "syscalls": [entry]},
            machine="x86_64")
        assert bpf_run(compiled["program"], 110, x86_64) == value, action
        assert compiled["notify"] == (action == "SCMP_ACT_NOTIFY")
        assert bool(compiled["flags"] & brownie.SECCOMP_FILTER_FLAG_NEW_LISTENER) == compiled["notify"]
    compiled = brownie.compile_seccomp({"defaultAction": "SCMP_ACT_ERRNO",
                                        "defaultErrnoRet": 38}, machine="x86_64")
    assert bpf_run(compiled["program"], 110, x86_64) == 0x50026


def test_listener_fields_passed_through():
    compiled = brownie.compile_seccomp(
        {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock",
         "listenerMetadata": "MKNOD=/dev/null",
         "syscalls": [{"names": ["mknod", "mknodat"], "action": "SCMP_ACT_NOTIFY"}]},
        machine="x86_64")
    assert compiled["listener_path"] == "/run/agent.sock"
    assert compiled["listener_metadata"] == "MKNOD=/dev/null"
    ignored = brownie.compile_seccomp({"defaultAction": "SCMP_ACT_ALLOW",
                                       "listenerPath": "/run/agent.sock"}, machine="x86_64")
    assert ignored["listener_path"] is None and ignored["notify"] is False
    marshal.dumps(compiled)  # plain data for the container's init


def test_flags():
    base = {"defaultAction": "SCMP_ACT_ALLOW"}
    supported = set(brownie.seccomp_features()["supportedFlags"])
    default = brownie.compile_seccomp(base)["flags"]
    assert default == (brownie.SECCOMP_FILTER_FLAG_SPEC_ALLOW
                       if "SECCOMP_FILTER_FLAG_SPEC_ALLOW" in supported else 0)
    assert brownie.compile_seccomp(dict(base, flags=[]))["flags"] == 0
    assert brownie.compile_seccomp(dict(base, flags=["SECCOMP_FILTER_FLAG_TSYNC"]))["flags"] == 0
    if "SECCOMP_FILTER_FLAG_LOG" in supported:
        assert brownie.compile_seccomp(dict(base, flags=["SECCOMP_FILTER_FLAG_LOG"]))["flags"] == 2
    if "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" in supported:
        compiled = brownie.compile_seccomp(dict(
            base, flags=["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], listenerPath="/a",
            syscalls=[{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]))
        assert compiled["flags"] == 0x28


def test_arch_dispatch():
    program = brownie.compile_seccomp(
        {"defaultAction": "SCMP_ACT_ALLOW",
         "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS"],
         "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}]},
        machine="x86_64")["program"]
    x86_64, x86 = AUDIT["SCMP_ARCH_X86_64"], AUDIT["SCMP_ARCH_X86"]
    assert bpf_run(program, 39, x86_64) == ERRNO | 77
    assert bpf_run(program, 20, x86_64) == ALLOW
    assert bpf_run(program, 20, x86) == ERRNO | 77
    assert bpf_run(program, 39, x86) == ALLOW
    # aarch64 cannot run on this kernel, so it is not in the filter
    assert bpf_run(program, 172, AUDIT["SCMP_ARCH_AARCH64"]) == KILL_PROCESS
    assert bpf_run(program, 0, 0x12345678) == KILL_PROCESS
    # x32 numbers without SCMP_ARCH_X32: a bad arch, but nr -1 is left alone
    assert bpf_run(program, 39 | 0x40000000, x86_64) == KILL_PROCESS
    assert bpf_run(program, -1, x86_64) == ALLOW
    text = brownie.disassemble_seccomp(program)
    assert "X86_64/X32" in text and "; X86\n" in text + "\n"


def test_native_arch_always_in_filter_and_x32():
    program = brownie.compile_seccomp(
        {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X32"],
         "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77},
                      {"names": ["rt_sigaction"], "action": "SCMP_ACT_KILL_PROCESS"}]},
        machine="x86_64")["program"]
    x86_64 = AUDIT["SCMP_ARCH_X86_64"]
    assert bpf_run(program, 39, x86_64) == ERRNO | 77
    assert bpf_run(program, 39 | 0x40000000, x86_64) == ERRNO | 77
    assert bpf_run(program, 13, x86_64) == KILL_PROCESS
    assert bpf_run(program, 512 | 0x40000000, x86_64) == KILL_PROCESS  # x32 rt_sigaction
    assert bpf_run(program, 13 | 0x40000000, x86_64) == ALLOW  # not x32's rt_sigaction
    assert bpf_run(program, 20, AUDIT["SCMP_ARCH_X86"]) == KILL_PROCESS  # not listed


def test_aarch64_filter_includes_arm():
    program = brownie.compile_seccomp(
        {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_ARM"],
         "syscalls": [{"names": ["getpid", "cacheflush"], "action": "SCMP_ACT_ERRNO"}]},
        machine="aarch64")["program"]
    assert bpf_run(program, 172, AUDIT["SCMP_ARCH_AARCH64"]) == ERRNO | 1
    assert bpf_run(program, 20, AUDIT["SCMP_ARCH_ARM"]) == ERRNO | 1
    assert bpf_run(program, 0xF0002, AUDIT["SCMP_ARCH_ARM"]) == ERRNO | 1
    assert bpf_run(program, 20, AUDIT["SCMP_ARCH_AARCH64"]) == ALLOW
    assert bpf_run(program, 39, AUDIT["SCMP_ARCH_X86_64"]) == KILL_PROCESS


# The same 64-bit comparisons the kernel tests make, on every ABI width and
# byte order: values chosen so high and low words disagree in every way.
VALUE = 0x1_0000_0005
# MASKED has bits outside MASK, which count for nothing (libseccomp masks
# valueTwo too; runc's filters do the same).
MASK, MASKED = 0xF_0000_000F, 0x1_0000_0005 | 0x30_0000_0010
PROBES = [0, 1, 4, 5, 6, 0xFFFFFFFF, 0x1_0000_0000, 0x1_0000_0004, 0x1_0000_0005,
          0x1_0000_0006, 0x1_FFFF_FFFF, 0x2_0000_0004, 0x2_0000_0005, 0x11_0000_0005,
          0x1_0000_0015, 0xFFFFFFFF_FFFFFFFF, 0x0_0000_0005 | 0xF0_0000_0000]
OPS = {"SCMP_CMP_EQ": lambda a, v, m: a == v,
       "SCMP_CMP_NE": lambda a, v, m: a != v,
       "SCMP_CMP_LT": lambda a, v, m: a < v,
       "SCMP_CMP_LE": lambda a, v, m: a <= v,
       "SCMP_CMP_GT": lambda a, v, m: a > v,
       "SCMP_CMP_GE": lambda a, v, m: a >= v,
       "SCMP_CMP_MASKED_EQ": lambda a, v, m: a & v == m & v}


def arg_profile(op, index):
    value, two = (MASK, MASKED) if op == "SCMP_CMP_MASKED_EQ" else (VALUE, 0)
    return {"defaultAction": "SCMP_ACT_ALLOW", "flags": [],
            "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77,
                          "args": [{"index": index, "value": value, "valueTwo": two,
                                    "op": op}]}]}


def expected(op, arg, words):
    value, two = (MASK, MASKED) if op == "SCMP_CMP_MASKED_EQ" else (VALUE, 0)
    if words == 1:
        arg, value, two = arg & M32, value & M32, two & M32
    return OPS[op](arg, value, two)


@pytest.mark.parametrize("machine, abi", [
    ("x86_64", "SCMP_ARCH_X86_64"), ("x86_64", "SCMP_ARCH_X86"), ("x86_64", "SCMP_ARCH_X32"),
    ("aarch64", "SCMP_ARCH_AARCH64"), ("aarch64", "SCMP_ARCH_ARM"),
    ("s390x", "SCMP_ARCH_S390X"), ("ppc64le", "SCMP_ARCH_PPC64LE"),
    ("riscv64", "SCMP_ARCH_RISCV64")])
@pytest.mark.parametrize("op", sorted(OPS))
def test_argument_comparisons_in_interpreter(machine, abi, op):
    profile = arg_profile(op, 3)
    profile["architectures"] = [abi]
    program = brownie.compile_seccomp(profile, machine=machine)["program"]
    nr = nr_of("getppid", abi)
    words, big_endian = brownie._SECCOMP_ABIS[abi][3:5]
    for probe in PROBES:
        args = [0, 0, 0, probe, 0, 0]
        got = bpf_run(program, nr, AUDIT[abi], args, big_endian)
        assert (got == ERRNO | 77) == expected(op, probe, words), (hex(probe), got)
        args = [probe, probe, probe, 0, probe, probe]  # other args do not matter
        assert (bpf_run(program, nr, AUDIT[abi], args, big_endian) == ERRNO | 77) == \
            expected(op, 0, words)


def test_big_endian_loads_high_word_first():
    program = brownie.compile_seccomp(arg_profile("SCMP_CMP_EQ", 0), machine="s390x")["program"]
    loads = [k for op, _, _, k in instructions(program) if op == 0x20]
    assert loads == [4, 0, 16, 20]  # arch, nr, args[0] high word, low word
    program = brownie.compile_seccomp(arg_profile("SCMP_CMP_EQ", 0), machine="x86_64")["program"]
    assert [k for op, _, _, k in instructions(program) if op == 0x20] == [4, 0, 20, 16]


def test_rules_combine_like_runc_and_libseccomp():
    x86_64 = AUDIT["SCMP_ARCH_X86_64"]

    def arg(index, value, op="SCMP_CMP_EQ"):
        return {"index": index, "value": value, "op": op}

    program = brownie.compile_seccomp({
        "defaultAction": "SCMP_ACT_ERRNO", "flags": [],
        "syscalls": [
            # ANDed args on different indexes
            {"names": ["getppid"], "action": "SCMP_ACT_ALLOW", "args": [arg(0, 1), arg(1, 2)]},
            # first matching conditional rule wins
            {"names": ["getppid"], "action": "SCMP_ACT_LOG", "args": [arg(0, 1)]},
            {"names": ["getppid"], "action": "SCMP_ACT_TRAP", "args": [arg(2, 3)]},
            # same index twice: split into ORed rules (runc)
            {"names": ["getuid"], "action": "SCMP_ACT_ALLOW", "args": [arg(0, 1), arg(0, 2)]},
            # an unconditional rule overrides earlier conditional ones (libseccomp)
            {"names": ["getgid"], "action": "SCMP_ACT_LOG", "args": [arg(0, 1)]},
            {"names": ["getgid"], "action": "SCMP_ACT_ALLOW"},
            # a rule with the default action is dropped (runc) ...
            {"names": ["geteuid"], "action": "SCMP_ACT_ERRNO", "args": [arg(0, 1)]},
            {"names": ["geteuid"], "action": "SCMP_ACT_ALLOW", "args": [arg(1, 1)]},
            # ... but one with another errno is not
            {"names": ["getegid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5},
        ]}, machine="x86_64")["program"]

    def run(name, *args):
        args = list(args) + [0] * (6 - len(args))
        return bpf_run(program, nr_of(name, "SCMP_ARCH_X86_64"), x86_64, args)

    assert run("getppid", 1, 2) == ALLOW
    assert run("getppid", 1, 3) == brownie.SECCOMP_RET_LOG
    assert run("getppid", 1, 2, 3) == ALLOW
    assert run("getppid", 0, 0, 3) == brownie.SECCOMP_RET_TRAP
    assert run("getppid", 2, 2) == ERRNO | 1
    assert run("getuid", 1) == ALLOW and run("getuid", 2) == ALLOW
    assert run("getuid", 3) == ERRNO | 1
    assert run("getgid", 1) == ALLOW and run("getgid", 7) == ALLOW
    assert run("geteuid", 1, 1) == ALLOW
    assert run("geteuid", 1, 0) == ERRNO | 1
    assert run("getegid") == ERRNO | 5


def test_enosys_for_syscalls_newer_than_the_profile():
    x86_64 = AUDIT["SCMP_ARCH_X86_64"]
    profile = {"defaultAction": "SCMP_ACT_ERRNO",
               "syscalls": [{"names": ["read", "write", "getppid"], "action": "SCMP_ACT_ALLOW"},
                            {"names": ["openat"], "action": "SCMP_ACT_ERRNO"}]}
    program = brownie.compile_seccomp(profile, machine="x86_64")["program"]
    assert bpf_run(program, 0, x86_64) == ALLOW
    assert bpf_run(program, 2, x86_64) == ERRNO | 1  # open: known, not named
    assert bpf_run(program, 257, x86_64) == ERRNO | 1  # openat: highest named
    assert bpf_run(program, 258, x86_64) == ERRNO | 38  # above it: ENOSYS
    assert bpf_run(program, 0x3FFFFFFF, x86_64) == ERRNO | 38
    # not with a permissive default, nor when the default already is ENOSYS
    program = brownie.compile_seccomp(dict(profile, defaultAction="SCMP_ACT_LOG"),
                                      machine="x86_64")["program"]
    assert "ERRNO(38)" not in brownie.disassemble_seccomp(program)
    assert bpf_run(program, 258, x86_64) == brownie.SECCOMP_RET_LOG
    program = brownie.compile_seccomp(dict(profile, defaultErrnoRet=38),
                                      machine="x86_64")["program"]
    assert bpf_run(program, 2, x86_64) == bpf_run(program, 258, x86_64) == ERRNO | 38
    # s390x routes syscalls it does not know through nr 0
    program = brownie.compile_seccomp(profile, machine="s390x")["program"]
    assert bpf_run(program, 0, AUDIT["SCMP_ARCH_S390X"], big_endian=True) == ERRNO | 38
    assert bpf_run(program, 3, AUDIT["SCMP_ARCH_S390X"], big_endian=True) == ALLOW


def test_docker_sized_profile_is_a_tree_and_small(capsys):
    sizes = {}
    for arches in (None, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]):
        profile = allow_profile(arches=arches)
        allowed = profile["syscalls"][0]["names"]
        assert len(allowed) >= 330
        program = brownie.compile_seccomp(profile, machine="x86_64")["program"]
        sizes[len(arches or [1])] = len(program) // 8
        assert len(program) // 8 < 4096
        x86_64 = AUDIT["SCMP_ARCH_X86_64"]
        for name in ("read", "getppid", "mkdir", "rseq"):
            nr = nr_of(name, "SCMP_ARCH_X86_64")
            want = ALLOW if name in allowed else ERRNO | 1
            assert bpf_run(program, nr, x86_64) == want
        # a search tree, not a chain: every number is decided in a few steps
        steps = max(bpf_trace(program, nr, x86_64)[1] for nr in range(600))
        assert steps <= 16, steps
    assert sizes[1] < 200, sizes
    with capsys.disabled():
        print("\n  ~%d-syscall allow profile: %d instructions native only, %d with x86+x32"
              % (len(allowed), sizes[1], sizes[3]))


def test_far_jumps_are_bridged():
    # 300 syscalls with argument checks make the per-syscall blocks far
    # longer than the 255 instructions a conditional jump can skip.
    tables, _ = brownie._syscall_tables()
    names = sorted(tables["x86_64"], key=tables["x86_64"].get)[:300]
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "flags": [],
               "syscalls": [{"names": [name], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 + i % 100,
                             "args": [{"index": i % 6, "value": 0xABC00000000 + i,
                                       "op": "SCMP_CMP_EQ"}]}
                            for i, name in enumerate(names)]}
    program = brownie.compile_seccomp(profile, machine="x86_64")["program"]
    code = instructions(program)
    assert 1500 < len(code) < 4096
    jumps = [i for i, (op, _, _, k) in enumerate(code) if op == 0x05]
    assert jumps, "expected ja bridges"
    assert max(code[i][3] + i + 1 for i in jumps) > 255  # a ja reaching far
    for i, name in enumerate(names):
        nr = tables["x86_64"][name]
        args = [0] * 6
        args[i % 6] = 0xABC00000000 + i
        assert bpf_run(program, nr, AUDIT["SCMP_ARCH_X86_64"], args) == ERRNO | (1 + i % 100)
        args[i % 6] += 2 ** 32
        assert bpf_run(program, nr, AUDIT["SCMP_ARCH_X86_64"], args) == ALLOW
    # and the kernel accepts it (checked in test_far_jump_program_loads)


def test_too_large_filter_is_a_config_error():
    tables, _ = brownie._syscall_tables()
    names = sorted(tables["x86_64"])
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "flags": [],
               "syscalls": [{"names": names, "action": "SCMP_ACT_ERRNO",
                             "args": [{"index": j, "value": 2 ** 40, "op": "SCMP_CMP_EQ"}]}
                            for j in range(6)] * 2}
    with pytest.raises(brownie.ConfigError, match="limit of 4096") as err:
        brownie.compile_seccomp(profile, machine="x86_64")
    assert err.value.field == "linux.seccomp"


def test_send_listener_failure_names_the_path():
    r, w = os.pipe()
    try:
        with pytest.raises(brownie.BrownieError, match="/nonexistent/agent.sock"):
            brownie.send_seccomp_listener(r, "/nonexistent/agent.sock", None, {"pid": 1})
    finally:
        os.close(r)
        os.close(w)


# ------------------------------------------------------ kernel: actions


GETPPID_ERRNO = {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
                              {"names": ["getppid"], "action": "SCMP_ACT_ERRNO",
                               "errnoRet": 38}]}


@needs_host
def test_kernel_errno_and_allow(tmp_path):
    target = str(tmp_path / "d")

    def body(_):
        try:
            os.mkdir(target)
            made = 0
        except OSError as e:
            made = e.errno
        return made, os.getpid() == raw_syscall(nr_of("getpid")), raw_syscall(nr_of("getppid"))

    made, getpid_ok, ppid = run_filtered(GETPPID_ERRNO, body).result()
    assert made == errno.EPERM and getpid_ok and ppid == -38
    assert not os.path.exists(target)


@needs_host
@pytest.mark.parametrize("action, errno_ret, outcome", [
    ("SCMP_ACT_ALLOW", None, "ppid"), ("SCMP_ACT_LOG", None, "ppid"),
    ("SCMP_ACT_ERRNO", None, -errno.EPERM), ("SCMP_ACT_ERRNO", 95, -95),
    ("SCMP_ACT_ERRNO", 0, 0),
    ("SCMP_ACT_TRACE", None, -errno.ENOSYS),  # no tracer attached
    ("SCMP_ACT_KILL", None, signal.SIGSYS), ("SCMP_ACT_KILL_THREAD", None, signal.SIGSYS),
    ("SCMP_ACT_KILL_PROCESS", None, signal.SIGSYS)])
def test_kernel_actions(action, errno_ret, outcome):
    entry = {"names": ["getppid"], "action": action}
    if errno_ret is not None:
        entry["errnoRet"] = errno_ret
    default = "SCMP_ACT_LOG" if action == "SCMP_ACT_ALLOW" else "SCMP_ACT_ALLOW"
    child = run_filtered({"defaultAction": default, "syscalls": [entry]},
                         lambda _: raw_syscall(nr_of("getppid")))
    if outcome == signal.SIGSYS:
        assert child.signal == signal.SIGSYS
    elif outcome == "ppid":
        assert child.result() == os.getpid()
    else:
        assert child.result() == outcome


@needs_host
def test_kernel_kill_process_cannot_be_caught():
    def body(_):
        signal.signal(signal.SIGSYS, lambda *a: None)
        return raw_syscall(nr_of("getppid"))

    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}]}
    assert run_filtered(profile, body).signal == signal.SIGSYS


@needs_host
def test_kernel_trap_delivers_sigsys():
    def body(_):
        caught = []
        signal.signal(signal.SIGSYS, lambda signum, frame: caught.append(signum))
        raw_syscall(nr_of("getppid"))
        return caught

    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_TRAP"}]}
    assert run_filtered(profile, body).result() == [signal.SIGSYS]
    child = run_filtered(profile, lambda _: raw_syscall(nr_of("getppid")))
    assert child.signal == signal.SIGSYS  # uncaught


@needs_host
@pytest.mark.parametrize("op", sorted(OPS))
def test_kernel_argument_comparisons(op):
    index = sorted(OPS).index(op) % 6
    words = brownie._SECCOMP_ABIS[NATIVE][3]

    def body(_):
        results = []
        for probe in PROBES:
            args = [0] * 6
            args[index] = probe
            results.append(raw_syscall(nr_of("getppid"), *args))
        return results

    results = run_filtered(arg_profile(op, index), body).result()
    for probe, got in zip(PROBES, results):
        want = -77 if expected(op, probe, words) else os.getpid()
        assert got == want, (op, hex(probe))


@needs_host
def test_kernel_allow_list_default_errno_and_enosys(tmp_path):
    tables, _ = brownie._syscall_tables()
    native = tables[brownie._SECCOMP_ABIS[NATIVE][0]]
    profile = allow_profile()
    highest = max(native[n] for n in profile["syscalls"][0]["names"])
    gap = next(nr for nr in range(highest) if nr not in native.values())

    def body(_):
        try:
            os.mkdir(str(tmp_path / "x"))
            made = 0
        except OSError as e:
            made = e.errno
        return (made, raw_syscall(nr_of("getppid")), raw_syscall(highest + 1),
                raw_syscall(gap), raw_syscall(5000), len(os.listdir("/")) > 0)

    made, ppid, above, unnamed, far_above, listed = run_filtered(profile, body).result()
    assert made == errno.EPERM and ppid == -errno.EPERM and unnamed == -errno.EPERM
    assert above == -errno.ENOSYS and far_above == -errno.ENOSYS and listed


@needs_host
def test_far_jump_program_loads():
    tables, _ = brownie._syscall_tables()
    native = tables[brownie._SECCOMP_ABIS[NATIVE][0]]
    names = [n for n in sorted(native, key=native.get) if n != "exit_group"][:300]
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": [name], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 + i % 100,
                             "args": [{"index": 5, "value": 0xABC00000000 + i,
                                       "op": "SCMP_CMP_EQ"}]}
                            for i, name in enumerate(names)]}
    compiled = brownie.compile_seccomp(profile)
    assert len(compiled["program"]) // 8 > 1500
    i = names.index("getppid")

    def body(_):
        return (raw_syscall(nr_of("getppid"), 0, 0, 0, 0, 0, 0xABC00000000 + i),
                raw_syscall(nr_of("getppid"), 0, 0, 0, 0, 0, 0xABC00000000 + i + 2 ** 32))

    assert run_filtered(compiled, body).result() == (-(1 + i % 100), os.getpid())


# ---------------------------------------------------- kernel: arches


def int80_getpid_stub():
    """x86_64 code doing `mov eax, 20; int 0x80; ret`: an i386 getpid."""
    code = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    code.write(b"\xb8\x14\x00\x00\x00\xcd\x80\xc3")
    address = ctypes.addressof(ctypes.c_char.from_buffer(code))
    return code, ctypes.CFUNCTYPE(ctypes.c_int)(address)


def int80_works():
    pid = os.fork()
    if pid == 0:
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            code, stub = int80_getpid_stub()
            os._exit(0 if stub() == os.getpid() else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@x86_64_only
def test_kernel_x86_compat_syscalls():
    if not int80_works():
        pytest.skip("no IA32 emulation")

    def body(_):
        code, stub = int80_getpid_stub()
        return stub(), raw_syscall(39)

    profile = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"],
               "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}]}
    assert run_filtered(profile, body).result() == (-77, -77)
    # x86 not in the filter: a bad arch, killed
    del profile["architectures"]
    assert run_filtered(profile, body).signal == signal.SIGSYS


@x86_64_only
def test_kernel_x32_syscalls():
    x32_getpid = 39 | 0x40000000
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
               "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}]}
    assert run_filtered(profile, lambda _: raw_syscall(x32_getpid)).result() == -77
    del profile["architectures"]
    assert run_filtered(profile, lambda _: raw_syscall(x32_getpid)).signal == signal.SIGSYS
    # nr -1 (what a tracer sets to skip a call) is not a bad arch
    assert run_filtered(profile, lambda _: raw_syscall(-1)).result() == -errno.ENOSYS


# ----------------------------------------------- kernel: install paths


@needs_host
def test_kernel_flags_log_and_no_flags():
    for flags in ([], ["SECCOMP_FILTER_FLAG_LOG"], ["SECCOMP_FILTER_FLAG_TSYNC"], None):
        profile = dict(GETPPID_ERRNO)
        if flags is not None:
            profile["flags"] = flags
        assert run_filtered(profile, lambda fd: (fd, raw_syscall(nr_of("getppid")))).result() \
            == (None, -38)


@needs_host
def test_kernel_prctl_fallback_when_seccomp_syscall_is_missing():
    # A first filter makes seccomp(2) fail with ENOSYS, as on an old kernel;
    # install_seccomp then loads the flagless second filter with prctl.
    first = {"defaultAction": "SCMP_ACT_ALLOW", "flags": [],
             "syscalls": [{"names": ["seccomp"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
    second = brownie.compile_seccomp(dict(GETPPID_ERRNO, flags=[]))
    flagged = brownie.compile_seccomp(dict(GETPPID_ERRNO, flags=["SECCOMP_FILTER_FLAG_LOG"]))

    def body(_):
        try:
            brownie.install_seccomp(flagged)
            refused = None
        except OSError as e:
            refused = e.errno
        fd = brownie.install_seccomp(second)
        return refused, fd, raw_syscall(nr_of("getppid"))

    assert run_filtered(first, body).result() == (errno.ENOSYS, None, -38)


@needs_host
def test_install_side_imports_neither_json_nor_re():
    compiled = brownie.compile_seccomp(GETPPID_ERRNO)
    code = ("import sys, marshal, brownie; c = marshal.loads(bytes.fromhex(sys.argv[1])); "
            "before = set(sys.modules); brownie.prctl(brownie.PR_SET_NO_NEW_PRIVS, 1); "
            "brownie.install_seccomp(c); print(sorted(set(sys.modules) - before))")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(brownie.__file__))
    out = subprocess.run([sys.executable, "-c", code, marshal.dumps(compiled).hex()],
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "json" not in out.stdout and "'re'" not in out.stdout, out.stdout


# ------------------------------------------------------ kernel: notify


SECCOMP_IOCTL_NOTIF_RECV = (3 << 30) | (80 << 16) | (ord("!") << 8) | 0
SECCOMP_IOCTL_NOTIF_SEND = (3 << 30) | (24 << 16) | (ord("!") << 8) | 1


def answer_notification(listener, error, timeout=20):
    """Wait for one notification on `listener`, answer it with -error;
    returns (pid, nr, args) of the call."""
    ready, _, _ = select.select([listener], [], [], timeout)
    assert ready, "no seccomp notification"
    notif = bytearray(80)
    fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif, True)
    notif_id, pid, _flags, nr, _arch, _ip, *args = struct.unpack("=QIIiIQ6Q", notif)
    fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND,
                bytearray(struct.pack("=QqiI", notif_id, 0, -error, 0)), True)
    return pid, nr, args


@needs_host
def test_kernel_notify_via_listener_socket(tmp_path):
    path = str(tmp_path / "agent.sock")
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": path,
               "listenerMetadata": "MKNOD=/dev/null",
               "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY",
                             "args": [{"index": 0, "value": 0xDEAD, "op": "SCMP_CMP_EQ"}]}]}
    compiled = brownie.compile_seccomp(profile)
    assert compiled["notify"] and compiled["listener_path"] == path
    state = {"ociVersion": "1.3.0", "id": "c1", "status": "creating", "pid": 4242,
             "bundle": "/b"}
    agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    agent.bind(path)
    agent.listen(1)
    seen = {}

    def body(fd):
        assert isinstance(fd, int) and fd >= 0
        assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        brownie.send_seccomp_listener(fd, compiled["listener_path"],
                                      compiled["listener_metadata"], state, pid=os.getpid())
        return raw_syscall(nr_of("getppid"), 0xDEAD), raw_syscall(nr_of("getppid"), 1)

    def parent(pid):
        agent.settimeout(20)
        conn, _ = agent.accept()
        with conn:
            data, ancdata, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4))
            while True:  # the spec allows several sendmsg calls
                more = conn.recv(65536)
                if not more:
                    break
                data += more
            level, kind, fds = ancdata[0]
            assert (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS)
            listener = struct.unpack("i", fds[:4])[0]
        try:
            seen["message"] = json.loads(data)
            seen["call"] = answer_notification(listener, errno.EXDEV)
            seen["child"] = pid
        finally:
            os.close(listener)

    try:
        child = run_filtered(compiled, body, parent)
    finally:
        agent.close()
    assert child.result() == (-errno.EXDEV, os.getpid())
    message = seen["message"]
    assert message == {"ociVersion": "1.3.0", "fds": ["seccompFd"], "pid": seen["child"],
                       "metadata": "MKNOD=/dev/null", "state": state}
    assert list(message) == ["ociVersion", "fds", "pid", "metadata", "state"]
    pid, nr, args = seen["call"]
    assert pid == seen["child"] and nr == nr_of("getppid") and args[0] == 0xDEAD


@needs_host
def test_kernel_notify_fd_over_socketpair_with_wait_killable():
    if "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" not in brownie.seccomp_features()["supportedFlags"]:
        pytest.skip("kernel lacks SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/unused",
               "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
               "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}
    ours, theirs = socket.socketpair()
    seen = {}

    def body(fd):
        theirs.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))])
        return raw_syscall(nr_of("getppid"))

    def parent(pid):
        ours.settimeout(20)
        _, ancdata, _, _ = ours.recvmsg(1, socket.CMSG_SPACE(4))
        listener = struct.unpack("i", ancdata[0][2][:4])[0]
        try:
            seen["call"] = answer_notification(listener, errno.EROFS)
        finally:
            os.close(listener)

    try:
        child = run_filtered(profile, body, parent)
    finally:
        ours.close()
        theirs.close()
    assert child.result() == -errno.EROFS
    assert seen["call"][1] == nr_of("getppid")
