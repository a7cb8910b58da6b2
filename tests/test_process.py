"""The container's process: args, env, cwd, user, umask, capabilities,
rlimits, no_new_privs, OOM score, I/O priority, personality, HOME, and the
errors for a program that cannot be run."""

import os
import platform

import pytest

import brownie
from conftest import make_bundle, sh

STATUS = sh("cat /proc/self/status")


def status_of(text):
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


def cap_mask(*names):
    mask = 0
    for n in names:
        mask |= 1 << brownie.CAPABILITIES.index(n)
    return "%016x" % mask


def host_status():
    with open("/proc/self/status") as f:
        return status_of(f.read())


# ---------------------------------------------------------------------------
# args, env, cwd
# ---------------------------------------------------------------------------

def test_args_env_cwd(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sh", "-c", 'echo "$0|$1|$FOO|$EMPTY|"; pwd', "zero", "one"],
                    process={"env": ["PATH=/bin:/usr/bin", "FOO=foo bar", "EMPTY="],
                             "cwd": "/tmp"})
    assert rt.output(b) == "zero|one|foo bar||\n/tmp\n"


def test_env_is_exactly_the_config(rt, tmp_path):
    env = ["PATH=/usr/bin:/bin", "A=1", "B=two words"]
    # "; true" keeps sh from exec'ing tr (the file would then show tr's
    # fresh mm, read through a descriptor opened for the old one).
    b = make_bundle(tmp_path, args=sh("tr '\\0' '\\n' < /proc/1/environ; true"),
                    process={"env": env})
    got = rt.output(b).splitlines()
    assert sorted(got) == sorted(env + ["HOME=/root"])


def test_runtime_environment_does_not_leak(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("tr '\\0' '\\n' < /proc/1/environ; true"))
    out = rt.output(b, env=dict(os.environ, LEAKY_SECRET="x"))
    assert "PATH=" in out
    assert "LEAKY_SECRET" not in out


def test_program_found_in_container_path(rt, tmp_path):
    b = make_bundle(tmp_path, args=["hello"], process={"env": ["PATH=/custom:/bin"]})
    custom = b / "rootfs" / "custom"
    custom.mkdir()
    (custom / "hello").write_text("#!/bin/sh\necho hello from $0\n")
    (custom / "hello").chmod(0o755)
    assert rt.output(b) == "hello from /custom/hello\n"


@pytest.mark.parametrize("uid,home", [(0, "/root"), (65534, "/home"), (4242, "/")])
def test_home_from_passwd(rt, tmp_path, uid, home):
    b = make_bundle(tmp_path, args=sh('echo "$HOME"'),
                    process={"user": {"uid": uid, "gid": uid}})
    assert rt.output(b) == home + "\n"


def test_home_from_env_wins(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh('echo "$HOME"'),
                    process={"env": ["PATH=/bin", "HOME=/somewhere"]})
    assert rt.output(b) == "/somewhere\n"


# ---------------------------------------------------------------------------
# user
# ---------------------------------------------------------------------------

def test_user_uid_gid_groups(rt, tmp_path):
    b = make_bundle(tmp_path, args=STATUS, process={
        "user": {"uid": 1000, "gid": 1001, "additionalGids": [5, 2000]}})
    st = status_of(rt.output(b))
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1001"] * 4
    assert st["Groups"].split() == ["5", "2000"]


def test_user_root_has_no_groups(rt, tmp_path):
    b = make_bundle(tmp_path, args=STATUS)
    st = status_of(rt.output(b))
    assert st["Uid"].split() == ["0"] * 4
    assert st["Groups"].split() == []


@pytest.mark.parametrize("umask,shown", [(None, "0022"), (0o027, "0027"), (0, "0000"),
                                         (0o777, "0777")])
def test_umask(rt, tmp_path, umask, shown):
    user = {"uid": 0, "gid": 0}
    if umask is not None:
        user["umask"] = umask
    b = make_bundle(tmp_path, args=sh("umask"), process={"user": user})
    assert rt.output(b) == shown + "\n"


def test_umask_applies_to_new_files(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("touch /tmp/f && stat -c %a /tmp/f"),
                    process={"user": {"uid": 0, "gid": 0, "umask": 0o077}})
    assert rt.output(b) == "600\n"


