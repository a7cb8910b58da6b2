"""Unit tests of brownie's pure parts: signal names, config validation
into a plan, path resolution inside a rootfs, the global-flag splitter,
the default spec, and small helpers. No containers here."""

import copy
import json
import os
import re
import signal

import pytest

import brownie
from brownie import BrownieError, ConfigError

# ---------------------------------------------------------------------------
# parse_signal
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text,num", [
    ("TERM", 15), ("SIGTERM", 15), ("term", 15), ("SigTerm", 15), ("15", 15),
    ("KILL", 9), ("SIGKILL", 9), ("9", 9), ("HUP", 1), ("USR1", signal.SIGUSR1),
    ("SIGUSR2", signal.SIGUSR2), ("WINCH", signal.SIGWINCH), ("1", 1),
    ("RTMIN", signal.SIGRTMIN), ("SIGRTMAX", signal.SIGRTMAX),
    (str(signal.NSIG - 1), signal.NSIG - 1),
])
def test_parse_signal(text, num):
    assert brownie.parse_signal(text) == num


@pytest.mark.parametrize("text", [str(signal.NSIG), "1000", "FOO", "SIGFOO", "",
                                  "SIG_DFL", "sig_ign", "-9", "9.0", "NSIG", "SIG"])
def test_parse_signal_invalid(text):
    with pytest.raises(BrownieError, match="invalid signal"):
        brownie.parse_signal(text)


# ---------------------------------------------------------------------------
# build_plan
# ---------------------------------------------------------------------------

@pytest.fixture
def bundle(tmp_path):
    (tmp_path / "rootfs").mkdir()
    return tmp_path


def minimal(**extra):
    config = {"ociVersion": "1.3.0", "root": {"path": "rootfs"},
              "process": {"args": ["sh"], "cwd": "/"},
              "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}
    config.update(extra)
    return config


def plan_of(config, bundle, **kw):
    return brownie.build_plan(config, str(bundle), "unit", **kw)


def error_of(config, bundle):
    with pytest.raises(ConfigError) as e:
        plan_of(config, bundle)
    return e.value


def test_minimal_plan(bundle):
    plan = plan_of(minimal(), bundle)
    assert plan["id"] == "unit"
    assert plan["rootfs"] == str(bundle / "rootfs")
    assert plan["namespaces"] == [("pid", None), ("mount", None)]
    assert plan["readonly_root"] is False
    assert plan["hostname"] is None
    assert plan["mounts"] == []
    assert plan["setup_dev"] is True
    p = plan["process"]
    assert p["args"] == ["sh"] and p["cwd"] == "/" and p["env"] == []
    assert (p["uid"], p["gid"], p["groups"]) == (0, 0, [])
    assert p["umask"] == 0o022
    assert p["caps"] is None  # no capabilities object: leave them alone
    assert p["rlimits"] == [] and p["no_new_privs"] is False
    assert p["terminal"] is False


def test_plan_is_plain_data(bundle):
    import marshal
    config = minimal(hostname="h", linux={"namespaces": [{"type": "uts"}]}, mounts=[{"destination": "/t", "type": "tmpfs",
                                            "options": ["ro", "size=1m"]}],
                     hooks={"prestart": [{"path": "/bin/true"}]})
    plan = plan_of(config, bundle)
    assert marshal.loads(marshal.dumps(plan)) == plan


def test_plan_root_path_absolute(bundle, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    plan = plan_of(minimal(root={"path": str(other), "readonly": True}), bundle)
    assert plan["rootfs"] == str(other)
    assert plan["readonly_root"] is True


def test_plan_root_path_normalised(bundle):
    plan = plan_of(minimal(root={"path": "./rootfs/"}), bundle)
    assert plan["rootfs"] == str(bundle / "rootfs")


def test_plan_process(bundle):
    process = {"args": ["a", "b"], "cwd": "/w", "env": ["A=1", "B=x=y"],
               "user": {"uid": 5, "gid": 6, "additionalGids": [7, 8], "umask": 0o077},
               "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"],
                                "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
                                "ambient": []},
               "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20},
                           {"type": "RLIMIT_CORE", "soft": 0, "hard": 2 ** 64 - 1}],
               "noNewPrivileges": True, "oomScoreAdj": -5,
               "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 3}}
    p = plan_of(minimal(process=process), bundle)["process"]
    assert p["args"] == ["a", "b"] and p["cwd"] == "/w"
    assert p["env"] == ["A=1", "B=x=y"]
    assert (p["uid"], p["gid"], p["groups"], p["umask"]) == (5, 6, [7, 8], 0o077)
    assert p["caps"]["bounding"] == (1 << 0) | (1 << 5)
    assert p["caps"]["effective"] == 1 << 5
    assert p["caps"]["permitted"] == 1 << 5 and p["caps"]["ambient"] == 0
    assert p["rlimits"] == [(7, 10, 20), (4, 0, 2 ** 64 - 1)]
    assert p["no_new_privs"] is True and p["oom_score_adj"] == -5
    assert p["io_priority"] == (3 << 13) | 3


