"""brownie as a library: Container.create/load/list/start/state/kill/wait/
delete, run_container, the errors they raise, and the module docstring's
example."""

import ctypes
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import brownie
from conftest import BROWNIE, REPO, make_bundle, proc_alive, proc_stat, sh, wait_for

PR_GET_CHILD_SUBREAPER = 37
_libc = ctypes.CDLL(None, use_errno=True)


def is_subreaper():
    v = ctypes.c_int(0)
    assert _libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(v), 0, 0, 0) == 0
    return v.value


@pytest.fixture(autouse=True)
def restore_process_state():
    """run_container changes process-wide state (subreaper, signal
    handlers); put it back so other tests run in a normal pytest."""
    was = is_subreaper()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM,
                                                 signal.SIGHUP, signal.SIGCHLD)}
    yield
    brownie.prctl(brownie.PR_SET_CHILD_SUBREAPER, was)
    for s, h in handlers.items():
        signal.signal(s, h)


def load(rt, cid):
    return brownie.Container.load(cid, root=str(rt.root))


def test_container_lifecycle(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"], annotations={"a": "b"})
    cid = rt.new_id()
    c = brownie.Container.create(cid, bundle=str(b), root=str(rt.root))
    assert isinstance(c, brownie.Container)
    rt.see(c.pid)
    assert c.id == cid and c.bundle == str(b) and c.pid > 0
    st = c.state()
    assert st["status"] == "created" and st["id"] == cid and st["pid"] == c.pid
    assert st["annotations"] == {"a": "b"}
    assert [x.id for x in brownie.Container.list(root=str(rt.root))] == [cid]
    c.start()
    assert load(rt, cid).state()["status"] == "running"
    assert rt.status(cid) == "running"  # the CLI agrees
    pid = c.pid
    c.kill(signal.SIGKILL)
    c.wait()
    assert not proc_alive(pid)
    assert load(rt, cid).state()["status"] == "stopped"
    assert load(rt, cid).status == "stopped"
    c.delete()
    assert brownie.Container.list(root=str(rt.root)) == []
    with pytest.raises(brownie.ContainerError, match="does not exist"):
        load(rt, cid)


def test_wait_as_subreaper_returns_status(rt, tmp_path, subreaper):
    b = make_bundle(tmp_path, args=sh("exit 9"))
    cid = rt.new_id()
    c = brownie.Container.create(cid, bundle=str(b), root=str(rt.root))
    rt.see(c.pid)
    c.start()
    assert c.wait() == 9
    assert load(rt, cid).status == "stopped"
    c.delete()


def test_wait_when_not_parent(rt, tmp_path):
    b = make_bundle(tmp_path, args=sh("exit 9"))
    cid = rt.new_id()
    c = brownie.Container.create(cid, bundle=str(b), root=str(rt.root))
    rt.see(c.pid)
    c.start()
    assert c.wait() in (None, 9)
    assert load(rt, cid).status == "stopped"
    c.delete()


def test_library_container_output(rt, tmp_path, capfd):
    b = make_bundle(tmp_path, args=["echo", "library output"])
    cid = rt.new_id()
    c = brownie.Container.create(cid, bundle=str(b), root=str(rt.root))
    rt.see(c.pid)
    c.start()
    c.wait()
    wait_for(lambda: load(rt, cid).status == "stopped", what="stopped")
    c.delete()
    assert "library output\n" in capfd.readouterr().out


def test_library_errors(rt, tmp_path):
    root = str(rt.root)
    with pytest.raises(brownie.ContainerError, match="does not exist"):
        brownie.Container.load("nope", root=root)
    b = make_bundle(tmp_path, name="bad", edit=lambda c: c["linux"]["namespaces"].append(
        {"type": "foo"}))
    with pytest.raises(brownie.ConfigError) as e:
        brownie.Container.create(rt.new_id(), bundle=str(b), root=root)
    assert e.value.field == "linux.namespaces[6].type"
    assert "unknown namespace" in str(e.value)
    assert isinstance(e.value, brownie.BrownieError)
    rt.assert_nothing_left()

    good = make_bundle(tmp_path, args=["sleep", "30"])
    cid = rt.new_id()
    c = brownie.Container.create(cid, bundle=str(good), root=root)
    rt.see(c.pid)
    with pytest.raises(brownie.ContainerError, match="already exists"):
        brownie.Container.create(cid, bundle=str(good), root=root)
    with pytest.raises(brownie.ContainerError):
        c.delete()
    assert load(rt, cid).status == "created"
    c.start()
    with pytest.raises(brownie.ContainerError):
        load(rt, cid).start()
    with pytest.raises(brownie.ContainerError):
        load(rt, cid).delete()
    load(rt, cid).delete(force=True)
    wait_for(lambda: not proc_alive(c.pid), what="the process to die")


def test_kill_stopped_raises(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    cid = rt.new_id()
    c = brownie.Container.create(cid, bundle=str(b), root=str(rt.root))
    rt.see(c.pid)
    c.start()
    c.wait()
    wait_for(lambda: load(rt, cid).status == "stopped", what="stopped")
    with pytest.raises(brownie.ContainerError, match="container not running"):
        load(rt, cid).kill(signal.SIGTERM)
    load(rt, cid).delete()


def test_run_container_exit_status(rt, tmp_path, capfd):
    b = make_bundle(tmp_path, args=sh("echo ran; exit 3"))
    status = brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root))
    assert status == 3
    assert "ran\n" in capfd.readouterr().out
    assert brownie.Container.list(root=str(rt.root)) == []


