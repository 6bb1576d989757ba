"""Starting vigil-console for a test or a bench: on a port the kernel picks,
reading the address it prints ("vigil-console: serving https://HOST:PORT/")."""
import re
import subprocess
import time


def start_console(binary, config, sets=(), timeout=60):
    """Returns (process, port); port is None when it did not start in time."""
    cmd = [binary, "--config", config, "--set", "console.listen=127.0.0.1:0"]
    for s in sets:
        cmd += ["--set", s]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"serving https://127\.0\.0\.1:(\d+)/", line)
        if m:
            return proc, int(m.group(1))
    return proc, None


def stop_console(proc):
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
