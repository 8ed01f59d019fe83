# shellcheck shell=bash
# modkvm testbed: helpers shared by prepare, kdir and run.  Sourced, not run.
#
# Cache layout ($TB_CACHE, default $HOME/.cache/modkvm):
#   apt/            private apt state (lists + package cache) for arm64 (+ host arch)
#   state/          selected versions and per-component state (sourced shell)
#   kernel/<krel>/  vmlinuz, config, System.map and root/ = extracted headers prefix
#   busybox/<ver>/  busybox binary and the busybox base initramfs segment
#   full/<key>/     the mmdebstrap userland packed as a cpio
#   logs/           console logs of `run` and logs of failed prepare steps
#   env.sh          generated summary (KVER_612, KDIR_612, VMLINUZ_612, KDIR_61, ...)

# shellcheck disable=SC2034
TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Packages of the *host* the testbed needs (installed by tb_host_pkgs).
TB_HOST_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross mmdebstrap
 dwarves sparse cpio xz-utils zstd gzip bc flex bison libssl-dev libelf-dev make kmod file
 util-linux coreutils findutils e2fsprogs"
# What `make deb` and `make rpm` need on the host (userspace/mkpkg).
TB_PKG_HOST_PKGS="debhelper dh-dkms dpkg-dev fakeroot rpm tar gzip"

# Debian packages that make up the full arm64 userland (`prepare --full`, `run --full`).
# Comma separated; dependencies are pulled in by mmdebstrap.
TB_FULL_INCLUDE="qemu-system-arm,busybox-static,e2fsprogs,strace"
# Larger userlands for suites that need more than that: `run --userland NAME`
# boots the full userland plus the packages of TB_USERLAND_<NAME> (comma
# separated, may name $KVER_612 from env.sh, expanded when built), built and cached
# apart under full/NAME-<key>, so suites with different needs never rebuild
# each other's. Add one variable per userland here; nothing else to change.
# TB_USERLAND_VARIANT_<NAME> picks mmdebstrap's --variant (default extract:
# packages unpacked, maintainer scripts not run, dpkg's database empty).
# TB_USERLAND_DPKGDB_<NAME>=1 records the extracted packages in dpkg's database
# as installed (their maintainer scripts are not run: the host cannot run
# arm64 code), so that `dpkg -i` in the guest checks a package's Depends.
# TB_USERLAND_STRIP_<NAME>: more paths (globs) dropped from that userland.
# dkms: Essential tools DKMS and dpkg use (extract installs none by
# itself), the running kernel's headers for DKMS builds (they pull the kernel
# image package in; its modules and /boot are dropped, the guest boots the
# cached vmlinuz), udev to apply the package's rule.
TB_USERLAND_dkms='dkms,gcc,make,kmod,openssl,udev,libc-bin,procps,bash,sed,grep,findutils,diffutils,gzip,mawk,util-linux,debianutils,base-files,linux-headers-$KVER_612'
TB_USERLAND_DPKGDB_dkms=1
TB_USERLAND_STRIP_dkms="boot usr/lib/modules/*/kernel lib/modules/*/kernel"
# libvirt (suites libvirt, libvirt-kvm, migrate-hosts): libvirtd (Debian 12's
# 9.0 has no modular virtqemud), virsh and the QEMU driver. The extract
# variant is enough: the job writes the qemu.conf it needs (QEMU as root, no
# security driver, no virtlogd) and the user and group libvirtd looks up, so
# no maintainer script has to run. ipxe-qemu: the option ROM QEMU loads for
# a PCI virtio NIC (efi-virtio.rom; a Recommends of QEMU's that mmdebstrap
# leaves out).
TB_USERLAND_libvirt="libvirt-clients,libvirt-daemon,libvirt-daemon-driver-qemu,ipxe-qemu"
# Directories dropped from the full userland before packing (saves space and boot time).
TB_FULL_STRIP="usr/share/doc usr/share/man usr/share/info usr/share/locale var/cache/apt var/lib/apt/lists"

TB_CROSS=aarch64-linux-gnu-

