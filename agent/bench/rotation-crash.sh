#!/usr/bin/env bash
# The issue-14 rotation/crash scenario against the agent of this checkout (RotationCrashBench): a writer at
# 20,000 lines/s of 200 bytes, Debian logrotate every second (numbered suffixes the glob does not match), the agent
# (a child JVM with the image's flags) SIGKILLed 1-3 s after each start and kept down --down-ms. Prints written /
# on disk / delivered / lost / duplicates (resent batches vs lines read twice) / kills / duplicates per kill.
#
# --collector counting (default): a gRPC server in the runner's JVM that acks every decoded batch at once and counts
# it. --collector real: the real collector (io.sluice.collector.Collector, its defaults: resend window 4096) with its
# embedded Kafka broker in the runner's JVM; the lines are counted from its topic (one partition, read from offset 0
# to the end offsets), so the duplicates are those that reach Kafka, and the run also prints the collector's
# sluice_collector_resends_suppressed_total (resends it acked without publishing again).
#
#   agent/bench/rotation-crash.sh --mode create --down-ms 500 --seconds 30
#   agent/bench/rotation-crash.sh --mode copytruncate --down-ms 3000 --seconds 30
#   agent/bench/rotation-crash.sh --collector real --mode create --down-ms 500 --seconds 30
#
# The first agent life runs until it has started (spool open, first look at app.log) before the writer and logrotate
# begin: the agent is deployed before the failures do. Every life is then killed on the schedule, by default counted
# from its process start (--kill-clock start: on a busy machine many lives die inside JVM start-up, before they open
# the spool; the run prints how many started), or from its "started" line (--kill-clock started: each life really
# runs). agent-out.txt gets one "# bench: life N ..." line per life; --keep-spools copies the spool after each kill to
# spool-after-life-N (print one with io.sluice.agent.bench.CheckpointDump DIR, on the same classpath).
#
# Options: --collector counting|real --mode create|copytruncate --rate 20000 --line-bytes 200 --rotate-ms 1000
#   --kill-min-ms 1000 --kill-max-ms 3000 --kill-clock start|started --down-ms 500 --seconds 30 --seed N
#   --verbose-order N --keep-spools --work DIR (default agent/target/rotation-crash)
# Needs /usr/sbin/logrotate (Debian package logrotate).
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -ntp -q -pl agent -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/rotation-crash.classpath
exec java -Xmx1g -cp "agent/target/test-classes:agent/target/classes:$(cat agent/target/rotation-crash.classpath)" \
  io.sluice.agent.bench.RotationCrashBench "$@"
