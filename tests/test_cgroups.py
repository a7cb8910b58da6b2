"""Tests of section 10 (cgroups): the pure spec -> file mapping, validation,
and real cgroups on this kernel (v1 hierarchies, the v2 hierarchy, eBPF).

Real cgroups live under /brownie-test-<random>/ at each hierarchy root and
are removed by the fixtures; every forked child is killed and reaped."""

import errno
import mmap
import os
import signal
import struct
import time
import uuid

import pytest

import brownie

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def _layout():
    try:
        return brownie.cgroup_layout()
    except OSError:
        return []


LAYOUT = _layout()
V1 = {c for h in LAYOUT if h["version"] == 1 for c in h["controllers"]}
V2 = next((h for h in LAYOUT if h["version"] == 2), None)


def needs_v1(*controllers):
    missing = [c for c in controllers if c not in V1]
    return pytest.mark.skipif(bool(missing) or os.geteuid() != 0,
                              reason="needs root and v1 controllers %s" % missing)


needs_v2 = pytest.mark.skipif(V2 is None or os.geteuid() != 0, reason="needs root and cgroup v2")


# ---------------------------------------------------------------- children

class Child:
    """A forked child that waits for "go", runs `action` and reports its
    result as text; the parent moves it into a cgroup in between."""

    def __init__(self, action):
        go_r, self._go = os.pipe()
        self._result, res_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            code = 0
            try:
                os.close(self._go)
                os.close(self._result)
                os.read(go_r, 1)
                out = action()
                os.write(res_w, str(out).encode())
            except BaseException as e:  # report anything, never return into pytest
                try:
                    os.write(res_w, ("exception %r" % e).encode())
                except BaseException:
                    pass
                code = 1
            os._exit(code)
        os.close(go_r)
        os.close(res_w)
        self.status = None

    def go(self):
        os.write(self._go, b"g")

    def result(self, timeout=10):
        import select
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._result], [], [], deadline - time.monotonic())
            if not ready:
                break
            data = os.read(self._result, 4096)
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks).decode()

    def wait(self, timeout=10):
        deadline = time.monotonic() + timeout
        while self.status is None and time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                break
            time.sleep(0.01)
        return self.status

    def cleanup(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        for fd in (self._go, self._result):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def children():
    made = []

    def spawn(action=lambda: time.sleep(60)):
        child = Child(action)
        made.append(child)
        return child
    yield spawn
    for child in made:
        child.cleanup()


@pytest.fixture
def cgroups():
    """Make Cgroups under /brownie-test-<random>; destroy them all after."""
    made = []
    prefix = "/brownie-test-%s" % uuid.uuid4().hex[:10]

    def make(name="c", **kw):
        cg = brownie.Cgroup.for_container("test", prefix + "/" + name, **kw)
        made.append(cg)
        return cg
    make.prefix = prefix
    yield make
    for cg in reversed(made):
        try:
            cg.destroy()
        except brownie.BrownieError:
            pass
    for h in LAYOUT:
        leftover = os.path.join(h["mountpoint"], prefix.lstrip("/"))
        assert not os.path.exists(leftover), leftover


@pytest.fixture
def v2_subtree():
    """A test-owned directory in the v2 hierarchy, used as the root of a
    pretend pure-v2 layout (so no host cgroup is ever written to)."""
    top = os.path.join(V2["mountpoint"], "brownie-test-%s" % uuid.uuid4().hex[:10])
    os.mkdir(top)
    layout = [{"name": "", "version": 2, "controllers": [], "mountpoint": top, "root": "/"}]
    yield top, layout
    for root, dirs, _ in os.walk(top, topdown=False):
        for d in dirs:
            os.rmdir(os.path.join(root, d))
    os.rmdir(top)


def _file(cg, hierarchy, name):
    with open(os.path.join(cg.paths[hierarchy], name)) as f:
        return f.read().strip()


def _v1_name(controller):
    return next(h["name"] for h in LAYOUT if h["version"] == 1 and controller in h["controllers"])


def _open_result(path, flags=os.O_RDONLY):
    try:
        os.close(os.open(path, flags))
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]


# ------------------------------------------------------ pure: conversions

def test_cpu_shares_to_weight_matches_runc():
    table = {0: 0, 1: 1, 2: 1, 3: 2, 512: 59, 1024: 100, 2048: 174, 262144: 10000, 10 ** 6: 10000}
    assert {s: brownie.cpu_shares_to_weight(s) for s in table} == table


def test_memory_swap_to_v2_matches_runc():
    convert = brownie.memory_swap_to_v2
    assert convert(0, -1) == -1            # unlimited memory, swap unset: unlimited swap
    assert convert(-1, 100) == -1
    assert convert(0, 100) == 0
    assert convert(500, -1) == 500
    assert convert(300, 100) == 200        # memsw - memory
    assert convert(100, 100) == 0
    for swap, limit in ((200, 0), (50, 100), (200, -5)):
        with pytest.raises(ValueError):
            convert(swap, limit)


def test_blkio_weight_to_io_weight_matches_runc():
    assert [brownie.blkio_weight_to_io_weight(w) for w in (0, 10, 100, 500, 1000)] == [0, 1, 910, 4950, 10000]


# -------------------------------------------------------- pure: mapping

FULL = {
    "memory": {"limit": 1 << 30, "reservation": 1 << 29, "swap": 2 << 30, "swappiness": 60,
               "disableOOMKiller": True, "kernel": 1, "kernelTCP": 2},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 10000,
            "realtimeRuntime": 950, "realtimePeriod": 1000, "cpus": "0-1", "mems": "0", "idle": 1},
    "pids": {"limit": 32},
    "blockIO": {"weight": 500, "leafWeight": 300,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 200, "leafWeight": 100}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
    "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
}