def test_run_container_keep(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    cid = rt.new_id()
    assert brownie.run_container(cid, bundle=str(b), root=str(rt.root), keep=True) == 0
    c = load(rt, cid)
    assert c.status == "stopped"
    c.delete()


def test_run_container_detach(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    cid = rt.new_id()
    assert brownie.run_container(cid, bundle=str(b), root=str(rt.root), detach=True) == 0
    c = load(rt, cid)
    rt.see(c.pid)
    assert c.status == "running"
    c.delete(force=True)
    wait_for(lambda: not proc_alive(c.pid), what="the process to die")


def test_run_container_failure_cleans_up(rt, tmp_path):
    b = make_bundle(tmp_path, args=["/no/such/program"])
    with pytest.raises(brownie.BrownieError, match="no such file or directory"):
        brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root))
    rt.assert_nothing_left()


def test_run_container_restores_signal_handlers(rt, tmp_path):
    """run_container forwards signals while it waits; afterwards the
    caller's own handlers (Python's SIGINT -> KeyboardInterrupt) must be
    back, not SIG_DFL."""
    b = make_bundle(tmp_path, args=["true"])
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root))
    after = {s: signal.getsignal(s) for s in before}
    assert after == before


def test_run_container_leaves_subreaper_as_it_was(rt, tmp_path):
    b = make_bundle(tmp_path, args=["true"])
    assert is_subreaper() == 0
    brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root))
    assert is_subreaper() == 0


def test_run_container_does_not_reap_callers_children(rt, tmp_path):
    """A library caller's own child must keep its exit status: run_container
    may only reap the container's processes."""
    p = subprocess.Popen(["sh", "-c", "exit 5"])
    wait_for(lambda: (proc_stat(p.pid) or ("?",))[0] == "Z", what="the child to exit")
    b = make_bundle(tmp_path, args=sh("sleep 0.2"))
    try:
        assert brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root)) == 0
    finally:
        code = p.wait()
    assert code == 5


def zombies_of_ours():
    """Our children that have exited and not been reaped."""
    out = []
    for task in os.listdir("/proc/self/task"):
        with open("/proc/self/task/%s/children" % task) as f:
            out += [int(p) for p in f.read().split()]
    return [p for p in out if (proc_stat(p) or ("?",))[0] == "Z"]


