"""Bad input: every mistake in config.json (or on the command line) gives
one line "brownie: ..." on stderr naming the field, a non-zero exit, and
leaves nothing behind: no state directory, no process, no mount, no cgroup."""

import json
import os

import pytest

import brownie
from conftest import make_bundle, sh


def _ns(c):
    return c["linux"]["namespaces"]


def _drop_ns(kind):
    def edit(c):
        c["linux"]["namespaces"] = [n for n in _ns(c) if n["type"] != kind]
    return edit


def _set(path, value):
    """edit: set a nested key given as "a.b.c"."""
    def edit(c):
        keys = path.split(".")
        obj = c
        for k in keys[:-1]:
            obj = obj.setdefault(k, {})
        obj[keys[-1]] = value
    return edit


def _delete(path):
    def edit(c):
        keys = path.split(".")
        obj = c
        for k in keys[:-1]:
            obj = obj[k]
        del obj[keys[-1]]
    return edit


def _both(*edits):
    def edit(c):
        for e in edits:
            e(c)
    return edit


def _add_mount(m):
    def edit(c):
        c["mounts"].append(m)
    return edit


def _add_ns(entry):
    def edit(c):
        _ns(c).append(entry)
    return edit


CASES = {
    "no-ociVersion": (_delete("ociVersion"), ["ociVersion", "required"]),
    "bad-ociVersion": (_set("ociVersion", "2.0.0"), ["ociVersion", "2.0.0"]),
    "no-root-path": (_delete("root.path"), ["root.path", "required"]),
    "root-path-missing-dir": (_set("root.path", "nowhere"), ["root.path", "not a directory"]),
    "root-path-not-string": (_set("root.path", 7), ["root.path", "string"]),
    "no-process-args": (_delete("process.args"), ["process.args"]),
    "empty-process-args": (_set("process.args", []), ["process.args"]),
    "args-not-strings": (_set("process.args", ["sh", 1]), ["process.args[1]"]),
    "relative-cwd": (_set("process.cwd", "tmp"), ["process.cwd", "absolute"]),
    "env-without-equals": (_set("process.env", ["PATH=/bin", "JUNK"]),
                           ["process.env[1]", "KEY=value"]),
    "unknown-namespace": (_add_ns({"type": "foo"}),
                          ["linux.namespaces[6].type", "unknown namespace"]),
    "namespace-twice": (_add_ns({"type": "pid"}),
                        ["linux.namespaces[6].type", "twice"]),
    "namespace-path-missing": (_add_ns({"type": "user", "path": "/no/such/ns"}),
                               ["linux.namespaces[6].path", "no such file or directory"]),
    "unknown-capability": (_set("process.capabilities.effective",
                                ["CAP_KILL", "CAP_MAKE_COFFEE"]),
                           ["process.capabilities.effective[1]", "unknown capability",
                            "CAP_MAKE_COFFEE"]),
    "unknown-rlimit": (_set("process.rlimits", [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]),
                       ["process.rlimits[0].type", "RLIMIT_FOO"]),
    "rlimit-soft-above-hard": (_set("process.rlimits",
                                    [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 10}]),
                               ["process.rlimits[0].soft"]),
    "rlimit-twice": (_set("process.rlimits",
                          [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                           {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]),
                     ["process.rlimits[1].type"]),
    "rlimit-negative": (_set("process.rlimits",
                             [{"type": "RLIMIT_NOFILE", "soft": -1, "hard": 1}]),
                        ["process.rlimits[0].soft"]),
    "hostname-without-uts": (_drop_ns("uts"), ["hostname", "uts namespace"]),
    "domainname-without-uts": (_both(_drop_ns("uts"), _delete("hostname"),
                                     _set("domainname", "example.org")),
                               ["domainname", "uts namespace"]),
    "hostname-not-string": (_set("hostname", 5), ["hostname", "string"]),
    "uidmappings-without-userns": (_both(
        _set("linux.uidMappings", [{"containerID": 0, "hostID": 1000, "size": 1}]),
        _set("linux.gidMappings", [{"containerID": 0, "hostID": 1000, "size": 1}])),
        ["linux.uidMappings", "user namespace"]),
    "userns-without-mappings": (_add_ns({"type": "user"}),
                                ["linux.uidMappings"]),
    "userns-without-gidmappings": (_both(
        _add_ns({"type": "user"}),
        _set("linux.uidMappings", [{"containerID": 0, "hostID": 1000, "size": 1}])),
        ["linux.gidMappings", "needs uidMappings and gidMappings"]),
    "gidmappings-without-userns": (
        _set("linux.gidMappings", [{"containerID": 0, "hostID": 1000, "size": 1}]),
        ["linux.gidMappings", "user namespace"]),
    "namespace-path-relative": (_add_ns({"type": "user", "path": "proc/self/ns/user"}),
                                ["linux.namespaces[6].path", "absolute"]),
    "sysctl-not-namespaced": (_set("linux.sysctl", {"vm.swappiness": "10"}),
                              ["linux.sysctl", "vm.swappiness", "namespaced"]),
    "sysctl-net-without-netns": (_both(_drop_ns("network"),
                                       _set("linux.sysctl", {"net.ipv4.ip_forward": "1"})),
                                 ["linux.sysctl", "net.ipv4.ip_forward", "namespace"]),
    "sysctl-value-not-string": (_set("linux.sysctl", {"kernel.shmmni": 100}),
                                ["linux.sysctl", "kernel.shmmni"]),
    "timeoffsets-without-timens": (_set("linux.timeOffsets", {"boottime": {"secs": 1}}),
                                   ["linux.timeOffsets", "time namespace"]),
    "mount-relative-destination": (_add_mount({"destination": "mnt", "type": "tmpfs",
                                               "source": "tmpfs"}),
                                   ["mounts[7].destination", "absolute"]),
    "mount-bind-without-source": (_add_mount({"destination": "/mnt", "type": "bind",
                                              "options": ["rbind"]}),
                                  ["mounts[7].source"]),
    "mount-without-type": (_add_mount({"destination": "/mnt", "source": "x"}),
                           ["mounts[7].type"]),
    "mount-options-not-strings": (_add_mount({"destination": "/mnt", "type": "tmpfs",
                                              "options": [1]}),
                                  ["mounts[7].options[0]"]),
    "bad-rootfs-propagation": (_set("linux.rootfsPropagation", "sideways"),
                               ["linux.rootfsPropagation", "sideways"]),
    "device-bad-type": (_set("linux.devices", [{"path": "/dev/x", "type": "q",
                                                "major": 1, "minor": 3}]),
                        ["linux.devices[0].type"]),
    "device-relative-path": (_set("linux.devices", [{"path": "dev/x", "type": "c",
                                                     "major": 1, "minor": 3}]),
                             ["linux.devices[0].path"]),
    "oom-score-out-of-range": (_set("process.oomScoreAdj", 5000),
                               ["process.oomScoreAdj"]),
    "hook-relative-path": (_set("hooks", {"prestart": [{"path": "true"}]}),
                           ["hooks.prestart[0].path", "absolute"]),
    "hook-zero-timeout": (_set("hooks", {"poststart": [{"path": "/bin/true", "timeout": 0}]}),
                          ["hooks.poststart[0].timeout"]),
    "intel-rdt": (_set("linux.intelRdt", {"closID": "x", "l3CacheSchema": "L3:0=ff"}),
                  ["linux.intelRdt", "not supported"]),
    "uid-not-integer": (_set("process.user.uid", "root"), ["process.user.uid"]),
    # (uid_t)-1 would mean "unchanged" to setresuid(2), and the process root
    "uid-minus-one": (_set("process.user.uid", 4294967295),
                      ["process.user.uid", "between 0 and 2147483647"]),
    "uid-above-2-31": (_set("process.user.uid", 2 ** 31), ["process.user.uid", "2147483647"]),
    "gid-minus-one": (_set("process.user.gid", 4294967295), ["process.user.gid", "2147483647"]),
    "device-where-none-can-be": (_set("linux.devices", [{"path": "/proc/foo", "type": "c",
                                                         "major": 1, "minor": 3}]),
                                 ["linux.devices[0].path", "/proc/foo"]),
    "too-many-additional-gids": (_set("process.user.additionalGids", list(range(65537))),
                                 ["process.user.additionalGids", "65537 groups", "65536"]),
    "additional-gid-minus-one": (_set("process.user.additionalGids", [5, 4294967295]),
                                 ["process.user.additionalGids[1]", "2147483647"]),
    "terminal-without-console-socket": (_set("process.terminal", True),
                                        ["process.terminal"]),
    "linux-not-object": (_set("linux", []), ["linux"]),
    "nul-byte-in-arg": (_set("process.args", ["echo", "a\0b"]),
                        ["process.args[1]", "NUL byte"]),
    "nul-byte-in-mount-destination": (_add_mount({"destination": "/mnt\0x", "type": "tmpfs",
                                                  "source": "tmpfs"}),
                                      ["mounts[7].destination", "NUL byte"]),
    "hostname-too-long": (_set("hostname", "h" * 65), ["hostname", "64 bytes"]),
    "annotation-not-string": (_set("annotations", {"a": 1}), ["annotations", "'a'", "string"]),
    "unmapped-uid": (_both(_add_ns({"type": "user"}),
                           _set("linux.uidMappings", [{"containerID": 0, "hostID": 100000, "size": 10}]),
                           _set("linux.gidMappings", [{"containerID": 0, "hostID": 100000, "size": 10}]),
                           _set("process.user.uid", 500)),
                     ["process.user.uid", "500", "not mapped"]),
    "unmapped-additional-gid": (_both(_add_ns({"type": "user"}),
                                      _set("linux.uidMappings", [{"containerID": 0, "hostID": 100000, "size": 10}]),
                                      _set("linux.gidMappings", [{"containerID": 0, "hostID": 100000, "size": 10}]),
                                      _set("process.user.additionalGids", [3, 4000])),
                                ["process.user.additionalGids[1]", "not mapped"]),
    "cgroups-path-host-root": (_set("linux.cgroupsPath", "/"), ["linux.cgroupsPath", "the root"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config(rt, tmp_path, case):
    edit, needles = CASES[case]
    b = make_bundle(tmp_path, edit=edit)
    r = rt.fails("create", "--bundle", b, rt.new_id(), needles=needles)
    assert r.out == ""
    assert "Traceback" not in r.err
    rt.assert_nothing_left()


@pytest.mark.parametrize("case", ["unknown-namespace", "unknown-capability",
                                  "hostname-without-uts"])
def test_bad_config_run(rt, tmp_path, case):
    edit, needles = CASES[case]
    b = make_bundle(tmp_path, edit=edit)
    rt.fails("run", "--bundle", b, rt.new_id(), needles=needles)
    rt.assert_nothing_left()


def test_malformed_json(rt, tmp_path):
    b = make_bundle(tmp_path)
    (b / "config.json").write_text('{"ociVersion": "1.3.0", "process": ')
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["config.json", "JSON"])
    rt.assert_nothing_left()


def test_config_not_an_object(rt, tmp_path):
    b = make_bundle(tmp_path)
    (b / "config.json").write_text("[1, 2]")
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["config.json"])
    rt.assert_nothing_left()


def test_missing_config(rt, tmp_path):
    b = make_bundle(tmp_path)
    (b / "config.json").unlink()
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["config.json"])
    rt.assert_nothing_left()


