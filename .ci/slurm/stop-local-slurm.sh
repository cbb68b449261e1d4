#!/usr/bin/env bash
# stop-local-slurm.sh - stop what .ci/slurm/start-local-slurm.sh started, and nothing else.
# Cancels this cluster's jobs, then stops slurmd, slurmctld, slurmdbd, mariadbd, munged - each only if
# its pid is recorded in /run/local-slurm/NAME.pid AND /proc/PID/comm is NAME (never by name/pattern).
#   --clean   also delete slurmctld's saved state (job queue, node states, job id counter)
set -uo pipefail
STATE=/run/local-slurm
export PATH=/usr/sbin:/sbin:$PATH
log() { echo "[stop-local-slurm] $*"; }
ours() { local f="$STATE/$1.pid" pid; [ -s "$f" ] || return 1; pid=$(cat "$f")
         [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]; }

if ours slurmctld; then
  # jobs would otherwise keep running under orphaned slurmstepd processes after slurmd exits
  if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
    log "cancelling jobs"; scancel --state=pending 2>/dev/null; scancel --state=running 2>/dev/null
    for i in $(seq 1 100); do [ -z "$(squeue -h -t pending,running,completing -o %i 2>/dev/null)" ] && break; sleep 0.1; done
  fi
fi
for n in slurmd slurmctld slurmdbd mariadbd munged; do
  if ! ours "$n"; then rm -f "$STATE/$n.pid"; continue; fi
  pid=$(cat "$STATE/$n.pid"); log "stopping $n (pid $pid)"
  kill "$pid"
  for i in $(seq 1 150); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  if [ -d "/proc/$pid" ]; then log "$n did not exit after 15s, SIGKILL"; kill -9 "$pid"; fi
  rm -f "$STATE/$n.pid" "$STATE/$n.daemon.pid"
done
[ "${1:-}" = --clean ] && { log "removing slurmctld state"; rm -rf /var/lib/slurm/slurmctld/*; }
log "done"
