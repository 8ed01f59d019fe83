# SPDX-License-Identifier: GPL-2.0
# The link between the two servers of `testbed/run --pair` (busybox sh,
# inside the emulated Arm server; with lib/tap.sh).
#
# pair_link_up DIR: the link's NIC (virtio-net, MAC TB_PAIR_MAC from
# /testbed.conf) up with TB_PAIR_IP/24; its driver's modules are loaded
# first if need be, taken from the guest initramfs (guest/initramfs.cpio.gz:
# the same Debian kernel) into DIR.  Sets pair_side, pair_ip, pair_peer,
# pair_if; ok naming them, else not ok and the job stops.
pair_link_up() {
	TB_PAIR_SIDE="" TB_PAIR_MAC="" TB_PAIR_IP="" TB_PAIR_PEER_IP=""
	. /testbed.conf
	if [ -z "$TB_PAIR_SIDE" ]; then
		not_ok "this server is one of a pair (testbed/run --pair)"
		exit 1
	fi
	pair_side=$TB_PAIR_SIDE pair_ip=$TB_PAIR_IP pair_peer=$TB_PAIR_PEER_IP
	if [ ! -d /sys/module/virtio_net ]; then
		mkdir -p "$1/mod"
		(cd "$1/mod" && gzip -dc "$OLDPWD/guest/initramfs.cpio.gz" |
			cpio -id lib/modules/failover.ko lib/modules/net_failover.ko \
				lib/modules/virtio_net.ko 2>/dev/null)
		for m in failover net_failover virtio_net; do
			insmod "$1/mod/lib/modules/$m.ko" 2>>"$1/insmod.err"
		done
	fi
	pair_if=""
	_i=0
	while [ -z "$pair_if" ] && [ $_i -lt 50 ]; do
		for _n in /sys/class/net/*; do
			[ "$(cat "$_n/address" 2>/dev/null)" = "$TB_PAIR_MAC" ] && pair_if=${_n##*/}
		done
		[ -n "$pair_if" ] || sleep 0.2
		_i=$((_i + 1))
	done
	if [ -n "$pair_if" ] && ip addr add "$pair_ip/24" dev "$pair_if" &&
		ip link set "$pair_if" up; then
		ok "server $pair_side: the link to the other server is up ($pair_if $pair_ip, peer $pair_peer)"
	else
		not_ok "server $pair_side: the link to the other server is up"
		diag "no NIC with MAC $TB_PAIR_MAC; $(cat "$1/insmod.err" 2>/dev/null); $(ls /sys/class/net)"
		exit 1
	fi
}

# pair_reaches SECONDS: the other server answers a ping within SECONDS
pair_reaches() { wait_for "$1" ping -c 1 -W 2 "$pair_peer" >/dev/null 2>&1; }