def test_missing_bundle(rt, tmp_path):
    rt.fails("create", "--bundle", tmp_path / "nope", rt.new_id(),
             needles=["config.json"])
    rt.assert_nothing_left()


# Errors found only while the container is being set up, by its init.

SETUP_CASES = {
    "bind-source-missing": (_add_mount({"destination": "/mnt", "type": "bind",
                                        "source": "/no/such/dir", "options": ["rbind"]}),
                            ["mounts[7]"]),
    "unknown-fs-type": (_add_mount({"destination": "/mnt", "type": "nosuchfs",
                                    "source": "x"}),
                        ["mounts[7]"]),
    "sysctl-bad-value": (_set("linux.sysctl", {"net.ipv4.ip_forward": "lots"}),
                         ["linux.sysctl", "net.ipv4.ip_forward"]),
    "sysctl-unknown-key": (_set("linux.sysctl", {"net.ipv4.no_such_knob": "1"}),
                           ["linux.sysctl", "net.ipv4.no_such_knob"]),
    "ns-path-wrong-type": (_both(_drop_ns("ipc"),
                                 _add_ns({"type": "ipc", "path": "/proc/self/ns/net"})),
                           ["ipc", "/proc/self/ns/net"]),
    "missing-program": (_set("process.args", ["/bin/no-such-program"]),
                        ["no such file or directory"]),
}


