"""linux.cgroupsPath and linux.resources in real containers, and the
commands that work on a container's cgroup: update, events, pause, resume,
ps, kill --all, delete. The mapping from the spec to cgroup files is
covered by test_cgroups.py; here the files are read on the host and the
limits are felt inside the container.

Every container gets an absolute cgroupsPath below a test-owned directory,
/brownie-test-<random>/, in each hierarchy (one test uses a relative path,
below the test's own cgroup). The `cgroot` fixture checks, after the
containers are deleted, that nothing is left there in any hierarchy."""

import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import cgroup_dirs, make_bundle, proc_alive, sh, started, wait_for

MiB = 1 << 20
LONG = ["sleep", "60"]


# ---------------------------------------------------------------------------
# the host's cgroup hierarchies
# ---------------------------------------------------------------------------

def cgroup_mounts():
    """[(mountpoint, controllers)] of every cgroup hierarchy mounted here,
    v2 with controllers [] (a hierarchy mounted twice counts once)."""
    out, seen = [], set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2") or fields[2] in seen:
                continue
            seen.add(fields[2])
            controllers = [] if tail[0] == "cgroup2" else [
                o for o in tail[2].split(",") if o.startswith("name=") or o in KNOWN]
            out.append((fields[4], controllers))
    return out


KNOWN = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
         "blkio", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc"}
MOUNTS = cgroup_mounts()
V1 = {c for _, cs in MOUNTS for c in cs}
IS_V1 = {"memory", "pids", "cpu", "cpuset", "devices", "freezer"} <= V1

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not IS_V1,
    reason="needs root and cgroup v1 memory, pids, cpu, cpuset, devices, freezer")


def dirs_of(path):
    """The directories of an absolute cgroup path, one per hierarchy."""
    return [os.path.join(mp, path.lstrip("/")) for mp, _ in MOUNTS]


def cgfile(path, controller, name):
    for mp, controllers in MOUNTS:
        if controller in controllers:
            return os.path.join(mp, path.lstrip("/"), name)
    raise AssertionError("no %s hierarchy" % controller)


def read(path, controller, name):
    with open(cgfile(path, controller, name)) as f:
        return f.read().strip()


def keyed(text):
    return dict(line.split(None, 1) for line in text.splitlines() if " " in line)


def proc_cgroups(pid):
    """{controller or "" for v2: path} from /proc/<pid>/cgroup."""
    out = {}
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                out[c] = path
    return out


def kill_cgroup_tree(directory):
    """Last resort for a test that failed: SIGKILL what is left and rmdir,
    deepest first."""
    for root, subdirs, _ in os.walk(directory, topdown=False):
        try:
            with open(os.path.join(root, "cgroup.procs")) as f:
                for pid in f.read().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while True:
            try:
                os.rmdir(root)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)


@pytest.fixture
def cgroot(rt):
    """A test-owned absolute cgroup directory name, /brownie-test-<random>;
    containers go below it. At the end every container of the test is
    deleted and no directory may be left in any hierarchy (what is left is
    removed, and the test fails)."""
    root = "/brownie-test-%s" % uuid.uuid4().hex[:12]
    yield root
    for cid in rt.list_ids():
        rt.cmd("delete", "--force", cid)
    left = [d for d in dirs_of(root) if os.path.exists(d)]
    for d in left:
        kill_cgroup_tree(d)
    assert not left, "cgroups left behind: %s" % left


def cg_bundle(tmp_path, path, resources=None, args=LONG, name="bundle", edit=None,
              out_dir=None, caps=()):
    """A busybox bundle with cgroupsPath `path` and linux.resources; with
    out_dir, that host directory is bind-mounted at /out."""
    def change(c):
        c["linux"]["cgroupsPath"] = path
        if resources is not None:
            c["linux"]["resources"] = resources
        if out_dir is not None:
            c["mounts"].append({"destination": "/out", "type": "bind",
                                "source": str(out_dir), "options": ["rbind", "rw"]})
        for kind in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][kind] += list(caps)
        if edit is not None:
            edit(c)
    return make_bundle(tmp_path, name=name, args=args, edit=change)




def out_dir(tmp_path, name="out"):
    d = tmp_path / name
    d.mkdir()
    return d


def assert_gone(path):
    left = [d for d in dirs_of(path) if os.path.exists(d)]
    assert not left, left


# ---------------------------------------------------------------------------
# where the cgroup is
# ---------------------------------------------------------------------------

def test_absolute_path_in_every_hierarchy(rt, tmp_path, cgroot):
    path = cgroot + "/c1"
    cid = started(rt, cg_bundle(tmp_path, path))
    pid = rt.state(cid)["pid"]
    for d in dirs_of(path):
        assert os.path.isdir(d), d
    cgroups = proc_cgroups(pid)
    # every hierarchy, v1 controllers, name=systemd and v2 alike
    assert set(cgroups.values()) == {path}, cgroups
    for mp, _ in MOUNTS:
        with open(os.path.join(mp, path.lstrip("/"), "cgroup.procs")) as f:
            assert str(pid) in f.read().split(), mp
    rt.ok("delete", "--force", cid)
    assert_gone(path)
    assert_gone(cgroot)  # the runtime made the parent too, so it removed it