def test_plan_without_process(bundle):
    config = minimal()
    del config["process"]
    assert plan_of(config, bundle)["process"] is None


def test_plan_mounts(bundle):
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/data", "source": "/srv", "options": ["rbind", "ro", "nosuid",
                                                                "rprivate"]},
        {"destination": "/t", "type": "tmpfs", "source": "tmpfs",
         "options": ["nodev", "noexec", "size=1m", "mode=755"]},
        {"destination": "/b", "type": "bind", "source": "/x", "options": ["shared"]},
        {"destination": "/r", "type": "tmpfs", "options": ["ro", "rw"]},
    ]
    steps = plan_of(minimal(mounts=mounts), bundle)["mounts"]
    assert [s["dest"] for s in steps] == ["/proc", "/data", "/t", "/b", "/r"]
    assert [s["field"] for s in steps] == ["mounts[%d]" % i for i in range(5)]
    assert steps[0]["type"] == "proc" and steps[0]["flags"] == 0
    assert steps[1]["type"] == "bind"
    assert steps[1]["flags"] == (brownie.MS_BIND | brownie.MS_REC | brownie.MS_RDONLY |
                                 brownie.MS_NOSUID)
    assert steps[1]["propagation"] == [brownie.MS_PRIVATE | brownie.MS_REC]
    assert steps[2]["flags"] == brownie.MS_NODEV | brownie.MS_NOEXEC
    assert steps[2]["data"] == "size=1m,mode=755"
    assert steps[3]["flags"] & brownie.MS_BIND and not steps[3]["flags"] & brownie.MS_REC
    assert steps[3]["propagation"] == [brownie.MS_SHARED]
    assert steps[4]["flags"] & brownie.MS_RDONLY == 0  # the last of ro/rw wins


def test_plan_dev_bind_skips_default_devices(bundle):
    config = minimal(mounts=[{"destination": "/dev", "type": "bind", "source": "/dev",
                              "options": ["rbind"]}])
    assert plan_of(config, bundle)["setup_dev"] is False


def test_plan_hooks(bundle):
    hooks = {"prestart": [{"path": "/bin/a"}],
             "poststop": [{"path": "/bin/b", "args": ["b", "1"], "env": ["X=1"],
                           "timeout": 3}]}
    plan = plan_of(minimal(hooks=hooks), bundle)["hooks"]
    assert plan["prestart"] == [{"name": "prestart[0]", "path": "/bin/a", "args": ["/bin/a"],
                                 "env": [], "timeout": None}]
    assert plan["poststop"][0]["args"] == ["b", "1"]
    assert plan["poststop"][0]["timeout"] == 3
    assert set(plan) == {"prestart", "poststop"}


def test_plan_user_namespace(bundle):
    linux = {"namespaces": [{"type": "user"}, {"type": "mount"}],
             "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
             "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}]}
    plan = plan_of(minimal(linux=linux), bundle)
    assert plan["uid_map"] == [(0, 1000, 10)]
    assert plan["gid_map"] == [(0, 2000, 1)]


def test_plan_time_offsets(bundle):
    linux = {"namespaces": [{"type": "time"}],
             "timeOffsets": {"boottime": {"secs": 5, "nanosecs": 7},
                             "monotonic": {"secs": -3}}}
    text = plan_of(minimal(linux=linux), bundle)["time_offsets"]
    assert sorted(text.splitlines()) == ["boottime 5 7", "monotonic -3 0"]


def test_plan_sysctl(bundle):
    linux = {"namespaces": [{"type": "network"}, {"type": "ipc"}],
             "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmni": "10",
                        "fs.mqueue.msg_max": "20"}}
    assert plan_of(minimal(linux=linux), bundle)["sysctl"] == [
        ("fs.mqueue.msg_max", "20"), ("kernel.shmmni", "10"), ("net.ipv4.ip_forward", "1")]


