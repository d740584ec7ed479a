"""scripts/setup.sh waits for another apt or dpkg instead of failing at once on its lock."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKED = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"


def fake_apt_get(tmp_path: Path, locked_calls: int, error: str = LOCKED) -> Path:
    """An apt-get that refuses `locked_calls` times with `error`, then succeeds; it logs its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "apt-get"
    script.write_text(f"""#!/usr/bin/env bash
echo "$*" >> {tmp_path / 'calls'}
calls=$(wc -l < {tmp_path / 'calls'})
if [ "$calls" -le {locked_calls} ]; then echo "{error}" >&2; exit 100; fi
""")
    script.chmod(0o755)
    return bin_dir


def run_apt_get(tmp_path: Path, bin_dir: Path, timeout_s: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f'source "{ROOT / "scripts/setup.sh"}" && apt_get update -qq'],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "APT_LOCK_TIMEOUT": str(timeout_s), "APT_LOCK_POLL": "0"},
        capture_output=True, text=True, timeout=60)


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls").read_text().splitlines()


def test_a_locked_apt_is_waited_for(tmp_path):
    result = run_apt_get(tmp_path, fake_apt_get(tmp_path, locked_calls=2), timeout_s=300)
    assert result.returncode == 0, result.stderr
    assert len(calls(tmp_path)) == 3
    assert all(call.startswith("-o DPkg::Lock::Timeout=300 update") for call in calls(tmp_path))
    assert "waiting for it to finish" in result.stdout


def test_the_wait_ends_at_the_timeout(tmp_path):
    result = run_apt_get(tmp_path, fake_apt_get(tmp_path, locked_calls=100), timeout_s=0)
    assert result.returncode != 0
    assert len(calls(tmp_path)) == 1 and "Could not get lock" in result.stderr


def test_other_failures_are_not_retried(tmp_path):
    bin_dir = fake_apt_get(tmp_path, locked_calls=100, error="E: Unable to locate package fonts-noto-cjk")
    result = run_apt_get(tmp_path, bin_dir, timeout_s=300)
    assert result.returncode != 0
    assert len(calls(tmp_path)) == 1 and "Unable to locate package" in result.stderr