def test_relative_path_is_below_the_runtimes_own_cgroup(rt, tmp_path):
    """A relative cgroupsPath is below the cgroup of the runtime (this test
    process's, inherited by brownie) in each hierarchy: on this machine the
    memory hierarchy may put us in /process_api/<hash>, the others in /."""
    name = "brownie-test-%s" % uuid.uuid4().hex[:12]
    path = name + "/x"
    expected_dirs = cgroup_dirs(path)
    parent_dirs = cgroup_dirs(name)
    try:
        cid = started(rt, cg_bundle(tmp_path, path))
        pid = rt.state(cid)["pid"]
        own = proc_cgroups(os.getpid())
        theirs = proc_cgroups(pid)
        assert set(theirs) == set(own)
        for key, base in own.items():
            assert theirs[key] == os.path.join(base, path), (key, theirs[key], base)
        for d in expected_dirs:
            assert os.path.isdir(d), d
        rt.ok("delete", "--force", cid)
        left = [d for d in expected_dirs + parent_dirs if os.path.exists(d)]
        assert not left, left
    finally:
        for cid in rt.list_ids():
            rt.cmd("delete", "--force", cid)
        for d in parent_dirs:
            if os.path.exists(d):
                kill_cgroup_tree(d)


def test_default_path_is_the_id_below_the_own_cgroup(rt, tmp_path):
    b = make_bundle(tmp_path, args=LONG)
    cid = started(rt, b)
    pid = rt.state(cid)["pid"]
    own = proc_cgroups(os.getpid())
    assert proc_cgroups(pid) == {k: os.path.join(v, cid) for k, v in own.items()}
    rt.ok("delete", "--force", cid)
    assert not [d for d in cgroup_dirs(cid) if os.path.exists(d)]


# ---------------------------------------------------------------------------
# memory and OOM events
# ---------------------------------------------------------------------------

def events_process(rt, tmp_path, cid, *flags):
    """`brownie events ID` in the background, stdout to a file."""
    out = open(tmp_path / "events.out", "wb")
    p = subprocess.Popen(rt.argv("events", *flags, cid), stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.STDOUT)
    out.close()
    return p


def event_lines(tmp_path):
    text = (tmp_path / "events.out").read_text()
    return [json.loads(line) for line in text.splitlines() if line.endswith("}")]


def test_memory_limit_oom_kill_and_events(rt, tmp_path, cgroot):
    path = cgroot + "/oom"
    out = out_dir(tmp_path)
    # The pipeline runs with oom_score_adj 1000: while the killed tail is
    # still freeing its memory, head's next fault may pick a second victim,
    # and that must be head, not the shell that reports the status.
    script = ("while [ ! -e /out/go ]; do sleep 0.05; done; "
              "(echo 1000 > /proc/self/oom_score_adj; head -c 200m /dev/zero | tail); "
              "echo $? > /out/status; sleep 60")
    b = cg_bundle(tmp_path, path, {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}},
                  args=sh(script), out_dir=out)
    cid = started(rt, b)
    assert read(path, "memory", "memory.limit_in_bytes") == str(32 * MiB)
    assert read(path, "memory", "memory.memsw.limit_in_bytes") == str(32 * MiB)
    events = events_process(rt, tmp_path, cid, "--interval", "1s")
    try:
        # The first line is written once the OOM notifier is registered.
        first = wait_for(lambda: event_lines(tmp_path), timeout=30, what="a stats event")[0]
        assert first["type"] == "stats" and first["id"] == cid, first
        assert first["data"]["memory"]["usage"]["limit"] == 32 * MiB, first
        (out / "go").touch()
        wait_for(lambda: any(e["type"] == "oom" for e in event_lines(tmp_path)),
                 timeout=60, what="an oom event")
        oom = [e for e in event_lines(tmp_path) if e["type"] == "oom"][0]
        assert oom == {"type": "oom", "id": cid}, oom
        status = wait_for(lambda: (out / "status").exists() and
                          (out / "status").read_text().strip(), timeout=60,
                          what="the pipeline's status")
        assert status == str(128 + signal.SIGKILL)
        assert rt.status(cid) == "running"  # only the memory hog was killed
        assert int(keyed(read(path, "memory", "memory.oom_control"))["oom_kill"]) >= 1
        # events --stats: one line, then exit
        r = rt.ok("events", "--stats", cid)
        assert len(r.out.splitlines()) == 1, r
        stats = json.loads(r.out)
        assert stats["type"] == "stats" and stats["id"] == cid
        memory = stats["data"]["memory"]
        assert memory["usage"]["limit"] == 32 * MiB and memory["swap"]["limit"] == 32 * MiB
        assert 16 * MiB < memory["usage"]["max"] <= 32 * MiB
        assert 0 < memory["usage"]["usage"] < 32 * MiB
        assert "raw" in memory and "cache" in memory
        for key in ("cpu", "pids", "blkio", "hugetlb"):
            assert key in stats["data"], key
        assert stats["data"]["pids"]["current"] >= 1  # the shell, or the sleep it became
        assert stats["data"]["cpu"]["usage"]["total"] > 0
        # the stream ends by itself when the container stops
        rt.ok("kill", cid, "KILL")
        assert events.wait(timeout=30) == 0
    finally:
        if events.poll() is None:
            events.kill()
            events.wait()
    rt.ok("delete", cid)
    assert_gone(path)


def test_events_of_unknown_and_stopped_container(rt, tmp_path, cgroot):
    rt.fails("events", "--stats", "no-such-container", needles=["does not exist"])
    cid = rt.create(cg_bundle(tmp_path, cgroot + "/ev", args=["true"]))
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    # a stopped container has no events, as with runc
    rt.fails("events", "--interval", "100ms", cid, needles=["not running"])
    rt.ok("delete", cid)


