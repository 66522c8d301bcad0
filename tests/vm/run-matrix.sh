#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots each kernel of tests/vm/kernels under qemu (TCG: no KVM needed) with
# an initramfs holding the agent, its libraries and busybox, runs
# tests/vm/init.sh inside, and reports its VMTEST lines. Last line:
#   vm-kernels: N passed, N failed, N skipped
# Usage: tests/vm/run-matrix.sh [KERNEL...]   (names from tests/vm/kernels, e.g. 6.1)
# A kernel that cannot be downloaded is skipped; one that boots and fails a
# check is a failure.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CACHE=${VM_CACHE:-build/vm-cache}
TIMEOUT=${VM_TIMEOUT:-1800}	# one kernel: ~1 min under TCG, ~6-10 more with the policy corpus (more on a busy host)
passed=0 failed=0 skipped=0
summary() { echo "vm-kernels: $passed passed, $failed failed, $skipped skipped"; exit 0; }

for tool in qemu-system-x86_64 cpio; do
	command -v $tool >/dev/null || { echo "vm: $tool is not installed (scripts/install-deps.sh)"; skipped=1; summary; }
done
BUSYBOX=/bin/busybox
# the initramfs has no libc for it: it must be the static build
if [ ! -x "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	echo "vm: no static busybox at $BUSYBOX (Debian package busybox-static)"
	skipped=1
	summary
fi
[ -x "$BUILD/bin/tetragon" ] || { echo "vm: $BUILD/bin/tetragon is not built"; failed=1; summary; }
# a small module with no dependencies and no side effects, loaded and
# unloaded by the module checks (checks/modules.sh, corpus.expect)
KMOD=lib/crc7.ko
LOGS="$BUILD/vm-logs"	# per build dir: runs from several build dirs may overlap
mkdir -p "$CACHE" "$LOGS"

# ---- the initramfs (same for every kernel) ------------------------------------------
root=$(mktemp -d /tmp/tg-vm-XXXXXX)
initrd="$CACHE/initrd-$$.cpio.gz"
trap 'rm -rf "$root" "$root".* "$initrd" "$initrd".*' EXIT
mkdir -p "$root"/{bin,etc/tg/policies,etc/tg/checks,proc,sys,dev,tmp,run,var}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$BUILD/bin/tetragon" "$root/bin/tetragon"
[ -x "$BUILD/bin/tetra" ] && cp "$BUILD/bin/tetra" "$root/bin/tetra"
# real (not busybox) binaries for the exec/exit and pipeline checks
mkdir -p "$root/usr/bin"
for b in true cat wc; do cp "/usr/bin/$b" "$root/usr/bin/$b"; done
for h in uprobe_target usdt_target corpus_calls; do
	# make, not only when missing: a copied build/ may hold an older helper
	make -s BUILD="$BUILD" "$BUILD/tests/helpers/$h" >/dev/null
	cp "$BUILD/tests/helpers/$h" "$root/bin/$h"
done
# what upstream's example policies name (tests/vm/corpus.expect): bash (its
# uprobe examples) and libc at /lib64, the USDT example's binary (a probe
# test:usdt3 in corpus_calls)
cp -L /bin/bash "$root/usr/bin/bash"
ln -s /usr/bin/bash "$root/bin/bash"
mkdir -p "$root/lib64" "$root/home/jolsa/tetragon/contrib/tester-progs"
ln -s /lib/x86_64-linux-gnu/libc.so.6 "$root/lib64/libc.so.6"
cp "$root/bin/corpus_calls" "$root/home/jolsa/tetragon/contrib/tester-progs/usdt"
# the shared libraries, at the paths the dynamic loader looks for them
for b in "$root"/bin/tetragon "$root"/bin/tetra "$root"/bin/uprobe_target "$root"/bin/usdt_target "$root"/bin/corpus_calls "$root"/usr/bin/*; do
	[ -e "$b" ] && ldd "$b"
done | grep -o '/[^ ]*' | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# VM_INIT replaces the test /init and VM_EXTRA (a directory) is laid over the
# initramfs: the kernel-hook benchmark (bench/vm_hooks.sh) runs this way
cp "${VM_INIT:-tests/vm/init.sh}" "$root/init"
[ -n "${VM_EXTRA:-}" ] && cp -r "$VM_EXTRA"/. "$root/"
chmod +x "$root/init"
# the policies the agent starts with and the checks to run (drop-in: later
# features add a policy and a check file; see tests/vm/init.sh)
# VM_CHECKS=corpus,usdt / VM_POLICIES=usdt (or none): only those (a quicker run while working on them)
for f in tests/vm/policies/*.yaml tests/vm/checks/*.sh; do
	n=$(basename "${f%.*}")
	case $f in *.yaml) sel=${VM_POLICIES:-} dst=policies ;; *) sel=${VM_CHECKS:-} dst=checks ;; esac
	[ -z "$sel" ] || [[ ",$sel," == *",$n,"* ]] || continue
	cp "$f" "$root/etc/tg/$dst/"
done
# the upstream policy corpus, added one by one by checks/corpus.sh, and its
# assertions (outside the repository: a run without it skips that check)
CORPUS=${TG_UPSTREAM_POLICIES:-$(cd .. && pwd)/shared/upstream-policies}
if [ -d "$CORPUS" ]; then
	mkdir -p "$root/etc/tg/corpus"
	cp "$CORPUS"/*.yaml "$CORPUS"/*.yml "$root/etc/tg/corpus/" 2>/dev/null
	cp tests/vm/corpus.expect "$root/etc/tg/corpus.expect"
fi
echo "vm-root:x:0:0::/:/bin/sh" >"$root/etc/passwd"
echo vm >"$root/etc/hostname"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"

# ---- this machine's kernel: what it offers, for the record ---------------------------
# The agent's own needs (BTF, ring buffer, tracepoints) must be there: the
# other suites run it here.
if [ "$(id -u)" -eq 0 ] && [ ${#@} -eq 0 ]; then
	echo "== host: $(uname -r), tetragon --probe-features"
	"$BUILD/bin/tetragon" --probe-features 2>/dev/null >"$LOGS/host.features"
	sed 's/^/   /' "$LOGS/host.features"
	bad=""
	for f in btf ringbuf tracepoint raw_tracepoint tp_btf; do
		grep -q "^$f: yes" "$LOGS/host.features" || bad="$bad $f"
	done
	if [ "$(grep -cE '^[a-z_]+: (yes|no) \(.+\)$' "$LOGS/host.features")" -lt 15 ]; then
		bad="$bad (fewer than 15 feature lines)"
	fi
	if [ -z "$bad" ]; then
		passed=$((passed + 1))
	else
		echo "FAIL host: --probe-features:$bad"
		failed=$((failed + 1))
	fi
fi

# ---- each kernel --------------------------------------------------------------------------
# The kernels boot side by side (TCG keeps one host core busy per VM; CI has
# two), then are reported in tests/vm/kernels' order. VM_SERIAL=1 boots them
# one after the other.
want=("$@")
names=() kernels=() expects=() initrds=()
while read -r name regexp expect; do
	case "$name" in ''|'#'*) continue ;; esac
	if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $name "* ]]; then continue; fi
	pkg=$(apt-cache search --names-only "$regexp" 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
	if [ -z "$pkg" ]; then
		echo "SKIP $name: no package matches $regexp in the configured apt sources"
		skipped=$((skipped + 1))
		continue
	fi
	kernel=$(ls "$CACHE/$pkg"/boot/vmlinuz-* 2>/dev/null | head -1)
	config=$(ls "$CACHE/$pkg"/boot/config-* 2>/dev/null | head -1)
	kmod=$(ls "$CACHE/$pkg"/lib/modules/*/kernel/$KMOD* 2>/dev/null | head -1)
	if [ -z "$kernel" ] || [ -z "$config" ] || [ -z "$kmod" ]; then
		# into a private directory, then renamed: concurrent runs share the cache
		dl=$(mktemp -d "$CACHE/.download-XXXXXX")
		if ! (cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1); then
			rm -rf "$dl"
			echo "SKIP $name: apt-get download $pkg failed (no network to the Debian mirror?)"
			skipped=$((skipped + 1))
			continue
		fi
		# the kernel and its config (what --probe-features finds, explained),
		# and a module to load (below)
		dpkg-deb --fsys-tarfile "$dl"/*.deb | tar -x -C "$dl" --wildcards './boot/vmlinuz-*' './boot/config-*' "./lib/modules/*/kernel/$KMOD*"
		rm -f "$dl"/*.deb
		rm -rf "$CACHE/$pkg"
		mv -T "$dl" "$CACHE/$pkg" 2>/dev/null || rm -rf "$dl"
		kernel=$(ls "$CACHE/$pkg"/boot/vmlinuz-* | head -1)
		config=$(ls "$CACHE/$pkg"/boot/config-* | head -1)
		kmod=$(ls "$CACHE/$pkg"/lib/modules/*/kernel/$KMOD* 2>/dev/null | head -1)
	fi
	# this kernel's module, decompressed (busybox insmod reads it as is) at
	# /lib/tg-modules/crc7.ko: a second cpio archive after the common one
	kinitrd=$initrd
	if [ -n "$kmod" ]; then
		kinitrd="$initrd.$name"
		kroot="$root.$name"
		mkdir -p "$kroot/lib/tg-modules"
		case $kmod in
		*.xz) xz -dc "$kmod" ;;
		*.zst) zstd -dc "$kmod" ;;
		*) cat "$kmod" ;;
		esac >"$kroot/lib/tg-modules/$(basename "${kmod%.ko*}").ko"
		{ cat "$initrd"; (cd "$kroot" && find lib | cpio -o -H newc --quiet | gzip -1); } >"$kinitrd"
		rm -rf "$kroot"
	fi
	echo "== $name: $(basename "$kernel") under qemu TCG"
	echo "   config: $(grep -hoE '^(# )?CONFIG_(DEBUG_INFO_BTF|BPF_LSM|FPROBE|BPF_KPROBE_OVERRIDE|FUNCTION_ERROR_INJECTION|KPROBE_EVENTS|UPROBE_EVENTS)[= ].*' "$config" |
		sed -e 's/^# CONFIG_\([A-Z_0-9]*\) is not set/\1=n/' -e 's/^CONFIG_//' | tr '\n' ' ')"
	names+=("$name") kernels+=("$kernel") expects+=("${expect:-}") initrds+=("$kinitrd")
