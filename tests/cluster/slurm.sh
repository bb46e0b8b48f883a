#!/bin/sh
# slurm.sh - a sharded sweep as a Slurm job array on a one-node Slurm that
# this test configures and starts (make test-slurm; part of make test).
# Run as root from the repository root.
#  - munged, slurmctld and slurmd run from a temporary folder (their own key,
#    socket, ports, state and logs; nothing in /etc is used or changed);
#  - `qsim sweep --emit slurm` writes the job script; sbatch --array submits
#    it, sbatch --wait waits for every task; `sh FILE merge` merges;
#  - the merge is byte-identical to the unsharded sweep;
#  - the daemons are stopped and the folder removed afterwards, also on
#    failure or interruption.
# When a daemon cannot run here, the test fails and says why (its log's
# last error); it never skips. Every wait is bounded.
set -u
QSIM=${QSIM:-./qsim}
name=cluster-slurm
npass=0
nfail=0
fail() { echo "$name: FAIL: $*" >&2; nfail=$((nfail + 1)); }
ok() { npass=$((npass + 1)); }
cannot() { # the reason Slurm cannot run here; ends the test
    echo "$name: FAIL: Slurm cannot run on this machine: $*" >&2
    echo "$name: $npass passed, $((nfail + 1)) failed"
    exit 1
}
[ -x "$QSIM" ] || { echo "$name: $QSIM not built (run make qsim)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] ||
    cannot "the test starts slurmd, which must run as root to launch jobs (SlurmdUser=root); run make test-slurm as root"
for c in munged munge slurmctld slurmd sbatch sinfo scontrol scancel; do
    command -v "$c" >/dev/null 2>&1 || cannot "'$c' is not installed (sh tools/deps.sh cluster installs slurm-wlm and munge)"
done
QSIM=$(cd "$(dirname "$QSIM")" && pwd)/$(basename "$QSIM")

# 0755: munged wants its socket's folders searchable by everyone
tmp=$(mktemp -d /tmp/qsim-slurm.XXXXXX) || exit 1
chmod 755 "$tmp"
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/out"
chmod 755 "$tmp/munge"
stop() {
    if [ -f "$tmp/slurm.conf" ]; then
        SLURM_CONF=$tmp/slurm.conf timeout 10 scancel --quiet --user=root 2>/dev/null
    fi
    for p in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munge/munged.pid"; do
        [ -s "$p" ] || continue
        pid=$(cat "$p")
        kill "$pid" 2>/dev/null || continue
        i=0
        while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' HUP INT TERM
logtail() { # the last error lines of a daemon's log
    grep -i -E 'error|fatal' "$1" 2>/dev/null | tail -n 3 | tr '\n' ' '
}

# ---- munge ----
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$tmp/munge/munge.key"
sock=$tmp/munge/munge.sock
timeout 20 munged --key-file="$tmp/munge/munge.key" --socket="$sock" --pid-file="$tmp/munge/munged.pid" \
    --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/seed" 2>"$tmp/err" ||
    cannot "munged did not start: $(cat "$tmp/err") $(logtail "$tmp/log/munged.log")"
timeout 10 munge -S "$sock" -n 2>"$tmp/err" | timeout 10 unmunge -S "$sock" >/dev/null 2>>"$tmp/err" ||
    cannot "munged runs but a credential does not round-trip: $(cat "$tmp/err")"
ok

# ---- slurmctld and slurmd ----
host=$(hostname -s)
port=$((20000 + $$ % 20000))
cat > "$tmp/slurm.conf" <<CONF
ClusterName=qsimtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=qsim Nodes=$host Default=YES MaxTime=10 State=UP
CONF
export SLURM_CONF="$tmp/slurm.conf"
timeout 20 slurmctld -f "$SLURM_CONF" 2>"$tmp/err" ||
    cannot "slurmctld did not start: $(cat "$tmp/err") $(logtail "$tmp/log/slurmctld.log")"
timeout 20 slurmd -f "$SLURM_CONF" 2>"$tmp/err" ||
    cannot "slurmd did not start: $(cat "$tmp/err") $(logtail "$tmp/log/slurmd.log")"
i=0 # the node comes up idle within 30 s
state=""
while [ "$i" -lt 60 ]; do
    state=$(timeout 5 sinfo -h -n "$host" -o %T 2>/dev/null)
    [ "$state" = idle ] && break
    sleep 0.5
    i=$((i + 1))
done
[ "$state" = idle ] || cannot "node $host is '${state:-not reported}' after 30 s, not idle: $(logtail "$tmp/log/slurmctld.log") $(logtail "$tmp/log/slurmd.log")"
echo "$name: $(sinfo --version), node $host idle, $(nproc) CPUs"
ok

# ---- the sweep as a job array ----
sw="scenarios/busy.json --param kv.put_error_prob=0:0.1:0.02 --param humans[0].rate_per_s=0.5,1 --options 0,1 --reps 2 --days 0.005"
# shellcheck disable=SC2086
timeout 120 "$QSIM" sweep $sw --out "$tmp/U" -q 2>"$tmp/err" || fail "unsharded sweep: $(cat "$tmp/err")"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --emit slurm --shards 4 --time 5 --out "$tmp/out/sweep" > "$tmp/job.sh" 2>"$tmp/err" ||
    fail "--emit slurm: $(cat "$tmp/err")"
job=$(cd "$tmp/out" && timeout 240 sbatch --wait --parsable --output="$tmp/log/task-%a.out" "$tmp/job.sh" 2>"$tmp/err")
rc=$?
[ "$rc" -eq 0 ] && ok || fail "sbatch --wait of the job array: exit $rc: $(cat "$tmp/err") $(cat "$tmp/log/task-"*.out 2>/dev/null)"
echo "$name: job array $job ($(grep '^#SBATCH --array' "$tmp/job.sh")) finished; $(ls "$tmp/log" | grep -c '^task-') task logs"
# every task ran and finished: scontrol keeps finished jobs for MinJobAge (300 s)
tasks=$(timeout 10 scontrol -o show job "$job" 2>/dev/null | grep -c 'JobState=COMPLETED')
[ "$tasks" -eq 4 ] && ok || fail "job $job: $tasks of 4 array tasks COMPLETED: $(timeout 10 scontrol -o show job "$job" | sed 's/.*\(ArrayTaskId=[^ ]*\).*\(JobState=[^ ]*\).*/\1 \2/' | tr '\n' ' ')"
for k in 1 2 3 4; do
    [ -f "$tmp/out/sweep/shard-$k/sweep.json" ] || fail "task $k wrote no shard folder"
done
sh "$tmp/job.sh" merge 2>"$tmp/err" || fail "sh job.sh merge: $(cat "$tmp/err")"
echo "$name: $(cat "$tmp/err")"
if cmp -s "$tmp/U/sweep.csv" "$tmp/out/sweep/sweep.csv"; then ok; else
    fail "the merged job array's sweep.csv differs from the unsharded sweep's"
fi
for f in "$tmp/U/points/"*.json; do
    cmp -s "$f" "$tmp/out/sweep/points/$(basename "$f")" || { fail "points/$(basename "$f") differs"; break; }
done

echo "$name: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
