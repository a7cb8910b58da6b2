"""Hooks: when each kind runs, in which namespaces, with which state on
stdin; args, env and timeout; what a failing hook does at each stage; and
a `create` killed while its hooks run."""

import json
import os
import signal
import subprocess

import pytest

from conftest import find_processes, make_bundle, proc_alive, wait_for

HOST_HOOKS = ("prestart", "createRuntime", "createContainer", "poststart", "poststop")


def recording_hook(name, outdir):
    """A hook that saves its stdin (the state) as NAME.json, its network
    namespace as NAME.ns, and appends NAME to the `order` file."""
    script = ('cat > "$0/%s.json"; readlink /proc/self/ns/net > "$0/%s.ns"; '
              'echo %s >> "$0/order"' % (name, name, name))
    return {"path": "/bin/sh", "args": ["sh", "-c", script, str(outdir)]}


def hooks_bundle(tmp_path, hooks, args=("true",), **changes):
    out = tmp_path / "hooks-out"
    out.mkdir(exist_ok=True)

    def edit(c):
        c["hooks"] = hooks
        # startContainer runs inside the container: it writes here.
        c["mounts"].append({"destination": "/hooks", "type": "bind",
                            "source": str(out), "options": ["rbind"]})
    return make_bundle(tmp_path, args=list(args), edit=edit, **changes), out


def read_state(out, name):
    return json.loads((out / ("%s.json" % name)).read_text())


def test_every_hook_runs_in_order_with_its_state(rt, tmp_path):
    out = tmp_path / "hooks-out"
    hooks = {name: [recording_hook(name, out)] for name in HOST_HOOKS}
    # startContainer's path is resolved in the container: busybox's sh.
    hooks["startContainer"] = [{"path": "/bin/sh", "args": [
        "sh", "-c", "cat > /hooks/startContainer.json; "
        "readlink /proc/self/ns/net > /hooks/startContainer.ns; "
        "echo startContainer >> /hooks/order"]}]
    b, out = hooks_bundle(tmp_path, hooks, args=["sleep", "30"],
                          annotations={"k": "v"})
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    container_net = os.readlink("/proc/%d/ns/net" % pid)
    host_net = os.readlink("/proc/self/ns/net")
    assert (out / "order").read_text().split() == [
        "prestart", "createRuntime", "createContainer"]
    rt.ok("start", cid)
    assert (out / "order").read_text().split()[3:] == ["startContainer", "poststart"]
    rt.ok("kill", cid, "KILL")
    rt.wait_status(cid, "stopped")
    rt.ok("delete", cid)
    assert (out / "order").read_text().split()[5:] == ["poststop"]

    expected_status = {"prestart": "created", "createRuntime": "creating",
                       "createContainer": "creating", "startContainer": "created",
                       "poststart": "running", "poststop": "stopped"}
    for name, status in expected_status.items():
        st = read_state(out, name)
        assert st["id"] == cid, name
        assert st["bundle"] == str(b), name
        assert st["status"] == status, name
        assert st["ociVersion"], name
        assert st.get("annotations") == {"k": "v"}, name
        if name != "poststop":
            assert st["pid"] == pid, name
    # prestart, createRuntime, poststart and poststop run in the runtime's
    # namespaces; createContainer and startContainer in the container's.
    for name in ("prestart", "createRuntime", "poststart", "poststop"):
        assert (out / (name + ".ns")).read_text().strip() == host_net, name
    for name in ("createContainer", "startContainer"):
        assert (out / (name + ".ns")).read_text().strip() == container_net, name


def test_hooks_run_with_run(rt, tmp_path):
    out = tmp_path / "hooks-out"
    hooks = {name: [recording_hook(name, out)] for name in HOST_HOOKS}
    b, out = hooks_bundle(tmp_path, hooks, args=["echo", "process"])
    r = rt.run(b)
    assert r.rc == 0, r
    assert r.out == "process\n"
    assert (out / "order").read_text().split() == [
        "prestart", "createRuntime", "createContainer", "poststart", "poststop"]


def test_hook_args_and_env(rt, tmp_path):
    out = tmp_path / "hooks-out"
    out.mkdir()
    script = 'echo "$0|$1|FOO=$FOO|HOME=${HOME-unset}|$(cat | head -c 1)" > %s/args' % out
    hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", script, "a0", "a1"],
                           "env": ["FOO=bar baz"]}]}
    b, out = hooks_bundle(tmp_path, hooks)
    assert rt.run(b).rc == 0
    assert (out / "args").read_text() == "a0|a1|FOO=bar baz|HOME=unset|{\n"


def test_hook_without_args_gets_path_as_argv0(rt, tmp_path):
    out = tmp_path / "hooks-out"
    out.mkdir()
    script = tmp_path / "hook.sh"
    script.write_text('#!/bin/sh\necho "$0 $#" > %s/argv0\n' % out)
    script.chmod(0o755)
    b, out = hooks_bundle(tmp_path, {"createRuntime": [{"path": str(script)}]})
    assert rt.run(b).rc == 0
    assert (out / "argv0").read_text() == "%s 0\n" % script


