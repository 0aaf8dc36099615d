#!/usr/bin/env bash
# Builds benchmarks/target/hsdis/hsdis-amd64.so from hsdis-capstone.c and Debian's capstone 4 (downloaded as
# packages and unpacked there, nothing installed system-wide), so that JMH can show the hot code:
#
#   benchmarks/perfasm/build-hsdis.sh
#   LD_LIBRARY_PATH=benchmarks/target/hsdis java -jar benchmarks/target/benchmarks.jar 'HashMapBenchmark.sondeGet$' \
#       -p size=1024 -f 1 -prof 'perfasm:events=cpu-clock'
#
# cpu-clock because VMs like this one have no hardware counters (perf stat -e cycles: "not supported").
# Needs gcc, perf and apt-get download (Debian or Ubuntu, x86-64).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../target/hsdis"
mkdir -p "$out/deb"
cd "$out/deb"
if ! ls libcapstone-dev_*.deb >/dev/null 2>&1; then
    apt-get download libcapstone-dev libcapstone4 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
fi
for deb in libcapstone*.deb; do
    dpkg-deb -x "$deb" "$out/root"
done
lib="$(dirname "$(find "$out/root" -name 'libcapstone.so.4' | head -1)")"
gcc -O2 -shared -fPIC -I "$out/root/usr/include" -o "$out/hsdis-amd64.so" "$here/hsdis-capstone.c" \
    -L "$lib" -l:libcapstone.so.4 -Wl,-rpath,"$lib"
echo "built $out/hsdis-amd64.so; run JMH with LD_LIBRARY_PATH=$out"
