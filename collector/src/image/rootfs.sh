#!/usr/bin/env bash
# Builds the base file system of Sluice's container images (collector and agent) without a Docker daemon or a
# registry: a jlink'ed Java runtime from the JDK running the build, plus the few glibc libraries it and the bundled
# natives (RocksDB, netty-tcnative, zstd) load, a non-root user and a world-writable /tmp. Jib layers the
# application on top (from "scratch"); the result is a distroless-style image of ~60 MB + the application.
#
# usage: rootfs.sh OUT_DIR   (idempotent: does nothing when OUT_DIR/opt/java/release exists)
set -euo pipefail
out=${1:?usage: rootfs.sh OUT_DIR}
if [[ -f "$out/opt/java/release" ]]; then
  exit 0
fi
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
# java.desktop: java.beans (SnakeYAML, Jackson); jdk.unsupported: sun.misc.Unsafe (Netty, protobuf, JCTools)
"$java_home/bin/jlink" \
  --add-modules java.base,java.logging,java.management,java.naming,java.net.http,java.security.jgss,java.security.sasl,java.sql,java.xml,jdk.crypto.ec,jdk.unsupported,jdk.management,jdk.zipfs,java.desktop,java.scripting,jdk.jfr,java.instrument,jdk.naming.dns,jdk.httpserver,jdk.net,jdk.charsets \
  --strip-debug --no-header-files --no-man-pages --compress=1 --output "$out.tmp/opt/java"
# headless: AWT's X11 and sound libraries are never loaded, so they are not copied
for lib in /lib64/ld-linux-x86-64.so.2 \
  /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libz.so.1,libgcc_s.so.1,libstdc++.so.6,libdl.so.2,libpthread.so.0,librt.so.1}; do
  mkdir -p "$out.tmp$(dirname "$lib")"
  cp -L "$lib" "$out.tmp$lib"
done
mkdir -p "$out.tmp/etc" "$out.tmp/tmp" "$out.tmp/var/lib/sluice"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$out.tmp/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$out.tmp/etc/group"
printf 'hosts: files dns\n' >"$out.tmp/etc/nsswitch.conf"
mv "$out.tmp" "$out"