done <tests/vm/kernels

boot() {	# name kernel expect initrd: the console in $LOGS/NAME.console.log, seconds in .secs
	local log="$LOGS/$1.console.log" t0
	t0=$(date +%s)
	# no_timer_check: on a busy host TCG is too slow for the kernel's IO-APIC timer check, which panics
	timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 -nographic -no-reboot \
		-kernel "$2" -initrd "$4" \
		-append "console=ttyS0 panic=-1 quiet no_timer_check lsm=lockdown,yama,apparmor,bpf tg.expect=$3 ${VM_APPEND:-}" </dev/null >"$log" 2>&1
	echo $(($(date +%s) - t0)) >"$LOGS/$1.secs"
}
pids=()
for i in "${!names[@]}"; do
	if [ -n "${VM_SERIAL:-}" ]; then
		boot "${names[$i]}" "${kernels[$i]}" "${expects[$i]}" "${initrds[$i]}"
	else
		boot "${names[$i]}" "${kernels[$i]}" "${expects[$i]}" "${initrds[$i]}" &
		pids+=($!)
	fi
done
for p in "${pids[@]}"; do wait "$p"; done

for name in "${names[@]}"; do
	log="$LOGS/$name.console.log"
	echo "== $name: $(cat "$LOGS/$name.secs" 2>/dev/null || echo '?') s; console: $log"
	grep -a "^VMTEST" "$log" | tr -d '\r' | sed 's/^/   /'
	# the corpus check's line, again where a reader of the matrix's end looks
	grep -a "^VMTEST corpus-\(summary\|refused\)" "$log" | tr -d '\r' |
		sed -e "s/^VMTEST corpus-summary/== $name corpus:/" -e "s/^VMTEST corpus-refused/   refused/" >>"$LOGS/corpus-summary.$$"
	n_ok=$(grep -ac "^VMTEST ok" "$log")
	n_bad=$(grep -ac "^VMTEST fail" "$log")
	n_skip=$(grep -ac "^VMTEST skip" "$log")	# a policy or check this kernel cannot run
	passed=$((passed + n_ok))
	failed=$((failed + n_bad))
	skipped=$((skipped + n_skip))
	if ! grep -aq "^VMTEST done" "$log"; then
		echo "FAIL $name: the VM did not finish its checks (timeout ${TIMEOUT}s or crash); console tail:"
		tail -20 "$log" | sed 's/^/   /'
		failed=$((failed + 1))
	fi
done
[ -s "$LOGS/corpus-summary.$$" ] && cat "$LOGS/corpus-summary.$$"
rm -f "$LOGS/corpus-summary.$$"
summary