# Print the comment block at the top of a script (its usage text).
tb_usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$1"; }
tb_msg() { printf 'testbed: %s\n' "$*" >&2; }
tb_die() { printf 'testbed: error: %s\n' "$*" >&2; exit 1; }
tb_now() { date +%s.%N; }
tb_fmt_dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
tb_since() { awk -v a="$1" -v b="$(tb_now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- errors
# No silent exit.  Every script that sources this file runs under
# `set -euo pipefail`; the ERR trap below (inherited by functions: set -E)
# reports the command that stopped it: which step it was in (tb_step), the
# command, its exit status, file:line and the calls that led there, and
# what to do.  Failures that errexit ignores (if/||/&&, inside $(...)) are
# not reported: they do not stop the script; nor are those in subshells
# (pipelines, <(...), ( ... )): the command that runs them is reported if
# it fails.  MODKVM_TRACE=1 traces every command (set -x).
TB_TOP=$(cd "$TB_DIR/../.." && pwd)
TB_PROG=$(realpath -m --relative-to="$TB_TOP" "$0" 2>/dev/null || echo "${0##*/}")
TB_STEP="" TB_HINT=""
# usage: tb_step "what is being done" ["what to do if it fails"]
tb_step() { TB_STEP=$1; TB_HINT=${2:-}; }
tb_on_err() {
	local rc=$1 cmd=$2 i where="" logs
	[[ $- == *e* ]] && ((BASH_SUBSHELL == 0)) || return 0
	local what="a command"
	[[ -n $TB_STEP ]] && what="step \"$TB_STEP\""
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		[[ -n $where ]] && where+=" <- "
		where+="$(realpath -m --relative-to="$TB_TOP" "${BASH_SOURCE[i]}" 2>/dev/null ||
			echo "${BASH_SOURCE[i]}"):${BASH_LINENO[i - 1]}"
		[[ ${FUNCNAME[i]} == main ]] || where+=" (${FUNCNAME[i]})"
	done
	logs=${TB_CACHE:-${MODKVM_CACHE:-${HOME:-/tmp}/.cache/modkvm}}/logs
	{
		printf '%s: error: %s failed: `%s` exited with status %s\n' "$TB_PROG" \
			"$what" "$cmd" "$rc"
		printf '%s:   at %s\n' "$TB_PROG" "$where"
		printf '%s:   what to do: %s\n' "$TB_PROG" "${TB_HINT:-the messages above say why; logs of failed steps are in $logs; MODKVM_TRACE=1 $TB_PROG shows every command}"
	} >&2
}
set -E
trap 'tb_on_err $? "$BASH_COMMAND"' ERR
if [[ ${MODKVM_TRACE:-0} == 1 ]]; then set -x; fi

tb_init_cache() {
	local c=${MODKVM_CACHE:-${HOME:-/tmp}/.cache/modkvm}
	mkdir -p "$c" || tb_die "cannot create cache dir $c"
	TB_CACHE=$(cd "$c" && pwd -P)
	# Paths end up in kernel Makefiles and in env.sh (also usable as a Makefile include).
	[[ $TB_CACHE =~ ^[A-Za-z0-9_./+@%-]+$ ]] ||
		tb_die "cache path '$TB_CACHE' has unsupported characters; set MODKVM_CACHE"
	mkdir -p "$TB_CACHE"/{state,logs,debs,kernel,busybox,full,tmp}
	TB_HOSTARCH=$(dpkg --print-architecture)
}

# Serialize cache mutations between concurrent prepare/kdir/run invocations.
tb_lock() {
	[[ ${TB_LOCKED:-0} == 1 ]] && return 0
	exec {TB_LOCKFD}>"$TB_CACHE/.lock"
	if ! flock -n "$TB_LOCKFD"; then
		tb_msg "waiting for another testbed prepare to finish (lock $TB_CACHE/.lock)..."
		flock -w 1800 "$TB_LOCKFD" || tb_die "timed out waiting for $TB_CACHE/.lock"
	fi
	TB_LOCKED=1
	export TB_LOCKED
}

# Run a command with its output in a log file; on failure show the log tail and die.
# usage: tb_logged <what> <timeout-seconds> cmd...
tb_logged() {
	local what=$1 tmo=$2; shift 2
	local log="$TB_CACHE/logs/prepare-${what//[^A-Za-z0-9_.-]/_}.log" rc=0
	timeout -k 10 "$tmo" "$@" >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		tail -n 40 "$log" >&2
		((rc == 124)) && tb_die "$what: timed out after ${tmo}s (log: $log)"
		tb_die "$what: failed (exit $rc; log: $log)"
	fi
	rm -f "$log"
}

# ---------------------------------------------------------------- host packages

