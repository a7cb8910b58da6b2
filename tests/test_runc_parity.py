"""The example bundle prints the same under runc and brownie (when runc is
installed: CI installs it; elsewhere the test says it skipped)."""

import shutil
import subprocess

import pytest

from conftest import make_bundle


@pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")
def test_busybox_bundle_prints_the_same_as_under_runc(rt, tmp_path):
    b = make_bundle(tmp_path)  # bundles/busybox/config.json as it is
    ours = rt.output(b)
    cid = rt.new_id()
    try:
        theirs = subprocess.run(["runc", "--root", str(tmp_path / "runc"), "run", cid],
                                cwd=str(b), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=60)
    finally:
        subprocess.run(["runc", "--root", str(tmp_path / "runc"), "delete", "-f", cid],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert theirs.returncode == 0, theirs.stderr
    assert ours == theirs.stdout
    assert "hello from brownie" in ours
