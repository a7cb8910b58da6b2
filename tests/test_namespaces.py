"""Namespaces: created, joined by path, and the configs that contradict
them."""

import os
import socket

import pytest

from conftest import make_bundle, sh

NS_FILES = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts",
            "mount": "mnt", "cgroup": "cgroup", "user": "user", "time": "time"}
SHOW_NS = sh("for n in pid net ipc uts mnt cgroup user time; do "
             "echo $n $(readlink /proc/self/ns/$n); done")
USER_MAPS = {"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
             "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}


def host_ns(name):
    return os.readlink("/proc/self/ns/" + name)


def without(*kinds):
    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                    if n["type"] not in kinds]
        if "uts" in kinds:
            c.pop("hostname", None)
        if "mount" in kinds:
            # Without a mount namespace the root cannot be remounted
            # read-only on its own.
            c["root"]["readonly"] = False
    return edit


def with_ns(*kinds, **linux):
    def edit(c):
        for k in kinds:
            c["linux"]["namespaces"].append({"type": k})
        c["linux"].update(linux)
    return edit


def ns_of_output(out):
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def test_default_namespaces_are_new(rt, tmp_path):
    b = make_bundle(tmp_path, args=SHOW_NS)
    inside = ns_of_output(rt.output(b))
    for name in ("pid", "net", "ipc", "uts", "mnt", "cgroup"):
        assert inside[name] != host_ns(name), name
    for name in ("user", "time"):
        assert inside[name] == host_ns(name), name


@pytest.mark.parametrize("kind", ["pid", "network", "ipc", "uts", "mount", "cgroup"])
def test_namespace_left_out_is_shared(rt, tmp_path, kind):
    b = make_bundle(tmp_path, args=SHOW_NS, edit=without(kind))
    inside = ns_of_output(rt.output(b))
    for spec_name, name in NS_FILES.items():
        if spec_name in ("user", "time"):
            continue
        if spec_name == kind:
            assert inside[name] == host_ns(name), name
        else:
            assert inside[name] != host_ns(name), name


