#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying `attnspec slurm` job arrays locally and for the test suite.
#   scripts/slurm-local.sh install   # apt-get install slurmctld slurmd slurm-client munge (needs root)
#   scripts/slurm-local.sh start     # writes $SLURM_LOCAL_DIR/slurm.conf, starts munged, slurmctld -D, slurmd -D
#   scripts/slurm-local.sh env       # prints 'export SLURM_CONF=...' for sbatch/squeue/sinfo
#   scripts/slurm-local.sh stop      # stops the daemons this script started (by PID), leaves nothing running
# Everything lives under $SLURM_LOCAL_DIR (default /tmp/attnspec-slurm); daemons listen on localhost only.
set -euo pipefail
DIR="${SLURM_LOCAL_DIR:-/tmp/attnspec-slurm}"
CONF="$DIR/slurm.conf"
NODE="$(hostname -s)"

install_pkgs() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || { echo "error: installing Slurm needs root (apt-get)" >&2; exit 2; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
}

write_conf() {
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/munge"
  local cpus mem
  cpus="$(nproc)"
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  cat > "$CONF" <<CONF
ClusterName=attnspec-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldPort=${SLURM_LOCAL_CTLD_PORT:-6817}
SlurmdPort=${SLURM_LOCAL_SLURMD_PORT:-6818}
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  install_pkgs
  stop_quiet
  write_conf
  # munge: a key of our own, a socket of our own
  if [ ! -f "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom bs=1 count=1024 of="$DIR/munge/munge.key" status=none
    chmod 400 "$DIR/munge/munge.key"
  fi
  local sock="$DIR/munge/munge.socket.2"
  munged --force --key-file="$DIR/munge/munge.key" --socket="$sock" --pid-file="$DIR/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
  # Slurm's auth/munge plugin talks to the default socket path; point it at ours.
  mkdir -p /run/munge
  ln -sf "$sock" /run/munge/munge.socket.2
  export SLURM_CONF="$CONF"
  slurmctld -D -f "$CONF" >>"$DIR/log/slurmctld.out" 2>&1 &
  echo $! > "$DIR/slurmctld.daemon.pid"
  slurmd -D -f "$CONF" -N "$NODE" >>"$DIR/log/slurmd.out" 2>&1 &
  echo $! > "$DIR/slurmd.daemon.pid"
  # wait until the node is idle
  for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "slurm: up ($(sinfo -h -o '%D node(s) %T' | head -n1)); export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.5
  done
  echo "error: slurm did not come up; logs in $DIR/log" >&2
  tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
  stop_quiet
  exit 1
}

stop_quiet() {
  for f in slurmd.daemon slurmctld.daemon munged; do
    if [ -f "$DIR/$f.pid" ]; then
      local pid
      pid="$(cat "$DIR/$f.pid")"
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$DIR/$f.pid"
    fi
  done
  if [ -L /run/munge/munge.socket.2 ] && [ "$(readlink /run/munge/munge.socket.2)" = "$DIR/munge/munge.socket.2" ]; then
    rm -f /run/munge/munge.socket.2
  fi
}

case "${1:-}" in
  install) install_pkgs ;;
  start) start ;;
  stop) stop_quiet; echo "slurm: stopped" ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 install|start|env|stop" >&2; exit 2 ;;
esac