# ---------------------------------------------------------------------------
# capabilities
# ---------------------------------------------------------------------------

def test_capabilities_root(rt, tmp_path):
    names = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    b = make_bundle(tmp_path, args=STATUS)  # the busybox config's sets
    st = status_of(rt.output(b))
    assert st["CapBnd"] == cap_mask(*names)
    assert st["CapEff"] == cap_mask(*names)
    assert st["CapPrm"] == cap_mask(*names)
    assert st["CapInh"] == cap_mask()
    assert st["CapAmb"] == cap_mask()


def test_capabilities_non_root_with_ambient(rt, tmp_path):
    """For a non-root process only ambient capabilities survive execve:
    permitted and effective become the ambient set."""
    some = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    b = make_bundle(tmp_path, args=STATUS, process={
        "user": {"uid": 1000, "gid": 1000},
        "capabilities": {"bounding": ["CAP_CHOWN"] + some, "effective": some,
                         "permitted": some, "inheritable": some, "ambient": some}})
    st = status_of(rt.output(b))
    assert st["CapBnd"] == cap_mask("CAP_CHOWN", *some)
    assert st["CapInh"] == cap_mask(*some)
    assert st["CapAmb"] == cap_mask(*some)
    assert st["CapPrm"] == cap_mask(*some)
    assert st["CapEff"] == cap_mask(*some)