def test_plan_namespace_path(bundle):
    linux = {"namespaces": [{"type": "network", "path": "/proc/self/ns/net"}]}
    assert plan_of(minimal(linux=linux), bundle)["namespaces"] == [
        ("network", "/proc/self/ns/net")]


def test_plan_devices(bundle):
    linux = {"devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3},
                         {"path": "/dev/p", "type": "p", "fileMode": 0o600, "uid": 1,
                          "gid": 2}]}
    assert plan_of(minimal(linux=linux), bundle)["devices"] == [
        ("/dev/x", "c", 1, 3, 0o666, 0, 0), ("/dev/p", "p", 0, 0, 0o600, 1, 2)]


def _with(path, value, base=None):
    config = copy.deepcopy(base or minimal())
    keys = path.split(".")
    obj = config
    for k in keys[:-1]:
        obj = obj.setdefault(k, {})
    if value is KeyError:
        del obj[keys[-1]]
    else:
        obj[keys[-1]] = value
    return config


BAD = [
    ("ociVersion", KeyError, "ociVersion", "required"),
    ("ociVersion", 1, "ociVersion", "string"),
    ("ociVersion", "0.9", "ociVersion", "unsupported"),
    ("root.path", KeyError, "root.path", "required"),
    ("root.path", "nope", "root.path", "not a directory"),
    ("root", "rootfs", "root", "object"),
    ("process.args", KeyError, "process.args", ""),
    ("process.args", "sh", "process.args", "array"),
    ("process.cwd", KeyError, "process.cwd", "required"),
    ("process.cwd", "rel", "process.cwd", "absolute"),
    ("process.env", ["X"], "process.env[0]", "KEY=value"),
    ("process.user.uid", -1, "process.user.uid", "between"),
    ("process.user.uid", 2 ** 32, "process.user.uid", "between"),
    ("process.user.uid", True, "process.user.uid", "integer"),
    ("process.user.additionalGids", [1, "x"], "process.user.additionalGids[1]", "must be an integer"),
    ("process.user.umask", "022", "process.user.umask", "integer"),
    ("process.capabilities.bounding", ["CAP_NOPE"], "process.capabilities.bounding[0]",
     "unknown capability"),
    ("process.capabilities.ambient", "CAP_KILL", "process.capabilities.ambient", "array"),
    ("process.rlimits", [{"type": "RLIMIT_X", "soft": 1, "hard": 1}],
     "process.rlimits[0].type", "unknown rlimit"),
    ("process.rlimits", [{"type": "RLIMIT_NOFILE", "hard": 1}], "process.rlimits[0].soft",
     "required"),
    ("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 2, "hard": 1}],
     "process.rlimits[0].soft", "hard limit"),
    ("process.ioPriority", {"class": "IOPRIO_CLASS_X"}, "process.ioPriority.class",
     "unknown class"),
    ("process.ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 8},
     "process.ioPriority.priority", "between"),
    ("process.oomScoreAdj", -1001, "process.oomScoreAdj", "between"),
    ("process.noNewPrivileges", "yes", "process.noNewPrivileges", "boolean"),
    ("linux.namespaces", [{"type": "foo"}], "linux.namespaces[0].type", "unknown namespace"),
    ("linux.namespaces", [{"type": "pid"}, {"type": "pid"}], "linux.namespaces[1].type",
     "twice"),
    ("linux.namespaces", [{}], "linux.namespaces[0].type", "required"),
    ("linux.namespaces", [{"type": "net", "path": "/nonexistent"}],
     "linux.namespaces[0].type", "unknown namespace"),
    ("linux.namespaces", [{"type": "network", "path": "/nonexistent"}],
     "linux.namespaces[0].path", "no such file or directory"),
    ("linux.uidMappings", [{"containerID": 0, "hostID": 0, "size": 1}],
     "linux.uidMappings", "user namespace"),
    ("linux.uidMappings", [{"containerID": 0, "hostID": 0}],
     "linux.uidMappings[0].size", "required"),
    ("linux.sysctl", {"vm.overcommit_memory": "1"}, "linux.sysctl", "namespaced"),
    ("linux.sysctl", {"net.ipv4.ip_forward": "1"}, "linux.sysctl", "network namespace"),
    ("linux.sysctl", {"kernel.hostname": "x"}, "linux.sysctl", "uts"),
    ("linux.timeOffsets", {"boottime": {"secs": 1}}, "linux.timeOffsets", "time namespace"),
    ("linux.rootfsPropagation", "x", "linux.rootfsPropagation", "unknown propagation"),
    ("linux.personality", {"domain": "LINUX64"}, "linux.personality.domain", "unknown"),
    ("linux.devices", [{"path": "/dev/x", "type": "c"}], "linux.devices[0].major",
     "required"),
    ("linux.maskedPaths", "/proc", "linux.maskedPaths", "array"),
    ("hostname", "h", "hostname", "uts namespace"),
    ("mounts", [{"type": "tmpfs"}], "mounts[0].destination", "required"),
    ("mounts", [{"destination": "/x"}], "mounts[0].type", "required"),
    ("mounts", [{"destination": "/x", "type": "bind"}], "mounts[0].source", "required"),
    ("mounts", [{"destination": "/x", "type": "tmpfs", "options": ["idmap"]}],
     "mounts[0].options", "not supported"),
    ("mounts", [{"destination": "/x", "type": "tmpfs", "uidMappings": []}],
     "mounts[0].uidMappings", "not supported"),
    ("hooks.prestart", [{"path": "rel"}], "hooks.prestart[0].path", "absolute"),
    ("hooks.poststop", [{}], "hooks.poststop[0].path", "required"),
    ("hooks.poststart", [{"path": "/x", "timeout": -1}], "hooks.poststart[0].timeout",
     "greater than zero"),
    ("annotations", ["x"], "annotations", "object"),
]