def test_pid_namespace(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo $$; ls /proc | grep -c '^[0-9]'"))
    pid, count = rt.output(b).split()
    assert pid == "1"
    assert int(count) <= 3  # sh, ls (grep may have exited)


def test_uts_hostname_and_domainname(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("hostname; cat /proc/sys/kernel/domainname"),
                    hostname="box-one", domainname="example.org")
    host_before = socket.gethostname()
    assert rt.output(b) == "box-one\nexample.org\n"
    assert socket.gethostname() == host_before


def test_network_namespace_has_only_lo_up(rt, tmp_path):
    caps = ["CAP_NET_RAW"]
    b = make_bundle(tmp_path, process={"capabilities": {
        k: caps for k in ("bounding", "effective", "permitted")}}, args=sh("ip -o link; echo ---; cat /sys/class/net/lo/flags; "
                                      "ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ping-ok"))
    out = rt.output(b)
    links, rest = out.split("---\n")
    lines = links.splitlines()
    assert len(lines) == 1, links
    assert ": lo: " in lines[0]
    flags = lines[0].split("<", 1)[1].split(">", 1)[0].split(",")
    assert "UP" in flags, lines[0]
    assert int(rest.splitlines()[0], 16) & 1  # IFF_UP
    assert "ping-ok" in rest


def test_mount_namespace_hides_mounts_from_host(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    cid = rt.create(b)
    rt.ok("start", cid)
    with open("/proc/self/mountinfo") as f:
        assert str(tmp_path) not in f.read()
    pid = rt.state(cid)["pid"]
    with open("/proc/%d/mountinfo" % pid) as f:
        inside = f.read()
    assert " /proc " in inside and " /dev " in inside


def test_cgroup_namespace_root(rt, tmp_path):
    b = make_bundle(tmp_path, args=["cat", "/proc/self/cgroup"])
    out = rt.output(b)
    assert out.strip()
    for line in out.splitlines():
        assert line.endswith(":/"), out


def test_no_mount_namespace_cleans_host_mounts(rt, tmp_path):
    """Without a mount namespace the container's mounts are made on the
    host, under the rootfs; delete must take them away."""
    b = make_bundle(tmp_path, args=["sleep", "30"], edit=without("mount"))
    cid = rt.create(b)
    rt.ok("start", cid)
    with open("/proc/self/mountinfo") as f:
        assert str(b / "rootfs" / "proc") in f.read()
    rt.ok("delete", "--force", cid)
    rt.assert_nothing_left()


def test_no_mount_namespace_run(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo hi; ls /dev/null"), edit=without("mount"))
    assert rt.output(b) == "hi\n/dev/null\n"
    rt.assert_nothing_left()


# ---------------------------------------------------------------------------
# user namespace
# ---------------------------------------------------------------------------

def test_user_namespace_mappings(rt, public_tmp):
    b = make_bundle(public_tmp, edit=with_ns("user", **USER_MAPS),
                    args=sh("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; "
                            "stat -c '%u %g' /bin/busybox"))
    out = rt.output(b).splitlines()
    assert out[0].split() == ["0", "100000", "65536"]
    assert out[1].split() == ["0", "100000", "65536"]
    assert out[2:4] == ["0", "0"]
    assert out[4] == "65534 65534"  # host root is not mapped: overflow ids


def test_user_namespace_seen_from_host(rt, public_tmp):
    b = make_bundle(public_tmp, edit=with_ns("user", **USER_MAPS),
                    args=["sleep", "30"], process={"user": {"uid": 5, "gid": 6}})
    cid = rt.create(b)
    rt.ok("start", cid)
    pid = rt.state(cid)["pid"]
    assert os.readlink("/proc/%d/ns/user" % pid) != host_ns("user")
    with open("/proc/%d/status" % pid) as f:
        status = dict(l.split(":", 1) for l in f)
    assert status["Uid"].split() == ["100005"] * 4
    assert status["Gid"].split() == ["100006"] * 4
    with open("/proc/%d/uid_map" % pid) as f:
        assert f.read().split() == ["0", "100000", "65536"]


def test_exec_as_an_unmapped_user_names_it(rt, public_tmp):
    """As in config.json: an id the user namespace does not map is said so,
    not a bare EINVAL from setresuid."""
    b = make_bundle(public_tmp, edit=with_ns("user", **USER_MAPS), args=["sleep", "30"])
    cid = rt.create(b)
    rt.ok("start", cid)
    rt.fails("exec", "-u", "65536", cid, "id", needles=["process.user.uid", "65536 is not mapped"])
    rt.fails("exec", "-u", "5:70000", cid, "id", needles=["process.user.gid", "70000"])
    assert rt.ok("exec", "-u", "65535", cid, "id", "-u").out == "65535\n"
    rt.ok("delete", "--force", cid)


def test_user_namespace_other_namespaces_owned_by_it(rt, public_tmp):
    """Namespaces made after the user namespace belong to it, so root in
    the container may, for instance, set its hostname."""
    b = make_bundle(public_tmp, edit=with_ns("user", **USER_MAPS), process={
        "capabilities": {k: ["CAP_SYS_ADMIN"] for k in
                         ("bounding", "effective", "permitted")}},
        args=sh("hostname inner && hostname"))
    assert rt.output(b) == "inner\n"


def test_created_init_is_not_dumpable(rt, public_tmp):
    """The waiting init is not dumpable, so that nothing in the container
    can reach into the runtime through /proc. For a non-dumpable process
    the kernel makes /proc/PID/* owned by root, even though the init runs
    as the container's root (host uid 100000 here); once the container's
    process has exec'd it is dumpable again and its files are 100000's."""
    b = make_bundle(public_tmp, edit=with_ns("user", **USER_MAPS), args=["sleep", "30"])
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    with open("/proc/%d/status" % pid) as f:
        assert [l for l in f if l.startswith("Uid:")][0].split()[1:] == ["100000"] * 4
    for name in ("environ", "mem", "fd", "ns", "cwd"):
        st = os.lstat("/proc/%d/%s" % (pid, name))
        assert (st.st_uid, st.st_gid) == (0, 0), name
    rt.ok("start", cid)
    st = os.stat("/proc/%d/environ" % pid)
    assert (st.st_uid, st.st_gid) == (100000, 100000)


# ---------------------------------------------------------------------------
# time namespace
# ---------------------------------------------------------------------------

def _uptime():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


OFFSET = 1000000


def test_time_namespace_offsets(rt, tmp_path):
    b = make_bundle(tmp_path, args=["cat", "/proc/uptime"], edit=with_ns(
        "time", timeOffsets={"boottime": {"secs": OFFSET, "nanosecs": 0},
                             "monotonic": {"secs": 77}}))
    before = _uptime()
    out = rt.output(b)
    after = _uptime()
    inside = float(out.split()[0])
    assert before + OFFSET - 1 <= inside <= after + OFFSET + 1, (before, inside, after)


def test_time_namespace_in_user_namespace(rt, public_tmp):
    b = make_bundle(public_tmp, args=["cat", "/proc/uptime"], edit=with_ns(
        "user", "time", timeOffsets={"boottime": {"secs": OFFSET}}, **USER_MAPS))
    before = _uptime()
    out = rt.output(b)
    after = _uptime()
    inside = float(out.split()[0])
    assert before + OFFSET - 1 <= inside <= after + OFFSET + 1, (before, inside, after)


def test_time_namespace_without_offsets(rt, tmp_path):
    b = make_bundle(tmp_path, args=SHOW_NS, edit=with_ns("time"))
    inside = ns_of_output(rt.output(b))
    assert inside["time"] != host_ns("time")


# ---------------------------------------------------------------------------
# joining namespaces by path
# ---------------------------------------------------------------------------

def _running(rt, tmp_path, name, **changes):
    b = make_bundle(tmp_path, name=name, args=["sleep", "30"], **changes)
    cid = rt.create(b)
    rt.ok("start", cid)
    return cid, rt.state(cid)["pid"]


def _join(kind, path):
    def edit(c):
        for n in c["linux"]["namespaces"]:
            if n["type"] == kind:
                n["path"] = path
    return edit


def test_join_network_namespace(rt, tmp_path):
    _, pid = _running(rt, tmp_path, "a")
    target = "/proc/%d/ns/net" % pid
    b = make_bundle(tmp_path, name="b", args=sh("readlink /proc/self/ns/net; ip -o link"),
                    edit=_join("network", target))
    out = rt.output(b).splitlines()
    assert out[0] == os.readlink(target)
    assert out[0] != host_ns("net")
    assert len(out) == 2 and ": lo: " in out[1]


def test_join_uts_namespace(rt, tmp_path):
    _, pid = _running(rt, tmp_path, "a", hostname="first-box")

    def edit(c):
        _join("uts", "/proc/%d/ns/uts" % pid)(c)
        c.pop("hostname")
    b = make_bundle(tmp_path, name="b", args=["hostname"], edit=edit)
    assert rt.output(b) == "first-box\n"


def test_join_pid_namespace(rt, tmp_path):
    _, pid = _running(rt, tmp_path, "a")
    b = make_bundle(tmp_path, name="b", args=sh("echo $$; cat /proc/1/cmdline"),
                    edit=_join("pid", "/proc/%d/ns/pid" % pid))
    out = rt.output(b).split("\n", 1)
    assert out[0] != "1"
    assert out[1].startswith("sleep")


def test_join_namespace_of_wrong_type(rt, tmp_path):
    _, pid = _running(rt, tmp_path, "a")
    b = make_bundle(tmp_path, name="b", args=["true"],
                    edit=_join("ipc", "/proc/%d/ns/net" % pid))
    rt.fails("run", "--bundle", b, rt.new_id(), needles=["ipc", "/proc/%d/ns/net" % pid])
    assert len(rt.list_ids()) == 1


def test_join_user_namespace(rt, public_tmp):
    _, pid = _running(rt, public_tmp, "a", edit=with_ns("user", **USER_MAPS))

    def edit(c):
        c["linux"]["namespaces"].append({"type": "user", "path": "/proc/%d/ns/user" % pid})
    b = make_bundle(public_tmp, name="b", args=sh("readlink /proc/self/ns/user; "
                                                "cat /proc/self/uid_map"), edit=edit)
    out = rt.output(b).splitlines()
    assert out[0] == os.readlink("/proc/%d/ns/user" % pid)
    assert out[1].split() == ["0", "100000", "65536"]


# ---------------------------------------------------------------------------
# contradictions (more in test_config_errors)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("edit,needles", [
    (without("uts"), None),
    (lambda c: c.update(hostname="x") or without("uts")(c) or c.update(hostname="x"),
     ["hostname", "uts namespace"]),
    (lambda c: c["linux"].update(USER_MAPS), ["linux.uidMappings", "user namespace"]),
    (lambda c: c["linux"].update(sysctl={"kernel.panic": "1"}),
     ["linux.sysctl", "kernel.panic"]),
    (lambda c: c["linux"].update(sysctl={"kernel.shmmni": "100"}) or without("ipc")(c),
     ["linux.sysctl", "kernel.shmmni", "ipc"]),
], ids=["no-hostname-ok", "hostname-without-uts", "mappings-without-userns",
        "host-sysctl", "ipc-sysctl-without-ipcns"])
def test_contradictory_configs(rt, tmp_path, edit, needles):
    b = make_bundle(tmp_path, args=["true"], edit=edit)
    if needles is None:
        assert rt.run(b).rc == 0
    else:
        rt.fails("create", "--bundle", b, rt.new_id(), needles=needles)
    rt.assert_nothing_left()