def test_capabilities_non_root_without_ambient(rt, tmp_path):
    b = make_bundle(tmp_path, args=STATUS, process={
        "user": {"uid": 1000, "gid": 1000},
        "capabilities": {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")}})
    st = status_of(rt.output(b))
    assert st["CapBnd"] == cap_mask("CAP_KILL")
    assert st["CapEff"] == st["CapPrm"] == st["CapAmb"] == cap_mask()


def test_empty_capabilities(rt, tmp_path):
    b = make_bundle(tmp_path, args=STATUS, process={"capabilities": {}})
    st = status_of(rt.output(b))
    for k in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert st[k] == cap_mask(), k


def test_no_capabilities_object_keeps_runtime_capabilities(rt, tmp_path):
    b = make_bundle(tmp_path, args=STATUS, process={"capabilities": None})
    st = status_of(rt.output(b))
    assert st["CapBnd"] == host_status()["CapBnd"]


def test_capabilities_enforced(rt, tmp_path):
    """Without CAP_CHOWN root cannot chown; with it, it can."""
    script = sh("touch /tmp/f; chown 5 /tmp/f 2>/dev/null && echo chown-ok || echo chown-denied")
    b = make_bundle(tmp_path, name="without", args=script)
    assert rt.output(b) == "chown-denied\n"
    caps = ["CAP_CHOWN"]
    b = make_bundle(tmp_path, name="with", args=script, process={
        "capabilities": {k: caps for k in ("bounding", "effective", "permitted")}})
    assert rt.output(b) == "chown-ok\n"


# ---------------------------------------------------------------------------
# rlimits, no_new_privs, OOM score, I/O priority, personality
# ---------------------------------------------------------------------------

def test_rlimits(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("ulimit -n; ulimit -Hn; ulimit -c; ulimit -Hc; "
                                      "grep 'Max processes' /proc/self/limits"),
                    process={"rlimits": [
                        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
                        {"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615},
                        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}]})
    out = rt.output(b).splitlines()
    assert out[:4] == ["512", "1024", "0", "unlimited"]
    assert out[4].split()[2:4] == ["300", "400"]


def test_default_rlimit_from_config(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("ulimit -n"))
    assert rt.output(b) == "1024\n"


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(rt, tmp_path, nnp):
    b = make_bundle(tmp_path, args=STATUS, process={"noNewPrivileges": nnp})
    assert status_of(rt.output(b))["NoNewPrivs"] == ("1" if nnp else "0")


def _host_has_cap(name):
    return int(host_status()["CapEff"], 16) >> brownie.CAPABILITIES.index(name) & 1


@pytest.mark.parametrize("score", [500, 1000, 0])
def test_oom_score_adj(rt, tmp_path, score):
    b = make_bundle(tmp_path, args=["cat", "/proc/self/oom_score_adj"],
                    process={"oomScoreAdj": score})
    assert rt.output(b) == "%d\n" % score


def test_oom_score_adj_negative(rt, tmp_path):
    """Lowering the score needs CAP_SYS_RESOURCE. Without it (some VMs drop
    it from every bounding set) create must fail naming the field."""
    b = make_bundle(tmp_path, args=["cat", "/proc/self/oom_score_adj"],
                    process={"oomScoreAdj": -100})
    if _host_has_cap("CAP_SYS_RESOURCE"):
        assert rt.output(b) == "-100\n"
    else:
        rt.fails("run", "--bundle", b, rt.new_id(), needles=["process.oomScoreAdj"])
        rt.assert_nothing_left()


def test_io_priority(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("ionice -p $$"),
                    process={"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 6}})
    out = rt.output(b)
    assert "best-effort" in out and "6" in out


@pytest.mark.skipif(platform.machine() != "x86_64", reason="LINUX32 is x86 here")
def test_personality_linux32(rt, tmp_path):
    b = make_bundle(tmp_path, args=["uname", "-m"],
                    linux={"personality": {"domain": "LINUX32"}})
    assert rt.output(b) == "i686\n"


def test_lsm_labels_ignored_without_lsm(rt, tmp_path):
    """Where the LSM is not enabled the label is ignored with a warning
    (runtime-tools' linux_process_apparmor_profile wants the container to
    run; runc 1.1 fails it)."""
    if os.path.exists("/sys/kernel/security/apparmor") or os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("an LSM is enabled on this host")
    b = make_bundle(tmp_path, args=["echo", "ok"],
                    process={"apparmorProfile": "some-profile",
                             "selinuxLabel": "system_u:system_r:container_t:s0"})
    r = rt.run(b)
    assert (r.rc, r.out) == (0, "ok\n"), r
    assert "process.apparmorProfile: ignored, AppArmor is not enabled" in r.err, r
    assert "process.selinuxLabel: ignored, SELinux is not enabled" in r.err, r


def test_process_is_pid_1_and_session_leader(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("cat /proc/self/stat"))
    fields = rt.output(b).rsplit(")", 1)[1].split()
    pid = rt.output(b).split()[0]
    assert pid == "1"
    assert fields[3] == "1"  # session id: its own session


# ---------------------------------------------------------------------------
# programs that cannot be run
# ---------------------------------------------------------------------------

def test_missing_program_absolute(rt, tmp_path):
    b = make_bundle(tmp_path, args=["/bin/not-there"])
    rt.fails("create", "--bundle", b, rt.new_id(),
             needles=["no such file or directory", "/bin/not-there"])
    rt.assert_nothing_left()


def test_missing_program_in_path(rt, tmp_path):
    b = make_bundle(tmp_path, args=["not-there"])
    rt.fails("create", "--bundle", b, rt.new_id(),
             needles=["executable file not found", "not-there"])
    rt.assert_nothing_left()


def test_program_not_executable(rt, tmp_path):
    b = make_bundle(tmp_path, args=["/etc/passwd"])
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["permission denied"])
    rt.assert_nothing_left()


def test_program_is_a_directory(rt, tmp_path):
    b = make_bundle(tmp_path, args=["/etc"])
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["permission denied"])
    rt.assert_nothing_left()


def test_program_resolved_in_rootfs_not_host(rt, tmp_path):
    """/usr/bin/python3 exists on the host but not in the image."""
    assert os.path.exists("/usr/bin/python3")
    b = make_bundle(tmp_path, args=["/usr/bin/python3"])
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["no such file or directory"])
    rt.assert_nothing_left()


def test_program_through_relative_cwd(rt, tmp_path):
    b = make_bundle(tmp_path, args=["./busybox", "echo", "rel"], process={"cwd": "/bin"})
    assert rt.output(b) == "rel\n"


def test_missing_program_run_exit_status(rt, tmp_path):
    b = make_bundle(tmp_path, args=["/bin/not-there"])
    r = rt.fails("run", "--bundle", b, rt.new_id(), needles=["no such file or directory"])
    assert r.rc != 0
    rt.assert_nothing_left()


# ---------------------------------------------------------------------------
# what new users ran into
# ---------------------------------------------------------------------------

def test_cwd_only_root_may_enter(rt, tmp_path):
    """A cwd only root can enter (a 0700 /root) still works for another
    user: entered before the user switch, as runc does."""
    def edit(c):
        c["process"].update(cwd="/root", user={"uid": 1000, "gid": 1000})
    b = make_bundle(tmp_path, args=sh("pwd"), edit=edit)
    os.chmod(str(b / "rootfs" / "root"), 0o700)
    assert rt.output(b) == "/root\n"


def test_cwd_only_the_user_may_enter(rt, tmp_path):
    """One only the user can enter (a volume chowned to it) works too."""
    def edit(c):
        c["process"].update(cwd="/home/u", user={"uid": 1000, "gid": 1000})
        c["process"]["capabilities"] = {k: [] for k in c["process"]["capabilities"]}
    b = make_bundle(tmp_path, args=sh("pwd"), edit=edit)
    home = b / "rootfs" / "home" / "u"
    home.mkdir(parents=True)
    os.chown(str(home), 1000, 1000)
    os.chmod(str(home), 0o700)
    assert rt.output(b) == "/home/u\n"


def test_missing_cwd_is_made(rt, tmp_path):
    """As runc: inside the rootfs, before it is made read-only."""
    b = make_bundle(tmp_path, args=sh("pwd"), edit=lambda c: c["process"].update(
        cwd="/not/there/yet"))
    assert rt.output(b) == "/not/there/yet\n"
    assert (b / "rootfs" / "not" / "there" / "yet").is_dir()


def test_no_signal_is_ignored_in_the_process(rt, tmp_path):
    """execve keeps ignored signals ignored: none may be (Python ignores
    SIGPIPE and SIGXFSZ, glibc's posix_spawn its own 32 and 33)."""
    r = rt.output(make_bundle(tmp_path, args=["grep", "SigIgn", "/proc/self/status"]))
    assert r.split() == ["SigIgn:", "0000000000000000"], r


def test_rlimit_the_kernel_refuses_fails_create(rt, tmp_path):
    """Raising a hard limit above brownie's own needs CAP_SYS_RESOURCE:
    create fails, naming process.rlimits, as with runc (not start)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    own = brownie.own_bounding_set()
    if own >> brownie.CAPABILITIES.index("CAP_SYS_RESOURCE") & 1:
        pytest.skip("brownie has CAP_SYS_RESOURCE here: any limit can be set")
    b = make_bundle(tmp_path, edit=lambda c: c["process"].update(rlimits=[
        {"type": "RLIMIT_NOFILE", "soft": hard + 1, "hard": hard + 1}]))
    rt.fails("create", "--bundle", b, rt.new_id(),
             needles=["process.rlimits", "RLIMIT_NOFILE", "CAP_SYS_RESOURCE"])
    rt.assert_nothing_left()


def test_program_whose_interpreter_is_missing(rt, tmp_path):
    """execve itself fails (a script's #! names nothing): as with runc,
    start succeeds and the process exits 1, saying why on its stderr."""
    b = make_bundle(tmp_path, args=["/bad"])
    script = b / "rootfs" / "bad"
    script.write_text("#!/nonexistent/interp\n")
    script.chmod(0o755)
    cid = rt.create(b)
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    assert "exec /bad: no such file or directory" in rt.last_create.err
    rt.ok("delete", cid)


def test_cwd_only_the_user_may_enter_in_a_user_namespace(rt, public_tmp):
    """Root of a user namespace may not enter a 0700 directory of the
    process's user whose group is unmapped: the user's own switch does."""
    def edit(c):
        c["linux"]["namespaces"].append({"type": "user"})
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 2000}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 2000}]
        c["process"].update(cwd="/udir", user={"uid": 1000, "gid": 1000})
        c["process"]["capabilities"] = {k: [] for k in c["process"]["capabilities"]}
    b = make_bundle(public_tmp, args=sh("pwd"), edit=edit)
    udir = b / "rootfs" / "udir"
    udir.mkdir()
    os.chown(str(udir), 101000, 0)
    os.chmod(str(udir), 0o700)
    os.chmod(str(b), 0o755)
    assert rt.output(b) == "/udir\n"
