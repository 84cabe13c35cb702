#!/usr/bin/env bash
# Install the Debian packages that tests/slurm/cluster.py needs: MUNGE for
# authentication, the SLURM controller and node daemons, and the client
# commands (sbatch, squeue, srun, sinfo). Safe to run again, because it skips the
# download when every binary is already there. Needs root.
set -euo pipefail

have_all=true
for binary in munged slurmctld slurmd sbatch squeue srun sinfo scancel scontrol unshare; do
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$binary" >/dev/null 2>&1; then
        have_all=false
    fi
done
if "$have_all"; then
    echo "SLURM packages already installed."
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/slurm/install.sh: apt-get needs root; rerun as root or with sudo." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's postinst scripts try to start the services; without systemd or
# init scripts running that fails harmlessly, and cluster.py starts its own.
apt-get install -y -qq --no-install-recommends munge slurmctld slurmd slurm-client >/dev/null
echo "Installed: $(dpkg-query -W -f='${Package} ${Version}, ' munge slurmctld slurmd slurm-client)"
