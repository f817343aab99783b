#!/usr/bin/env bash
# Issue 15's container workload (CriJsonBench): the agent as shipped (agent/target/sluice-agent.jar with the image's
# JVM flags, read from agent/pom.xml) pinned to CPU 0 with taskset, tailing a pod log of CRI-wrapped JSON lines of
# ~255 bytes (container: cri, parser: json; 1 event in 50 split over a P and an F line), shipping to a counting gRPC
# ingest endpoint in the runner's JVM, which is pinned to CPU 1 (it acks each batch once decoded). Prints events/s and
# lines/s from the first delivered batch to the last, lost/duplicate events counted by each event's seq, the agent's
# CPU-us per event (the load-robust figure), its peak RSS (VmHWM), CPU by thread, load average and the agent config.
#
#   agent/bench/cri-json.sh                         # 2,000,000 events (~490 MiB), about a minute on a quiet machine
#   agent/bench/cri-json.sh --lines 500000 --jfr    # + a JFR recording of the agent (agent/target/cri-json/agent.jfr)
#
# Options: --lines N --partial-every N (0 = none) --seed N --cpu 0 --agent-jvm "..." (instead of the image's flags)
#   --jfr --memory (smaps of the agent at the end) --nmt (its native memory tracking summary at the end)
#   --stall-seconds 60 --config-extra "batch: {zstdLevel: -1}" (top-level lines added to agent.yaml)
#   --work DIR (default agent/target/cri-json)
# SKIP_BUILD=1 uses the jar and classes already built.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${SKIP_BUILD:-}" ]; then
  ./mvnw -B -ntp -q -pl agent -am package dependency:build-classpath -DskipTests -Dimage.skip=true \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
fi
exec taskset -c "${BENCH_RUNNER_CPU:-1}" java -Xmx1g \
  -cp "agent/target/test-classes:agent/target/classes:$(cat agent/target/bench.classpath)" \
  io.sluice.agent.bench.CriJsonBench --repo . "$@"
