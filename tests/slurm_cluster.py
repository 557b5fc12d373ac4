"""A real single-node SLURM on this machine, for tests/test_slurm.py (no mock).

The session fixture ``slurm_cluster`` installs Debian's ``slurm-wlm`` and ``munge`` if they are
missing (apt-get, as root), starts ``munged`` unless one already answers, writes
/etc/slurm/slurm.conf for one node ``localhost`` with this machine's cores and memory, starts
``slurmctld`` and ``slurmd`` as children of the test process, and waits until the node is idle.
Afterwards it cancels what is left in the queue, stops the daemons it started by their process
ids and puts back the config that was there before (or removes its own).

It runs without systemd, cgroups or accounting: ``proctrack/linuxproc``, ``task/none``,
``jobacct_gather/none`` and no accounting storage. Without accounting ``sacct`` knows no
jobs, so the executor plugin must poll with ``squeue``; ``MinJobAge`` keeps finished jobs visible
to ``squeue`` and ``scontrol show job`` for an hour.

The test is skipped where it cannot run: not root, or SLURM missing and no apt-get to install
it, or a SLURM cluster already configured and answering on this machine (it is not replaced).
A failing install or a cluster that does not come up fails the test, with the daemons' logs in
the message. One session per machine at a time holds the cluster (a lock under /run); a session
killed before its teardown is cleaned up by the next one (its daemons' pids are in a registry).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SLURM_CONF = Path("/etc/slurm/slurm.conf")
BACKUP = SLURM_CONF.with_name("slurm.conf.relusv-test-backup")
MARKER = "# Written by relusv tests/slurm_cluster.py for the SLURM test; removed after it."
# What a session left behind if it was killed before its teardown (pids, state dir, backup).
RUN_DIR = Path("/run") if Path("/run").is_dir() else Path(tempfile.gettempdir())
REGISTRY = RUN_DIR / "relusv-slurm-test.json"
LOCK = RUN_DIR / "relusv-slurm-test.lock"
LOCK_TIMEOUT = 1800  # seconds to wait for another session's cluster to go away
MUNGE_KEY = Path("/etc/munge/munge.key")
NODE = "localhost"
PARTITION = "relusv"
# slurm.conf claims at least this much memory for the node (SlurmdParameters=config_overrides
# keeps slurmd from draining it), so that the profile's 8000 MB jobs (16000 MB on a retry) are
# accepted on small CI runners too. Nothing enforces memory here (no cgroups); the demo's jobs
# peak at about 750 MB each.
MIN_NODE_MEMORY_MB = 16384
BINARIES = ("slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel",
            "munged", "munge")
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
START_TIMEOUT = 90  # seconds until the node must be idle


def which(name: str) -> str | None:
    """``name`` on PATH or in the sbin directories (not on every root PATH)."""
    return shutil.which(name, path=SBIN_PATH)


def _run(*args: str, timeout: float = 30, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=check)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def ensure_installed(timeout: float = 900) -> None:
    """Install slurm-wlm and munge with apt-get where a binary is missing; skip if we cannot."""
    missing = [name for name in BINARIES if which(name) is None]
    if not missing:
        return
    if not _is_root():
        pytest.skip(f"SLURM is not installed (no {', '.join(missing)}) and installing it "
                    "needs root")
    if shutil.which("apt-get") is None:
        pytest.skip(f"SLURM is not installed (no {', '.join(missing)}) and there is no "
                    "apt-get to install Debian's slurm-wlm and munge")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]  # wait for e.g. unattended-upgrades
    for command in (["apt-get", *lock, "update", "-q"],
                    ["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends",
                     "slurm-wlm", "munge"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n"
                        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    still_missing = [name for name in BINARIES if which(name) is None]
    if still_missing:
        pytest.fail(f"installed slurm-wlm and munge, but {', '.join(still_missing)} not found")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int, name: str) -> bool:
    """Whether ``pid`` is still a running ``name`` (and not a reused pid)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    except OSError:
        return False
    return Path(argv0).name == name


