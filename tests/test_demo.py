"""`mailbot demo` as a new user runs it: a real subprocess, its own servers, exit 0."""

from __future__ import annotations

import subprocess
import sys


def test_demo_plays_the_whole_conversation_and_exits_0(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mailbot.cli", "demo", "--dir", str(tmp_path / "demo")],
                            capture_output=True, text=True, timeout=240)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "ticket MA-000001 created" in out and "ticket MA-000002 created" in out
    assert "acknowledgement delivered to maria's mailbox" in out and "acknowledgement delivered to john's mailbox" in out
    assert "reply threaded into the same ticket MA-000001" in out
    assert "agent's reply delivered to maria's mailbox" in out and "only the new text" in out
    assert "all steps succeeded" in out and "✗" not in out
    # --dir keeps the state: the commands it suggests work on it.
    assert (tmp_path / "demo" / "mailbot.db").exists()
