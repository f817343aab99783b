#!/usr/bin/env bash
# The agent beside rsyslog (imfile -> omkafka) and Apache Flume 1.11.0 (TAILDIR -> file channel -> KafkaSink):
# same files, same in-process KRaft broker, same run. Prints a Markdown table; also in agent/target/bench/results.md.
#
#   agent/bench/run.sh                       # 512 MiB throughput run + 30 s at 10 MiB/s, all three peers
#   agent/bench/run.sh --mib 128 --peers agent,rsyslog --runs throughput --jfr
#
# Options (PeerBench): --mib N --files N --peers agent,rsyslog,flume --runs throughput,rate --rate-mib 10
#   --rate-seconds 30 --jfr (profile the agent in the throughput run) --progress (agent metrics every 2 s)
#   --agent-jvm "..." --agent-env "K=V ..." --agent-classpath-prefix DIR (classes in front of the agent jar)
#   --collector-producer "k: v, ..." --collector-jvm "..." --flume-jvm "..." --work DIR (default agent/target/bench)
#   --broker-warmup-mib N (produced to the broker before the first peer; default 256, 0 = none)
#   --collector-warmup-mib N (throughput run: a first agent ships N MiB through the collector, then the measured
#   agent starts; the warm-up's CPU and records are subtracted; default 0 = a cold collector)
# Needs: Debian rsyslog + rsyslog-kafka (apt-get install -y --no-install-recommends rsyslog rsyslog-kafka; the
# system service is never started: the runner starts its own rsyslogd -n -f <conf>), Maven Central for Flume.
set -euo pipefail
cd "$(dirname "$0")/../.."
# -am: the agent jar and the collector on the runner's classpath are this checkout's sdk-core and collector, not
# whatever SNAPSHOT happens to be in ~/.m2 (one invocation, so the classpath points at the reactor's jars)
./mvnw -B -ntp -q -pl agent -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath
./mvnw -B -ntp -q -f agent/bench/flume/pom.xml dependency:copy-dependencies
exec java -Xmx1g -cp "agent/target/test-classes:agent/target/classes:$(cat agent/target/bench.classpath)" \
  io.sluice.agent.bench.PeerBench --repo . "$@"