# ---------------------------------------------------------------------------
# pids
# ---------------------------------------------------------------------------

def test_pids_limit_makes_fork_fail(rt, tmp_path, cgroot):
    path = cgroot + "/pids"
    b = cg_bundle(tmp_path, path, {"pids": {"limit": 5}},
                  args=sh("for i in 1 2 3 4 5 6 7 8; do sleep 60 & done; echo not-reached"))
    r = rt.run(b)
    assert r.rc != 0, r
    assert "can't fork: Resource temporarily unavailable" in r.err, r
    assert "not-reached" not in r.out
    assert rt.list_ids() == []
    assert_gone(path)


def test_pids_limit_on_the_host(rt, tmp_path, cgroot):
    path = cgroot + "/pids"
    out = out_dir(tmp_path)
    b = cg_bundle(tmp_path, path, {"pids": {"limit": 5}}, out_dir=out,
                  args=sh("for i in 1 2 3 4 5 6 7 8; do (sleep 60 &) 2>/dev/null || "
                          "echo failed $i >> /out/log; done; echo done >> /out/log; sleep 60"))
    cid = started(rt, b)
    wait_for(lambda: (out / "log").exists() and "done" in (out / "log").read_text(),
             what="the loop")
    assert read(path, "pids", "pids.max") == "5"
    current = int(read(path, "pids", "pids.current"))
    assert 2 <= current <= 5
    assert int(keyed(read(path, "pids", "pids.events"))["max"]) >= 1
    assert "failed" in (out / "log").read_text()
    stats = json.loads(rt.ok("events", "--stats", cid).out)["data"]["pids"]
    assert stats == {"current": current, "limit": 5}, stats


# ---------------------------------------------------------------------------
# cpu and cpuset
# ---------------------------------------------------------------------------

def test_cpu_quota_period_shares_and_cpuset(rt, tmp_path, cgroot):
    path = cgroot + "/cpu"
    cpus = read("/", "cpuset", "cpuset.effective_cpus")
    first_cpu = cpus.split(",")[0].split("-")[0]
    mems = read("/", "cpuset", "cpuset.effective_mems").split(",")[0].split("-")[0]
    resources = {"cpu": {"shares": 512, "quota": 20000, "period": 50000,
                         "cpus": first_cpu, "mems": mems}}
    cid = started(rt, cg_bundle(tmp_path, path, resources))
    assert read(path, "cpu", "cpu.shares") == "512"
    assert read(path, "cpu", "cpu.cfs_quota_us") == "20000"
    assert read(path, "cpu", "cpu.cfs_period_us") == "50000"
    assert read(path, "cpuset", "cpuset.cpus") == first_cpu
    assert read(path, "cpuset", "cpuset.mems") == mems
    r = rt.ok("exec", cid, "sh", "-c", "grep Cpus_allowed_list /proc/self/status; nproc")
    assert r.out.split() == ["Cpus_allowed_list:", first_cpu, "1"], r
    rt.ok("delete", "--force", cid)
    assert_gone(path)


def test_unlimited_quota_and_realtime_defaults(rt, tmp_path, cgroot):
    path = cgroot + "/cpu2"
    cid = started(rt, cg_bundle(tmp_path, path, {"cpu": {"quota": -1, "period": 200000}}))
    assert read(path, "cpu", "cpu.cfs_quota_us") == "-1"
    assert read(path, "cpu", "cpu.cfs_period_us") == "200000"
    # cpuset: empty in the config, inherited from the parent
    assert read(path, "cpuset", "cpuset.cpus") == read(cgroot, "cpuset", "cpuset.cpus") != ""
    rt.ok("delete", "--force", cid)


# ---------------------------------------------------------------------------
# devices
# ---------------------------------------------------------------------------

FUSE = (10, 229)  # /dev/fuse: opening it has no side effect


def test_devices_deny_all_then_allow(rt, tmp_path, cgroot):
    """deny everything, allow /dev/fuse read-only. mknod is allowed for any
    device and the standard nodes (/dev/null, /dev/zero, ...) are always
    usable, as with runc; so an explicit deny of /dev/zero (c 1:5) has no
    effect. A node made with mknod is usable as far as the rules say."""
    path = cgroot + "/dev"
    resources = {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": False, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
        {"allow": True, "type": "c", "major": FUSE[0], "minor": FUSE[1], "access": "r"},
    ]}
    script = """
        try() {
            if (eval "$1") >/dev/null 2>/tmp/err; then echo "ok: $1"
            else echo "failed: $1: $(cat /tmp/err)"; fi
        }
        try 'echo x > /dev/null'
        try 'head -c1 /dev/zero'
        try 'mknod /dev/fuse-r c 10 229'
        try ': < /dev/fuse-r'
        try ': > /dev/fuse-r'
        try 'mknod /dev/other c 10 237'
        try ': < /dev/other'
        try 'mknod /dev/blk b 7 0'
        try ': < /dev/blk'
    """
    b = cg_bundle(tmp_path, path, resources, args=sh(script), caps=["CAP_MKNOD"])
    cid = rt.create(b)
    listed = read(path, "devices", "devices.list").splitlines()
    assert "a *:* rwm" not in listed
    assert "c 10:229 r" in listed and "c 1:3 rwm" in listed and "c 1:5 rwm" in listed
    assert "c *:* m" in listed and "b *:* m" in listed
    assert not any(line.startswith("c 10:237") for line in listed)
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    out = rt.last_create.out.splitlines()
    eperm = "Operation not permitted"
    assert out[0] == "ok: echo x > /dev/null", out
    assert out[1] == "ok: head -c1 /dev/zero", out
    assert out[2] == "ok: mknod /dev/fuse-r c 10 229", out
    assert out[3] == "ok: : < /dev/fuse-r", out
    assert out[4].startswith("failed: : > /dev/fuse-r") and eperm in out[4], out
    assert out[5] == "ok: mknod /dev/other c 10 237", out
    assert out[6].startswith("failed: : < /dev/other") and eperm in out[6], out
    assert out[7] == "ok: mknod /dev/blk b 7 0", out
    assert out[8].startswith("failed: : < /dev/blk") and eperm in out[8], out
    rt.ok("delete", cid)
    assert_gone(path)