def test_exec_with_args_and_with_a_process_object(rt, tmp_path, subreaper):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    with brownie.Container.create(rt.new_id(), bundle=str(b), root=str(rt.root)) as c:
        rt.see(c.pid)
        c.start()
        assert c.exec(args=["sh", "-c", "exit 4"]) == 4
        assert c.exec(args=["true"], user="1000:1000", env=["A=1"], cwd="/tmp") == 0
        assert c.exec({"args": ["sh", "-c", "exit 6"], "cwd": "/"}) == 6
        pid = c.exec(args=["sleep", "30"], detach=True)
        rt.see(pid)
        assert pid in c.pids()
        with pytest.raises(brownie.BrownieError, match="no such file or directory"):
            c.exec(args=["/no/such/program"])
        assert zombies_of_ours() == []
        assert c.status == "running"
    assert brownie.Container.list(root=str(rt.root)) == []


def test_context_manager_deletes(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    with pytest.raises(RuntimeError):
        with brownie.Container.create(rt.new_id(), bundle=str(b), root=str(rt.root)) as c:
            rt.see(c.pid)
            c.start()
            raise RuntimeError("the caller's own error")
    assert brownie.Container.list(root=str(rt.root)) == []


def test_pause_resume_update_pids_stats(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    with brownie.Container.create(rt.new_id(), bundle=str(b), root=str(rt.root)) as c:
        rt.see(c.pid)
        c.start()
        assert c.pids() == [c.pid]
        c.pause()
        assert c.status == "paused"
        c.resume()
        assert c.status == "running"
        c.update({"pids": {"limit": 7}})
        assert c.stats()["pids"]["limit"] == 7
        assert c.stats()["pids"]["current"] >= 1


def test_status_is_read_again(rt, tmp_path):
    """Two objects for one container agree: every read goes to the state."""
    b = make_bundle(tmp_path, args=["sleep", "30"])
    cid = rt.new_id()
    c1 = brownie.Container.create(cid, bundle=str(b), root=str(rt.root))
    rt.see(c1.pid)
    load(rt, cid).start()
    assert c1.status == "running" and c1.state()["status"] == "running"
    c1.kill("KILL")
    c1.wait()
    c1.delete()


def test_kill_takes_names_and_refuses_nonsense(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    with brownie.Container.create(rt.new_id(), bundle=str(b), root=str(rt.root)) as c:
        rt.see(c.pid)
        c.start()
        for bad in (999, -1, "SIGNOPE"):
            with pytest.raises(brownie.BrownieError, match="invalid signal"):
                c.kill(bad)
        c.kill("TERM")
        c.wait()
        assert c.status == "stopped"


@pytest.mark.parametrize("failure", ["cwd", "program", "hook", "poststart"])
def test_failed_run_leaves_no_zombie(rt, tmp_path, failure):
    edit = {"cwd": lambda c: c["process"].update(cwd="/etc/passwd"),
            "program": lambda c: c["process"].update(args=["/no/such/program"]),
            "hook": lambda c: c.update(hooks={"createRuntime": [{"path": "/bin/false"}]}),
            "poststart": lambda c: c.update(hooks={"poststart": [{"path": "/bin/false"}]})}
    b = make_bundle(tmp_path, edit=edit[failure])
    with pytest.raises(brownie.BrownieError):
        brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root))
    assert zombies_of_ours() == []
    rt.assert_nothing_left()


def test_caller_ignoring_sigchld(rt, tmp_path):
    """A caller that ignores SIGCHLD (its children reaped by the kernel)
    still gets the exit status of run_container and exec."""
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        b = make_bundle(tmp_path, args=sh("exit 3"))
        assert brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root)) == 3
        b2 = make_bundle(tmp_path, name="b2", args=["sleep", "30"])
        with brownie.Container.create(rt.new_id(), bundle=str(b2), root=str(rt.root)) as c:
            rt.see(c.pid)
            c.start()
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert signal.getsignal(signal.SIGCHLD) == previous