@pytest.mark.parametrize("path,value,field,words", BAD,
                         ids=["%s=%r" % (b[0], b[1]) for b in BAD])
def test_plan_errors(bundle, path, value, field, words):
    e = error_of(_with(path, value), bundle)
    assert e.field == field, str(e)
    assert str(e).startswith("config.json: %s: " % field)
    assert words in str(e)


def test_plan_error_is_brownie_error(bundle):
    assert issubclass(ConfigError, BrownieError)
    assert issubclass(brownie.ContainerError, BrownieError)


# ---------------------------------------------------------------------------
# default_spec
# ---------------------------------------------------------------------------

def test_default_spec_passes_build_plan(bundle):
    spec = brownie.default_spec()
    json.dumps(spec)
    plan = plan_of(spec, bundle)
    assert plan["hostname"] == "brownie"
    assert plan["readonly_root"] is True
    assert plan["process"]["args"] == ["sh"]
    assert plan["process"]["terminal"] is True
    assert {k for k, _ in plan["namespaces"]} == {"pid", "network", "ipc", "uts",
                                                   "mount", "cgroup"}


def test_default_rootless_spec_passes_build_plan(bundle):
    spec = brownie.default_spec(rootless=True)
    plan = plan_of(spec, bundle)
    assert ("user", None) in plan["namespaces"]
    assert plan["uid_map"] == [(0, os.getuid(), 1)]
    assert all(m["type"] != "cgroup" for m in plan["mounts"])


# ---------------------------------------------------------------------------
# resolve_in_rootfs
# ---------------------------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    r = tmp_path / "rootfs"
    (r / "etc" / "ssl").mkdir(parents=True)
    (r / "etc" / "passwd").write_text("")
    os.symlink("/etc", r / "abs")
    os.symlink("etc", r / "rel")
    os.symlink("../..", r / "etc" / "up")
    os.symlink("/../../..", r / "absup")
    os.symlink("loop2", r / "loop1")
    os.symlink("loop1", r / "loop2")
    os.symlink("/etc/ssl", r / "etc" / "sslink")
    os.symlink("/nowhere/deep", r / "dangling")
    os.symlink("abs/ssl", r / "chain")
    return r


