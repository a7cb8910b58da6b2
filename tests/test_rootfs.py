"""The root filesystem: root.path and readonly, mounts and their options,
masked and read-only paths, /dev, linux.devices, sysctl, --no-pivot, and
paths that symlinks in the image try to lead out of the rootfs."""

import os

import pytest

from conftest import copy_rootfs, make_bundle, sh


def add_mounts(*mounts):
    def edit(c):
        c["mounts"].extend(mounts)
    return edit


def mountinfo_entry(mountinfo, mount_point):
    """(per-mount options, optional fields, super options) of the last
    mount on mount_point in a mountinfo text."""
    found = None
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 6 or len(right.split()) < 3:
            continue  # not a mountinfo line
        if fields[4] == mount_point:
            found = (set(fields[5].split(",")), fields[6:],
                     set(right.split()[2].split(",")))
    assert found, "%s not mounted:\n%s" % (mount_point, mountinfo)
    return found


# ---------------------------------------------------------------------------
# root
# ---------------------------------------------------------------------------

def test_root_path_relative_to_bundle(rt, tmp_path):
    b = make_bundle(tmp_path, args=["cat", "/marker"], root={"path": "myroot"},
                    rootfs=False)
    copy_rootfs(b / "myroot")
    (b / "myroot" / "marker").write_text("relative\n")
    # The runtime's cwd is not the bundle (podman, ctr).
    assert rt.output(b, cwd="/") == "relative\n"


def test_root_path_absolute(rt, tmp_path):
    elsewhere = tmp_path / "images" / "one"
    elsewhere.parent.mkdir()
    copy_rootfs(elsewhere)
    (elsewhere / "marker").write_text("absolute\n")
    b = make_bundle(tmp_path, args=["cat", "/marker"], root={"path": str(elsewhere)},
                    rootfs=False)
    cid = rt.new_id()
    assert rt.output(b, cid=cid, cwd="/") == "absolute\n"