# usage: tb_host_pkgs [LIST]   (default $TB_HOST_PKGS; TB_PKG_HOST_PKGS: make deb/rpm)
tb_host_pkgs() {
	local -a pkgs missing=()
	local p installed
	tb_step "checking the host packages" "dpkg-query must work on this Debian host"
	read -r -d '' -a pkgs <<<"${1:-$TB_HOST_PKGS}" || true
	# dpkg-query exits 1 when any of them is not installed at all: that is
	# the answer we are asking for, not an error.
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${pkgs[@]}" 2>/dev/null |
		awk '$2 ~ /^ii/ { print $1 }' || true)
	for p in "${pkgs[@]}"; do
		grep -qx -- "$p" <<<"$installed" || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	if ((EUID != 0)); then
		tb_die "missing host packages: ${missing[*]} (run as root: apt-get install ${missing[*]})"
	fi
	tb_msg "installing host packages: ${missing[*]}"
	tb_step "installing host packages" \
		"apt-get must reach the mirrors of /etc/apt/sources.list*; try: apt-get update && apt-get install ${missing[*]}"
	tb_logged host-apt-update 900 apt-get update -q
	tb_logged host-apt-install 1800 env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ---------------------------------------------------------------- private apt

tb_apt_setup() {
	mkdir -p "$TB_CACHE/apt/lists/partial" "$TB_CACHE/apt/cache/archives/partial"
	TB_APT_OPTS=(
		-o "APT::Architecture=arm64"
		-o "APT::Architectures::=arm64"
		-o "APT::Architectures::=$TB_HOSTARCH"
		-o "Dir::State::Lists=$TB_CACHE/apt/lists"
		-o "Dir::Cache=$TB_CACHE/apt/cache"
		-o "Dir::State::status=/dev/null"
		-o "Acquire::Retries=3"
	)
	((EUID == 0)) && TB_APT_OPTS+=(-o "APT::Sandbox::User=root")
	return 0
}
tb_apt_get() { apt-get -q "${TB_APT_OPTS[@]}" "$@"; }
tb_apt_cache() { apt-cache "${TB_APT_OPTS[@]}" "$@"; }

# Refresh the private package lists when missing, forced, or older than
# MODKVM_REFRESH_DAYS (default 7).  Returns 0 if the lists were (re)downloaded.
tb_apt_update() {
	local force=${1:-0} stamp="$TB_CACHE/apt/updated" days=${MODKVM_REFRESH_DAYS:-7}
	if ((force == 0)) && [[ -e $stamp ]] &&
		[[ -z $(find "$stamp" -mmin +$((days * 1440)) 2>/dev/null) ]]; then
		return 1
	fi
	tb_msg "updating package lists (arm64 + $TB_HOSTARCH, private apt config)..."
	local log="$TB_CACHE/logs/prepare-apt-update.log"
	if timeout -k 10 600 apt-get -q "${TB_APT_OPTS[@]}" update >"$log" 2>&1 &&
		! grep -q '^[WE]: Failed to fetch' "$log"; then
		touch "$stamp"
		rm -f "$log"
		return 0
	fi
	if [[ -e $stamp ]]; then
		tb_msg "warning: package list update failed (see $log); using cached lists"
		return 1
	fi
	tail -n 20 "$log" >&2
	tb_die "apt-get update failed (log: $log)"
}

