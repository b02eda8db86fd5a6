#!/usr/bin/env bash
# `polyak` inside the polyak-flink image (installed as /usr/local/bin/polyak by deploy/k8s/Dockerfile):
# the job jar that Flink loads from lib/, run the way ./polyak runs it, with the JVM flags Flink 1.19
# needs on Java 17 and DJL offline.
#   POLYAK_HEAP        max heap (default 4g)
#   POLYAK_JAVA_OPTS   extra JVM options
set -euo pipefail
export MKL_CBWR="${MKL_CBWR:-AUTO}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export GLIBC_TUNABLES="${GLIBC_TUNABLES-glibc.malloc.hugetlb=1}"
# shellcheck disable=SC2086
exec java ${POLYAK_JAVA_OPTS:-} -Xmx"${POLYAK_HEAP:-4g}" @/opt/polyak/java17-flink.flags \
  -Dai.djl.offline=true -jar /opt/flink/lib/polyak.jar "$@"