def test_several_hooks_of_one_kind_run_in_order(rt, tmp_path):
    out = tmp_path / "hooks-out"
    hooks = {"poststart": [
        {"path": "/bin/sh", "args": ["sh", "-c", "echo %d >> %s/order" % (i, out)]}
        for i in range(3)]}
    b, out = hooks_bundle(tmp_path, hooks)
    assert rt.run(b).rc == 0
    assert (out / "order").read_text().split() == ["0", "1", "2"]


def test_hook_timeout(rt, tmp_path):
    marker = "7.%d" % os.getpid()  # a sleep we can find again
    hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", marker],
                                "timeout": 1}]}
    b, _ = hooks_bundle(tmp_path, hooks)
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["createRuntime", "timed out"])
    rt.assert_nothing_left()
    assert find_processes("sleep " + marker) == []


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook(rt, tmp_path, kind):
    out = tmp_path / "hooks-out"
    hooks = {kind: [{"path": "/bin/sh", "args": [
        "sh", "-c", 'cat > %s/state.json; echo "hook says no" >&2; exit 3' % out]}]}
    b, out = hooks_bundle(tmp_path, hooks, args=["sleep", "30"])
    cid = rt.new_id()
    rt.fails("create", "--bundle", b, cid, needles=[kind, "hook says no"])
    pid = json.loads((out / "state.json").read_text())["pid"]
    assert pid > 0
    rt.see(pid)
    wait_for(lambda: not proc_alive(pid), what="the init to be killed")
    assert not (rt.root / cid).exists()
    rt.assert_nothing_left()


def test_missing_hook_program(rt, tmp_path):
    b, _ = hooks_bundle(tmp_path, {"prestart": [{"path": "/no/such/hook"}]})
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["prestart", "/no/such/hook"])
    rt.assert_nothing_left()


def test_failing_start_container_hook(rt, tmp_path):
    hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 4"]}]}
    b, out = hooks_bundle(tmp_path, hooks, args=["sh", "-c", "echo should-not-run"])
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    rt.fails("start", cid, needles=["startContainer"])
    rt.wait_status(cid, "stopped")
    wait_for(lambda: not proc_alive(pid), what="the init to exit")
    assert "should-not-run" not in rt.last_create.out
    rt.ok("delete", cid)


def test_failing_poststart_stops_container(rt, tmp_path):
    out = tmp_path / "hooks-out"
    hooks = {"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 5"]}],
             "poststop": [recording_hook("poststop", out)]}
    b, out = hooks_bundle(tmp_path, hooks, args=["sleep", "30"])
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    rt.fails("start", cid, needles=["poststart"])
    assert rt.status(cid) == "stopped"
    assert not proc_alive(pid)
    rt.ok("delete", cid)
    assert read_state(out, "poststop")["status"] == "stopped"


def test_failing_poststop_only_warns(rt, tmp_path):
    out = tmp_path / "hooks-out"
    hooks = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "echo bad >&2; exit 6"]},
                          recording_hook("poststop", out)]}
    b, out = hooks_bundle(tmp_path, hooks)
    cid = rt.create(b)
    rt.ok("start", cid)
    rt.wait_status(cid, "stopped")
    log = tmp_path / "log.json"
    r = rt.cmd("delete", cid, global_args=("--log", log, "--log-format", "json"))
    assert r.rc == 0, r
    # With --log, warnings go there only, as runc's do (under a shim,
    # stderr is the container's output).
    assert "warning" not in r.err
    assert not (rt.root / cid).exists()
    # The next poststop hook still ran.
    assert read_state(out, "poststop")["id"] == cid
    levels = [json.loads(l)["level"] for l in log.read_text().splitlines()]
    assert "warning" in levels and "error" not in levels


def test_failing_poststop_with_run(rt, tmp_path):
    hooks = {"poststop": [{"path": "/bin/false"}]}
    b, _ = hooks_bundle(tmp_path, hooks, args=["sh", "-c", "exit 2"])
    r = rt.run(b)
    assert r.rc == 2, r
    assert rt.list_ids() == []


# ---------------------------------------------------------------------------
# create killed halfway
# ---------------------------------------------------------------------------