@pytest.mark.parametrize("path,expected", [
    ("/", ""),
    ("/etc", "etc"),
    ("/etc/x", "etc/x"),
    ("//etc///x/./", "etc/x"),
    ("etc/x", "etc/x"),
    ("/abs", "etc"),
    ("/abs/x", "etc/x"),
    ("/rel/x", "etc/x"),
    ("/chain/x", "etc/ssl/x"),
    ("/etc/sslink/../x", "etc/x"),
    ("/rel/../x", "x"),
    ("/etc/../etc/x", "etc/x"),
    ("/dangling", "nowhere/deep"),
    ("/dangling/x", "nowhere/deep/x"),
    ("/new/a/b", "new/a/b"),
    ("/etc/passwd/x", "etc/passwd/x"),
])
def test_resolve_in_rootfs(tree, path, expected):
    got = brownie.resolve_in_rootfs(str(tree), path)
    assert got == os.path.join(str(tree), expected).rstrip("/")


@pytest.mark.parametrize("path", ["/..", "/../x", "/etc/../../x", "/etc/up/x", "/absup",
                                  "/absup/tmp"])
def test_resolve_in_rootfs_refuses_escape(tree, path):
    with pytest.raises(BrownieError) as e:
        brownie.resolve_in_rootfs(str(tree), path, "mounts[3].destination")
    assert "mounts[3].destination" in str(e.value)
    assert "outside" in str(e.value)


def test_resolve_in_rootfs_symlink_loop(tree):
    with pytest.raises(BrownieError, match="symbolic links"):
        brownie.resolve_in_rootfs(str(tree), "/loop1/x", "f")


def test_resolve_never_leaves_rootfs(tree):
    for path in ["/abs/../../..", "/rel/../../..", "/chain/../../../../.."]:
        try:
            got = brownie.resolve_in_rootfs(str(tree), path)
        except BrownieError:
            continue
        assert got == str(tree) or got.startswith(str(tree) + "/"), (path, got)


# ---------------------------------------------------------------------------
# split_global_args
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("argv,globals_,rest", [
    ([], [], []),
    (["list"], [], ["list"]),
    (["--root", "/r", "state", "x"], ["--root", "/r"], ["state", "x"]),
    (["--root=/r", "state", "x"], ["--root=/r"], ["state", "x"]),
    (["--log", "/l", "--log-format", "json", "create", "--bundle", "b", "id"],
     ["--log", "/l", "--log-format", "json"], ["create", "--bundle", "b", "id"]),
    (["--log-format=json", "--log", "/l", "create", "id"],
     ["--log-format=json", "--log", "/l"], ["create", "id"]),
    (["--debug", "--systemd-cgroup", "kill", "id", "9"],
     ["--debug", "--systemd-cgroup"], ["kill", "id", "9"]),
    (["--foo=bar", "--root", "/r", "delete", "--force", "id"],
     ["--foo=bar", "--root", "/r"], ["delete", "--force", "id"]),
    (["--version"], ["--version"], []),
    (["--root", "/r"], ["--root", "/r"], []),
])
def test_split_global_args(argv, globals_, rest):
    assert brownie.split_global_args(argv) == (globals_, rest)


@pytest.mark.parametrize("args, flags_only, expected", [
    (["--force=true", "id"], False, ["--force", "id"]),
    (["--force=false", "id"], False, ["id"]),
    (["--detach=TRUE", "--tty=0", "id", "sh", "--detach=true"], False,
     ["--detach", "id", "sh", "--detach=true"]),  # the program's argv is its own
    (["--root", "/r", "--debug=true", "--systemd-cgroup=f"], True, ["--root", "/r", "--debug"]),
    (["--force=maybe", "--bundle=x"], False, ["--force=maybe", "--bundle=x"]),
])
def test_explicit_booleans(args, flags_only, expected):
    booleans = dict.fromkeys(["--force", "--detach", "--tty", "--debug", "--systemd-cgroup"])
    booleans["--no-new-privs"] = "--no-new-privs-false"
    assert brownie._explicit_booleans(["--no-new-privs=false", "id"], booleans) == \
        ["--no-new-privs-false", "id"]
    assert brownie._explicit_booleans(args, booleans, flags_only) == expected


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cid", ["a", "abc-DEF_1.2+3", "x" * 200, "..a", "a..b"])
def test_check_container_id_ok(cid):
    brownie.check_container_id(cid)


@pytest.mark.parametrize("cid", ["", ".", "..", "a/b", "/abs", "a b", "a\nb", "ü", "a:b"])
def test_check_container_id_bad(cid):
    with pytest.raises(BrownieError, match="invalid container id"):
        brownie.check_container_id(cid)