@pytest.mark.parametrize("case", sorted(SETUP_CASES))
def test_setup_error(rt, tmp_path, case):
    edit, needles = SETUP_CASES[case]
    b = make_bundle(tmp_path, edit=edit)
    r = rt.fails("create", "--bundle", b, rt.new_id(), needles=needles)
    assert "Traceback" not in r.err
    rt.assert_nothing_left()


def test_symlink_escape_mount_is_refused(rt, tmp_path):
    """rootfs/evil -> ../../../../tmp: a mount on /evil/x would land on the
    host's /tmp/x. It must fail, naming the mount, and touch nothing."""
    marker = "brownie-escape-%d" % os.getpid()
    b = make_bundle(tmp_path, edit=_add_mount({"destination": "/evil/%s" % marker,
                                               "type": "tmpfs", "source": "tmpfs"}))
    os.symlink("../../../../../../../../tmp", b / "rootfs" / "evil")
    rt.fails("create", "--bundle", b, rt.new_id(),
             needles=["mounts[7].destination"])
    assert not os.path.lexists("/tmp/" + marker)
    rt.assert_nothing_left()


def test_error_goes_to_json_log(rt, tmp_path):
    edit, needles = CASES["unknown-namespace"]
    b = make_bundle(tmp_path, edit=edit)
    log = tmp_path / "log.json"
    r = rt.cmd("create", "--bundle", b, rt.new_id(),
               global_args=("--log", log, "--log-format", "json"))
    assert r.rc != 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    errors = [e for e in entries if e["level"] == "error"]
    assert len(errors) == 1, entries
    for needle in needles:
        assert needle in errors[0]["msg"]
    assert r.err == "brownie: %s\n" % errors[0]["msg"]
    rt.assert_nothing_left()


