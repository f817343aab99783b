#!/usr/bin/env bash
# The issue-14 rotation/crash scenario against the agent of this checkout (RotationCrashBench): a writer at
# 20,000 lines/s of 200 bytes, Debian logrotate every second (numbered suffixes the glob does not match), the agent
# (a child JVM with the image's flags) SIGKILLed 1-3 s after each start and kept down --down-ms. Prints written /
# on disk / delivered / lost / duplicates (resent batches vs lines read twice) / kills / duplicates per kill.
#
#   agent/bench/rotation-crash.sh --mode create --down-ms 500 --seconds 30
#   agent/bench/rotation-crash.sh --mode copytruncate --down-ms 3000 --seconds 30
#
# Options: --mode create|copytruncate --rate 20000 --line-bytes 200 --rotate-ms 1000 --kill-min-ms 1000
#   --kill-max-ms 3000 --down-ms 500 --seconds 30 --seed N --work DIR (default agent/target/rotation-crash)
# Needs /usr/sbin/logrotate (Debian package logrotate).
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -ntp -q -pl agent -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/rotation-crash.classpath
exec java -Xmx1g -cp "agent/target/test-classes:agent/target/classes:$(cat agent/target/rotation-crash.classpath)" \
  io.sluice.agent.bench.RotationCrashBench "$@"
