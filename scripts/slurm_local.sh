#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for trying the SLURM profile and for its end-to-end
# test: `bash scripts/slurm_local.sh start | stop | status`.
#
# start: installs Debian's slurmctld, slurmd, slurm-client and munge if missing (root, apt); writes
#        /etc/slurm/slurm.conf (this host, its CPUs, 90 % of its free memory, partition "debug",
#        no accounting: job status comes from squeue) and a gres.conf with two fake GPUs (character
#        devices like /dev/null, so a job asking for --gpus=1 is scheduled and gets
#        CUDA_VISIBLE_DEVICES from SLURM; jobs submitted with RD4AD_STANDIN_GPUS=1 then run on the CPU
#        instead of failing for want of CUDA); starts munged, slurmctld and slurmd; waits until the node
#        is idle. Refuses to touch a slurm.conf it did not write.
# stop:  stops the three daemons by their PID files.
# Everything the cluster keeps (PID files, logs, spool, the fake devices) lives in
# $RD4AD_SLURM_STATE (default /var/lib/rd4ad-slurm).
set -euo pipefail
STATE=${RD4AD_SLURM_STATE:-/var/lib/rd4ad-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# written by rd4ad-repro scripts/slurm_local.sh"
FAKE_GPUS=2
PACKAGES=(slurmctld slurmd slurm-client munge)

die() { echo "slurm_local.sh: $*" >&2; exit 1; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do  # removed packages keep a status entry ("config-files"): not installed
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null || die "needs ${missing[*]} and there is no apt-get; install SLURM 22.05 + munge by hand"
  echo "== installing ${missing[*]} (Debian packages)" >&2
  # The packages' scripts would start the daemons; a policy-rc.d that exits 101 stops that
  # (an existing one is kept and restored).
  local policy=/usr/sbin/policy-rc.d saved=""
  if [ -e "$policy" ]; then saved=$(mktemp); cp -p "$policy" "$saved"; fi
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null; } || rc=$?
  if [ -n "$saved" ]; then mv "$saved" "$policy"; else rm -f "$policy"; fi
  [ $rc -eq 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
}

write_config() {
  if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; refusing to replace a real cluster's config"
  fi
  install -d "$STATE"/{slurmctld,slurmd,gpus} /etc/slurm
  local i
  for ((i = 0; i < FAKE_GPUS; i++)); do
    [ -c "$STATE/gpus/nvidia$i" ] || mknod -m 666 "$STATE/gpus/nvidia$i" c 1 3
  done
  local host node mem
  host=$(hostname -s)
  # slurmd -C prints this node's line (CPUs, sockets, cores, threads, RealMemory); memory is set
  # below what is free so that the node is not drained for having less than it announced.
  node=$(slurmd -C | head -1 | sed -E 's/ RealMemory=[0-9]+//')
  mem=$(awk '/MemAvailable/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat > "$CONF" <<EOF
$MARK: a one-node test cluster.
ClusterName=rd4ad
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=500
# Finished jobs stay visible to squeue this long: the executor plugin's squeue status checks need it.
MinJobAge=300
MailProg=/bin/true
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
GresTypes=gpu
$node RealMemory=$mem Gres=gpu:fake:$FAKE_GPUS State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  cat > /etc/slurm/gres.conf <<EOF
$MARK
AutoDetect=off
Name=gpu Type=fake File=$STATE/gpus/nvidia[0-$((FAKE_GPUS - 1))]
EOF
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
    else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
  fi
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  install -d -o munge -g munge /run/munge /var/log/munge /var/lib/munge
  running /run/munge/munged.pid || runuser -u munge -- /usr/sbin/munged
}

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_idle() {
  local host state i
  host=$(hostname -s)
  for ((i = 0; i < 60; i++)); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in
      idle|mixed|allocated) echo "SLURM is up: node $host $state, partition debug, $FAKE_GPUS fake GPUs" >&2; return ;;
      down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    sleep 1
  done
  die "node $host is not idle after 60 s (state: ${state:-none}); see $STATE/slurmctld.log and $STATE/slurmd.log"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts system daemons)"
  install_packages
  write_config
  start_munge
  running "$STATE/slurmctld.pid" || slurmctld
  running "$STATE/slurmd.pid" || slurmd
  wait_idle
}

stop() {
  local pidfile pid
  for pidfile in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" /run/munge/munged.pid; do
    running "$pidfile" || continue
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  done
  echo "SLURM stopped" >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running "$STATE/slurmctld.pid" && running "$STATE/slurmd.pid" && sinfo ;;
  *) die "usage: bash scripts/slurm_local.sh start | stop | status" ;;
esac
