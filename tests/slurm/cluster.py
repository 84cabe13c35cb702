"""Start and stop a one-node SLURM cluster on the loopback address, for tests.

The cluster lives in one folder: its own MUNGE key and socket, slurm.conf,
state, spool and logs. Every daemon (munged, slurmctld, slurmd) runs in the
foreground as a child of this process, so it is stopped by its process id.
Clients find the cluster through the ``SLURM_CONF`` environment variable,
which ``SlurmCluster.env()`` sets; inside jobs, slurmd's private mount
namespace shows the folder's configuration at /etc/slurm, and the real
/etc/slurm is left unchanged.

The configuration targets the Debian 12 packages (SLURM 22.05, MUNGE 0.5) on
a machine without systemd, and runs the daemons as root. It has no accounting
storage and no cgroup plugins (processes are tracked through /proc). Both
daemons bind to the node's own address, which must resolve to a loopback
address.

Command line, for trying the profile by hand::

    python tests/slurm/cluster.py run /tmp/slurm-cluster

starts the cluster, prints the ``SLURM_CONF`` line to export, and stops every
daemon on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import ctypes
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# Binaries the harness starts or calls, from the Debian packages munge,
# slurmctld, slurmd and slurm-client.
REQUIRED_BINARIES = (
    "unshare",
    "munged",
    "slurmctld",
    "slurmd",
    "sinfo",
    "squeue",
    "sbatch",
    "srun",
    "scancel",
    "scontrol",
)

PARTITION = "debug"

# squeue shows a finished job for MinJobAge seconds. The SLURM executor plugin
# (2.8) reads job states from squeue only while MinJobAge is at least three
# times its first status-check delay. It also waits for ever for a job that
# squeue has already forgotten, so this stays well above the profile's delay.
MIN_JOB_AGE_SECONDS = 300


def missing_binaries() -> list[str]:
    """Return the names in REQUIRED_BINARIES that are not on PATH or in sbin."""
    search_path = os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/local/sbin"]
    )
    return [name for name in REQUIRED_BINARIES if shutil.which(name, path=search_path) is None]


def _binary(name: str) -> str:
    search_path = os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/local/sbin"]
    )
    found = shutil.which(name, path=search_path)
    if found is None:
        raise FileNotFoundError(
            f"SLURM harness: {name!r} not found on PATH or in /usr/sbin; "
            "install the Debian packages with tests/slurm/install.sh"
        )
    return found


def _stop_with_parent() -> None:
    """Ask the kernel to send SIGTERM to this child when its parent dies.

    A test runner killed by SIGTERM or SIGKILL skips its fixture finalizers;
    this stops the daemons anyway. The setting survives exec (PR_SET_PDEATHSIG
    in prctl(2)), so it also covers slurmd behind unshare and sh.
    """
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _total_memory_mb() -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("SLURM harness: MemTotal not found in /proc/meminfo")


class SlurmCluster:
    """A one-node SLURM cluster whose files all live under ``root``.

    ``start()`` returns once ``sinfo`` reports the node idle; ``stop()`` cancels
    the cluster's jobs and stops each daemon by process id. The object is also
    a context manager that stops the daemons on exit, even after an error.
    """

    def __init__(self, root: Path | str, cpus: int | None = None):
        self.root = Path(root).resolve()
        self.node_name = socket.gethostname().split(".")[0]
        node_address = socket.gethostbyname(self.node_name)
        if not ipaddress.ip_address(node_address).is_loopback:
            raise RuntimeError(
                f"SLURM harness: host name {self.node_name!r} resolves to "
                f"{node_address}, not a loopback address; map it to 127.0.0.1 "
                "in /etc/hosts so that the daemons listen on loopback only"
            )
        self.cpus = cpus or os.cpu_count() or 1
        # Leave a quarter of the memory, at least 1 GiB, to the rest of the
        # machine: slurmd refuses a node whose RealMemory exceeds what it finds.
        total_mb = _total_memory_mb()
        self.memory_mb = max(256, total_mb - max(1024, total_mb // 4))
        self.conf_dir = self.root / "etc"
        self.conf_path = self.conf_dir / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket"
        self._processes: dict[str, subprocess.Popen] = {}

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Return a copy of ``base`` (default: os.environ) that points SLURM clients here."""
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf_path)
        # A test may itself run inside a SLURM job; its variables would leak
        # into sbatch and srun calls aimed at this cluster.
        for name in [key for key in env if key.startswith("SLURM_") and key != "SLURM_CONF"]:
            del env[name]
        return env

    @property
    def pids(self) -> dict[str, int]:
        """Process id of each daemon that is still running, by daemon name."""
        return {
            name: process.pid
            for name, process in self._processes.items()
            if process.poll() is None
        }

    def start(self, timeout: float = 60.0) -> None:
        """Write the configuration, start munged, slurmctld and slurmd, and wait for an idle node.

        Raises RuntimeError with the daemon's log tail when a daemon exits or
        the node is not idle within ``timeout`` seconds. The daemons already
        started are stopped before it raises.
        """
        try:
            self._write_files()
            self._start_munged()
            self._start_daemon(
                "slurmctld",
                [_binary("slurmctld"), "-D", "-i", "-f", str(self.conf_path)],
            )
            self._start_daemon("slurmd", self._slurmd_command())
            self._wait_for_idle_node(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 15.0) -> None:
        """Cancel the cluster's jobs, then stop slurmd, slurmctld and munged by process id."""
        if self.pids.get("slurmctld") and self.pids.get("slurmd"):
            self._cancel_jobs(timeout)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self._processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        self._processes.clear()

    def __enter__(self) -> "SlurmCluster":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log_tail(self, name: str, lines: int = 30) -> str:
        """Return the last ``lines`` lines of a daemon's log file, or '' if it has none."""
        path = self.root / "log" / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _write_files(self) -> None:
        for folder in ("etc", "munge", "log", "state", "spool", "run"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "munge").chmod(0o700)

        key_path = self.root / "munge" / "munge.key"
        if not key_path.exists():
            key_path.write_bytes(os.urandom(1024))
        key_path.chmod(0o600)

        controller_port = _free_loopback_port()
        node_port = _free_loopback_port()
        while node_port == controller_port:
            node_port = _free_loopback_port()
        self.conf_path.write_text(
            self._slurm_conf(controller_port, node_port), encoding="utf-8"
        )

    def _slurm_conf(self, controller_port: int, node_port: int) -> str:
        root = self.root
        return f"""\
# One-node test cluster written by tests/slurm/cluster.py.
ClusterName=gridstudy-test
SlurmctldHost={self.node_name}(127.0.0.1)
SlurmctldPort={controller_port}
SlurmdPort={node_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={self.munge_socket}
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge={MIN_JOB_AGE_SECONDS}
KillWait=5
InactiveLimit=0
Waittime=0
NodeName={self.node_name} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={self.node_name} Default=YES MaxTime=INFINITE State=UP
"""

    def _slurmd_command(self) -> list[str]:
        """Return the command that starts slurmd with this cluster's folder on /etc/slurm.

        Job steps cannot see SLURM_CONF: the jobstep executor of
        snakemake-executor-plugin-slurm removes every SLURM_* variable except
        the job's identity before it calls srun inside a job, so that srun
        reads the default /etc/slurm/slurm.conf. slurmd therefore runs in a
        private mount namespace where /etc/slurm is this cluster's etc folder.
        Its jobs inherit the namespace, and /etc/slurm outside stays as it was.
        ``unshare`` without --fork and ``exec`` keep slurmd's process id.
        """
        if not Path("/etc/slurm").is_dir():
            raise FileNotFoundError(
                "SLURM harness: /etc/slurm is missing, so there is no mount point for the "
                "cluster's configuration; install slurm-client with tests/slurm/install.sh"
            )
        return [
            _binary("unshare"),
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount --bind "$1" /etc/slurm && shift && exec "$@"',
            "sh",
            str(self.conf_dir),
            _binary("slurmd"),
            "-D",
            "-f",
            str(self.conf_path),
            "-N",
            self.node_name,
        ]

    def _start_munged(self) -> None:
        munge_dir = self.root / "munge"
        self._start_daemon(
            "munged",
            [
                _binary("munged"),
                "--foreground",
                # munged refuses to run as root without it.
                "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={munge_dir / 'munge.key'}",
                f"--pid-file={munge_dir / 'munged.pid'}",
                f"--seed-file={munge_dir / 'munged.seed'}",
                f"--log-file={self.root / 'log' / 'munged.log'}",
            ],
        )
        deadline = time.monotonic() + 10
        while not self.munge_socket.exists():
            self._check_alive("munged")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"SLURM harness: munged did not create {self.munge_socket} "
                    f"within 10 s. Log:\n{self.log_tail('munged')}"
                )
            time.sleep(0.05)

    def _start_daemon(self, name: str, command: list[str]) -> None:
        output = open(self.root / "log" / f"{name}.out", "ab")
        try:
            # A new session keeps Ctrl-C in a terminal from reaching the
            # daemons before stop() has cancelled the jobs.
            self._processes[name] = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self.env(),
                start_new_session=True,
                preexec_fn=_stop_with_parent,
            )
        finally:
            output.close()

    def _check_alive(self, name: str) -> None:
        process = self._processes[name]
        if process.poll() is not None:
            output_path = self.root / "log" / f"{name}.out"
            output = output_path.read_text(errors="replace") if output_path.exists() else ""
            raise RuntimeError(
                f"SLURM harness: {name} exited with status {process.returncode}. "
                f"Output:\n{output[-3000:]}\nLog:\n{self.log_tail(name)}"
            )

    def _run_client(self, command: list[str], timeout: float = 10.0) -> subprocess.CompletedProcess:
        return subprocess.run(
            command,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _wait_for_idle_node(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            for name in ("munged", "slurmctld", "slurmd"):
                self._check_alive(name)
            result = self._run_client(
                [_binary("sinfo"), "--noheader", "--nodes", self.node_name, "--format=%T"]
            )
            state = result.stdout.strip() or result.stderr.strip()
            if result.returncode == 0 and state == "idle":
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"SLURM harness: node {self.node_name} not idle after {timeout:.0f} s "
            f"(last sinfo output: {state!r}).\n"
            f"slurmctld log:\n{self.log_tail('slurmctld')}\n"
            f"slurmd log:\n{self.log_tail('slurmd')}"
        )

    def _cancel_jobs(self, timeout: float) -> None:
        """Cancel every job of this cluster and wait until none is left running."""
        self._run_client([_binary("scancel"), "--full", "--partition", PARTITION])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self._run_client(
                [_binary("squeue"), "--noheader", "--states=PENDING,RUNNING,COMPLETING,CONFIGURING,SUSPENDED"]
            )
            if result.returncode != 0 or not result.stdout.strip():
                return
            time.sleep(0.2)


def _run_until_signal(root: Path) -> int:
    cluster = SlurmCluster(root)
    started = time.monotonic()
    cluster.start()
    print(
        f"SLURM cluster up in {time.monotonic() - started:.1f} s "
        f"(daemons: {cluster.pids}).\nexport SLURM_CONF={cluster.conf_path}",
        flush=True,
    )
    stop_requested = False

    def request_stop(signum, frame):
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stop_requested and len(cluster.pids) == 3:
            time.sleep(0.5)
    finally:
        cluster.stop()
    if not stop_requested:
        print("SLURM cluster: a daemon exited; stopped the others.", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    subcommands = parser.add_subparsers(dest="command", required=True)
    run_parser = subcommands.add_parser(
        "run", help="start the cluster, wait for Ctrl-C or SIGTERM, then stop it"
    )
    run_parser.add_argument("root", type=Path, help="folder for the cluster's files")
    subcommands.add_parser("check", help="exit 1 and list missing SLURM binaries")
    args = parser.parse_args(argv)

    if args.command == "check":
        missing = missing_binaries()
        if missing:
            print("missing: " + " ".join(missing), file=sys.stderr)
            return 1
        return 0
    return _run_until_signal(args.root)


if __name__ == "__main__":
    sys.exit(main())