# Package facts from the private lists, one line per package version:
#   <name>:<arch> <version> <depends>
# (one apt-cache call for many packages: each call costs about a second).
tb_pkgdb_add() {
	TB_PKGDB+=$(tb_apt_cache show "$@" 2>/dev/null | awk '
		function out() { if (p != "") print p ":" a " " v " " d; p = a = v = d = "" }
		/^Package: / { p = $2 } /^Architecture: / { a = $2 } /^Version: / { v = $2 }
		/^Depends: / { d = substr($0, 10); gsub(/ /, "", d) }
		/^$/ { out() } END { out() }' | sort -u)$'\n'
}
# tb_pkg_has NAME:ARCH VERSION (arch "all" packages match any arch)
tb_pkg_has() {
	local n=${1%%:*} a=${1#*:}
	awk -v n="$n" -v a="$a" -v v="$2" '
		($1 == n ":" a || $1 == n ":all") && $2 == v { f = 1 } END { exit !f }' <<<"$TB_PKGDB"
}
# tb_pkg_newest NAME:ARCH -> highest version known (empty if none)
tb_pkg_newest() {
	local n=${1%%:*} a=${1#*:} v best=""
	for v in $(awk -v n="$n" -v a="$a" '$1 == n ":" a || $1 == n ":all" { print $2 }' <<<"$TB_PKGDB"); do
		if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	echo "$best"
}
tb_pkg_deps() {	# NAME:ARCH VERSION -> Depends (spaces removed)
	awk -v p="$1" -v v="$2" '$1 == p && $2 == v { print $3; exit }' <<<"$TB_PKGDB"
}

# Given an arm64 headers package and its version, resolve the -common headers
# and the (host-arch) kbuild package it depends on.  Prints "common kbuild kbuildver".
tb_resolve_headers_deps() {
	local hdr=$1 ver=$2 deps common kbuild kver
	deps=$(tb_pkg_deps "$hdr:arm64" "$ver")
	common=$(grep -oE 'linux-headers-[^ ,(|]+-common' <<<"$deps" | head -n 1)
	kbuild=$(grep -oE 'linux-kbuild-[^ ,(|]+' <<<"$deps" | head -n 1)
	[[ -n $common && -n $kbuild ]] || return 1
	tb_pkg_has "$common:arm64" "$ver" || return 1
	if ! grep -q "^$kbuild:$TB_HOSTARCH " <<<"$TB_PKGDB"; then
		tb_pkgdb_add "$kbuild:$TB_HOSTARCH"
	fi
	if tb_pkg_has "$kbuild:$TB_HOSTARCH" "$ver"; then
		kver=$ver
	else
		kver=$(tb_pkg_newest "$kbuild:$TB_HOSTARCH")
		[[ -n $kver ]] && dpkg --compare-versions "$kver" ge "$ver" || return 1
	fi
	echo "$common $kbuild $kver"
}

# Pick the newest versions and record them in state/select.sh.
tb_select_versions() {
	local v ver img hdr deps sel612="" sel61="" n bbver a b c
	local f="$TB_CACHE/state/select.sh"
	local -a v612 n61 names=(busybox-static)
	# 6.12: linux-image-6.12.*-arm64 (not rt/cloud/16k); 6.1: linux-headers-6.1.0-N-arm64.
	mapfile -t v612 < <(tb_apt_cache pkgnames linux-image-6.12. |
		sed -nE 's/^linux-image-(6\.12\.[0-9][^-]*)-arm64$/\1/p' | sort -rV)
	mapfile -t n61 < <(tb_apt_cache pkgnames linux-headers-6.1.0- |
		sed -nE 's/^linux-headers-6\.1\.0-([0-9]+)-arm64$/\1/p' | sort -rn)
	for v in "${v612[@]}"; do
		names+=("linux-image-$v-arm64" "linux-image-$v-arm64-unsigned" "linux-headers-$v-arm64"
			"linux-headers-$v-common" "linux-kbuild-$v:$TB_HOSTARCH")
	done
	for n in "${n61[@]}"; do
		names+=("linux-headers-6.1.0-$n-arm64" "linux-headers-6.1.0-$n-common")
	done
	TB_PKGDB=""
	tb_pkgdb_add "${names[@]}" "linux-kbuild-6.1:$TB_HOSTARCH"
	for v in "${v612[@]}"; do
		img="linux-image-$v-arm64"
		ver=$(tb_pkg_newest "$img:arm64")
		[[ -n $ver ]] || continue
		hdr="linux-headers-$v-arm64"
		tb_pkg_has "$hdr:arm64" "$ver" || continue
		deps=$(tb_resolve_headers_deps "$hdr" "$ver") || continue
		tb_pkg_has "$img-unsigned:arm64" "$ver" && img="$img-unsigned"
		read -r a b c <<<"$deps"
		sel612="SEL612_KREL=$v-arm64 SEL612_VER=$ver SEL612_IMG=$img SEL612_HDR=$hdr"
		sel612+=" SEL612_COMMON=$a SEL612_KBUILD=$b SEL612_KBUILDVER=$c"
		break
	done
	[[ -n $sel612 ]] || tb_die "no linux-image-6.12.*-arm64 with matching headers found in the package lists"
	for n in "${n61[@]}"; do
		hdr="linux-headers-6.1.0-$n-arm64"
		ver=$(tb_pkg_newest "$hdr:arm64")
		[[ -n $ver ]] || continue
		deps=$(tb_resolve_headers_deps "$hdr" "$ver") || continue
		read -r a b c <<<"$deps"
		sel61="SEL61_KREL=6.1.0-$n-arm64 SEL61_VER=$ver SEL61_HDR=$hdr"
		sel61+=" SEL61_COMMON=$a SEL61_KBUILD=$b SEL61_KBUILDVER=$c"
		break
	done
	[[ -n $sel61 ]] || tb_die "no linux-headers-6.1.0-*-arm64 with matching common/kbuild found"
	bbver=$(tb_pkg_newest busybox-static:arm64)
	[[ -n $bbver ]] || tb_die "busybox-static (arm64) not found in the package lists"
	{
		echo "# selected by testbed on $(date -u +%FT%TZ)"
		tr ' ' '\n' <<<"$sel612"
		tr ' ' '\n' <<<"$sel61"
		echo "SELBB_VER=$bbver"
	} >"$f.tmp"
	mv "$f.tmp" "$f"
}

tb_load_selection() {
	local f="$TB_CACHE/state/select.sh"
	[[ -s $f ]] || return 1
	# shellcheck disable=SC1090
	. "$f"
}

# Make sure a version selection exists; refresh lists when stale/forced.
tb_ensure_selection() {
	local force=${1:-0}
	tb_step "reading the Debian arm64 package lists" \
		"the package lists come from the host's apt sources (private apt config in $TB_CACHE/apt); check that apt-get update works"
	tb_apt_setup
	if tb_apt_update "$force" || ! tb_load_selection; then
		tb_select_versions
		tb_load_selection || tb_die "internal: no version selection"
	fi
}

# Download packages (pkg=ver ...) into a fresh directory; prints nothing.
tb_download() {
	local dir=$1; shift
	rm -rf "$dir"; mkdir -p "$dir"
	(cd "$dir" && tb_logged "download" 1800 apt-get -q "${TB_APT_OPTS[@]}" download "$@")
}

# ---------------------------------------------------------------- kernel trees

# Fix an extracted headers prefix so that it works from where it is.
tb_fix_kdir_prefix() {
	local root=$1 krel=$2 mk l t
	# Absolute /usr/src/... and /usr/lib/... references in the top-level Makefiles.
	for mk in "$root"/usr/src/linux-headers-*/Makefile; do
		sed -i -E "s#(^|[[:space:]])/usr/(src|lib)/#\\1$root/usr/\\2/#g" "$mk"
	done
	# Absolute symlinks (lib/modules/*/build etc.) -> point inside the prefix.
	while IFS= read -r l; do
		t=$(readlink "$l")
		ln -sfn "$root$t" "$l"
	done < <(find "$root" -type l -lname '/*')
	# Debian 6.1 headers only set CROSS_COMPILE when dpkg build/host arches are
	# passed in; default it so that `make -C $KDIR M=...` just works on the host.
	local kv="$root/usr/src/linux-headers-$krel/.kernelvariables"
	[[ -e $kv ]] || tb_die "no .kernelvariables in headers for $krel"
	if ! grep -q 'modkvm testbed' "$kv"; then
		printf '%s\n' "# added by the modkvm testbed (cross-building on the host)" \
			"CROSS_COMPILE ?= $TB_CROSS" >>"$kv"
	fi
}

# Build a trivial module against a KDIR; dies unless it gives an arm64 .ko.
tb_check_kdir() {
	local kdir=$1 d
	d=$(mktemp -d "$TB_CACHE/tmp/hello.XXXXXX")
	cat >"$d/tbhello.c" <<'EOF'
#include <linux/module.h>
#include <linux/init.h>
static int __init tbhello_init(void) { pr_info("tbhello: init\n"); return 0; }
static void __exit tbhello_exit(void) { }
module_init(tbhello_init);
module_exit(tbhello_exit);
MODULE_LICENSE("GPL");
EOF
	echo 'obj-m := tbhello.o' >"$d/Kbuild"
	tb_logged "kdir-check-$(basename "$kdir")" 600 make -C "$kdir" M="$d" modules
	file "$d/tbhello.ko" | grep -q 'ARM aarch64' || tb_die "$kdir: test module is not an arm64 .ko"
	rm -rf "$d"
}

# usage: tb_ensure_kernel 612|61   (selection must be loaded)
tb_ensure_kernel() {
	local s=$1 krel ver img hdr common kbuild kbver t0
	eval "krel=\$SEL${s}_KREL ver=\$SEL${s}_VER hdr=\$SEL${s}_HDR common=\$SEL${s}_COMMON"
	eval "kbuild=\$SEL${s}_KBUILD kbver=\$SEL${s}_KBUILDVER"
	img=""
	[[ $s == 612 ]] && img=$SEL612_IMG
	local base="$TB_CACHE/kernel/$krel" root
	root="$base/root"
	local kdir="$root/usr/src/linux-headers-$krel"
	local want="$ver $hdr $common $kbuild=$kbver $img $root"
	if [[ -e $base/.ok && $(cat "$base/.ok") == "$want" && -e $kdir/Makefile ]] &&
		{ [[ -z $img ]] || [[ -s $base/vmlinuz ]]; }; then
		return 0
	fi
	tb_lock
	tb_step "fetching and checking kernel $krel" \
		"check the apt sources and the space in $TB_CACHE; prepare --refresh re-reads the package lists"
	t0=$(tb_now)
	local -a pk=("$hdr=$ver" "$common=$ver" "$kbuild:$TB_HOSTARCH=$kbver")
	[[ -n $img ]] && pk+=("$img=$ver")
	tb_msg "fetching kernel $krel ($ver): ${pk[*]%%=*}${img:+ (image ~95 MB)}..."
	local dl="$TB_CACHE/debs/$krel"
	tb_download "$dl" "${pk[@]}"
	rm -rf "$base"
	mkdir -p "$root"
	local deb
	for deb in "$dl"/linux-headers-*.deb "$dl"/linux-kbuild-*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	if [[ -n $img ]]; then
		local tmpx="$base/img.tmp"
		mkdir -p "$tmpx"
		dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb | tar -x -C "$tmpx" ./boot
		mv "$tmpx/boot/vmlinuz-$krel" "$base/vmlinuz"
		mv "$tmpx/boot/config-$krel" "$base/config"
		mv "$tmpx/boot/System.map-$krel" "$base/System.map" 2>/dev/null || true
		rm -rf "$tmpx"
		file -L "$base/vmlinuz" | grep -q 'ARM64' || tb_die "$base/vmlinuz is not an arm64 kernel image"
	fi
	tb_fix_kdir_prefix "$root" "$krel"
	tb_msg "checking $krel headers with a test module build..."
	tb_check_kdir "$kdir"
	# The image package also has the guest's modules: userspace/guest/build
	# takes them from here (and then drops it) instead of fetching it again.
	if [[ -n $img ]]; then
		mv "$dl"/linux-image-*.deb "$base/image.deb"
	fi
	rm -rf "$dl"
	echo "$want" >"$base/.ok"
	tb_msg "kernel $krel ready ($(tb_since "$t0") s)"
}

# The 6.1 kernel itself, for `run --kernel 6.1`: vmlinuz (and config) from
# Debian's linux-image-$SEL61_KREL package of the headers' version, fetched
# once (~60 MB) into kernel/$SEL61_KREL/ next to the headers.
tb_ensure_image61() {
	local d="$TB_CACHE/kernel/$SEL61_KREL" img="linux-image-$SEL61_KREL" dl t
	[[ -s $d/vmlinuz && $(cat "$d/.img-ok" 2>/dev/null) == "$SEL61_VER" ]] && return 0
	tb_lock
	tb_step "fetching the 6.1 kernel image $SEL61_KREL" \
		"check the apt sources and the space in $TB_CACHE; prepare --refresh re-reads the package lists"
	TB_PKGDB=""
	tb_pkgdb_add "$img:arm64" "$img-unsigned:arm64"
	tb_pkg_has "$img-unsigned:arm64" "$SEL61_VER" && img+=-unsigned
	tb_pkg_has "$img:arm64" "$SEL61_VER" ||
		tb_die "no $img $SEL61_VER in the package lists (prepare --refresh)"
	tb_msg "fetching the 6.1 kernel $img $SEL61_VER (~60 MB, once)..."
	dl="$TB_CACHE/debs/image-$SEL61_KREL"
	tb_download "$dl" "$img=$SEL61_VER"
	t="$d/img.tmp"
	rm -rf "$t"; mkdir -p "$t"
	dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb | tar -x -C "$t" ./boot
	file -L "$t/boot/vmlinuz-$SEL61_KREL" | grep -q ARM64 || tb_die "$img: vmlinuz is not an arm64 kernel image"
	mv "$t/boot/vmlinuz-$SEL61_KREL" "$d/vmlinuz"
	mv "$t/boot/config-$SEL61_KREL" "$d/config"
	rm -rf "$t" "$dl"
	echo "$SEL61_VER" >"$d/.img-ok"
}

# ---------------------------------------------------------------- busybox

tb_ensure_busybox() {
	local ver=$SELBB_VER d
	d="$TB_CACHE/busybox/${ver//[:~]/_}"
	if [[ -e $d/.ok && -x $d/busybox && -s $d/base.cpio.gz ]]; then
		return 0
	fi
	tb_lock
	tb_step "fetching busybox-static $ver" "check the apt sources; prepare --refresh re-reads the package lists"
	tb_msg "fetching busybox-static $ver..."
	local dl="$TB_CACHE/debs/busybox"
	tb_download "$dl" "busybox-static=$ver"
	rm -rf "$d"
	mkdir -p "$d/x"
	dpkg-deb -x "$dl"/busybox-static_*.deb "$d/x"
	mv "$d/x/bin/busybox" "$d/busybox"
	rm -rf "$d/x" "$dl"
	file "$d/busybox" | grep -q 'ARM aarch64' || tb_die "$d/busybox is not an arm64 binary"
	# Base initramfs segment: busybox + an empty directory skeleton.  The
	# applet links are made by the guest init (busybox --install) at boot,
	# since the arm64 binary cannot run here.
	local st="$d/stage"
	mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,mnt,var/tmp}
	cp "$d/busybox" "$st/bin/busybox"
	chmod 1777 "$st/tmp" "$st/var/tmp"
	tb_mkcpio "$st" | gzip -6 >"$d/base.cpio.gz.tmp"
	mv "$d/base.cpio.gz.tmp" "$d/base.cpio.gz"
	rm -rf "$st"
	touch "$d/.ok"
}

# Write a newc cpio of the contents of a directory (owned by root) to stdout.
tb_mkcpio() {
	(cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet)
}

# ---------------------------------------------------------------- full userland

# usage: tb_full_key INCLUDE
tb_full_key() {
	local srcs
	srcs=$(tb_host_sources | xargs -r cat 2>/dev/null)
	# (A variant other than the default joins the key: older keys stay valid.)
	printf '%s\n' "v1" "$1" "$TB_FULL_STRIP" ${2:+"$2"} "$(tb_suite)" "$srcs" |
		sha256sum | cut -c1-12
}
# The package list of userland NAME ("full": the default one).
tb_userland_include() {
	local v="TB_USERLAND_$1"
	if [[ $1 == full ]]; then echo "$TB_FULL_INCLUDE"; return 0; fi
	[[ $1 =~ ^[a-z0-9_]+$ && -n ${!v:-} ]] ||
		tb_die "no userland '$1' (define TB_USERLAND_$1 in selftests/testbed/lib.sh)"
	echo "$TB_FULL_INCLUDE,$(eval "echo \"${!v}\"")"
}
tb_suite() { (. /etc/os-release && echo "${VERSION_CODENAME:?}"); }
# The host's apt source files, as apt itself would read them.
tb_host_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -s $f ]] && grep -qvE '^[[:space:]]*(#|$)' "$f" && echo "$f"
	done
	return 0
}