def test_run_container_from_a_thread(rt, tmp_path):
    """Signals can only be forwarded from the main thread; elsewhere
    run_container still runs, waits and cleans up."""
    import threading
    b = make_bundle(tmp_path, args=sh("exit 2"))
    result = {}

    def work():
        try:
            result["status"] = brownie.run_container(rt.new_id(), bundle=str(b),
                                                     root=str(rt.root))
        except BaseException as e:  # reported below
            result["error"] = e
    t = threading.Thread(target=work)
    t.start()
    t.join(60)
    assert result == {"status": 2}
    assert brownie.Container.list(root=str(rt.root)) == []


def test_detached_exec_while_run_container_waits(rt, tmp_path):
    """A detached exec from another thread while run_container waits: its
    process is orphaned to us, and the container's pid namespace cannot
    end until that zombie is reaped: run_container must still return."""
    import threading
    b = make_bundle(tmp_path, args=sh("sleep 1.5; exit 3"))
    cid = rt.new_id()
    done = {}

    def other():
        wait_for(lambda: cid in [c.id for c in brownie.Container.list(str(rt.root))]
                 and load(rt, cid).status == "running", what="running")
        done["pid"] = rt.see(load(rt, cid).exec(args=["sleep", "60"], detach=True))
    t = threading.Thread(target=other)
    t.start()
    assert brownie.run_container(cid, bundle=str(b), root=str(rt.root)) == 3
    t.join(30)
    assert "pid" in done and zombies_of_ours() == []


def test_background_child_without_a_pid_namespace(rt, tmp_path):
    """Without a pid namespace the container's orphans come to us: none is
    left a zombie after run_container."""
    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
    b = make_bundle(tmp_path, args=sh("sleep 30 & exit 4"), edit=edit)
    assert brownie.run_container(rt.new_id(), bundle=str(b), root=str(rt.root)) == 4
    assert zombies_of_ours() == []