def test_linux_devices_get_only_what_the_rules_allow(rt, tmp_path, cgroot):
    """A node listed in linux.devices is made, but usable only as
    resources.devices allows it, as with runc (docker --device /dev/x:r
    sends an "r" rule: a write must fail)."""
    path = cgroot + "/devlist"

    def edit(c):
        c["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": FUSE[0],
                                  "minor": FUSE[1], "fileMode": 0o666}]
    denied = cg_bundle(tmp_path, path, {"devices": [{"allow": False, "access": "rwm"}]},
                       args=sh(": < /dev/fuse && echo readable"), edit=edit, name="denied")
    r = rt.run(denied)
    assert r.rc != 0 and "Operation not permitted" in r.err, r
    read_only = cg_bundle(tmp_path, path, {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": FUSE[0], "minor": FUSE[1], "access": "r"}]},
        args=sh(": < /dev/fuse && echo readable; echo x > /dev/fuse || echo not-writable"),
        edit=edit, name="read-only")
    assert rt.output(read_only) == "readable\nnot-writable\n"
    assert_gone(path)


# ---------------------------------------------------------------------------
# update
# ---------------------------------------------------------------------------

def test_update_changes_live_limits(rt, tmp_path, cgroot):
    path = cgroot + "/upd"
    out = out_dir(tmp_path)
    cid = started(rt, cg_bundle(tmp_path, path, {"memory": {"limit": 256 * MiB},
                                                   "pids": {"limit": 100}},
                                out_dir=out))
    assert read(path, "memory", "memory.limit_in_bytes") == str(256 * MiB)
    rt.ok("update", "--memory", "64m", cid)
    assert read(path, "memory", "memory.limit_in_bytes") == str(64 * MiB)
    rt.ok("update", "--memory", "128m", "--memory-swap", "256m", cid)
    assert read(path, "memory", "memory.limit_in_bytes") == str(128 * MiB)
    assert read(path, "memory", "memory.memsw.limit_in_bytes") == str(256 * MiB)
    rt.ok("update", "--pids-limit", "7", cid)
    assert read(path, "pids", "pids.max") == "7"
    rt.ok("update", "--cpu-shares", "300", "--cpu-period", "100000", "--cpu-quota",
          "30000", cid)
    assert read(path, "cpu", "cpu.shares") == "300"
    assert read(path, "cpu", "cpu.cfs_quota_us") == "30000"
    # LinuxResources on stdin
    resources = {"memory": {"limit": 96 * MiB, "swap": 192 * MiB},
                 "pids": {"limit": 3}, "cpu": {"shares": 700}}
    rt.ok("update", "--resources", "-", cid, input=json.dumps(resources))
    assert read(path, "memory", "memory.limit_in_bytes") == str(96 * MiB)
    assert read(path, "memory", "memory.memsw.limit_in_bytes") == str(192 * MiB)
    assert read(path, "pids", "pids.max") == "3"
    assert read(path, "cpu", "cpu.shares") == "700"
    # and from a file, with a flag on top (the flag wins)
    (tmp_path / "res.json").write_text(json.dumps({"pids": {"limit": 50}}))
    rt.ok("update", "--resources", tmp_path / "res.json", "--pids-limit", "4", cid)
    assert read(path, "pids", "pids.max") == "4"
    # the new pids limit is felt inside: sleep is the 2nd process, 3 more fit
    r = rt.cmd("exec", cid, "sh", "-c", "for i in 1 2 3 4 5; do (sleep 60 &) 2>/dev/null "
               "|| echo fail $i; done; true")
    assert "fail" in r.out, r
    # the unchanged values survive (other fields of earlier updates stay)
    assert read(path, "cpu", "cpu.cfs_quota_us") == "30000"
    assert read(path, "memory", "memory.limit_in_bytes") == str(96 * MiB)
    rt.ok("delete", "--force", cid)
    assert_gone(path)


def test_systemd_cgroup_without_systemd_uses_the_same_path(rt, tmp_path):
    """--systemd-cgroup with slice:prefix:name, as Docker and Podman send it
    with systemd managing cgroups: with no systemd running, the unit's path
    through cgroupfs, with a warning; delete removes what create made."""
    slice_ = "brownietest%s.slice" % uuid.uuid4().hex[:10]
    cid = rt.new_id()
    path = "/%s/test-%s.scope" % (slice_, cid)
    try:
        b = cg_bundle(tmp_path, "%s:test:%s" % (slice_, cid), {"pids": {"limit": 9}})
        r = rt.cmd("--systemd-cgroup", "create", "--bundle", b, cid)
        assert r.rc == 0, r
        assert "using cgroupfs at %s" % path in r.err, r
        assert read(path, "pids", "pids.max") == "9"
        rt.ok("start", cid)
        assert read(path, "pids", "cgroup.procs").split() == [str(rt.state(cid)["pid"])]
        rt.ok("delete", "--force", cid)
        assert_gone("/" + slice_)
    finally:
        for d in dirs_of("/" + slice_):
            if os.path.exists(d):
                kill_cgroup_tree(d)


def test_update_writes_what_it_names(rt, tmp_path, cgroot):
    """An update writes the knobs it names (with their partners), not all
    of the container's resources again: cpu.shares of an idle cgroup would
    refuse a second write. --memory -1 lifts memory+swap too (runc)."""
    path = cgroot + "/upd3"
    unlimited = str(0x7FFFFFFFFFFFF000)
    resources = {"memory": {"limit": 64 * MiB, "swap": 64 * MiB}, "cpu": {"shares": 100}}
    if os.path.exists(cgfile("/", "cpu", "cpu.idle")):
        resources["cpu"]["idle"] = 1
    cid = started(rt, cg_bundle(tmp_path, path, resources))
    rt.ok("update", "--cpu-period", "50000", cid)
    assert read(path, "cpu", "cpu.cfs_period_us") == "50000"
    rt.ok("update", "--memory", "-1", cid)
    assert read(path, "memory", "memory.limit_in_bytes") == unlimited
    assert read(path, "memory", "memory.memsw.limit_in_bytes") == unlimited
    # refused before anything is written
    rt.fails("update", "--memory", "1g", "--memory-swap", "512m", cid,
             needles=["linux.resources.memory.swap", "below the memory limit"])
    assert read(path, "memory", "memory.limit_in_bytes") == unlimited
    rt.ok("delete", "--force", cid)
    assert_gone(path)


def test_update_refused_by_the_kernel_leaves_limits(rt, tmp_path, cgroot):
    path = cgroot + "/upd2"
    cid = started(rt, cg_bundle(tmp_path, path, {"pids": {"limit": 10}}))
    before = read(path, "cpuset", "cpuset.cpus")
    rt.fails("update", "--cpuset-cpus", "999", cid, needles=["cpuset.cpus"])
    assert read(path, "cpuset", "cpuset.cpus") == before
    rt.fails("update", "--memory", "lots", cid, needles=["--memory"])
    rt.fails("update", "--resources", "-", cid, input="{not json",
             needles=["resources"])
    assert read(path, "pids", "pids.max") == "10"
    assert rt.status(cid) == "running"
    rt.ok("kill", cid, "KILL")
    rt.wait_status(cid, "stopped")
    rt.fails("update", "--pids-limit", "3", cid, needles=["not running"])
    rt.ok("delete", cid)


# ---------------------------------------------------------------------------
# pause and resume
# ---------------------------------------------------------------------------

COUNTER = sh("i=0; while :; do i=$((i+1)); echo $i > /out/count.new; "
             "mv /out/count.new /out/count; sleep 0.02; done")


def count(out):
    try:
        return int((out / "count").read_text())
    except (OSError, ValueError):
        return 0


def counter_container(rt, tmp_path, cgroot, name):
    out = out_dir(tmp_path, name + "-out")
    path = "%s/%s" % (cgroot, name)
    cid = started(rt, cg_bundle(tmp_path, path, out_dir=out, args=COUNTER, name=name))
    wait_for(lambda: count(out) > 2, what="the counter to run")
    return cid, out, path


def test_pause_stops_the_counter_and_resume_continues(rt, tmp_path, cgroot):
    cid, out, path = counter_container(rt, tmp_path, cgroot, "c")
    rt.ok("pause", cid)
    assert rt.status(cid) == "paused"
    assert read(path, "freezer", "freezer.state") == "FROZEN"
    frozen = count(out)
    time.sleep(0.3)  # ~15 iterations of the loop if it still ran
    assert count(out) == frozen
    assert rt.status(cid) == "paused"
    # pause again, exec without --ignore-paused: refused
    rt.fails("pause", cid, needles=["not running"])
    rt.fails("exec", cid, "true", needles=["paused"])
    rt.ok("resume", cid)
    assert rt.status(cid) == "running"
    assert read(path, "freezer", "freezer.state") == "THAWED"
    wait_for(lambda: count(out) > frozen + 2, what="the counter to go on")
    rt.fails("resume", cid, needles=["not paused"])
    rt.ok("delete", "--force", cid)
    assert_gone(path)


def test_state_and_list_show_paused(rt, tmp_path, cgroot):
    cid, out, path = counter_container(rt, tmp_path, cgroot, "c")
    rt.ok("pause", cid)
    listed = json.loads(rt.ok("list", "--format", "json").out)
    assert [c["status"] for c in listed if c["id"] == cid] == ["paused"]
    rt.ok("resume", cid)
    rt.ok("delete", "--force", cid)


def test_kill_of_a_paused_container(rt, tmp_path, cgroot):
    """runc: SIGKILL to a paused container kills it (runc thaws the cgroup
    after signalling SIGKILL, as v1 frozen tasks cannot die)."""
    cid, out, path = counter_container(rt, tmp_path, cgroot, "k")
    rt.ok("pause", cid)
    rt.ok("kill", cid, "KILL")
    rt.wait_status(cid, "stopped", timeout=15)
    rt.ok("delete", cid)
    assert_gone(path)


def test_kill_all_of_a_paused_container(rt, tmp_path, cgroot):
    cid, out, path = counter_container(rt, tmp_path, cgroot, "ka")
    rt.ok("pause", cid)
    rt.ok("kill", "--all", cid, "KILL")
    rt.wait_status(cid, "stopped", timeout=15)
    rt.ok("delete", cid)
    assert_gone(path)


def test_delete_force_of_a_paused_container(rt, tmp_path, cgroot):
    cid, out, path = counter_container(rt, tmp_path, cgroot, "d")
    pid = rt.state(cid)["pid"]
    rt.ok("pause", cid)
    rt.ok("delete", "--force", cid)
    assert not proc_alive(pid, rt.seen[pid])
    assert rt.list_ids() == []
    assert_gone(path)


def test_pause_of_created_and_of_stopped(rt, tmp_path, cgroot):
    """runc pauses a created container (and resume makes it created
    again); a stopped one cannot be paused."""
    cid = rt.create(cg_bundle(tmp_path, cgroot + "/p", args=["true"]))
    rt.ok("pause", cid)
    assert rt.status(cid) == "paused"
    rt.fails("start", cid, needles=["paused"])
    rt.ok("resume", cid)
    assert rt.status(cid) == "created"
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    rt.fails("pause", cid, needles=["not running"])
    rt.fails("resume", cid, needles=["not paused"])
    rt.ok("delete", cid)


# ---------------------------------------------------------------------------
# ps
# ---------------------------------------------------------------------------

def test_ps_lists_host_pids_including_exec(rt, tmp_path, cgroot):
    path = cgroot + "/ps"
    cid = started(rt, cg_bundle(tmp_path, path, args=sh("sleep 60 & exec sleep 61")))
    init = rt.state(cid)["pid"]
    rt.ok("exec", "-d", "--pid-file", tmp_path / "exec.pid", cid, "sleep", "62")
    extra = int((tmp_path / "exec.pid").read_text())
    rt.see(extra)
    pids = wait_for(lambda: (lambda p: len(p) == 3 and p)(
        json.loads(rt.ok("ps", "--format", "json", cid).out)), what="three processes")
    assert init in pids and extra in pids, pids
    with open(cgfile(path, "freezer", "cgroup.procs")) as f:
        assert sorted(pids) == sorted(int(p) for p in f.read().split())
    for pid in pids:
        assert proc_cgroups(pid)["memory"] == path
    table = rt.ok("ps", cid).out.splitlines()
    header = table[0].split()
    assert "PID" in header and "CMD" in header, table
    col = header.index("PID")
    assert sorted(int(line.split()[col]) for line in table[1:]) == sorted(pids), table
    assert any("sleep 62" in line for line in table[1:]), table
    # ps options are passed to ps(1)
    table = rt.ok("ps", cid, "--", "-o", "pid,comm").out.splitlines()
    assert table[0].split() == ["PID", "COMMAND"], table
    assert sorted(int(line.split()[0]) for line in table[1:]) == sorted(pids), table
    rt.ok("delete", "--force", cid)
    assert not proc_alive(extra, rt.seen[extra])
    assert_gone(path)


def test_every_exec_lands_in_the_container_cgroup(rt, tmp_path, cgroot):
    """exec puts the new process into the container's cgroup before it runs
    (so no limit can be escaped), also when several execs run at once. In
    the container's cgroup namespace its own cgroup reads "/"."""
    import threading
    path = cgroot + "/exec"
    cid = started(rt, cg_bundle(tmp_path, path, {"pids": {"limit": 100}}))
    results = []

    def worker():
        for _ in range(8):
            results.append(rt.cmd("exec", cid, "cat", "/proc/self/cgroup"))
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 32
    bad = [r for r in results if r.rc != 0 or
           any(not line.endswith(":/") for line in r.out.splitlines())]
    assert not bad, bad[:3]
    rt.ok("delete", "--force", cid)
    assert_gone(path)


def test_ps_of_a_stopped_container_is_empty(rt, tmp_path, cgroot):
    cid = rt.create(cg_bundle(tmp_path, cgroot + "/ps2", args=["true"]))
    assert json.loads(rt.ok("ps", "--format", "json", cid).out) == [rt.state(cid)["pid"]]
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    assert json.loads(rt.ok("ps", "--format", "json", cid).out) == []
    rt.ok("delete", cid)


# ---------------------------------------------------------------------------
# cleanup
# ---------------------------------------------------------------------------

def test_cleanup_after_kill_all(rt, tmp_path, cgroot):
    path = cgroot + "/killall"
    cid = started(rt, cg_bundle(tmp_path, path,
                                args=sh("sleep 60 & sleep 61 & (sleep 62 &); wait")))
    wait_for(lambda: len(json.loads(rt.ok("ps", "--format", "json", cid).out)) == 4,
             what="four processes")
    pids = json.loads(rt.ok("ps", "--format", "json", cid).out)
    for pid in pids:
        rt.see(pid)
    rt.ok("kill", "--all", cid, "KILL")
    rt.wait_status(cid, "stopped")
    wait_for(lambda: not any(proc_alive(p, rt.seen[p]) for p in pids),
             what="every process to die")
    rt.ok("delete", cid)
    assert_gone(path)
    assert_gone(cgroot)


def test_cleanup_after_the_init_is_killed_from_the_host(rt, tmp_path, cgroot, subreaper):
    path = cgroot + "/hostkill"
    cid = started(rt, cg_bundle(tmp_path, path))
    pid = rt.state(cid)["pid"]
    os.kill(pid, signal.SIGKILL)
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)
    assert_gone(path)