def test_v1_files_for_every_resource():
    writes = brownie.v1_files_for(FULL)
    assert [tuple(w) for w in writes] == [
        ("cpuset", "cpuset.cpus", "0-1"),
        ("cpuset", "cpuset.mems", "0"),
        ("memory", "memory.limit_in_bytes", str(1 << 30)),
        ("memory", "memory.memsw.limit_in_bytes", str(2 << 30)),
        ("memory", "memory.soft_limit_in_bytes", str(1 << 29)),
        ("memory", "memory.oom_control", "1"),
        ("memory", "memory.swappiness", "60"),
        ("cpu", "cpu.shares", "512"),
        ("cpu", "cpu.cfs_period_us", "100000"),
        ("cpu", "cpu.cfs_burst_us", "10000"),
        ("cpu", "cpu.cfs_quota_us", "50000"),
        ("cpu", "cpu.idle", "1"),
        ("cpu", "cpu.rt_period_us", "1000"),
        ("cpu", "cpu.rt_runtime_us", "950"),
        ("pids", "pids.max", "32"),
        ("blkio", "blkio.weight", "500"),
        ("blkio", "blkio.leaf_weight", "300"),
        ("blkio", "blkio.weight_device", "8:0 200"),
        ("blkio", "blkio.leaf_weight_device", "8:0 100"),
        ("blkio", "blkio.throttle.read_bps_device", "8:0 600"),
        ("blkio", "blkio.throttle.write_iops_device", "8:16 300"),
        ("hugetlb", "hugetlb.2MB.limit_in_bytes", "209715200"),
        ("hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes", "209715200"),
        ("net_cls", "net_cls.classid", "1048577"),
        ("net_prio", "net_prio.ifpriomap", "eth0 500"),
        ("rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"),
    ]
    assert writes[2].field == "linux.resources.memory.limit"
    assert writes[-2].field == "linux.resources.network.priorities[0]"
    assert writes[15].fallback == ("blkio", "blkio.bfq.weight", "500")