def test_create_killed_halfway_then_delete_force(rt, tmp_path):
    out = tmp_path / "hooks-out"
    marker = "29.%d" % os.getpid()
    hooks = {"createRuntime": [{"path": "/bin/sh", "args": [
        "sh", "-c", 'cat > %s/state.json; echo $$ > %s/hook.pid; exec sleep %s'
        % (out, out, marker)]}]}
    b, out = hooks_bundle(tmp_path, hooks, args=["sleep", "30"])
    cid = rt.new_id()
    with open(tmp_path / "create.out", "wb") as f:
        p = subprocess.Popen(rt.argv("create", "--bundle", b, cid),
                             stdin=subprocess.DEVNULL, stdout=f, stderr=f)
    hook_pid = None
    try:
        wait_for(lambda: (out / "hook.pid").exists() and (out / "hook.pid").read_text().strip(),
                 what="the createRuntime hook to start")
        hook_pid = int((out / "hook.pid").read_text())
        rt.see(hook_pid)
        init_pid = json.loads((out / "state.json").read_text())["pid"]
        rt.see(init_pid)
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert rt.list_ids() == [cid]
        assert rt.status(cid) in ("creating", "stopped")
        rt.ok("delete", "--force", cid)
        assert not (rt.root / cid).exists()
        wait_for(lambda: not proc_alive(init_pid), what="the init to be gone")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        # The hook itself was the dead create's child; nothing tracks it.
        if hook_pid and proc_alive(hook_pid):
            os.kill(hook_pid, signal.SIGKILL)
    wait_for(lambda: not proc_alive(hook_pid), what="the hook to go")
    rt.assert_nothing_left()


def test_create_killed_halfway_then_plain_delete(rt, tmp_path):
    """A create that died leaves a container that is not running, so a
    plain delete may remove it too."""
    out = tmp_path / "hooks-out"
    hooks = {"createRuntime": [{"path": "/bin/sh", "args": [
        "sh", "-c", 'cat > %s/state.json; echo $$ > %s/hook.pid; exec sleep 29' % (out, out)]}]}
    b, out = hooks_bundle(tmp_path, hooks, args=["sleep", "30"])
    cid = rt.new_id()
    p = subprocess.Popen(rt.argv("create", "--bundle", b, cid), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (out / "hook.pid").exists() and (out / "hook.pid").read_text().strip(),
                 what="the createRuntime hook to start")
        hook_pid = rt.see(int((out / "hook.pid").read_text()))
        init_pid = rt.see(json.loads((out / "state.json").read_text())["pid"])
        p.kill()
        p.wait()
        wait_for(lambda: rt.status(cid) == "stopped", what="stopped")
        rt.ok("delete", cid)
        wait_for(lambda: not proc_alive(init_pid), what="the init to be gone")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        hook_pid = int((out / "hook.pid").read_text() or 0) if (out / "hook.pid").exists() else 0
        if hook_pid and proc_alive(hook_pid):
            os.kill(hook_pid, signal.SIGKILL)
    rt.assert_nothing_left()


@pytest.mark.parametrize("failing", ["prestart", "createRuntime", "createContainer"])
def test_poststop_runs_after_a_failing_create_hook(rt, tmp_path, failing):
    """runtime.md: a failing create-time hook continues the lifecycle at
    step 12, and poststop hooks (step 13) MUST run."""
    out = tmp_path / "hooks-out"
    hooks = {failing: [{"path": "/bin/false"}], "poststop": [recording_hook("poststop", out)]}
    b, out = hooks_bundle(tmp_path, hooks)
    r = rt.cmd("create", "--bundle", b, rt.new_id())
    assert r.rc != 0, r
    assert read_state(out, "poststop")["status"] == "stopped"
    rt.assert_nothing_left()


def test_a_timed_out_hook_leaves_nothing_running(rt, tmp_path):
    marker = "brownie-hook-child-%d" % os.getpid()
    hooks = {"createRuntime": [{"path": "/bin/sh", "timeout": 1,
                                "args": ["sh", "-c", "sleep 7 %s & sleep 7" % marker]}]}
    b, _ = hooks_bundle(tmp_path, hooks)
    rt.fails("create", "--bundle", b, rt.new_id(), needles=["timed out"])
    wait_for(lambda: find_processes("sleep 7 %s" % marker) == [], what="the hook's child to end")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT],
                         ids=["TERM", "HUP", "INT", "QUIT"])
def test_create_ended_by_a_signal_removes_what_it_made(rt, tmp_path, sig):
    """`create` stopped by a signal it can catch, while a hook runs: it
    unwinds as a failed create does (no state, cgroup, process, hook)."""
    marker = "9.%d" % os.getpid()  # a sleep we can find again
    out = tmp_path / "started"
    hooks = {"createRuntime": [{"path": "/bin/sh", "args": [
        "sh", "-c", "touch %s; exec sleep %s" % (out, marker)]}]}
    b, _ = hooks_bundle(tmp_path, hooks)
    cid = rt.new_id()
    p = subprocess.Popen(rt.argv("create", "--bundle", b, cid), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(out.exists, what="the hook to run")
        p.send_signal(sig)
        assert p.wait(timeout=30) == 128 + sig, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stderr.close()
    rt.assert_nothing_left()
    assert find_processes("sleep " + marker) == []