def test_delete_of_created_container_removes_cgroups(rt, tmp_path, cgroot):
    path = cgroot + "/created"
    cid = rt.create(cg_bundle(tmp_path, path, {"pids": {"limit": 20}}))
    assert all(os.path.isdir(d) for d in dirs_of(path))
    rt.ok("delete", "--force", cid)
    assert_gone(path)
    assert not (rt.root / cid).exists()


@pytest.mark.parametrize("resources, needle", [
    ({"cpu": {"cpus": "999"}}, "cpuset.cpus"),
    ({"cpu": {"mems": "77"}}, "cpuset.mems"),
    ({"memory": {"limit": 64 * MiB, "swap": 32 * MiB}}, "memory"),
    ({"cpu": {"quota": 500, "period": 100000}}, "cpu.quota"),
])
def test_create_failing_halfway_removes_what_it_made(rt, tmp_path, cgroot, resources, needle):
    """A value only the kernel refuses: the directories already exist when
    the write fails; create must remove them and the state directory."""
    path = cgroot + "/bad"
    b = cg_bundle(tmp_path, path, resources)
    cid = rt.new_id()
    rt.fails("create", "--bundle", b, cid, needles=[needle])
    assert not (rt.root / cid).exists()
    assert rt.list_ids() == []
    assert_gone(path)
    assert_gone(cgroot)


