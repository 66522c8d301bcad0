#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exec storm in a container: N fork+exec of /bin/true per round inside a
# Podman container (its own storage under the bench's directory, as the
# tests run it), in three conditions interleaved each round: no agent, the
# agent without container metadata, the agent asking Podman's API for it
# (process.docker and pod.container on every event). Prints the median time
# ratios and their ranges, and how many storm execs were exported with their
# container. N defaults to 5000. Skips (exit 0) without podman, runc,
# busybox-static or a static libc.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${N:-5000}

for b in podman runc busybox; do
	command -v "$b" >/dev/null || { echo "container exec storm: skipped: no $b (make deps)"; exit 0; }
done
# the storm, static: the busybox image has no libc
gcc -static -O2 -o "$work/storm" tests/helpers/exec_storm.c 2>"$work/gcc.err" ||
	{ echo "container exec storm: skipped: no static libc: $(head -1 "$work/gcc.err")"; exit 0; }
mkdir -p "$work/img" "$work/podman"
cat >"$work/containers.conf" <<'EOF'
[containers]
default_ulimits = []
netns = "host"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
export CONTAINERS_CONF=$work/containers.conf
PM=(podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp"
	--cgroup-manager cgroupfs --runtime "$(command -v runc)" --events-backend file --storage-driver overlay)
pm() { "${PM[@]}" "$@"; }
service=""
bench_container_cleanup() {
	pm rm -f -t 0 tg-bench-storm >/dev/null 2>&1 || true	# its sleep ignores SIGTERM: -t 0
	if [ -n "$service" ]; then
		kill -TERM "$service" 2>/dev/null || true
		wait "$service" 2>/dev/null || true
	fi
	# podman's overlay and shm mounts under the bench's directory, deepest first
	awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	bench_cleanup
}
trap bench_container_cleanup EXIT
image=$(python3 -c 'import sys; sys.path.insert(0, "tests/integration"); import containers_env as ce
print(ce.build_images(sys.argv[1])[ce.IMAGE][0])' "$work/img")
pm load -i "$image" >/dev/null 2>&1
cid=$(pm run -d --name tg-bench-storm --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	-v "$work/storm:/storm:ro" tg.local/busybox:1 sleep 100000)
spawn "${PM[@]}" system service --time=0 "unix://$work/podman.sock"
service=$!
for ((i = 0; i < 100; i++)); do [ -S "$work/podman.sock" ] && break; sleep 0.1; done
storm() { pm exec tg-bench-storm /storm "$N"; }
# execs of the storm exported, and those of them with the container's identity
exported() {
	local all with
	all=$(grep -c '"process_exec".*"binary":"/bin/true"' "$work/events.log" || true)
	with=$(grep '"process_exec".*"binary":"/bin/true"' "$work/events.log" |
		grep -c "\"docker\":\"${cid:0:31}\".*\"pod\"" || true)
	echo "$all $with"
}

storm >/dev/null	# warm the page cache
short=0 named=0
for ((r = 0; r < ROUNDS; r++)); do
	record base "$(storm)"
	agent_start --enable-container-runtime-metadata=false
	record plain "$(storm)"
	drain
	agent_stop
	read -r all _ < <(exported)
	[ "$all" -ge "$N" ] || short=$((short + N - all))
	agent_start --podman-socket "$work/podman.sock" --docker-socket "" --containerd-socket ""
	record meta "$(storm)"
	drain
	agent_stop
	read -r all with < <(exported)
	[ "$all" -ge "$N" ] || short=$((short + N - all))
	named=$((named + with))
done

echo "container exec storm: $N fork+exec of /bin/true per round in a Podman container;" \
	"no agent / agent / agent with container metadata interleaved"
conditions
summary "without agent (s)" base "%.3f"
summary "agent, no container metadata (s)" plain "%.3f"
summary "agent, Podman's metadata (s)" meta "%.3f"
summary_ratio "ratio agent / none" plain base
summary_ratio "ratio agent with metadata / none" meta base
summary_ratio "ratio with metadata / without" meta plain
echo "  storm execs not exported: $short   exported with the container and pod.container: $named of $((N * ROUNDS))"
