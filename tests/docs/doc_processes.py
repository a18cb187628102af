"""The processes of //tests/docs:docs_test: one bash session per page
(Shell) and the service it runs against (Service), each in a process group
of its own that kill_group() ends completely."""
import os
import queue
import signal
import subprocess
import threading
import time

TMP = os.environ.get("TEST_TMPDIR", "/tmp")


class Shell:
    """One bash session; Run() sends a command and reads up to its marker."""

    def __init__(self, ws, env):
        self.proc = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=ws, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     text=True, errors="replace")
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.count = 0

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, text, timeout):
        self.count += 1
        marker = f"__doctest_done_{self.count}__"
        self.proc.stdin.write(f"{{\n{text}\n}} < /dev/null\necho \"{marker} $?\"\n")
        self.proc.stdin.flush()
        out, deadline = [], time.time() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                raise AssertionError(f"no end after {timeout} s; output so far:\n" + "".join(out))
            if line is None:
                raise AssertionError("the shell ended; output:\n" + "".join(out))
            if marker in line:  # after output that did not end its line
                before, _, rc = line.partition(marker)
                out.append(before)
                return int(rc.split()[0]), "".join(out)
            out.append(line)

    def close(self):
        kill_group(self.proc)


def kill_group(proc):
    """SIGTERM to the process group (a draining service exits 0), SIGKILL
    after 30 s; returns once no process of the group is left, so the next
    service finds its ports free."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.time() + wait
        while time.time() < deadline:
            proc.poll()
            if not group_alive(proc.pid):
                return
            time.sleep(0.1)
    proc.wait()


def group_alive(pgid):
    """Whether a process of group `pgid` still runs (zombies do not count)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


class Service:
    """`bash tools/run.sh ARGS` in the background until it serves."""

    def __init__(self, ws, env, command):
        self.log = os.path.join(TMP, f"run-{time.time_ns()}.log")
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(["bash", "-c", command], cwd=ws, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            text = self.output()
            if "provisioner: serving gRPC on port" in text:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"`{command}` did not serve; output:\n{self.output()}")

    def output(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        kill_group(self.proc)