def test_create_failing_after_the_init_started_removes_cgroups(rt, tmp_path, cgroot):
    """A failure in the init (a missing executable) after the cgroup was
    made and the init put into it."""
    path = cgroot + "/noexe"
    b = cg_bundle(tmp_path, path, {"pids": {"limit": 20}}, args=["/no/such/program"])
    cid = rt.new_id()
    rt.fails("create", "--bundle", b, cid, needles=["/no/such/program"])
    assert not (rt.root / cid).exists()
    assert_gone(cgroot)


def test_two_containers_below_one_new_parent(rt, tmp_path, cgroot):
    """The first container's create made the parent directory; deleting it
    while the second still runs there must neither fail nor touch the
    second's cgroup."""
    a = started(rt, cg_bundle(tmp_path, cgroot + "/a", {"pids": {"limit": 50}}, name="a"))
    b = started(rt, cg_bundle(tmp_path, cgroot + "/b", {"pids": {"limit": 60}}, name="b"))
    rt.ok("delete", "--force", a)
    assert_gone(cgroot + "/a")
    assert rt.status(b) == "running"
    assert all(os.path.isdir(d) for d in dirs_of(cgroot + "/b"))
    assert read(cgroot + "/b", "pids", "pids.max") == "60"
    rt.ok("delete", "--force", b)
    assert_gone(cgroot + "/b")
    # The parent: made by a's create, in use by b when a went; runc leaves
    # such directories, and so may brownie. It is empty now: remove it.
    for d in dirs_of(cgroot):
        if os.path.exists(d):
            assert [e for e in os.scandir(d) if e.is_dir()] == [], d
            os.rmdir(d)