def test_v2_files_for_converts_as_runc():
    res = dict(FULL, memory={"limit": 1 << 30, "reservation": 1 << 29, "swap": 3 << 30},
               cpu={"shares": 1024, "quota": 50000, "period": 200000, "burst": 10000,
                    "cpus": "0", "mems": "0", "idle": 0},
               blockIO={"weight": 100, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
                        "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
               unified={"io.max": "8:0 rbps=2\n8:16 wiops=3", "memory.high": "1G"})
    del res["network"]
    writes = brownie.v2_files_for(res)
    assert [tuple(w) for w in writes] == [
        ("cpuset.cpus", "0"),
        ("cpuset.mems", "0"),
        ("memory.swap.max", str(2 << 30)),
        ("memory.max", str(1 << 30)),
        ("memory.low", str(1 << 29)),
        ("cpu.idle", "0"),
        ("cpu.weight", "100"),
        ("cpu.max.burst", "10000"),
        ("cpu.max", "50000 200000"),
        ("pids.max", "32"),
        ("io.bfq.weight", "100"),
        ("io.max", "8:0 rbps=600"),
        ("io.max", "8:16 wiops=300"),
        ("hugetlb.2MB.max", "209715200"),
        ("hugetlb.2MB.rsvd.max", "209715200"),
        ("rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"),
        ("io.max", "8:0 rbps=2\n8:16 wiops=3"),
        ("memory.high", "1G"),
    ]
    assert writes[10].fallback == ("io.weight", "910")
    assert [w.controller for w in writes[:4]] == ["cpuset", "cpuset", "memory", "memory"]
    assert writes[-1].field == 'linux.resources.unified["memory.high"]'


@pytest.mark.parametrize("memory, expected", [
    ({"limit": -1}, [("memory.swap.max", "max"), ("memory.max", "max")]),
    ({"limit": 100, "swap": 100}, [("memory.swap.max", "0"), ("memory.max", "100")]),
    ({"limit": 100, "swap": -1}, [("memory.swap.max", "max"), ("memory.max", "100")]),
    ({"reservation": 5}, [("memory.low", "5")]),
])
def test_v2_memory_swap_cases(memory, expected):
    assert [tuple(w) for w in brownie.v2_files_for({"memory": memory})] == expected


def test_v2_cpu_max_defaults():
    assert [tuple(w) for w in brownie.v2_files_for({"cpu": {"quota": 20000}})] == [("cpu.max", "20000 100000")]
    assert [tuple(w) for w in brownie.v2_files_for({"cpu": {"period": 50000}})] == [("cpu.max", "max 50000")]
    assert [tuple(w) for w in brownie.v2_files_for({"cpu": {"quota": -1, "period": 50000}})] == [("cpu.max", "max 50000")]


def test_pids_limit_zero_and_unlimited():
    assert [tuple(w) for w in brownie.v2_files_for({"pids": {"limit": 0}})] == [("pids.max", "0")]
    assert [tuple(w) for w in brownie.v2_files_for({"pids": {"limit": -1}})] == [("pids.max", "max")]


@pytest.mark.parametrize("resources, field", [
    ({"memory": {"swap": 200}}, "linux.resources.memory.swap"),
    ({"memory": {"limit": 300, "swap": 200}}, "linux.resources.memory.swap"),
    ({"memory": {"disableOOMKiller": True}}, "linux.resources.memory.disableOOMKiller"),
    ({"memory": {"swappiness": 10}}, "linux.resources.memory.swappiness"),
    ({"memory": {"useHierarchy": False}}, "linux.resources.memory.useHierarchy"),
    ({"cpu": {"realtimeRuntime": 5}}, "linux.resources.cpu.realtimeRuntime"),
    ({"blockIO": {"leafWeight": 10}}, "linux.resources.blockIO.leafWeight"),
])
def test_v2_refuses_what_it_cannot_express(resources, field):
    with pytest.raises(brownie.ConfigError) as e:
        brownie.v2_files_for(resources)
    assert e.value.field == field


def test_v1_memory_unlimited_also_unlimits_swap():
    writes = brownie.v1_files_for({"memory": {"limit": -1}})
    assert [tuple(w) for w in writes] == [("memory", "memory.limit_in_bytes", "-1"),
                                          ("memory", "memory.memsw.limit_in_bytes", "-1")]
    assert writes[1].tolerate == (errno.ENOENT,)


# ------------------------------------------------------- pure: devices

DENY_ALL = {"allow": False, "access": "rwm"}


def test_v1_device_rules_from_unknown_state():
    # The spec: entries are applied in the listed order (devices.list keeps it).
    rules = [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"},
             {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "m"},
             {"allow": True, "type": "b", "major": 8, "access": "r"}]
    assert [tuple(w) for w in brownie.v1_files_for({"devices": rules})] == [
        ("devices", "devices.deny", "a *:* rwm"),
        ("devices", "devices.allow", "c 1:3 rwm"),
        ("devices", "devices.allow", "b 8:* r"),
    ]


def test_v1_device_transition_is_minimal():
    current = "c 1:3 rwm\nc 1:5 rwm\n"
    rules = [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
             {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "rw"}]
    assert [tuple(w) for w in brownie.v1_files_for({"devices": rules}, devices_list=current)] == [
        ("devices", "devices.deny", "c 1:5 rwm"),
        ("devices", "devices.allow", "c 1:9 rw"),
    ]
    # From allow-all, the denials are unknown: reset first.
    assert brownie.v1_files_for({"devices": rules}, devices_list="a *:* rwm\n")[0] == \
        ("devices", "devices.deny", "a *:* rwm")


def test_device_rules_later_rules_win():
    rules = [{"allow": True, "type": "a"}, {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
             {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "r"}]
    rule_set = brownie.DeviceRuleSet.from_rules(rules)
    assert rule_set.default_allow is True
    assert rule_set.exceptions == {("c", 1, 3): "wm"}


def test_device_rules_refuse_punching_wildcards():
    rules = [DENY_ALL, {"allow": True, "type": "c", "access": "rwm"},
             {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "w"}]
    with pytest.raises(brownie.ConfigError) as e:
        brownie.DeviceRuleSet.from_rules(rules)
    assert e.value.field == "linux.resources.devices[2]"


def test_device_filter_program_shape():
    program = brownie.device_filter_program([DENY_ALL, {"allow": True, "type": "c", "major": 1,
                                                        "minor": 3, "access": "rwm"}])
    insns = [struct.unpack("=BBhi", program[i:i + 8]) for i in range(0, len(program), 8)]
    assert len(insns) == 6 + 3 + 2 + 2
    assert insns[6] == (0x55, 2, 4, 2)          # type != char: skip the 3 + 2 remaining
    assert insns[7][0] == 0x55 and insns[7][3] == 1 and insns[8][3] == 3
    assert insns[-4][3] == 1 and insns[-2][3] == 0   # allow block, then default deny
    assert all(op == 0x95 for op, _, _, _ in (insns[-3], insns[-1]))


# ---------------------------------------------------------- validation

@pytest.mark.parametrize("resources, field, message", [
    ([], "linux.resources", "must be an object"),
    ({"memory": {"limit": "1G"}}, "linux.resources.memory.limit", "must be an integer"),
    ({"memory": {"limit": True}}, "linux.resources.memory.limit", "must be an integer"),
    ({"memory": {"limit": -2}}, "linux.resources.memory.limit", "-1 (unlimited)"),
    ({"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness", "between 0 and 100"),
    ({"memory": {"disableOOMKiller": 1}}, "linux.resources.memory.disableOOMKiller", "boolean"),
    ({"cpu": {"shares": -1}}, "linux.resources.cpu.shares", "between 0 and"),
    ({"cpu": {"cpus": "0-a"}}, "linux.resources.cpu.cpus", "invalid list"),
    ({"cpu": {"quota": 1000, "burst": 2000}}, "linux.resources.cpu.burst", "larger than quota"),
    ({"pids": {"limit": "x"}}, "linux.resources.pids.limit", "must be an integer"),
    ({"unified": []}, "linux.resources.unified", "must be an object"),
    ({"blockIO": {"weight": 70000}}, "linux.resources.blockIO.weight", "between 0 and 65535"),
    ({"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}},
     "linux.resources.blockIO.weightDevice[0]", "weight or leafWeight"),
    ({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "rate": 1}]}},
     "linux.resources.blockIO.throttleReadBpsDevice[0].minor", "is required"),
    ({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}, "linux.resources.hugepageLimits[0].pageSize", "2MB"),
    ({"network": {"classID": -1}}, "linux.resources.network.classID", "between 0 and"),
    ({"network": {"priorities": [{"name": "eth0"}]}}, "linux.resources.network.priorities[0].priority", "integer"),
    ({"rdma": {"mlx": {}}}, 'linux.resources.rdma["mlx"]', "hcaHandles or hcaObjects"),
    ({"devices": [{"access": "rwm"}]}, "linux.resources.devices[0].allow", "is required"),
    ({"devices": [{"allow": True, "type": "u"}]}, "linux.resources.devices[0].type", '"a", "b" or "c"'),
    ({"devices": [{"allow": True, "access": "rwx"}]}, "linux.resources.devices[0].access", "combination"),
    ({"unified": {"memory.max": 5}}, 'linux.resources.unified["memory.max"]', "must be a string"),
    ({"unified": {"../x": "1"}}, 'linux.resources.unified["../x"]', "CONTROLLER.PARAMETER"),
])
def test_validation_names_the_field(resources, field, message):
    layout = [{"name": "", "version": 2, "controllers": [], "mountpoint": "/x", "root": "/"}]
    with pytest.raises(brownie.ConfigError) as e:
        brownie.validate_resources(resources, layout=layout)
    assert e.value.field == field
    assert message in str(e.value)


def test_validation_accepts_the_spec_examples():
    brownie.validate_resources(FULL, layout=[])
    brownie.validate_resources({"memory": {"limit": -1, "swappiness": (1 << 64) - 1}}, layout=[])


def test_unified_needs_a_v2_hierarchy():
    v1_only = [{"name": "memory", "version": 1, "controllers": ["memory"], "mountpoint": "/m", "root": "/"}]
    with pytest.raises(brownie.ConfigError) as e:
        brownie.validate_resources({"unified": {"memory.high": "1G"}}, "linux.resources", v1_only)
    assert e.value.field == "linux.resources.unified"
    assert "no cgroup v2 hierarchy" in str(e.value)


# ------------------------------------------------------------- paths

FAKE_LAYOUT = [
    {"name": "cpu,cpuacct", "version": 1, "controllers": ["cpu", "cpuacct"],
     "mountpoint": "/sys/fs/cgroup/cpu,cpuacct", "root": "/"},
    {"name": "memory", "version": 1, "controllers": ["memory"], "mountpoint": "/sys/fs/cgroup/memory", "root": "/"},
    {"name": "systemd", "version": 1, "controllers": ["name=systemd"],
     "mountpoint": "/sys/fs/cgroup/systemd", "root": "/"},
    {"name": "unified", "version": 2, "controllers": [], "mountpoint": "/sys/fs/cgroup/unified", "root": "/"},
]


@pytest.fixture
def proc_cgroup(tmp_path):
    path = tmp_path / "cgroup"
    path.write_text("3:name=systemd:/user.slice/s\n2:memory:/mem/me\n1:cpu,cpuacct:/cpu/me\n0::/v2/me\n")
    return str(path)


def test_absolute_path_is_below_each_root(proc_cgroup):
    cg = brownie.Cgroup.for_container("id", "/a/../b/c", layout=FAKE_LAYOUT, proc_cgroup=proc_cgroup)
    assert list(cg.paths.items()) == [
        ("cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/b/c"), ("memory", "/sys/fs/cgroup/memory/b/c"),
        ("systemd", "/sys/fs/cgroup/systemd/b/c"), ("unified", "/sys/fs/cgroup/unified/b/c")]
    assert cg.warnings == []


def test_relative_and_default_paths_are_below_own_cgroup(proc_cgroup):
    cg = brownie.Cgroup.for_container("id", "x/../../y", layout=FAKE_LAYOUT, proc_cgroup=proc_cgroup)
    assert cg.paths["memory"] == "/sys/fs/cgroup/memory/mem/me/y"
    assert cg.paths["cpu,cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct/cpu/me/y"
    assert cg.paths["unified"] == "/sys/fs/cgroup/unified/v2/me/y"
    cg = brownie.Cgroup.for_container("id", "", layout=FAKE_LAYOUT, proc_cgroup=proc_cgroup)
    assert cg.paths["systemd"] == "/sys/fs/cgroup/systemd/user.slice/s/id"
    # Pure v2: below the parent of our own cgroup, which has processes.
    pure = [{"name": "", "version": 2, "controllers": [], "mountpoint": "/sys/fs/cgroup", "root": "/"}]
    cg = brownie.Cgroup.for_container("id", None, layout=pure, proc_cgroup=proc_cgroup)
    assert cg.paths == {"": "/sys/fs/cgroup/v2/id"}


@pytest.mark.parametrize("path, systemd, expected", [
    ("system.slice:docker:abc", True, "/system.slice/docker-abc.scope"),
    ("kubepods-besteffort-pod1.slice:cri-containerd:abc", True,
     "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope"),
    (":runc:abc", True, "/system.slice/runc-abc.scope"),
    ("user.slice::abc", True, "/user.slice/abc.scope"),
    ("-.slice:p:my.slice", True, "/my.slice"),
    ("", True, "/system.slice/brownie-id.scope"),
])
def test_systemd_paths_fall_back_to_cgroupfs(path, systemd, expected):
    cg = brownie.Cgroup.for_container("id", path, systemd=systemd, layout=FAKE_LAYOUT[1:2])
    assert cg.paths == {"memory": "/sys/fs/cgroup/memory" + expected}
    assert len(cg.warnings) == 1 and "using cgroupfs at " + expected in cg.warnings[0]


def test_a_path_with_colons_is_a_path_without_systemd_cgroup():
    """As runc: the slice:prefix:name form is systemd's only with the flag."""
    cg = brownie.Cgroup.for_container("id", "/system.slice:docker:abc", layout=FAKE_LAYOUT[1:2])
    assert cg.paths == {"memory": "/sys/fs/cgroup/memory/system.slice:docker:abc"}
    assert cg.warnings == []


@pytest.mark.parametrize("path", ["a:b", "bad:docker:abc", "a--b.slice:p:n", "x.slice:p:",
                                  "x.slice:p:../../y", "x.slice:p/q:n", "x.slice:..:n"])
def test_bad_systemd_paths(path):
    with pytest.raises(brownie.ConfigError) as e:
        brownie.Cgroup.for_container("id", path, systemd=True, layout=FAKE_LAYOUT)
    assert e.value.field == "linux.cgroupsPath"


def test_state_round_trip_is_plain_data():
    import marshal
    cg = brownie.Cgroup.for_container("id", "/a", layout=FAKE_LAYOUT)
    cg.created = ["/sys/fs/cgroup/memory/a"]
    state = cg.to_state()
    again = brownie.Cgroup.from_state(marshal.loads(marshal.dumps(state)))
    assert again.paths == cg.paths and again.created == cg.created


def test_layout_of_this_host_is_read_from_mountinfo(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "25 21 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
        "27 25 0:24 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        "30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "31 25 0:28 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset,clone_children\n"
        "32 99 0:27 /sub /elsewhere rw - cgroup cgroup rw,cpu,cpuacct\n")
    layout = brownie.cgroup_layout(str(mountinfo))
    # (a v2 hierarchy's controllers come from its cgroup.controllers file)
    assert [(h["name"], h["version"], h["controllers"] if h["version"] == 1 else None)
            for h in layout] == [
        ("systemd", 1, ["name=systemd"]), ("cpu,cpuacct", 1, ["cpu", "cpuacct"]),
        ("cpuset", 1, ["cpuset"]), ("unified", 2, None)]
    mountinfo.write_text("30 1 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    assert [h["name"] for h in brownie.cgroup_layout(str(mountinfo))] == [""]


def test_features():
    assert brownie.cgroup_features() == {"v1": True, "v2": True, "systemd": False,
                                         "systemdUser": False, "rdma": True}


# ------------------------------------------------------ update flags

def test_resources_from_update_flags():
    assert brownie.resources_from_update_flags() == {}
    assert brownie.resources_from_update_flags(
        memory="512m", memory_swap="-1", memory_reservation="1.5g", cpu_shares="512",
        cpu_quota="-1", cpu_period=100000, cpuset_cpus="0-1", cpuset_mems="0",
        pids_limit="20", blkio_weight="300") == {
        "memory": {"limit": 512 << 20, "swap": -1, "reservation": 3 << 29},
        "cpu": {"shares": 512, "quota": -1, "period": 100000, "cpus": "0-1", "mems": "0"},
        "pids": {"limit": 20}, "blockIO": {"weight": 300}}
    assert brownie.resources_from_update_flags(memory="2GiB")["memory"]["limit"] == 2 << 30
    assert brownie.resources_from_update_flags(memory="100")["memory"]["limit"] == 100
    for bad in ({"memory": "lots"}, {"cpu_shares": "-3"}, {"blkio_weight": "x"}):
        with pytest.raises(brownie.BrownieError):
            brownie.resources_from_update_flags(**bad)


def test_merge_resources():
    base = {"cpu": {"quota": 1, "period": 2}, "memory": {"limit": 5}, "pids": {"limit": 3}}
    merged = brownie.merge_resources(base, {"cpu": {"quota": 9}, "pids": {"limit": 4}})
    assert merged == {"cpu": {"quota": 9, "period": 2}, "memory": {"limit": 5}, "pids": {"limit": 4}}
    assert base["cpu"]["quota"] == 1


# ------------------------------ writer on a pretend pure-v2 tree (no kernel)

def _fake_v2(tmp_path, files, controllers="cpuset cpu io memory hugetlb pids rdma"):
    root = tmp_path / "cg"
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    layout = [{"name": "", "version": 2, "controllers": controllers.split(), "mountpoint": str(root),
               "root": "/"}]
    cg = brownie.Cgroup.for_container("id", "/a/b", layout=layout)
    cg.create()
    for name in ("a",):
        (root / name / "cgroup.subtree_control").write_text("")
    for name in files:
        (root / "a" / "b" / name).write_text("")
    return cg, root / "a" / "b"


def test_pure_v2_apply_writes_converted_files(tmp_path):
    files = ["memory.max", "memory.swap.max", "cpu.weight", "cpu.max", "pids.max", "io.weight",
             "io.max", "cpuset.cpus", "hugetlb.2MB.max", "memory.high"]
    cg, leaf = _fake_v2(tmp_path, files)
    assert cg.pure_v2 and cg.created == [str(tmp_path / "cg" / "a"), str(leaf)]
    cg.apply({"memory": {"limit": 1000, "swap": 3000}, "cpu": {"shares": 2048, "quota": 1000, "cpus": "0"},
              "pids": {"limit": 7}, "blockIO": {"weight": 1000,
                                                "throttleWriteBpsDevice": [{"major": 1, "minor": 2, "rate": 3}]},
              "hugepageLimits": [{"pageSize": "2MB", "limit": 4096}],
              "unified": {"memory.high": "900"}})
    got = {name: (leaf / name).read_text() for name in files}
    assert got == {"memory.max": "1000", "memory.swap.max": "2000", "cpu.weight": "174",
                   "cpu.max": "1000 100000", "pids.max": "7", "io.weight": "10000",
                   "io.max": "1:2 wbps=3", "cpuset.cpus": "0", "hugetlb.2MB.max": "4096",
                   "memory.high": "900"}
    # hugetlb.2MB.rsvd.max is missing: skipped silently, as on old kernels.
    assert cg.warnings == []


def test_pure_v2_missing_controller_warns_or_refuses(tmp_path):
    cg, leaf = _fake_v2(tmp_path, ["memory.max"], controllers="memory")
    cg.apply({"memory": {"limit": 10}, "pids": {"limit": 3}, "network": {"classID": 1}})
    assert (leaf / "memory.max").read_text() == "10"
    assert cg.warnings == ["linux.resources.pids.limit: ignored, this host has no pids cgroup controller",
                           "linux.resources.network.classID: ignored, this host has no net_cls cgroup controller"]
    with pytest.raises(brownie.BrownieError) as e:
        cg.apply({"unified": {"pids.max": "3"}})
    assert 'linux.resources.unified["pids.max"]' in str(e.value) and "pids controller" in str(e.value)


def test_write_error_names_field_file_and_value(tmp_path):
    cg, leaf = _fake_v2(tmp_path, [])
    with pytest.raises(brownie.BrownieError) as e:
        cg.apply({"pids": {"limit": 5}})
    assert str(e.value) == ("cannot set linux.resources.pids.limit: write 5 to %s: no such file or directory"
                            % (leaf / "pids.max"))


# --------------------------------------------------- real cgroup v1

@needs_v1("memory", "freezer", "pids", "devices", "cpu", "cpuset")
def test_create_add_process_destroy(cgroups, children):
    cg = cgroups()
    cg.create()
    assert all(os.path.isdir(d) for d in cg.paths.values())
    assert cg.created[0].endswith(cgroups.prefix)
    child = children()
    cg.add_process(child.pid)
    assert cg.pids() == [child.pid]
    with open("/proc/%d/cgroup" % child.pid) as f:
        lines = f.read()
    assert cgroups.prefix + "/c\n" in lines
    cg.destroy()   # kills the child, waits for the cgroup to empty, removes it
    assert child.wait() is not None and os.WTERMSIG(child.status) == signal.SIGKILL
    assert not any(os.path.exists(d) for d in cg.created)
    assert cg.created == []


@needs_v1("memory")
def test_destroy_keeps_dirs_it_did_not_create(cgroups):
    first = cgroups("shared")
    first.create()
    second = cgroups("shared")
    second.create()                 # everything existed already
    assert second.created == []
    second.destroy()
    assert os.path.isdir(first.paths[_v1_name("memory")])


@needs_v1("memory")
def test_memory_limit_v1(cgroups, children):
    cg = cgroups()
    cg.create()
    child = children()
    cg.add_process(child.pid)
    cg.apply({"memory": {"limit": 64 << 20, "reservation": 32 << 20, "swappiness": 10}})
    memory = _v1_name("memory")
    assert _file(cg, memory, "memory.limit_in_bytes") == str(64 << 20)
    assert _file(cg, memory, "memory.soft_limit_in_bytes") == str(32 << 20)
    assert _file(cg, memory, "memory.swappiness") == "10"
    if os.path.exists(os.path.join(cg.paths[memory], "memory.memsw.limit_in_bytes")):
        # Raising both limits needs memsw first: the writer retries the EINVAL.
        cg.apply({"memory": {"limit": 256 << 20, "swap": 512 << 20}})
        assert _file(cg, memory, "memory.memsw.limit_in_bytes") == str(512 << 20)
        assert _file(cg, memory, "memory.limit_in_bytes") == str(256 << 20)
        cg.apply({"memory": {"limit": 32 << 20, "swap": 32 << 20}})
        assert _file(cg, memory, "memory.memsw.limit_in_bytes") == str(32 << 20)


@needs_v1("memory")
def test_check_before_update_refuses_limit_below_usage(cgroups, children):
    cg = cgroups()
    cg.create()
    child = children(lambda: (bytearray(b"\1") * (16 << 20), time.sleep(60)))
    cg.add_process(child.pid)
    child.go()
    memory = _v1_name("memory")
    deadline = time.monotonic() + 10
    while int(_file(cg, memory, "memory.usage_in_bytes")) < 16 << 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(brownie.BrownieError) as e:
        cg.apply({"memory": {"limit": 4 << 20, "checkBeforeUpdate": True}})
    assert "linux.resources.memory.limit" in str(e.value) and "current memory usage" in str(e.value)


@needs_v1("memory")
def test_oom_kill_is_notified_v1(cgroups, children):
    cg = cgroups()
    cg.create()
    memory = _v1_name("memory")
    if "oom_kill" not in open(os.path.join(cg.paths[memory], "memory.oom_control")).read():
        pytest.skip("kernel before 4.13")
    cg.apply({"memory": {"limit": 32 << 20}})
    notifier = cg.oom_events()
    try:
        child = children(lambda: len(bytearray(b"\1") * (256 << 20)))
        cg.add_process(child.pid)
        child.go()
        assert child.wait(20) is not None and os.WTERMSIG(child.status) == signal.SIGKILL
        assert notifier.wait(10) >= 1
        assert cg.oom_kill_count() >= 1
        assert cg.stats()["memory"]["usage"]["failcnt"] > 0
    finally:
        notifier.close()


@needs_v1("pids")
def test_pids_limit_makes_fork_fail(cgroups, children):
    cg = cgroups()
    cg.create()

    def try_fork():
        try:
            pid = os.fork()
        except OSError as e:
            return errno.errorcode[e.errno]
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        return "forked"
    child = children(try_fork)
    cg.add_process(child.pid)
    cg.apply({"pids": {"limit": 1}})
    assert _file(cg, _v1_name("pids"), "pids.max") == "1"
    child.go()
    assert child.result() == "EAGAIN"
    assert cg.stats()["pids"] == {"current": 1, "limit": 1}


@needs_v1("cpu")
def test_cpu_files_v1(cgroups):
    cg = cgroups()
    cg.create()
    cg.apply({"cpu": {"shares": 512, "quota": 50000, "period": 200000}})
    cpu = _v1_name("cpu")
    assert [_file(cg, cpu, n) for n in ("cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us")] == \
        ["512", "50000", "200000"]
    # A smaller period with a quota that no longer fits is reordered.
    cg.apply({"cpu": {"quota": 5000, "period": 10000}})
    assert [_file(cg, cpu, n) for n in ("cpu.cfs_quota_us", "cpu.cfs_period_us")] == ["5000", "10000"]
    if os.path.exists(os.path.join(cg.paths[cpu], "cpu.cfs_burst_us")):
        cg.apply({"cpu": {"burst": 1000}})
        assert _file(cg, cpu, "cpu.cfs_burst_us") == "1000"
    cg.apply({"cpu": {"quota": -1}})
    assert _file(cg, cpu, "cpu.cfs_quota_us") == "-1"


@needs_v1("cpuset")
def test_cpuset_v1(cgroups, children):
    cg = cgroups()
    cg.create()
    cpuset = _v1_name("cpuset")
    # Inherited from the parent at creation, or no task could join.
    parent = os.path.join(os.path.dirname(os.path.dirname(cg.paths[cpuset])), "cpuset.cpus")
    assert _file(cg, cpuset, "cpuset.cpus") == open(parent).read().strip()
    child = children(lambda: sorted(os.sched_getaffinity(0)))
    cg.add_process(child.pid)
    cg.apply({"cpu": {"cpus": "0", "mems": "0"}})
    child.go()
    assert child.result() == "[0]"
    assert _file(cg, cpuset, "cpuset.mems") == "0"


@needs_v1("blkio")
def test_blkio_throttle_v1(cgroups):
    with open("/proc/partitions") as f:
        disks = [line.split() for line in f.read().splitlines()[2:] if line.strip()]
    if not disks:
        pytest.skip("no block device")
    major, minor = int(disks[0][0]), int(disks[0][1])
    cg = cgroups()
    cg.create()
    cg.apply({"blockIO": {"throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
                          "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]}})
    blkio = _v1_name("blkio")
    assert _file(cg, blkio, "blkio.throttle.read_bps_device") == "%d:%d 1048576" % (major, minor)
    assert _file(cg, blkio, "blkio.throttle.write_iops_device") == "%d:%d 100" % (major, minor)


@needs_v1("devices")
def test_devices_v1_deny_and_allow(cgroups, children):
    cg = cgroups()
    cg.create()
    child = children(lambda: " ".join(_open_result(p, os.O_RDWR) for p in ("/dev/null", "/dev/zero")))
    cg.add_process(child.pid)
    cg.apply({"devices": [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]})
    assert _file(cg, _v1_name("devices"), "devices.list") == "c 1:5 rwm"
    child.go()
    assert child.result() == "EPERM ok"
    # An update with the runtime's defaults appended changes only what differs.
    cg.apply({"devices": [DENY_ALL]}, extra_devices=brownie.ALLOWED_DEVICE_RULES)
    listed = _file(cg, _v1_name("devices"), "devices.list").splitlines()
    assert "c 1:3 rwm" in listed and "c 1:5 rwm" in listed and "c *:* m" in listed


@needs_v1("freezer")
def test_freeze_and_thaw_v1(cgroups, children):
    _freeze_and_thaw(cgroups(), children)


def _freeze_and_thaw(cg, children):
    cg.create()
    counter = mmap.mmap(-1, 8)

    def count():
        n = 0
        while True:
            n += 1
            counter[:8] = struct.pack("=Q", n)
    child = children(count)
    cg.add_process(child.pid)
    child.go()
    value = lambda: struct.unpack("=Q", counter[:8])[0]
    deadline = time.monotonic() + 5
    while value() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not cg.is_frozen()
    cg.freeze()
    assert cg.is_frozen()
    frozen_at = value()
    time.sleep(0.2)
    assert value() == frozen_at
    cg.thaw()
    assert not cg.is_frozen()
    time.sleep(0.2)
    assert value() > frozen_at


@needs_v1("freezer")
def test_kill_all_signals_every_process(cgroups, children):
    cg = cgroups()
    cg.create()
    kids = [children(), children()]
    for kid in kids:
        cg.add_process(kid.pid)
    assert cg.pids() == sorted(k.pid for k in kids)
    cg.kill_all(signal.SIGTERM)
    for kid in kids:
        assert kid.wait() is not None and os.WTERMSIG(kid.status) == signal.SIGTERM
    assert not cg.is_frozen()


@needs_v1("memory", "cpuacct", "pids")
def test_stats_v1(cgroups, children):
    cg = cgroups()
    cg.create()
    child = children(lambda: (bytearray(b"\1") * (8 << 20), sum(range(3 * 10 ** 6)), time.sleep(60)))
    cg.add_process(child.pid)
    cg.apply({"memory": {"limit": 128 << 20}, "pids": {"limit": 50}})
    child.go()
    deadline = time.monotonic() + 10
    while cg.stats()["memory"]["usage"]["usage"] < 8 << 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = cg.stats()
    assert set(stats) == {"cpu", "memory", "pids", "blkio", "hugetlb"}
    assert stats["memory"]["usage"]["usage"] >= 8 << 20
    assert stats["memory"]["usage"]["limit"] == 128 << 20
    assert stats["memory"]["raw"]["rss"] > 0 or stats["memory"]["raw"].get("total_rss", 0) > 0
    assert stats["pids"] == {"current": 1, "limit": 50}
    assert stats["cpu"]["usage"]["total"] > 0
    assert len(stats["cpu"]["usage"]["percpu"]) == os.cpu_count()
    assert set(stats["cpu"]["throttling"]) == {"periods", "throttledPeriods", "throttledTime"}


@needs_v1("memory")
def test_nested_sub_cgroups_are_counted_and_removed(cgroups, children):
    cg = cgroups()
    cg.create()
    primary = cg._primary_dir()
    sub = os.path.join(primary, "inner")
    os.mkdir(sub)
    child = children()
    with open(os.path.join(sub, "cgroup.procs"), "w") as f:
        f.write(str(child.pid))
    assert child.pid in cg.pids()
    cg.destroy()
    assert child.wait() is not None
    assert not os.path.exists(sub)


# ------------------------------------------- real cgroup v2 (unified tree)

@needs_v2
def test_ebpf_device_filter_denies_dev_null(v2_subtree, children):
    top, _ = v2_subtree
    cgroup_dir = os.path.join(top, "dev")
    os.mkdir(cgroup_dir)
    brownie.attach_device_filter(cgroup_dir, [{"allow": True, "type": "a"},
                                              {"allow": False, "type": "c", "major": 1, "minor": 3,
                                               "access": "rwm"}])
    child = children(lambda: " ".join(_open_result(p) for p in ("/dev/null", "/dev/zero")))
    with open(os.path.join(cgroup_dir, "cgroup.procs"), "w") as f:
        f.write(str(child.pid))
    child.go()
    assert child.result() == "EPERM ok"
    assert child.wait() is not None


@needs_v2
def test_ebpf_partial_access_and_replacement(v2_subtree, children):
    top, _ = v2_subtree
    cgroup_dir = os.path.join(top, "dev")
    os.mkdir(cgroup_dir)
    # Blacklist: denying "w" blocks any request that includes writing.
    brownie.attach_device_filter(cgroup_dir, [{"allow": True}, {"allow": False, "type": "c", "major": 1,
                                                                "minor": 3, "access": "w"}])
    # Replaced by a whitelist: only /dev/zero, read-only.
    brownie.attach_device_filter(cgroup_dir, [DENY_ALL, {"allow": True, "type": "c", "major": 1,
                                                         "minor": 5, "access": "r"}])
    fd = os.open(cgroup_dir, os.O_RDONLY)
    try:
        assert len(brownie._bpf_attached_programs(fd)) == 1
    finally:
        os.close(fd)
    child = children(lambda: " ".join([_open_result("/dev/zero"), _open_result("/dev/zero", os.O_RDWR),
                                       _open_result("/dev/null")]))
    with open(os.path.join(cgroup_dir, "cgroup.procs"), "w") as f:
        f.write(str(child.pid))
    child.go()
    assert child.result() == "ok EPERM EPERM"
    assert child.wait() is not None


@needs_v2
def test_pure_v2_layout_lifecycle(v2_subtree, children):
    """A Cgroup whose only hierarchy is a test-owned v2 subtree behaves as on
    a pure-v2 host: devices through eBPF, cgroup.freeze, cgroup.kill."""
    top, layout = v2_subtree
    cg = brownie.Cgroup.for_container("test", "/pod/c", layout=layout)
    assert cg.pure_v2 and cg.paths == {"": os.path.join(top, "pod", "c")}
    cg.create()
    try:
        child = children(lambda: " ".join(_open_result(p) for p in ("/dev/null", "/dev/zero")))
        cg.add_process(child.pid)
        cg.apply({"devices": [DENY_ALL]}, extra_devices=[{"allow": True, "type": "c", "major": 1,
                                                          "minor": 5, "access": "rwm"}])
        assert cg.pids() == [child.pid]
        child.go()
        assert child.result() == "EPERM ok"
        child.wait()

        sleeper = children()
        cg.add_process(sleeper.pid)
        cg.freeze()
        assert cg.is_frozen()
        assert cg.stats()["pids"]["current"] == 1
        cg.thaw()
        assert not cg.is_frozen()
        cg.kill_all(signal.SIGKILL)
        assert sleeper.wait() is not None and os.WTERMSIG(sleeper.status) == signal.SIGKILL
    finally:
        cg.destroy()
    assert not os.path.exists(os.path.join(top, "pod"))


@needs_v2
def test_pure_v2_freeze_and_destroy_with_live_process(v2_subtree, children):
    top, layout = v2_subtree
    cg = brownie.Cgroup.for_container("test", "/f", layout=layout)
    _freeze_and_thaw(cg, children)
    cg.destroy()   # the counting child is still running: killed, waited for
    assert not os.path.exists(os.path.join(top, "f"))


@needs_v2
def test_delegate_chowns_the_listed_files(v2_subtree):
    top, layout = v2_subtree
    cg = brownie.Cgroup.for_container("test", "/d", layout=layout)
    cg.create()
    try:
        cg.delegate(1234, 1235)
        leaf = cg.paths[""]
        assert (os.stat(leaf).st_uid, os.stat(leaf).st_gid) == (1234, 1235)
        assert os.stat(os.path.join(leaf, "cgroup.procs")).st_uid == 1234
        assert os.stat(os.path.join(leaf, "cgroup.events")).st_uid == 0   # not delegated
    finally:
        cg.destroy()
    v1 = brownie.Cgroup.for_container("test", "/d", layout=FAKE_LAYOUT)
    with pytest.raises(brownie.BrownieError):
        v1.delegate(1, 1)


def test_cgroup_owner_follows_the_spec_rules():
    """config-linux.md "Cgroup ownership": only with a new user and cgroup
    namespace and a read-write cgroup mount, to the process's host ids."""
    plan = {"namespaces": [("user", None), ("cgroup", None), ("mount", None)],
            "process": {"uid": 5, "gid": 6},
            "uid_map": [(0, 100000, 65536)], "gid_map": [(0, 200000, 65536)],
            "mounts": [{"type": "cgroup", "flags": 0}]}
    assert brownie.cgroup_owner(plan) == (100005, 200006)
    ro = dict(plan, mounts=[{"type": "cgroup", "flags": brownie.MS_RDONLY}])
    assert brownie.cgroup_owner(ro) is None
    joined = dict(plan, namespaces=[("user", "/proc/1/ns/user"), ("cgroup", None)])
    assert brownie.cgroup_owner(joined) is None
    no_cgroupns = dict(plan, namespaces=[("user", None)])
    assert brownie.cgroup_owner(no_cgroupns) is None
    assert brownie.cgroup_owner(dict(plan, mounts=[])) is None
