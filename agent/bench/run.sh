#!/usr/bin/env bash
# Sluice (agent -> collector) beside a tuned rsyslog (imfile -> omkafka), optionally Apache Flume 1.11.0 (TAILDIR ->
# file channel -> KafkaSink): the same file, the same in-process KRaft broker, the same run (issue 15). Prints a
# Markdown table, the same-run ratios and each peer's exact configuration; also in agent/target/bench/results.md.
#
#   agent/bench/run.sh                      # 1 GiB file -> Kafka, Sluice then rsyslog (a quiet machine: ~3-4 min)
#   agent/bench/run.sh --mib 128            # a smoke run
#   agent/bench/run.sh --mib 256 --jfr      # + a JFR profile of the agent (agent/target/bench/tp-agent/agent.jfr)
#
# Options (PeerBench): --mib N (default 1024) --files N (default 1) --peers agent,rsyslog[,flume]
#   --runs throughput[,rate] --rate-mib 10 --rate-seconds 30 --jfr --progress (agent metrics every 2 s) --no-check
#   (skip the per-line loss check) --agent-jvm "..." --agent-env "K=V ..." --agent-classpath-prefix DIR
#   --peers agent,agent-b,rsyslog --agent-b-classpath-prefix "DIR:DIR" (a second agent run with other classes first,
#   e.g. an older build's agent/proto/sdk-core target/classes: before and after in one run)
#   --collector-producer "k: v, ..." --collector-format batch|record --collector-jvm "..." --flume-jvm "..."
#   --work DIR (default agent/target/bench) --broker-warmup-mib N (default 256, 0 = none)
#   --collector-warmup-mib N (a first agent ships N MiB through the collector; its CPU and lines are subtracted;
#   default 0 = the collector starts cold and its start-up counts)
# Needs Debian rsyslog + rsyslog-kafka (installed here when missing and run as root; the system service is never
# started: the runner starts its own rsyslogd -n -f <conf>), and Maven Central for Flume (only with --peers ...flume).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ ! -x /usr/sbin/rsyslogd || ! -e /usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so ]] && [[ $(id -u) == 0 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rsyslog rsyslog-kafka kcat >/dev/null
fi
# -am: the agent jar and the collector on the runner's classpath are this checkout's sdk-core and collector, not
# whatever SNAPSHOT happens to be in ~/.m2 (one invocation, so the classpath points at the reactor's jars)
./mvnw -B -ntp -q -pl agent -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath
if [[ " $* " == *flume* ]]; then
  ./mvnw -B -ntp -q -f agent/bench/flume/pom.xml dependency:copy-dependencies
fi
echo "load average before: $(cat /proc/loadavg)" >&2
exec java -Xmx1g -cp "agent/target/test-classes:agent/target/classes:$(cat agent/target/bench.classpath)" \
  io.sluice.agent.bench.PeerBench --repo . "$@"