@pytest.mark.parametrize("pid_namespace", [True, False], ids=["pidns", "host-pidns"])
def test_delete_never_kills_in_a_cgroup_it_did_not_make(rt, tmp_path, cgroot, pid_namespace):
    """A cgroupsPath naming an existing cgroup (here one with a host process
    of ours in it): delete --force and kill --all end the container's
    processes only, never the others in that cgroup."""
    path = cgroot + "/shared"
    made, bystander = [], None
    try:
        for d in dirs_of(path):
            os.makedirs(d, exist_ok=True)
            made.append(d)
        bystander = subprocess.Popen(["sleep", "60"])
        for (mountpoint, controllers), d in zip(MOUNTS, dirs_of(path)):
            if "cpuset" not in controllers:  # (an empty cpuset takes no task)
                with open(os.path.join(d, "cgroup.procs"), "w") as f:
                    f.write(str(bystander.pid))

        def edit(c):
            if not pid_namespace:
                c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                            if n["type"] != "pid"]
        cid = started(rt, cg_bundle(tmp_path, path, edit=edit))
        init = rt.state(cid)["pid"]
        assert sorted(json.loads(rt.ok("ps", "--format", "json", cid).out)) == [init]
        rt.ok("kill", "--all", cid, "KILL")
        rt.wait_status(cid, "stopped")
        assert bystander.poll() is None
        cid = started(rt, cg_bundle(tmp_path, path, edit=edit, name="again"))
        rt.ok("delete", "--force", cid)
        assert bystander.poll() is None, "delete --force killed a process not its own"
    finally:
        if bystander is not None:
            bystander.kill()
            bystander.wait()
        for d in reversed(made):
            kill_cgroup_tree(os.path.dirname(d))


@pytest.mark.parametrize("path", ["/", "x/../..", ".."])
def test_root_or_own_cgroup_refused(rt, tmp_path, path):
    """The host's root cgroup, or the runtime's own (where a relative path
    that climbs is clamped), is never a container's."""
    b = cg_bundle(tmp_path, path)
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["linux.cgroupsPath"])
    assert rt.list_ids() == []


def test_unified_cannot_move_processes(rt, tmp_path, cgroot):
    b = cg_bundle(tmp_path, cgroot + "/u", {"unified": {"cgroup.procs": str(os.getpid())}})
    rt.fails("create", "--bundle", b, rt.new_id(),
             needles=['linux.resources.unified["cgroup.procs"]'])
    assert not any(os.path.exists(d) for d in dirs_of(cgroot + "/u"))