def test_exit_status():
    assert brownie.exit_status(3 << 8) == 3
    assert brownie.exit_status(0) == 0
    assert brownie.exit_status(signal.SIGKILL) == 128 + 9
    assert brownie.exit_status(signal.SIGTERM | 0x80) == 128 + 15  # with core dump bit


def test_spec_state():
    state = {"id": "x", "status": "running", "pid": 42, "bundle": "/b", "annotations": {}}
    assert brownie.spec_state(state) == {"ociVersion": brownie.OCI_VERSION, "id": "x",
                                         "status": "running", "pid": 42, "bundle": "/b"}
    assert brownie.spec_state(state, "stopped")["pid"] == 0
    state["annotations"] = {"a": "b"}
    assert brownie.spec_state(state)["annotations"] == {"a": "b"}


def test_process_start_time():
    t = brownie.process_start_time(os.getpid())
    assert isinstance(t, int) and t > 0
    assert brownie.process_start_time(os.getpid()) == t
    assert brownie.process_start_time(2 ** 22 + 12345) is None


def test_utc_now_rfc3339():
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", brownie.utc_now_rfc3339())


def test_features_is_json():
    f = brownie.features()
    json.dumps(f)
    assert f["ociVersionMax"] == brownie.OCI_VERSION
    assert set(f["hooks"]) == set(brownie.HOOK_NAMES)


def test_log_json_lines(tmp_path):
    path = tmp_path / "log.json"
    log = brownie.Log(str(path), "json")
    assert path.exists()  # created before anything is written
    log.write("error", 'bad "thing"\nsecond line')
    log.write("debug", "hidden")
    entries = [json.loads(l) for l in path.read_text().splitlines()]
    assert len(entries) == 1
    assert entries[0]["level"] == "error"
    assert entries[0]["msg"] == 'bad "thing"\nsecond line'
    assert "time" in entries[0]


def test_log_debug(tmp_path):
    path = tmp_path / "log.txt"
    log = brownie.Log(str(path), "text", debug=True)
    log.write("debug", "shown")
    assert "level=debug" in path.read_text() and '"shown"' in path.read_text()


def test_write_pid_file(tmp_path):
    path = tmp_path / "pid"
    brownie.write_pid_file(str(path), 1234)
    assert path.read_text() == "1234"
    assert os.listdir(tmp_path) == ["pid"]  # the temporary file is gone


def test_state_dir(tmp_path):
    root = str(tmp_path / "root")
    sd = brownie.StateDir(root, "c1").make()
    state = {"id": "c1", "status": "creating", "bundle": "/b", "n": 1}
    try:
        sd.write(state)
        assert sd.read() == state
        with pytest.raises(brownie.ContainerError, match="already exists"):
            brownie.StateDir(root, "c1").make()
    finally:
        sd.remove()
    assert os.listdir(root) == []
    with pytest.raises(brownie.ContainerError, match="does not exist"):
        brownie.StateDir(root, "c1").lock()


def test_state_dir_of_a_dead_create_is_reused(tmp_path):
    """A create killed between mkdir and its first write leaves an empty
    directory, unlocked: it does not keep the id taken."""
    root = tmp_path / "root"
    (root / "c1").mkdir(parents=True)
    sd = brownie.StateDir(str(root), "c1").make()
    sd.remove()
    (root / "c2").mkdir()
    assert brownie.StateDir(str(root), "c2").remove_if_stale()
    assert os.listdir(str(root)) == []


def test_state_dir_of_another_runtime_is_left_alone(tmp_path):
    """Docker gives runc and brownie one --root: runc's state is refused,
    never taken for a stale directory and removed."""
    d = tmp_path / "root" / "runc1"
    d.mkdir(parents=True)
    (d / "state.json").write_text('{"id": "runc1", "init_process_pid": 1}')
    with pytest.raises(brownie.ContainerError, match="not made by brownie"):
        brownie.StateDir(str(tmp_path / "root"), "runc1").remove_if_stale()
    with pytest.raises(brownie.ContainerError, match="not made by brownie"):
        brownie.Container.load("runc1", str(tmp_path / "root"))
    assert brownie.Container.list(str(tmp_path / "root")) == []
    assert (d / "state.json").exists()


def test_the_runtimes_syscall_numbers_agree_with_the_seccomp_table():
    """Section 1's numbers for the calls brownie makes by number are the
    seccomp section's (libseccomp's) for every architecture."""
    tables = brownie._syscall_tables()[0]
    for machine, numbers in brownie._SYSCALL_NR_BY_MACHINE.items():
        abi_bit = brownie._X32_SYSCALL_BIT if machine == "x32" else 0
        for name, nr in numbers.items():
            assert tables[machine][name] | abi_bit == nr, (machine, name)


