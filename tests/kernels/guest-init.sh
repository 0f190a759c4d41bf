#!/bin/sh
# pid 1 of a matrix guest: mounts what the sensor reads, runs check.sh, and
# powers off. The kernel's name is on its command line (privsentry.kernel=).
export PATH=/bin:/sbin:/usr/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# A hybrid layout, like the hosts CI runs on: cgroup2 and a v1 devices hierarchy.
mount -t tmpfs tmpfs /sys/fs/cgroup
mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/devices
mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
mount -t cgroup -o devices devices /sys/fs/cgroup/devices
echo 1 > /proc/sys/kernel/printk
kernel=$(sed -n 's/.*privsentry\.kernel=\([^ ]*\).*/\1/p' /proc/cmdline)
/check.sh "${kernel:-unknown}"
poweroff -f