def test_existing_cgroup_is_joined_and_kept(rt, tmp_path, cgroot):
    """A cgroupsPath that already exists (made by someone else) is used as
    is, and delete leaves the directory it did not make."""
    path = cgroot + "/pre"
    made = []
    try:
        for d in dirs_of(path):
            os.makedirs(d, exist_ok=True)
            made.append(d)
        cid = started(rt, cg_bundle(tmp_path, path, {"pids": {"limit": 9}}))
        assert read(path, "pids", "pids.max") == "9"
        rt.ok("delete", "--force", cid)
        assert all(os.path.isdir(d) for d in dirs_of(path))
        with open(cgfile(path, "pids", "cgroup.procs")) as f:
            assert f.read().split() == []
    finally:
        for d in reversed(made):
            kill_cgroup_tree(os.path.dirname(d))


def test_pids_limit_of_one(rt, tmp_path, cgroot):
    """The container's pid 1 alone counts (docker run --pids-limit 1)."""
    b = cg_bundle(tmp_path, cgroot + "/one", {"pids": {"limit": 1}},
                  args=sh("echo started; sleep 0 & wait; echo $?"))
    r = rt.run(b)
    assert r.out.startswith("started\n"), r  # it ran; its first fork failed
    assert "can't fork" in r.err, r


def test_memory_limit_below_what_the_init_uses(rt, tmp_path, cgroot):
    """A limit the init already exceeds is refused by name, as runc's
    "unable to set memory limit"."""
    b = cg_bundle(tmp_path, cgroot + "/tiny", {"memory": {"limit": 4096}})
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["linux.resources.memory.limit"])
    assert_gone(cgroot + "/tiny")


def test_ps_takes_ps_options_after_the_id(rt, tmp_path, cgroot):
    cid = started(rt, cg_bundle(tmp_path, cgroot + "/ps"))
    pid = rt.state(cid)["pid"]
    r = rt.ok("ps", cid, "-o", "pid,comm")
    lines = r.out.splitlines()
    assert lines[0].split() == ["PID", "COMMAND"], r
    assert [l.split() for l in lines[1:]] == [[str(pid), "sleep"]], r
    rt.ok("delete", "--force", cid)


def test_events_refusals(rt, tmp_path, cgroot):
    cid = started(rt, cg_bundle(tmp_path, cgroot + "/ev2"))
    rt.fails("events", "--interval", "0s", cid, needles=["--interval", "more than zero"])
    rt.ok("kill", cid, "KILL")
    rt.wait_status(cid, "stopped")
    rt.fails("events", "--stats", cid, needles=["not running"])
    rt.ok("delete", cid)


def test_update_keeps_the_default_devices(rt, tmp_path, cgroot):
    """An update (of anything, or of devices) re-applies the device rules
    with the defaults every container has, as create does."""
    b = cg_bundle(tmp_path, cgroot + "/updev", {"devices": [{"allow": False, "access": "rwm"}]})
    cid = started(rt, b)
    rt.ok("update", "--pids-limit", "50", cid)
    rt.ok("update", "-r", "-", cid, input='{"devices": [{"allow": false, "access": "rwm"}]}')
    r = rt.ok("exec", cid, "sh", "-c", "echo > /dev/null && echo ok")
    assert r.out == "ok\n", r
    rt.ok("delete", "--force", cid)


def test_kill_all_of_a_stopped_container_ends_what_it_left(rt, tmp_path, cgroot):
    """Without a pid namespace the process may leave others behind; runc's
    kill --all signals them even once the container is stopped."""
    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
    b = cg_bundle(tmp_path, cgroot + "/left", args=sh("sleep 60 & sleep 0.2"), edit=edit)
    cid = started(rt, b)
    rt.wait_status(cid, "stopped")
    left = json.loads(rt.ok("ps", "--format", "json", cid).out)
    assert len(left) == 1, left
    rt.see(left[0])
    rt.ok("kill", "--all", cid, "KILL")
    wait_for(lambda: not proc_alive(left[0]), what="the leftover to die")
    rt.ok("delete", cid)


def test_a_freezer_cgroup_left_from_before(rt, tmp_path, cgroot):
    """Only the freezer directory existed (empty, from an earlier run):
    the container's processes are still its own, and delete ends them."""
    path = cgroot + "/lo"
    freezer = cgfile(path, "freezer", "")
    os.makedirs(freezer)
    try:
        def edit(c):
            c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
        cid = started(rt, cg_bundle(tmp_path, path, edit=edit))
        pid = int(rt.ok("exec", "--detach", "--pid-file", tmp_path / "p", cid, "sleep", "60").out
                  or (tmp_path / "p").read_text())
        rt.see(pid)
        assert pid in json.loads(rt.ok("ps", "--format", "json", cid).out)
        rt.ok("delete", "--force", cid)
        wait_for(lambda: not proc_alive(pid), what="the exec'd process to die")
    finally:
        kill_cgroup_tree(os.path.dirname(freezer.rstrip("/")))


def test_ps_with_a_bad_option(rt, tmp_path, cgroot):
    cid = started(rt, cg_bundle(tmp_path, cgroot + "/psbad"))
    rt.fails("ps", cid, "-o", "pid,bogus", needles=["ps -o pid,bogus"])
    rt.ok("delete", "--force", cid)
