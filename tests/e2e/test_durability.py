"""Crash durability: bench/durability with a few trials. Concurrent clients insert through the
simple and extended protocols, multi-row statements, multi-statement queries and pipelines;
duckd is killed with SIGKILL mid-load and restarted on the same file; every acknowledged row
must be back and no statement half applied. A second test proves the checks can fail."""

import os
import re
import signal
import subprocess

from conftest import DUCKD_BIN, SANITIZED

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "durability")
FINAL = re.compile(r"^durability: (\d+) trials, (\d+) acknowledged rows, (\d+) lost, "
                   r"(\d+) half-applied", re.M)


def run_durability(tmpdir, *args, timeout=240):
    """Runs the script in its own process group (killed whole on timeout); the scratch files
    live under tmpdir, which the fixture removes."""
    env = dict(os.environ)
    supp = os.path.join(os.path.dirname(__file__), "lsan.supp")
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env.setdefault("LSAN_OPTIONS", "suppressions=" + supp + ":print_suppressions=0")
    # ASan+UBSan duckd is several times slower: fewer clients, shorter loads, more patience
    scale = (["--clients", "8", "--min-delay", "0.3", "--max-delay", "1.0",
              "--ready-timeout", "180"] if SANITIZED else
             ["--clients", "24", "--min-delay", "0.5", "--max-delay", "1.5"])
    p = subprocess.Popen([SCRIPT, "--duckd", DUCKD_BIN, "--dir", tmpdir] + scale + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise AssertionError("bench/durability did not finish in %ss:\n%s\n%s" % (timeout, out, err))
    return p.returncode, out, err


def test_durability_sigkill_loses_nothing(tmpdir_short):
    rc, out, err = run_durability(tmpdir_short, "--trials", "3", "--seed", "1",
                                  "--require-atomic")
    m = FINAL.search(out)
    assert m, "no summary line:\n%s\n%s" % (out, err)
    trials, acked, lost, half = map(int, m.groups())
    assert (trials, lost, half) == (3, 0, 0), out + err
    assert acked > 0, out + err
    assert rc == 0, out + err
    assert len(re.findall(r"^trial +\d+/3: .* lost 0, half-applied 0", out, re.M)) == 3, out


def test_durability_checks_detect_a_lost_row(tmpdir_short):
    # --inject-fault deletes one acknowledged row of a multi-row statement after the restart:
    # the run must report it as lost and half applied, and fail
    rc, out, err = run_durability(tmpdir_short, "--trials", "1", "--seed", "2", "--inject-fault")
    m = FINAL.search(out)
    assert m, "no summary line:\n%s\n%s" % (out, err)
    # the deleted row is one lost row; its statement, and (where implicit transactions are
    # checked) its transaction, are half applied
    assert m.group(3) == "1" and int(m.group(4)) >= 1, out + err
    assert rc == 1, out + err
    assert "FAILED: trial 1: 1 acknowledged rows lost" in err