def test_state_rootfs(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    cid = rt.create(b)
    assert rt.state(cid)["rootfs"] == str(b / "rootfs")


def test_readonly_root(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("touch /x 2>&1; echo rc=$?"), root={"readonly": True})
    out = rt.output(b)
    assert "Read-only file system" in out and "rc=1" in out
    assert not (b / "rootfs" / "x").exists()


def test_writable_root(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo data > /x; echo rc=$?"), root={"readonly": False})
    assert rt.output(b) == "rc=0\n"
    assert (b / "rootfs" / "x").read_text() == "data\n"


def test_readonly_root_keeps_tmpfs_writable(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo ok > /tmp/x && cat /tmp/x"))
    assert rt.output(b) == "ok\n"


# ---------------------------------------------------------------------------
# mounts
# ---------------------------------------------------------------------------

def test_readonly_bind_mount(rt, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "file").write_text("host data\n")
    b = make_bundle(tmp_path, args=sh("cat /data/file; touch /data/new 2>&1; "
                                      "grep ' /data ' /proc/self/mountinfo"),
                    edit=add_mounts({"destination": "/data", "type": "bind",
                                     "source": str(data), "options": ["rbind", "ro"]}))
    out = rt.output(b)
    assert out.startswith("host data\n")
    assert "Read-only file system" in out
    opts, _, _ = mountinfo_entry(out, "/data")
    assert "ro" in opts
    assert not (data / "new").exists()


def test_writable_bind_mount(rt, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    b = make_bundle(tmp_path, args=sh("echo from-container > /data/new"),
                    edit=add_mounts({"destination": "/data", "type": "bind",
                                     "source": str(data), "options": ["bind"]}))
    rt.output(b)
    assert (data / "new").read_text() == "from-container\n"


def test_bind_mount_flags(rt, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    b = make_bundle(tmp_path, args=["cat", "/proc/self/mountinfo"],
                    edit=add_mounts({"destination": "/data", "type": "bind",
                                     "source": str(data),
                                     "options": ["rbind", "nosuid", "nodev", "noexec", "ro"]}))
    opts, _, _ = mountinfo_entry(rt.output(b), "/data")
    assert {"ro", "nosuid", "nodev", "noexec"} <= opts


def test_tmpfs_flags_and_data(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("cat /proc/self/mountinfo; echo ---; df -k /mnt"),
                    edit=add_mounts({"destination": "/mnt", "type": "tmpfs",
                                     "source": "tmpfs",
                                     "options": ["nosuid", "nodev", "noexec", "size=1m",
                                                 "mode=700"]}))
    mountinfo, df = rt.output(b).split("---\n")
    opts, _, super_opts = mountinfo_entry(mountinfo, "/mnt")
    assert {"rw", "nosuid", "nodev", "noexec"} <= opts
    assert "size=1024k" in super_opts and "mode=700" in super_opts
    assert df.splitlines()[1].split()[1] == "1024"


def test_tmpfs_copy_up(rt, tmp_path):
    """runc's "tmpcopyup" (podman --read-only uses it): the tmpfs starts
    with a copy of the directory it covers, owners, modes and links kept,
    and writes go to the tmpfs, not to the image."""
    b = make_bundle(tmp_path, args=sh(
        "cat /data/sub/f; readlink /data/link; stat -c '%a %u:%g' /data /data/sub/f; "
        "touch /data/new && echo writable; grep ' /data ' /proc/mounts | cut -d' ' -f3"),
        edit=add_mounts({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                         "options": ["nosuid", "nodev", "tmpcopyup"]}))
    data = b / "rootfs" / "data"
    (data / "sub").mkdir(parents=True)
    os.chmod(str(data), 0o750)
    (data / "sub" / "f").write_text("hello\n")
    os.chown(str(data / "sub" / "f"), 1000, 1000)
    os.chmod(str(data / "sub" / "f"), 0o604)
    os.symlink("sub/f", str(data / "link"))
    assert rt.output(b).splitlines() == [
        "hello", "sub/f", "750 0:0", "604 1000:1000", "writable", "tmpfs"]
    assert not (data / "new").exists()


def test_noexec_mount_prevents_exec(rt, tmp_path):
    # busybox runs the applet named by argv[0]: a copy named "true".
    b = make_bundle(tmp_path, args=sh("cp /bin/busybox /mnt/true; /mnt/true 2>&1; "
                                      "echo rc=$?; cp /bin/busybox /tmp/true; /tmp/true; "
                                      "echo rc=$?"),
                    edit=add_mounts({"destination": "/mnt", "type": "tmpfs",
                                     "source": "tmpfs", "options": ["noexec"]}))
    out = rt.output(b)
    assert "Permission denied" in out
    assert out.rstrip().endswith("rc=0")
    assert "rc=126" in out


@pytest.mark.parametrize("pivot", [True, False], ids=["pivot", "no-pivot"])
@pytest.mark.parametrize("option,tag", [("rshared", "shared:"), ("shared", "shared:"),
                                        ("rprivate", None), ("private", None)])
def test_mount_propagation_option(rt, tmp_path, option, tag, pivot):
    data = tmp_path / "data"
    data.mkdir()
    b = make_bundle(tmp_path, args=["cat", "/proc/self/mountinfo"],
                    edit=add_mounts({"destination": "/data", "type": "bind",
                                     "source": str(data), "options": ["rbind", option]}))
    out = rt.output(b) if pivot else rt.output(b, "--no-pivot")
    _, optional, _ = mountinfo_entry(out, "/data")
    tags = [f for f in optional if ":" in f]
    if tag is None:
        assert tags == [], optional
    else:
        assert any(t.startswith(tag) for t in tags), optional


@pytest.mark.parametrize("propagation,tag", [("shared", "shared:"), ("private", None),
                                             ("rprivate", None), ("rshared", "shared:"),
                                             ("unbindable", "unbindable"),
                                             ("runbindable", "unbindable")])
def test_rootfs_propagation(rt, tmp_path, propagation, tag):
    b = make_bundle(tmp_path, args=["cat", "/proc/self/mountinfo"],
                    linux={"rootfsPropagation": propagation})
    _, optional, _ = mountinfo_entry(rt.output(b), "/")
    tags = [f for f in optional if ":" in f or f == "unbindable"]
    if tag is None:
        assert tags == [], optional
    else:
        assert any(t.startswith(tag) for t in tags), optional


def test_mount_destinations_are_created(rt, tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("a file\n")
    b = make_bundle(tmp_path, args=sh("test -d /a/b/c && echo dir-ok; cat /etc/custom/file.txt; "
                                      "grep -c ' /a/b/c ' /proc/self/mountinfo"),
                    edit=add_mounts(
                        {"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs"},
                        {"destination": "/etc/custom/file.txt", "type": "bind",
                         "source": str(f), "options": ["bind", "ro"]}))
    assert rt.output(b) == "dir-ok\na file\n1\n"


def test_mount_over_existing_file(rt, tmp_path):
    f = tmp_path / "hosts"
    f.write_text("127.0.0.1 example\n")
    b = make_bundle(tmp_path, args=["cat", "/etc/passwd"],
                    edit=add_mounts({"destination": "/etc/passwd", "type": "bind",
                                     "source": str(f), "options": ["rbind", "rprivate"]}))
    assert rt.output(b) == "127.0.0.1 example\n"
    assert "root:x:0:0" in (b / "rootfs" / "etc" / "passwd").read_text()


def test_mounts_in_order(rt, tmp_path):
    """A later mount goes on top of (or inside) an earlier one."""
    b = make_bundle(tmp_path, args=sh("ls /m; ls /m/inner"),
                    edit=add_mounts(
                        {"destination": "/m", "type": "tmpfs", "source": "tmpfs"},
                        {"destination": "/m/inner", "type": "tmpfs", "source": "tmpfs"}))
    assert rt.output(b) == "inner\n"


# ---------------------------------------------------------------------------
# masked and read-only paths
# ---------------------------------------------------------------------------

def test_masked_paths(rt, tmp_path):
    def edit(c):
        c["linux"]["maskedPaths"] += ["/etc/secret", "/etc/secretdir", "/no/such/path"]
    b = make_bundle(tmp_path, edit=edit, args=sh(
        "echo file:$(wc -c < /etc/secret); echo dir:$(ls -A /etc/secretdir | wc -l); "
        "touch /etc/secretdir/x 2>/dev/null || echo dir-readonly; "
        "echo keys:$(cat /proc/keys | wc -c); echo fw:$(ls -A /sys/firmware | wc -l)"))
    root = b / "rootfs"
    (root / "etc" / "secret").write_text("password\n")
    (root / "etc" / "secretdir").mkdir()
    (root / "etc" / "secretdir" / "key").write_text("key\n")
    out = rt.output(b).split()
    assert out == ["file:0", "dir:0", "dir-readonly", "keys:0", "fw:0"]


def test_readonly_paths(rt, tmp_path):
    data = tmp_path / "data"
    data.mkdir()

    def edit(c):
        c["root"]["readonly"] = False
        c["linux"]["readonlyPaths"] += ["/etc", "/data", "/no/such/path"]
        c["mounts"].append({"destination": "/data", "type": "bind", "source": str(data),
                            "options": ["rbind"]})
    b = make_bundle(tmp_path, edit=edit, args=sh(
        "touch /etc/x 2>/dev/null || echo etc-ro; touch /data/x 2>/dev/null || echo data-ro; "
        "touch /x && echo root-rw; cat /etc/passwd > /dev/null && echo etc-readable; "
        "echo 1 > /proc/sys/kernel/shmmni 2>/dev/null || echo proc-sys-ro"))
    assert rt.output(b).split() == ["etc-ro", "data-ro", "root-rw", "etc-readable",
                                    "proc-sys-ro"]
    assert not (data / "x").exists()


# ---------------------------------------------------------------------------
# /dev and devices
# ---------------------------------------------------------------------------

DEFAULT_DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
                   "urandom": (1, 9), "tty": (5, 0)}


def test_default_devices(rt, tmp_path):
    names = " ".join("/dev/" + d for d in DEFAULT_DEVICES)
    b = make_bundle(tmp_path, args=sh("stat -c '%%n %%F %%t %%T %%a %%u %%g' %s" % names))
    lines = rt.output(b).splitlines()
    got = {l.split()[0]: l.split(None, 1)[1] for l in lines}
    for name, (major, minor) in DEFAULT_DEVICES.items():
        assert got["/dev/" + name] == "character special file %x %x 666 0 0" % (major, minor)


def test_default_devices_work(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("echo x > /dev/null && head -c 4 /dev/zero | wc -c && "
                                      "head -c 4 /dev/urandom | wc -c"))
    assert rt.output(b).split() == ["4", "4"]


def test_dev_symlinks(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("for l in fd stdin stdout stderr ptmx; do "
                                      "echo $l $(readlink /dev/$l); done"))
    links = dict(l.split() for l in rt.output(b).splitlines())
    assert links == {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
                     "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
                     "ptmx": "pts/ptmx"}


def test_dev_is_a_fresh_tmpfs(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("ls /dev"))
    names = set(rt.output(b).split())
    assert names <= set(DEFAULT_DEVICES) | {"fd", "stdin", "stdout", "stderr", "ptmx",
                                           "pts", "shm", "mqueue", "core"}
    assert "vda" not in names and "kmsg" not in names


def test_linux_devices(rt, tmp_path):
    devices = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
         "fileMode": 0o640, "uid": 1000, "gid": 2000},
        {"path": "/dev/sub/dir/zero", "type": "c", "major": 1, "minor": 5},
        {"path": "/dev/myblock", "type": "b", "major": 7, "minor": 200,
         "fileMode": 0o600, "uid": 0, "gid": 6},
        {"path": "/dev/myfifo", "type": "p", "fileMode": 0o620},
    ]
    b = make_bundle(tmp_path, linux={"devices": devices}, args=sh(
        "stat -c '%n %F %t %T %a %u %g' /dev/mynull /dev/sub/dir/zero /dev/myblock /dev/myfifo; "
        "echo data > /dev/sub/dir/zero && echo write-ok"))
    lines = rt.output(b).splitlines()
    assert lines[0] == "/dev/mynull character special file 1 3 640 1000 2000"
    assert lines[1] == "/dev/sub/dir/zero character special file 1 5 666 0 0"
    assert lines[2] == "/dev/myblock block special file 7 c8 600 0 6"
    assert lines[3] == "/dev/myfifo fifo 0 0 620 0 0"
    assert lines[4] == "write-ok"


def test_linux_device_replaces_default(rt, tmp_path):
    devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3,
                "fileMode": 0o600, "uid": 5, "gid": 5}]
    b = make_bundle(tmp_path, linux={"devices": devices},
                    args=["stat", "-c", "%a %u %g", "/dev/null"])
    assert rt.output(b) == "600 5 5\n"


def test_linux_device_never_deletes_a_file_of_the_image(rt, tmp_path):
    """A file of the image where a device is asked for stays as it is (runc:
    EEXIST is success); only a device node is replaced."""
    devices = [{"path": "/etc/precious", "type": "c", "major": 1, "minor": 3},
               {"path": "/dev/../etc/passwd", "type": "c", "major": 1, "minor": 3}]
    b = make_bundle(tmp_path, linux={"devices": devices},
                    args=sh("cat /etc/precious; stat -c %F /etc/passwd"))
    (b / "rootfs" / "etc" / "precious").write_text("kept\n")
    passwd = (b / "rootfs" / "etc" / "passwd").read_text()
    assert rt.output(b) == "kept\nregular file\n"
    assert (b / "rootfs" / "etc" / "precious").read_text() == "kept\n"
    assert (b / "rootfs" / "etc" / "passwd").read_text() == passwd


# ---------------------------------------------------------------------------
# sysctl
# ---------------------------------------------------------------------------

def _host_sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as f:
        return f.read().strip()


def test_sysctl(rt, tmp_path):
    before = {k: _host_sysctl(k) for k in ("net.ipv4.ip_forward", "kernel.shmmni")}
    b = make_bundle(tmp_path, linux={"sysctl": {"net.ipv4.ip_forward": "1",
                                                "kernel.shmmni": "1234"}},
                    args=sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"))
    assert rt.output(b).split() == ["1", "1234"]
    assert {k: _host_sysctl(k) for k in before} == before


# ---------------------------------------------------------------------------
# --no-pivot
# ---------------------------------------------------------------------------

def test_no_pivot(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("ls /bin/busybox && hostname && touch /x 2>&1; "
                                      "ls /proc/1/root/ >/dev/null && echo proc-ok"))
    out = rt.output(b, "--no-pivot")
    assert out.startswith("/bin/busybox\nbrownie\n")
    assert "Read-only file system" in out and "proc-ok" in out


def test_no_pivot_create_start(rt, tmp_path):
    b = make_bundle(tmp_path, args=["echo", "no-pivot"])
    cid = rt.create(b, "--no-pivot")
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    assert rt.last_create.out == "no-pivot\n"


# ---------------------------------------------------------------------------
# symlinks in the image
# ---------------------------------------------------------------------------

def test_symlink_escaping_rootfs_is_refused(rt, tmp_path):
    marker = "brownie-evil-%d" % os.getpid()
    b = make_bundle(tmp_path, args=["true"], edit=add_mounts(
        {"destination": "/evil/" + marker, "type": "tmpfs", "source": "tmpfs"}))
    os.symlink("../../../../tmp", b / "rootfs" / "evil")
    r = rt.fails("run", "--bundle", b, rt.new_id(), needles=["mounts[7].destination"])
    assert "outside" in r.err
    assert not os.path.lexists("/tmp/" + marker)
    rt.assert_nothing_left()


def test_symlink_escape_in_the_middle_is_refused(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"], edit=add_mounts(
        {"destination": "/etc/up/x", "type": "bind", "source": str(tmp_path),
         "options": ["rbind"]}))
    os.symlink("../../..", b / "rootfs" / "etc" / "up")
    rt.fails("run", "--bundle", b, rt.new_id(), needles=["mounts[7].destination"])
    rt.assert_nothing_left()


def test_absolute_symlink_resolves_inside_rootfs(rt, tmp_path):
    marker = "brownie-abs-%d" % os.getpid()
    b = make_bundle(tmp_path, args=sh("grep -c ' /etc/%s ' /proc/self/mountinfo; "
                                      "echo in > /link/%s/f && cat /etc/%s/f" %
                                      (marker, marker, marker)),
                    edit=add_mounts({"destination": "/link/" + marker,
                                     "type": "tmpfs", "source": "tmpfs"}))
    os.symlink("/etc", b / "rootfs" / "link")
    assert rt.output(b) == "1\nin\n"
    assert not os.path.lexists("/etc/" + marker)
    assert (b / "rootfs" / "etc" / marker).is_dir()


def test_relative_symlink_resolves_inside_rootfs(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("grep -c ' /var/run/x ' /proc/self/mountinfo"),
                    edit=add_mounts({"destination": "/run/x", "type": "tmpfs",
                                     "source": "tmpfs"}))
    os.symlink("var/run", b / "rootfs" / "run")
    assert rt.output(b) == "1\n"


def test_device_path_through_escaping_symlink_is_refused(rt, tmp_path):
    marker = "brownie-dev-%d" % os.getpid()
    devices = [{"path": "/dev/evil/" + marker, "type": "c", "major": 1, "minor": 3}]

    def edit(c):
        c["linux"]["devices"] = devices
        # /dev from the image itself, so the image's symlink is used.
        c["mounts"] = [m for m in c["mounts"] if not m["destination"].startswith("/dev")]
    b = make_bundle(tmp_path, args=["true"], edit=edit)
    os.symlink("../../../../../../../../tmp", b / "rootfs" / "dev" / "evil")
    rt.fails("run", "--bundle", b, rt.new_id(), needles=["linux.devices"])
    assert not os.path.lexists("/tmp/" + marker)
    rt.assert_nothing_left()


# ---------------------------------------------------------------------------
# what new users ran into
# ---------------------------------------------------------------------------

def test_ptmx_in_linux_devices(rt, tmp_path):
    """`--privileged` clients list /dev/ptmx among the devices: it is made,
    and /dev/ptmx ends up the link to the container's devpts, as runc."""
    b = make_bundle(tmp_path, args=sh("readlink /dev/ptmx; ls /dev/pts/ptmx"),
                    edit=lambda c: c["linux"].update(devices=[
                        {"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2}]))
    assert rt.output(b) == "pts/ptmx\n/dev/pts/ptmx\n"


def test_tmpcopyup_on_a_new_directory_keeps_its_mode(rt, tmp_path):
    """A tmpfs with tmpcopyup on a directory the image lacks has the mode
    its options give, not the one of the directory made for it."""
    b = make_bundle(tmp_path, args=sh("stat -c %a /priv /tmp"), edit=add_mounts(
        {"destination": "/priv", "type": "tmpfs", "source": "tmpfs",
         "options": ["mode=0700", "tmpcopyup"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["mode=0755", "tmpcopyup"]}))
    os.chmod(str(b / "rootfs" / "tmp"), 0o1777)
    assert rt.output(b).split() == ["700", "1777"]


def test_mount_errors_say_what_runc_says(rt, tmp_path):
    """Lower-case errno texts: Docker maps "no such file or directory" to
    exit 127, as with runc."""
    b = make_bundle(tmp_path, edit=add_mounts(
        {"destination": "/mnt", "type": "bind", "source": str(tmp_path / "nothing"),
         "options": ["rbind"]}))
    rt.fails("create", "--bundle", b, rt.new_id(),
             needles=["mounts[7]", "no such file or directory"])
    rt.assert_nothing_left()


@pytest.fixture
def shared_dir(tmp_path):
    """A host directory that is a shared mount (as a docker -v source on a
    host with shared mounts), unmounted afterwards with all below it."""
    import subprocess
    shared = tmp_path / "shared"
    (shared / "sub").mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(shared), str(shared)], check=True)
    try:
        subprocess.run(["mount", "--make-shared", str(shared)], check=True)
        yield shared
    finally:
        subprocess.run(["umount", "-R", "-l", str(shared)])


def mount_in_the_volume(rt, tmp_path, shared, propagation=None):
    """Run a container (with CAP_SYS_ADMIN) that mounts a tmpfs at
    /data/sub, /data being `shared` bound with rshared when `propagation`
    is given (then also the rootfsPropagation); the host's mount points."""
    def edit(c):
        options = ["rbind"]
        if propagation:
            c["linux"]["rootfsPropagation"] = propagation
            options.append(propagation)
        c["mounts"].append({"destination": "/data", "type": "bind", "source": str(shared),
                            "options": options})
        for kind in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][kind].append("CAP_SYS_ADMIN")
    b = make_bundle(tmp_path, args=sh("mount -t tmpfs tmpfs /data/sub && echo mounted"),
                    edit=edit)
    assert rt.output(b) == "mounted\n"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f], b


def test_rshared_volume_carries_mounts_back_to_the_host(rt, tmp_path, shared_dir):
    """rootfsPropagation rshared and an rshared bind (docker -v D:/data:rshared):
    what the container mounts there appears on the host, as with runc."""
    points, b = mount_in_the_volume(rt, tmp_path, shared_dir, "rshared")
    assert str(shared_dir / "sub") in points
    assert str(b / "rootfs") not in " ".join(points)  # nothing else came back


def test_rslave_is_the_default(rt, tmp_path, shared_dir):
    """Without rootfsPropagation, nothing the container mounts in a shared
    volume reaches the host."""
    points, _ = mount_in_the_volume(rt, tmp_path, shared_dir)
    assert str(shared_dir / "sub") not in points


def test_cgroup_tmpfs_takes_more_mounts(rt, tmp_path):
    """docker -v X:/sys/fs/cgroup/x: the tmpfs under a read-only cgroup
    mount stays writable, as runc's."""
    src = tmp_path / "x"
    src.mkdir()
    (src / "f").write_text("seen\n")
    b = make_bundle(tmp_path, args=["cat", "/sys/fs/cgroup/x/f"], edit=add_mounts(
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["ro", "nosuid", "noexec", "nodev"]},
        {"destination": "/sys/fs/cgroup/x", "type": "bind", "source": str(src),
         "options": ["rbind", "ro"]}))
    assert rt.output(b) == "seen\n"
