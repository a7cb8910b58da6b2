#!/bin/sh
# Build a minimal busybox root filesystem in $1 (default: rootfs beside this
# script) from the host's statically linked busybox. Installs Debian's
# busybox-static when no static busybox is found. Nothing here is committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rootfs=${1:-$here/rootfs}
bb=
for c in /bin/busybox /usr/bin/busybox; do
	if [ -x "$c" ] && ! ldd "$c" >/dev/null 2>&1; then bb=$c; break; fi
done
if [ -z "$bb" ]; then
	echo "make-rootfs: installing busybox-static" >&2
	apt-get install -y busybox-static >/dev/null || { apt-get update >/dev/null && apt-get install -y busybox-static >/dev/null; }
	bb=/bin/busybox
fi
rm -rf "$rootfs.tmp"
mkdir -p "$rootfs.tmp"
cd "$rootfs.tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home var/run
cp "$bb" bin/busybox
for applet in $(./bin/busybox --list-full); do
	[ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnobody:x:65534:\n' > etc/group
chmod 1777 tmp
cd ..
rm -rf "$rootfs"
mv "$rootfs.tmp" "$rootfs"
echo "make-rootfs: $rootfs ready ($("$bb" | head -1))"
