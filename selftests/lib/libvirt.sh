# SPDX-License-Identifier: GPL-2.0
# libvirt in the emulated Arm server (`testbed/run --userland libvirt`),
# started by hand without systemd: shared by libvirt.sh and migrate_hosts.sh
# (busybox sh; with lib/tap.sh for wait_for).

# lv_daemon_start KEEP [LIBVIRTD-OPTIONS...]: libvirtd started with what it
# needs and its log in KEEP/libvirtd.log; more libvirtd.conf lines may come
# in LV_CONF_EXTRA.  Its pid in lvpid.  0 once virsh talks to it (its
# version in KEEP/version), 1 if it did not within 240 s or died.
lv_daemon_start() {
	_keep=$1
	shift
	# Debian has /var/run -> /run (made by base-files' maintainer script,
	# which did not run in the extract userland); virsh looks for the
	# socket there.
	[ -e /var/run ] || ln -s /run /var/run
	mkdir -p /etc/libvirt /var/lib/libvirt/images /var/lib/libvirt/qemu /var/log/libvirt/qemu \
		/var/cache/libvirt/qemu /run/libvirt
	# libvirtd (privileged) looks up the user and group its QEMU driver
	# was built for (Debian: libvirt-qemu) before it reads qemu.conf, and
	# the packages' maintainer scripts, which would create them, did not
	# run in the extract userland: create them as those scripts would.
	grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >>/etc/group
	grep -q '^libvirt:' /etc/group || echo 'libvirt:x:64056:' >>/etc/group
	grep -q '^libvirt-qemu:' /etc/passwd ||
		echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>/etc/passwd
	# QEMU runs as root with no security driver and no cgroups of
	# libvirt's (no systemd here), its stdout and the console log written
	# by QEMU itself (no virtlogd).  Everything else is libvirt's default.
	cat >/etc/libvirt/qemu.conf <<-EOF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	cgroup_controllers = [ ]
	namespaces = [ ]
	stdio_handler = "file"
	EOF
	printf 'log_outputs = "3:file:%s/libvirtd.log"\n%s\n' "$_keep" "${LV_CONF_EXTRA:-}" \
		>/etc/libvirt/libvirtd.conf
	libvirtd -f /etc/libvirt/libvirtd.conf "$@" >"$_keep/libvirtd.out" 2>&1 &
	lvpid=$!
	wait_for 240 lv_up "$_keep"
	virsh -c qemu:///system version >"$_keep/version" 2>&1
}
# lv_daemon_up KEEP DOMAIN WHAT [LIBVIRTD-OPTIONS...]: lv_daemon_start;
# ok "WHAT (its time; libvirt's versions)", else not ok and the job stops.
# When the job exits, DOMAIN is destroyed and undefined and libvirtd stopped.
lv_daemon_up() {
	_t=$(date +%s) lv_dom=$2 _what=$3
	_keep=$1
	shift 3
	if lv_daemon_start "$_keep" "$@"; then
		ok "$_what ($(($(date +%s) - _t)) s; $(tr '\n' ' ' <"$_keep/version" | sed 's/  */ /g'))"
	else
		not_ok "$_what"
		diag "$(cat "$_keep/version" "$_keep/libvirtd.out"; tail -n 20 "$_keep/libvirtd.log" 2>/dev/null)"
		exit 1
	fi
	trap lv_cleanup EXIT
}
lv_cleanup() {
	virsh -c qemu:///system destroy "$lv_dom" >/dev/null 2>&1
	virsh -c qemu:///system undefine "$lv_dom" >/dev/null 2>&1
	kill "$lvpid" 2>/dev/null
	wait "$lvpid" 2>/dev/null
}

# lv_up KEEP: libvirtd answers, or it died
lv_up() { virsh -c qemu:///system version >"$1/version" 2>&1 || ! kill -0 "$lvpid" 2>/dev/null; }

# lv_domain_xml NAME MEM-MIB VCPUS DISK-IMAGE CONSOLE-LOG KERNEL-ARGS: the
# domain a user writes: type kvm, machine virt, host-passthrough CPU,
# direct kernel boot (guest/ in the cwd), a virtio disk and network (user
# mode), the serial console on a pseudo-terminal logged to a file, and no
# GIC element.  With LV_USER_GIC=1 instead QEMU's own GICv2 whatever the
# host offers (<gic version='2'/> and QEMU's -machine kernel_irqchip=off),
# the one GIC a guest can keep between a host with an in-kernel GIC and
# one without.  With LV_NO_SVE_PMU=1 the CPU has no SVE and no PMU
# (<feature policy='disable' name='sve'/>, <pmu state='off'/>): QEMU's
# -cpu host takes both where the host's KVM offers them, as the in-kernel
# KVM does and modkvm does not, and a guest cannot lose them on the way.
lv_domain_xml() {
	local feat="" cpu="<cpu mode='host-passthrough'/>"
	if [ "${LV_NO_SVE_PMU:-0}" = 1 ]; then
		feat="<pmu state='off'/>"
		cpu="<cpu mode='host-passthrough'><feature policy='disable' name='sve'/></cpu>"
	elif ! on_modkvm; then
		# the in-kernel KVM (the reference): no PMU either, as on
		# modkvm (selftests/lib/tap.sh: reference_cpu)
		feat="<pmu state='off'/>"
	fi
	if [ "${LV_USER_GIC:-0}" = 1 ]; then
		echo "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
		echo "  <features><gic version='2'/>$feat</features>"
		echo "  <qemu:commandline><qemu:arg value='-machine'/><qemu:arg value='kernel_irqchip=off'/></qemu:commandline>"
	else
		echo "<domain type='kvm'>"
		[ -z "$feat" ] || echo "  <features>$feat</features>"
	fi
	cat <<-EOF
	  <name>$1</name>
	  <memory unit='MiB'>$2</memory>
	  <vcpu>$3</vcpu>
	  <os>
	    <type arch='aarch64' machine='virt'>hvm</type>
	    <kernel>$PWD/guest/Image</kernel>
	    <initrd>$PWD/guest/initramfs.cpio.gz</initrd>
	    <cmdline>$6</cmdline>
	  </os>
	  $cpu
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>restart</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <emulator>/usr/bin/qemu-system-aarch64</emulator>
	    <disk type='file' device='disk'>
	      <driver name='qemu' type='raw'/>
	      <source file='$4'/>
	      <target dev='vda' bus='virtio'/>
	    </disk>
	    <interface type='user'>
	      <model type='virtio'/>
	    </interface>
	    <serial type='pty'>
	      <log file='$5' append='on'/>
	    </serial>
	    <console type='pty'/>
	  </devices>
	</domain>
	EOF
}