# Builds (or finds) userland NAME and sets TB_USERLAND_CPIO to its packed root.
# usage: tb_ensure_full [rebuild [NAME]]    (NAME defaults to "full")
tb_ensure_full() {
	local rebuild=${1:-0} name=${2:-full} inc key d dir t0
	inc=$(tb_userland_include "$name")
	local vv="TB_USERLAND_VARIANT_$name" dbv="TB_USERLAND_DPKGDB_$name" sv="TB_USERLAND_STRIP_$name"
	local extra="${!vv:-}${!dbv:+ dpkgdb}${!sv:+ strip ${!sv}}"
	if [[ -n $extra ]]; then key=$(tb_full_key "$inc" "$extra"); else key=$(tb_full_key "$inc"); fi
	# The default userland keeps its old place (full/<key>); others full/NAME-<key>.
	dir=$key
	[[ $name == full ]] || dir=$name-$key
	d="$TB_CACHE/full/$dir"
	TB_USERLAND_CPIO=$d/rootfs.cpio.gz
	if ((rebuild == 0)) && [[ -e $d/.ok && -s $d/rootfs.cpio.gz ]]; then
		[[ $name == full ]] && echo "FULL_ROOTFS_CPIO=$d/rootfs.cpio.gz" >"$TB_CACHE/state/full.sh"
		return 0
	fi
	tb_lock
	# Another run may have built it while this one waited for the lock.
	if ((rebuild == 0)) && [[ -e $d/.ok && -s $d/rootfs.cpio.gz ]]; then
		[[ $name == full ]] && echo "FULL_ROOTFS_CPIO=$d/rootfs.cpio.gz" >"$TB_CACHE/state/full.sh"
		return 0
	fi
	tb_step "building the $name arm64 userland (mmdebstrap)" \
		"mmdebstrap needs root and the host's apt sources; prepare --rebuild-full starts the default one over"
	t0=$(tb_now)
	local -a srcs
	mapfile -t srcs < <(tb_host_sources)
	((${#srcs[@]})) || tb_die "no apt sources configured on this host"
	tb_msg "building the $name arm64 userland with mmdebstrap ($inc)..."
	rm -rf "$d"
	mkdir -p "$d"
	local -a hooks=()
	# dpkg's status: each downloaded package's control fields, installed.
	[[ -n ${!dbv:-} ]] && hooks+=(--extract-hook='for deb in "$1"/var/cache/apt/archives/*.deb; do
		dpkg-deb -f "$deb"; echo "Status: install ok installed"; echo; done >"$1/var/lib/dpkg/status"')
	tb_logged mmdebstrap 1800 mmdebstrap --variant="${!vv:-extract}" --arch=arm64 \
		--include="$inc" "${hooks[@]}" "$(tb_suite)" "$d/root" "${srcs[@]}"
	local p
	for p in $TB_FULL_STRIP; do rm -rf "${d:?}/root/$p"; done
	# shellcheck disable=SC2086 # globs, expanded in the root
	for p in ${!sv:-}; do (cd "$d/root" && rm -rf -- $p); done
	tb_msg "packing the $name userland ($(du -sh "$d/root" | cut -f1))..."
	tb_mkcpio "$d/root" | gzip -6 >"$d/rootfs.cpio.gz.tmp"
	mv "$d/rootfs.cpio.gz.tmp" "$d/rootfs.cpio.gz"
	du -sm "$d/root" | cut -f1 >"$d/unpacked-mb"
	rm -rf "$d/root"
	touch "$d/.ok"
	[[ $name == full ]] && echo "FULL_ROOTFS_CPIO=$d/rootfs.cpio.gz" >"$TB_CACHE/state/full.sh"
	# Drop this userland's builds from other package lists or apt sources.
	local o
	for o in "$TB_CACHE"/full/*/; do
		o=${o%/}; o=${o##*/}
		[[ $o == "$dir" ]] && continue
		if [[ $name == full ]]; then
			[[ $o =~ ^[0-9a-f]{12}$ ]] || continue
		else
			[[ $o == "$name"-* ]] || continue
		fi
		rm -rf "${TB_CACHE:?}/full/$o"
	done
	tb_msg "$name userland ready: $(du -sh "$d/rootfs.cpio.gz" | cut -f1) packed ($(tb_since "$t0") s)"
}

# Drop kernels and busybox builds that are no longer selected.
tb_prune() {
	local d keep
	for d in "$TB_CACHE"/kernel/*/ "$TB_CACHE"/busybox/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		case ${d##*/} in
		"$SEL612_KREL" | "$SEL61_KREL" | "${SELBB_VER//[:~]/_}") keep=1 ;;
		*) keep=0 ;;
		esac
		((keep)) || rm -rf "$d"
	done
	return 0
}

