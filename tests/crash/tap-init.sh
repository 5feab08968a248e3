#!/bin/sh
# /init of crash-tap.sh's guest (busybox sh): loads the virtio modules, puts
# eth0 on 10.88.0.2/24, prints "GUEST ready" and then serves the host's
# commands, one per console line, each answered by lines "R ID ...":
#   net ID      ping the host side until it answers (up to 60 s: the back
#               end may be restarting), 5 more pings, a TCP download checked
#               by md5 (uvdpa_md5) and an upload the host answers with md5
#   chan ID N   set N queue pairs (ethtool -L eth0 combined N)
#   stop        power off
# Kernel command line: uvdpa_md5=HEX uvdpa_hostwait=SECONDS.
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for kv in $(cat /proc/cmdline); do
	case $kv in
	uvdpa_*=*) eval "${kv%%=*}='${kv#*=}'" ;;
	esac
done
stty -echo 2>/dev/null
peer=10.88.0.1
url=http://$peer:8080

echo "GUEST up $(cut -d' ' -f1 /proc/uptime)s kernel $(uname -r) cpus $(grep -c ^processor /proc/cpuinfo)"
while read -r m; do
	insmod "/lib/modules/$m" || echo "FAIL insmod $m"
done </modules.load
n=100
while [ ! -e /sys/class/net/eth0 ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
ip link set eth0 up
ip addr add 10.88.0.2/24 dev eth0
echo "GUEST ready $(/bin/channels eth0)"

net() {
	t0=$(cut -d' ' -f1 /proc/uptime)
	n=0
	until ping -c 1 -W 1 $peer >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 60 ] || break
	done
	echo "R $1 first-reply $n tries, since $t0 s, carrier $(cat /sys/class/net/eth0/carrier)"
	if [ $n -ge 60 ]; then
		echo "R $1 ping 0/5"; echo "R $1 download none"; echo "R $1 upload bad (no ping reply)"
		return
	fi
	got=$(ping -c 5 -i 0.2 -W 2 $peer 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	echo "R $1 ping ${got:-0}/5"
	got=$(timeout 120 wget -q -O - "$url/blob" | md5sum | cut -d' ' -f1)
	echo "R $1 download ${got:-none}"
	dd if=/dev/urandom bs=65536 count=4 2>/dev/null | od -A x -t x1 >/tmp/up
	want=$(md5sum /tmp/up | cut -d' ' -f1)
	got=$(timeout 120 wget -q -O - --post-file=/tmp/up "$url/up")
	if [ "$got" = "$want" ]; then echo "R $1 upload ok"
	else echo "R $1 upload bad ${got:-none}, want $want"; fi
}

while read -r -t "${uvdpa_hostwait:-600}" cmd id arg; do
	case $cmd in
	net) net "$id" ;;
	chan) /bin/channels eth0 "$arg"; echo "R $id chan $? $(/bin/channels eth0)" ;;
	stop) break ;;
	esac
done
echo "GUEST done $(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