def test_deep_json(rt, tmp_path):
    b = make_bundle(tmp_path)
    (b / "config.json").write_text("[" * 100000 + "]" * 100000)
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["config.json", "nested too deep"])
    rt.assert_nothing_left()


def test_capability_outside_brownies_bounding_set(rt, tmp_path):
    """A capability the runtime itself cannot have (this host's bounding
    set lacks CAP_SYS_RESOURCE) cannot be granted: config.md says warn and
    go on (runc fails with a bare "unable to apply caps")."""
    own = brownie.own_bounding_set()
    missing = [c for i, c in enumerate(brownie.CAPABILITIES) if not own >> i & 1
               and i <= brownie.last_capability()]
    if not missing:
        pytest.skip("this host's bounding set is full")

    def edit(c):
        for kind in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][kind].append(missing[0])
    b = make_bundle(tmp_path, args=sh("grep CapEff /proc/self/status"), edit=edit)
    r = rt.run(b)
    assert r.rc == 0, r
    assert "process.capabilities.permitted" in r.err and missing[0] in r.err, r
    assert "cannot be granted" in r.err, r


def test_ambient_not_inheritable_is_skipped_with_a_warning(rt, tmp_path):
    """runc skips an ambient capability the kernel cannot raise (not both
    permitted and inheritable); brownie too, and says so."""
    def edit(c):
        caps = c["process"]["capabilities"]
        caps["ambient"], caps["inheritable"] = ["CAP_KILL"], []
    b = make_bundle(tmp_path, args=sh("grep CapAmb /proc/self/status"), edit=edit)
    r = rt.run(b)
    assert r.rc == 0, r
    assert "CapAmb:\t0000000000000000" in r.out, r
    assert "process.capabilities.ambient" in r.err and "CAP_KILL" in r.err, r


def test_namespace_path_that_is_no_namespace(rt, tmp_path):
    """A fifo (which open would block on) or a directory is refused by name."""
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))
    for path in (fifo, tmp_path):
        b = make_bundle(tmp_path, name="b-%s" % path.name, edit=lambda c, p=path: c["linux"][
            "namespaces"].append({"type": "user", "path": str(p)}))
        rt.fails("create", "--bundle", b, rt.new_id(),
                 needles=["linux.namespaces[6].path", "not a namespace file"])
    rt.assert_nothing_left()
