"""Ctrl-C interrupts a long fsvae generate() within a fraction of a second:
a child process starts a generation that would take minutes, gets SIGINT,
and must exit with KeyboardInterrupt well before it could have finished."""

import os
import signal
import subprocess
import sys
import time

CHILD = r"""
import sys, time, fsvae
m = fsvae.Model()
m.generate(2, threads=1)
print("ready", flush=True)
t0 = time.perf_counter()
m.generate(200_000, threads=1)
print("finished in", time.perf_counter() - t0, flush=True)
"""


def test_sigint_stops_a_long_generate_quickly():
    p = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # well inside the long call
        t0 = time.perf_counter()
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=20)
        took = time.perf_counter() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode != 0
    assert "KeyboardInterrupt" in err, err
    assert took < 0.75, f"exited {took:.2f} s after SIGINT"