# ---------------------------------------------------------------- env.sh

tb_kdir_of() { echo "$TB_CACHE/kernel/$1/root/usr/src/linux-headers-$1"; }

tb_write_env() {
	local f="$TB_CACHE/env.sh" full=""
	if [[ -s $TB_CACHE/state/full.sh ]]; then
		full=$(sed -n 's/^FULL_ROOTFS_CPIO=//p' "$TB_CACHE/state/full.sh")
		[[ -s $full ]] || full=""
	fi
	local bbdir="$TB_CACHE/busybox/${SELBB_VER//[:~]/_}"
	{
		echo "# Generated by selftests/testbed/prepare; do not edit.  Valid as sh and as a Makefile include."
		echo "MODKVM_CACHE=$TB_CACHE"
		echo "KVER_612=$SEL612_KREL"
		echo "KDIR_612=$(tb_kdir_of "$SEL612_KREL")"
		echo "VMLINUZ_612=$TB_CACHE/kernel/$SEL612_KREL/vmlinuz"
		echo "KCONFIG_612=$TB_CACHE/kernel/$SEL612_KREL/config"
		echo "KVER_61=$SEL61_KREL"
		echo "KDIR_61=$(tb_kdir_of "$SEL61_KREL")"
		echo "BUSYBOX=$bbdir/busybox"
		echo "BASE_CPIO=$bbdir/base.cpio.gz"
		[[ -n $full ]] && echo "FULL_ROOTFS_CPIO=$full"
	} >"$f.tmp"
	if ! cmp -s "$f.tmp" "$f"; then mv "$f.tmp" "$f"; else rm -f "$f.tmp"; fi
}