def test_the_syscall_abi_is_the_interpreters_not_only_the_kernels(tmp_path):
    """A 32-bit Python on a 64-bit kernel makes 32-bit system calls: the
    numbers follow the ELF header of the running binary."""
    assert brownie._process_abi("armv7l") == "arm"
    assert brownie._process_abi("i686") == "x86"
    assert brownie._process_abi("s390x") == "s390x"
    for elf_class, e_machine, kernel, abi in [(1, 40, "aarch64", "arm"), (1, 3, "x86_64", "x86"),
                                              (1, 62, "x86_64", "x32")]:
        exe = tmp_path / abi
        exe.write_bytes(b"\x7fELF" + bytes([elf_class, 1]) + bytes(12) + e_machine.to_bytes(2, "little"))
        assert brownie._process_abi(kernel, str(exe), bits64=False) == abi
    assert brownie._SYSCALL_NR_BY_MACHINE["arm"]["seccomp"] == 383
    with open("/proc/self/exe", "rb") as f:
        header = f.read(20)
    native = {(2, 62): "x86_64", (2, 183): "aarch64"}.get(
        (header[4], int.from_bytes(header[18:20], "little")))
    if native is not None:
        assert brownie.PROCESS_ABI == native


def test_capabilities_that_cannot_be_granted_are_left_out(bundle, monkeypatch):
    """config.md: warn, do not fail. Effective needs permitted, inheritable
    needs bounding, ambient needs permitted and inheritable."""
    warnings = []
    monkeypatch.setattr(brownie, "_warning_sink", warnings.append)
    process = {"args": ["a"], "cwd": "/",
               "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL", "CAP_CHOWN"],
                                "permitted": ["CAP_KILL"], "inheritable": ["CAP_CHOWN"],
                                "ambient": ["CAP_KILL"]}}
    caps = plan_of(minimal(process=process), bundle)["process"]["caps"]
    kill = 1 << 5
    assert caps == {"bounding": kill, "effective": kill, "permitted": kill,
                    "inheritable": 0, "ambient": 0}
    assert any("process.capabilities.effective: CAP_CHOWN" in w for w in warnings), warnings
    assert any("process.capabilities.inheritable: CAP_CHOWN" in w for w in warnings), warnings
    assert any("process.capabilities.ambient: CAP_KILL" in w for w in warnings), warnings


def test_what_brownie_does_not_implement_is_said(bundle, monkeypatch):
    warnings = []
    monkeypatch.setattr(brownie, "_warning_sink", warnings.append)
    config = minimal(process={"args": ["sh"], "cwd": "/", "execCPUAffinity": {"initial": "0"},
                              "scheduler": {"policy": "SCHED_OTHER"}})
    config["linux"].update(memoryPolicy={"mode": "MPOL_DEFAULT"}, netDevices={"eth9": {}})
    plan_of(config, bundle)
    assert sorted(w.split(":")[0] for w in warnings) == [
        "linux.memoryPolicy", "linux.netDevices", "process.execCPUAffinity", "process.scheduler"]
    assert all(w.endswith("ignored, brownie does not implement it") for w in warnings), warnings


def test_an_empty_namespace_path_is_no_path(bundle):
    """runc: "path": "" makes a new namespace."""
    config = minimal()
    config["linux"]["namespaces"].append({"type": "network", "path": ""})
    assert ("network", None) in plan_of(config, bundle)["namespaces"]


def test_signal_0_is_a_liveness_check():
    assert brownie.parse_signal("0") == 0


# ---------------------------------------------------------------------------
# the oldest Python brownie.py promises to run on
# ---------------------------------------------------------------------------

def test_brownie_py_needs_no_python_newer_than_3_8():
    """vermin reads the source and names every construct, module and
    member newer than CPython 3.8 (one guarded by a version check carries
    a `# novermin` comment)."""
    pytest.importorskip("vermin", reason="vermin is not installed (pip install vermin)")
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", "import sys; from vermin.main import main; sys.exit(main())",
                        "-q", "-t=3.8-", "--no-tips", "--violations", brownie.__file__],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert r.returncode == 0, r.stdout