def test_two_threads_run_containers_at_once(rt, tmp_path):
    import threading
    bundles = [make_bundle(tmp_path, name="b%d" % i, args=sh("sleep 0.5; exit %d" % i))
               for i in (1, 2, 3)]
    results = {}

    def work(i):
        results[i] = brownie.run_container(rt.new_id(), bundle=str(bundles[i - 1]),
                                           root=str(rt.root))
    threads = [threading.Thread(target=work, args=(i,)) for i in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {1: 1, 2: 2, 3: 3}
    assert is_subreaper() == 0


def test_exec_flags_are_checked(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    with brownie.Container.create(rt.new_id(), bundle=str(b), root=str(rt.root)) as c:
        rt.see(c.pid)
        c.start()
        for bad, words in ((dict(args="true"), "list of strings"),
                           (dict(args=["true"], env=["NOEQUALS"]), "KEY=value"),
                           (dict(args=["true"], cwd="rel"), "absolute"),
                           (dict(args=["true"], preserve_fds="1"), "--preserve-fds")):
            with pytest.raises(brownie.BrownieError, match=words):
                c.exec(**bad)
        assert c.exec(args=["true"], user=1000) == 0


def test_relative_root_and_a_chdir(rt, tmp_path, monkeypatch):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    monkeypatch.chdir(str(rt.root.parent))
    c = brownie.Container.create(rt.new_id(), bundle=str(b), root=rt.root.name)
    rt.see(c.pid)
    monkeypatch.chdir("/")
    c.start()
    assert c.status == "running"
    c.delete(force=True)


def test_bad_state_roots(rt, tmp_path):
    b = make_bundle(tmp_path)
    with pytest.raises(brownie.BrownieError, match="state root"):
        brownie.Container.create(rt.new_id(), bundle=str(b), root="/etc/passwd/x")
    with pytest.raises(brownie.BrownieError, match="state root"):
        brownie.Container.list("/etc/passwd")


def test_update_errors_name_their_source(rt, tmp_path):
    b = make_bundle(tmp_path, args=["sleep", "30"])
    with brownie.Container.create(rt.new_id(), bundle=str(b), root=str(rt.root)) as c:
        rt.see(c.pid)
        c.start()
        with pytest.raises(brownie.ConfigError, match="^update: linux.resources.pids.limit"):
            c.update({"pids": {"limit": "x"}})


def test_module_docstring():
    """The module docstring states the promise (help(brownie), pydoc): the
    file's start-up preamble must not take its place."""
    assert brownie.__doc__ is not None
    assert brownie.__doc__.startswith("brownie: an OCI container runtime"), brownie.__doc__[:80]
    assert "As a library:" in brownie.__doc__


def _docstring_library_example():
    """The example under "As a library:" in the module's opening comment."""
    text = BROWNIE.read_text()
    lines = text[text.index("As a library:"):].splitlines()[1:]
    while lines and not lines[0].strip():
        lines.pop(0)
    block = []
    for line in lines:
        if not line.startswith("    "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block)) + "\n"


def test_docstring_example(rt, tmp_path):
    """The module docstring's example, run as a script from a directory
    with bundles/busybox (with our state root, so it cannot meet anyone
    else's "demo")."""
    code = _docstring_library_example()
    assert 'c = brownie.Container.create("demo", bundle="bundles/busybox")' in code
    code = code.replace('bundle="bundles/busybox")', 'bundle="bundles/busybox", root=%r)'
                        % str(rt.root))
    code = "import sys\nsys.path.insert(0, %r)\n" % str(REPO) + code
    work = tmp_path / "work"
    (work / "bundles").mkdir(parents=True)
    make_bundle(work / "bundles", name="busybox")
    p = subprocess.run([sys.executable, "-c", code], cwd=str(work),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p
    assert p.stdout.startswith(b"hello from brownie\nuid=0(root) gid=0(root)\n"), p
    assert rt.list_ids() == []


def _readme_library_example():
    text = (REPO / "README.md").read_text()
    start = text.index("```python\nimport brownie")
    return text[start + len("```python\n"):text.index("```", start + 3)]


def test_readme_library_example(rt, tmp_path):
    """README.md's library example, run from a directory holding
    bundles/busybox, with the state root moved to the test's own."""
    code = _readme_library_example()
    assert 'root="/run/brownie"' in code
    code = code.replace('root="/run/brownie"', "root=%r" % str(rt.root))
    code = code.replace('bundle="bundles/busybox")\n',
                        'bundle="bundles/busybox", root=%r)\n' % str(rt.root))
    code = "import sys\nsys.path.insert(0, %r)\n" % str(REPO) + code + "\nprint('status', status)\n"
    work = tmp_path / "work"
    (work / "bundles").mkdir(parents=True)
    make_bundle(work / "bundles", name="busybox")
    p = subprocess.run([sys.executable, "-u", "-c", code], cwd=str(work),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p
    lines = p.stdout.decode().splitlines()
    assert lines.count("hello from brownie") == 2, p  # the config's own output, twice
    assert "created" in lines and "stopped" in lines, p
    assert "status 0" in lines, p
    assert rt.list_ids() == []


def test_module_runs_as_script_and_import(rt):
    """brownie.py is both the CLI and the module; the CLI is the file."""
    assert os.path.samefile(brownie.__file__, str(BROWNIE))
    assert os.access(str(BROWNIE), os.X_OK)
    with open(BROWNIE) as f:
        first = f.readline()
    # An absolute interpreter: clients may call us with no PATH at all.
    assert first.startswith("#!/"), first
    with open(BROWNIE) as f:
        preamble = f.readlines()[1]
    # The init is started with the same code the shell preamble runs.
    assert '"%s"' % brownie.BOOT in preamble, (brownie.BOOT, preamble)