def _stop(pid: int, name: str, timeout: float = 20) -> None:
    """SIGTERM ``pid`` if it is still ``name``; SIGKILL it after ``timeout`` seconds."""
    if not _alive(pid, name):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:  # reap it if it is our child, so that it does not linger as a zombie
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        if not _alive(pid, name):
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def node_hardware() -> dict[str, int]:
    """This machine as slurmd sees it: CPUs, sockets, cores, threads, RealMemory (MB)."""
    hardware = {}
    result = _run(which("slurmd") or "slurmd", "-C")
    if result.returncode == 0:
        first = result.stdout.splitlines()[0] if result.stdout else ""
        for key, value in re.findall(r"(\w+)=(\d+)", first):
            if key in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore",
                       "RealMemory"):
                hardware[key] = int(value)
    if "CPUs" not in hardware or "RealMemory" not in hardware:  # fall back on /proc
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
        hardware = {"CPUs": os.cpu_count() or 1, "RealMemory": kib // 1024}
    return hardware


def slurm_conf(state_dir: Path, hardware: dict[str, int], ports: tuple[int, int]) -> str:
    node = dict(hardware, RealMemory=max(hardware["RealMemory"], MIN_NODE_MEMORY_MB))
    node_spec = " ".join(f"{key}={value}" for key, value in node.items())
    return f"""{MARKER}
# State, spool and logs: {state_dir}
ClusterName=relusvtest
SlurmctldHost={NODE}(127.0.0.1)
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
# No cgroups: track job processes by their parent pids, bind no CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# No accounting: AccountingStorageType and JobCompType are left at their default, none (so the
# file needs no plugin name that differs between SLURM versions).
JobAcctGatherType=jobacct_gather/none
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=3600
MailProg=/bin/true
StateSaveLocation={state_dir}/ctld
SlurmdSpoolDir={state_dir}/spool
SlurmctldPidFile={state_dir}/slurmctld.pid
SlurmdPidFile={state_dir}/slurmd.pid
SlurmctldLogFile={state_dir}/slurmctld.log
SlurmdLogFile={state_dir}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName={NODE} NodeHostname={NODE} NodeAddr=127.0.0.1 {node_spec} State=UNKNOWN
PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
"""


def _munge_works() -> bool:
    munge = which("munge")
    try:
        return munge is not None and _run(munge, "-n", timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@dataclass
class SlurmCluster:
    """A running single-node cluster; ``cpus`` and ``partition`` are what jobs can ask for."""

    state_dir: Path
    cpus: int = 1
    memory_mb: int = 0
    partition: str = PARTITION
    node: str = NODE
    pids: dict[str, int] = field(default_factory=dict)  # daemon name -> pid, ours only
    processes: list[subprocess.Popen] = field(default_factory=list)
    backed_up: bool = False

    # -- set-up -------------------------------------------------------------------------
    def start(self) -> None:
        self._refuse_to_replace_a_live_cluster()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._save_registry()
        self._start_munge()
        hardware = node_hardware()
        self.cpus = hardware["CPUs"]
        self.memory_mb = max(hardware["RealMemory"], MIN_NODE_MEMORY_MB)
        for sub in ("ctld", "spool"):
            (self.state_dir / sub).mkdir(exist_ok=True)
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        if SLURM_CONF.exists() and not _ours(SLURM_CONF):
            shutil.copy2(SLURM_CONF, BACKUP)
            self.backed_up = True
            self._save_registry()
        ctld_port = _free_port()
        slurmd_port = _free_port()
        while slurmd_port == ctld_port:
            slurmd_port = _free_port()
        SLURM_CONF.write_text(slurm_conf(self.state_dir, hardware, (ctld_port, slurmd_port)))
        self._spawn("slurmctld", "-D", "-i")
        self._spawn("slurmd", "-D", "-N", NODE)
        self._wait_until_idle()

    def _refuse_to_replace_a_live_cluster(self) -> None:
        if SLURM_CONF.exists() and not _ours(SLURM_CONF):
            scontrol = which("scontrol")
            try:
                answers = scontrol is not None and _run(scontrol, "ping",
                                                        timeout=15).returncode == 0
            except subprocess.TimeoutExpired:
                answers = False
            if answers:
                pytest.skip(f"this machine already runs a SLURM cluster ({SLURM_CONF}, "
                            "`scontrol ping` answers); the test does not replace it")

    def _start_munge(self) -> None:
        if _munge_works():
            return  # a munged (systemd's, or one left running) answers already
        try:
            user = pwd.getpwnam("munge")
        except KeyError:
            user = None
        if not MUNGE_KEY.exists():
            MUNGE_KEY.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            MUNGE_KEY.write_bytes(os.urandom(1024))
            MUNGE_KEY.chmod(0o400)
        for directory, mode in ((MUNGE_KEY.parent, 0o700), (Path("/run/munge"), 0o755),
                                (Path("/var/lib/munge"), 0o711), (Path("/var/log/munge"), 0o700)):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(mode)
            if user is not None:
                os.chown(directory, user.pw_uid, user.pw_gid)
        if user is not None:
            os.chown(MUNGE_KEY, user.pw_uid, user.pw_gid)
            # munged refuses to run as root without --force: run it as Debian's munge user.
            self._spawn("munged", "-F", user=user)
        else:
            self._spawn("munged", "-F", "--force")
        deadline = time.monotonic() + 15
        while not _munge_works():
            if time.monotonic() > deadline or not _alive(self.pids["munged"], "munged"):
                self.fail("munged did not come up")
            time.sleep(0.2)

    def _spawn(self, name: str, *args: str, user: pwd.struct_passwd | None = None) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM")}
        as_user = {} if user is None else {"user": user.pw_uid, "group": user.pw_gid,
                                           "extra_groups": []}
        with open(self.state_dir / f"{name}.out", "ab") as log:  # the child keeps its own fd
            process = subprocess.Popen([which(name) or name, *args], stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, env=env,
                                       start_new_session=True, **as_user)
        self.processes.append(process)
        self.pids[name] = process.pid
        self._save_registry()

    def _wait_until_idle(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        state = ""
        while time.monotonic() < deadline:
            for name in ("slurmctld", "slurmd"):
                if not _alive(self.pids[name], name):
                    self.fail(f"{name} exited while starting")
            result = _run(which("sinfo"), "-h", "-N", "-n", NODE, "-o", "%t", timeout=15)
            state = result.stdout.strip()
            if state == "idle":
                return
            if state.startswith(("down", "drain")):  # ReturnToService should avoid this
                _run(which("scontrol"), "update", f"NodeName={NODE}", "State=RESUME")
            time.sleep(0.5)
        self.fail(f"node {NODE} not idle after {START_TIMEOUT} s (sinfo state: {state!r})")

    # -- use ----------------------------------------------------------------------------
    def job(self, job_id: str) -> dict[str, str]:
        """``scontrol show job`` as a dict (finished jobs stay for MinJobAge, an hour)."""
        result = _run(which("scontrol"), "show", "job", "-o", str(job_id), timeout=15)
        if result.returncode != 0:
            return {}
        return dict(re.findall(r"([\w/:]+)=(\S*)", result.stdout))

    def logs(self, lines: int = 40) -> str:
        """The tails of the daemons' logs, for failure messages."""
        parts = []
        for path in sorted(self.state_dir.glob("*.out")) + sorted(self.state_dir.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def fail(self, message: str) -> None:
        logs = self.logs()
        self.stop()
        pytest.fail(f"single-node SLURM: {message}\n{logs}")

    # -- tear-down ----------------------------------------------------------------------
    def stop(self) -> None:
        if "slurmctld" in self.pids and _alive(self.pids["slurmctld"], "slurmctld"):
            _cancel_all_jobs()
        for name in ("slurmd", "slurmctld", "munged"):
            if name in self.pids:
                _stop(self.pids.pop(name), name)
        for process in self.processes:
            process.poll()
        _restore_config(self.backed_up)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        REGISTRY.unlink(missing_ok=True)

    def _save_registry(self) -> None:
        REGISTRY.write_text(json.dumps({"pids": self.pids, "state_dir": str(self.state_dir),
                                        "backed_up": self.backed_up}))


def _ours(path: Path) -> bool:
    return path.read_text(errors="replace").startswith(MARKER)


def _cancel_all_jobs(timeout: float = 60) -> None:
    """Cancel what is left in the queue and wait for it to end (slurmstepd outlives slurmd)."""
    squeue, scancel = which("squeue"), which("scancel")
    result = _run(squeue, "-h", "-o", "%i", timeout=15)
    jobs = result.stdout.split()
    if jobs:
        _run(scancel, *jobs, timeout=15)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = _run(squeue, "-h", "-t", "PENDING,RUNNING,COMPLETING,CONFIGURING",
                      "-o", "%i", timeout=15).stdout.split()
        if not active:
            return
        time.sleep(1)


def _restore_config(backed_up: bool) -> None:
    if backed_up and BACKUP.exists():
        os.replace(BACKUP, SLURM_CONF)
    elif SLURM_CONF.exists() and _ours(SLURM_CONF):
        SLURM_CONF.unlink()


def _clean_up_after_killed_session() -> None:
    """Stop the daemons and restore the config of a session that was killed mid-way."""
    if not REGISTRY.exists():
        return
    try:
        left = json.loads(REGISTRY.read_text())
    except ValueError:
        left = {}
    pids = left.get("pids", {})
    if "slurmctld" in pids and _alive(pids["slurmctld"], "slurmctld"):
        _cancel_all_jobs(timeout=20)
    for name in ("slurmd", "slurmctld", "munged"):
        if name in pids:
            _stop(pids[name], name)
    _restore_config(left.get("backed_up", False))
    if left.get("state_dir"):
        shutil.rmtree(left["state_dir"], ignore_errors=True)
    REGISTRY.unlink(missing_ok=True)


@contextlib.contextmanager
def machine_lock(timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Only one session on this machine runs the test cluster at a time (e.g. two xdist
    workers, two CI jobs): /etc/slurm/slurm.conf and the munge socket are machine-wide."""
    with open(LOCK, "w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test session has held {LOCK} for {timeout:.0f} s")
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """A running single-node SLURM for the whole session, stopped and removed afterwards."""
    if not Path("/proc").is_dir():
        pytest.skip("needs Linux")
    ensure_installed()
    if not _is_root():
        pytest.skip("starting slurmctld and slurmd with SlurmUser=root needs root")
    with machine_lock():
        # The lock was free, so a registry left behind belongs to a session that was killed.
        _clean_up_after_killed_session()
        cluster = SlurmCluster(Path(tempfile.mkdtemp(prefix="relusv-slurm-")))
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
        try:
            yield cluster
        finally:
            cluster.stop()
