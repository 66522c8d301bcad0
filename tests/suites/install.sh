#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install` / `make uninstall` into staging roots (DESTDIR), never the
# real /etc or /usr/local: the tree, its owners and modes, the unit file
# (systemd-analyze verify), then the agent started from the installed files
# with the unit's capability bounding set and no_new_privs, reading the
# installed package defaults, exporting a marker exec to a file under $tmp;
# uninstall leaves nothing behind. Needs root. Last line:
#   install: N passed, N failed, N skipped
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
passed=0 failed=0 skipped=0
apid=

ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
skip() { echo "SKIP $1"; skipped=$((skipped + 1)); }
check() {	# NAME COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
summary() { echo "install: $passed passed, $failed failed, $skipped skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "install: skipped: needs root"; skipped=1; summary; }
if [ ! -x "$BUILD/bin/tetragon" ] || [ ! -x "$BUILD/bin/tetra" ]; then
	bad "build: $BUILD/bin/tetragon or tetra missing (run make)"
	summary
fi
# the same build as $BUILD: a sanitizer build must not be relinked without sanitizers
san=0
ldd "$BUILD/bin/tetragon" 2>/dev/null | grep -q libasan && san=1
mk() { make --no-print-directory SAN=$san BUILD="$BUILD" "$@"; }

# the host's files this suite must never touch
REAL="/etc/tetragon /usr/local/bin/tetragon /usr/local/bin/tetra /usr/local/lib/tetragon /usr/bin/tetragon
	/usr/lib/tetragon /usr/lib/systemd/system/tetragon.service /opt/tg"
real_state() { for p in $REAL; do stat -c '%n %i %a %Y' "$p" 2>/dev/null || echo "$p absent"; done; }
real_before=$(real_state)

tmp=$(mktemp -d /tmp/tg-install-XXXXXX)
cleanup() {
	[ -n "$apid" ] && kill -KILL "$apid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
R=$tmp/root
PKGCONF=$R/usr/local/lib/tetragon/tetragon.conf.d

# ---- install: the tree ------------------------------------------------------------
# a umask that would make group-writable files: the install must not care
if (umask 0002 && mk DESTDIR="$R" install) >"$tmp/install.out" 2>&1; then
	ok "make install DESTDIR=$R"
else
	bad "make install: $(tail -5 "$tmp/install.out")"
	summary
fi
find "$R" -mindepth 1 -printf '%y %m %u:%g %P\n' | sort >"$tmp/tree"
sort >"$tmp/tree.want" <<EOF
d 755 root:root etc
d 755 root:root etc/tetragon
d 755 root:root etc/tetragon/tetragon.conf.d
d 755 root:root etc/tetragon/tetragon.tp.d
d 755 root:root usr
d 755 root:root usr/lib
d 755 root:root usr/lib/systemd
d 755 root:root usr/lib/systemd/system
f 644 root:root usr/lib/systemd/system/tetragon.service
d 755 root:root usr/local
d 755 root:root usr/local/bin
f 755 root:root usr/local/bin/tetra
f 755 root:root usr/local/bin/tetragon
d 755 root:root usr/local/lib
d 755 root:root usr/local/lib/tetragon
d 755 root:root usr/local/lib/tetragon/tetragon.conf.d
f 644 root:root usr/local/lib/tetragon/tetragon.conf.d/export-file-compress
f 644 root:root usr/local/lib/tetragon/tetragon.conf.d/export-filename
f 644 root:root usr/local/lib/tetragon/tetragon.conf.d/log-format
f 644 root:root usr/local/lib/tetragon/tetragon.conf.d/log-level
f 644 root:root usr/local/lib/tetragon/tetragon.conf.d/metrics-server
f 644 root:root usr/local/lib/tetragon/tetragon.conf.d/server-address
EOF
if diff -u "$tmp/tree.want" "$tmp/tree" >"$tmp/tree.diff"; then
	ok "installed tree: binaries, unit, package defaults, /etc dirs; root's, 0755/0644, nothing writable by others"
else
	bad "installed tree differs: $(cat "$tmp/tree.diff")"
fi
check "installed binaries are the build's" \
	sh -c "cmp -s '$BUILD/bin/tetragon' '$R/usr/local/bin/tetragon' && cmp -s '$BUILD/bin/tetra' '$R/usr/local/bin/tetra'"
# upstream's tarball defaults, minus its flags this agent does not implement
# (bpf-lib, gops-address, verbose: they would only warn)
want_conf="export-file-compress=true export-filename=/var/log/tetragon/tetragon.log log-format=text log-level=info metrics-server= server-address=unix:///var/run/tetragon/tetragon.sock"
got_conf=$(for f in "$PKGCONF"/*; do printf '%s=%s ' "$(basename "$f")" "$(cat "$f")"; done)
check "package defaults as upstream's tarball: $want_conf" test "${got_conf% }" = "$want_conf"

# ---- the unit file ----------------------------------------------------------------
UNIT=$R/usr/lib/systemd/system/tetragon.service
check "unit: ExecStart=/usr/local/bin/tetragon with no flags (configuration from conf.d)" \
	test "$(grep -c '^ExecStart=/usr/local/bin/tetragon$' "$UNIT")" = 1 -a "$(grep -c '^ExecStart' "$UNIT")" = 1
check "unit: Restart=on-failure" grep -qx 'Restart=on-failure' "$UNIT"
check "unit: WantedBy=multi-user.target" grep -qx 'WantedBy=multi-user.target' "$UNIT"
check "unit: no @PLACEHOLDER@ left" test "$(grep -c '@[A-Z]*@' "$UNIT")" = 0
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
check "unit: the bounding set keeps CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN" \
	sh -c "echo ' $caps ' | grep ' CAP_BPF ' | grep ' CAP_PERFMON ' | grep -q ' CAP_SYS_ADMIN '"
check "unit: NoNewPrivileges=yes" grep -qx 'NoNewPrivileges=yes' "$UNIT"
# each of these gives the service its own mount namespace: bpffs/tracefs
# mounted and BPF objects pinned there would be lost to the host
nsdirs=$(grep -E '^(Protect(System|Home|KernelTunables|KernelModules|KernelLogs|ControlGroups|Proc|Clock|Hostname)|Private(Tmp|Devices|Mounts|Users|Network|PIDs)|ProcSubset|MountFlags|(ReadOnly|ReadWrite|Inaccessible|Exec|NoExec)Paths|TemporaryFileSystem|Bind(ReadOnly)?Paths|Root(Directory|Image))=' "$UNIT")
check "unit: no sandboxing that hides bpffs, tracefs, /proc or binaries from the agent" test -z "$nsdirs"
if command -v systemd-analyze >/dev/null; then
	# verify checks ExecStart's binary on this host: a copy pointing into the staging root
	sed "s|^ExecStart=/usr/local/bin/|ExecStart=$R/usr/local/bin/|" "$UNIT" >"$tmp/tetragon.service"
	if systemd-analyze verify "$tmp/tetragon.service" >"$tmp/verify.out" 2>&1 && [ ! -s "$tmp/verify.out" ]; then
		ok "systemd-analyze verify: no errors, no warnings"
	else
		bad "systemd-analyze verify: $(cat "$tmp/verify.out")"
	fi
else
	skip "systemd-analyze verify: systemd-analyze is not installed"
fi

# ---- the installed agent reads the installed configuration --------------------------
# --version parses every setting: the package defaults are all flags it honours
"$R/usr/local/bin/tetragon" --config-dir "$PKGCONF" --version >"$tmp/v.out" 2>"$tmp/v.err"
rc=$?
check "installed agent accepts the package defaults, no warning" \
	test $rc -eq 0 -a ! -s "$tmp/v.err" -a "$(grep -c '^tetragon ' "$tmp/v.out")" = 1
[ -s "$tmp/v.err" ] && cat "$tmp/v.err"
"$R/usr/local/bin/tetragon" --config-dir "$R/etc/tetragon/tetragon.conf.d" --version >/dev/null 2>"$tmp/v2.err"
rc=$?
check "installed agent trusts the installed /etc/tetragon/tetragon.conf.d (root's, 0755)" \
	test $rc -eq 0 -a ! -s "$tmp/v2.err"
[ -s "$tmp/v2.err" ] && cat "$tmp/v2.err"

# ---- start it from the installed files, with the unit's capabilities ----------------
mkdir -p "$tmp/watched" "$tmp/run"
echo x >"$tmp/watched/f"
marker=$tmp/install-marker
cp /bin/true "$marker"
cat >"$R/etc/tetragon/tetragon.tp.d/install-open.yaml" <<YAML
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "install-open"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["$tmp/watched/"]
YAML
chmod 0644 "$R/etc/tetragon/tetragon.tp.d/install-open.yaml"
bset=-all
for c in $caps; do
	c=${c#CAP_}
	bset="$bset,+${c,,}"
done
SOCK=$tmp/run/tetragon.sock
INFO=$tmp/run/tetragon-info.json
EXPORT=$tmp/log/tetragon.log
group=()
getent group nogroup >/dev/null && group=(--server-access-group nogroup)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
# The package defaults name the host's socket in --server-address
# (unix:///var/run/tetragon/tetragon.sock serves that socket only): the
# command line replaces it with a private one, the export file and the
# info file likewise.
setpriv --no-new-privs --inh-caps=-all --bounding-set "$bset" -- \
	"$R/usr/local/bin/tetragon" --config-dir "$PKGCONF" \
	--server-address "unix://$SOCK" --info-file "$INFO" --export-filename "$EXPORT" \
	--tracing-policy-dir "$R/etc/tetragon/tetragon.tp.d" "${group[@]}" \
	>"$tmp/agent.out" 2>"$tmp/agent.err" &
apid=$!
for _ in $(seq 600); do
	grep -q "tetragon running" "$tmp/agent.err" 2>/dev/null && break
	kill -0 "$apid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "tetragon running" "$tmp/agent.err"; then
	bad "installed agent did not start with the unit's bounding set ($bset): $(tail -5 "$tmp/agent.err")"
	apid=
else
	ok "installed agent starts with the unit's bounding set and no_new_privs"
	check "the policy in the installed tetragon.tp.d is loaded" \
		grep -q "tracing policies: 1 accepted, 0 refused" "$tmp/agent.err"
	check "no warning about the configuration" test "$(grep -c 'does not implement yet' "$tmp/agent.err")" = 0
	wait_export() {	# PATTERN: in the export file within 15 s
		local i
		for i in $(seq 150); do
			grep -q "$1" "$EXPORT" 2>/dev/null && return 0
			sleep 0.1
		done
		return 1
	}
	"$marker" installed-agent
	check "marker exec in the export file" \
		wait_export "\"process_exec\":{\"process\":{[^}]*\"binary\":\"$marker\",\"arguments\":\"installed-agent\""
	cat "$tmp/watched/f" >/dev/null
	check "policy event of the installed policy in the export file" \
		wait_export "\"process_kprobe\".*\"string_arg\":\"$tmp/watched/f\".*\"policy_name\":\"install-open\""
	"$R/usr/local/bin/tetra" status --server-address "unix://$SOCK" >"$tmp/tetra.out" 2>&1
	check "installed tetra talks to it over the private socket" grep -qx "Health Status: running" "$tmp/tetra.out"
	check "private info file names the private socket" grep -q "\"server_address\":\"unix://$SOCK\"" "$INFO"
	if [ ${#group[@]} -gt 0 ]; then
		check "socket handed to --server-access-group (CAP_CHOWN in the set): root:nogroup 0660" \
			test "$(stat -c '%U:%G %a' "$SOCK")" = "root:nogroup 660"
	else
		check "socket mode 0600" test "$(stat -c %a "$SOCK")" = 600
	fi
	# export-file-compress=true comes from the package defaults only
	kill -HUP "$apid"
	for _ in $(seq 150); do
		ls "$tmp"/log/tetragon-*.log.gz >/dev/null 2>&1 && break
		sleep 0.1
	done
	check "SIGHUP rotates to a gzip backup (export-file-compress from the package defaults)" \
		sh -c "ls '$tmp'/log/tetragon-*.log.gz >/dev/null"
	kill -TERM "$apid"
	rc=0
	wait "$apid" || rc=$?
	apid=
	check "agent exits 0 on SIGTERM" test $rc -eq 0
	check "agent removed its socket and info file" test ! -e "$SOCK" -a ! -e "$INFO"
	if grep -q "ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer" "$tmp/agent.err"; then
		bad "sanitizer reports: $(grep -A5 "Sanitizer\|runtime error" "$tmp/agent.err" | head -20)"
	fi
fi

# ---- uninstall ------------------------------------------------------------------------
# with a policy of the admin's still in tetragon.tp.d: kept, with it /etc/tetragon
mk DESTDIR="$R" uninstall >"$tmp/uninstall.out" 2>&1
rc=$?
left=$(find "$R" ! -type d -printf '%P\n' | sort | tr '\n' ' ')
check "make uninstall keeps the admin's policy and says so, removes the rest" \
	test $rc -eq 0 -a "$left" = "etc/tetragon/tetragon.tp.d/install-open.yaml " \
	-a "$(grep -c "KEEP .*/etc/tetragon/tetragon.tp.d/" "$tmp/uninstall.out")" = 1
[ "$left" = "etc/tetragon/tetragon.tp.d/install-open.yaml " ] || echo "left: $left"
rm -f "$R/etc/tetragon/tetragon.tp.d/install-open.yaml"
mk DESTDIR="$R" uninstall >"$tmp/uninstall.out" 2>&1
rc=$?
left=$(find "$R" \( ! -type d -o -name '*tetragon*' \) -printf '%P\n')
check "make uninstall leaves nothing behind (no file, no tetragon directory)" test $rc -eq 0 -a -z "$left"
[ -z "$left" ] || echo "left: $left"

# ---- PREFIX -------------------------------------------------------------------------
R2=$tmp/usr-root
if mk DESTDIR="$R2" PREFIX=/usr install >"$tmp/install2.out" 2>&1; then
	check "PREFIX=/usr: /usr/bin/tetragon, ExecStart=/usr/bin/tetragon, /usr/lib/tetragon/tetragon.conf.d" \
		sh -c "test -x '$R2/usr/bin/tetragon' -a -x '$R2/usr/bin/tetra' &&
			grep -qx 'ExecStart=/usr/bin/tetragon' '$R2/usr/lib/systemd/system/tetragon.service' &&
			test -f '$R2/usr/lib/tetragon/tetragon.conf.d/export-filename' && test ! -e '$R2/usr/local'"
	check "PREFIX=/usr: no warning (the agent reads /usr/lib/tetragon/tetragon.conf.d)" \
		test "$(grep -c warning "$tmp/install2.out")" = 0
else
	bad "make install PREFIX=/usr: $(tail -5 "$tmp/install2.out")"
fi
mk DESTDIR="$R2" PREFIX=/usr uninstall >/dev/null 2>&1
check "PREFIX=/usr: uninstall leaves nothing behind" test -z "$(find "$R2" \( ! -type d -o -name '*tetragon*' \))"
R3=$tmp/opt-root
mk DESTDIR="$R3" PREFIX=/opt/tg install >"$tmp/install3.out" 2>&1
check "PREFIX=/opt/tg: installs, and warns that the agent will not read /opt/tg/lib/tetragon/tetragon.conf.d" \
	sh -c "test -x '$R3/opt/tg/bin/tetragon' &&
		grep -q 'warning: .*will not read /opt/tg/lib/tetragon/tetragon.conf.d' '$tmp/install3.out'"
mk DESTDIR="$R3" PREFIX=/opt/tg uninstall >/dev/null 2>&1
check "PREFIX=/opt/tg: uninstall leaves nothing behind" test -z "$(find "$R3" \( ! -type d -o -name '*tetragon*' \))"
mk DESTDIR=relative/root install >"$tmp/install4.out" 2>&1
rc=$?
check "a relative DESTDIR is refused" \
	test $rc -ne 0 -a "$(grep -c 'DESTDIR=relative/root: must be an absolute path' "$tmp/install4.out")" = 1
test ! -e relative || bad "a relative DESTDIR created files in the source tree"

check "the host's /etc/tetragon, /usr/local and /usr/lib were not touched" test "$(real_state)" = "$real_before"
summary
