#!/usr/bin/env bash
# Build the WebAssembly kernels from native/ with emscripten. Four flavours:
#   st: single thread, SIMD128          -> dist/wasm/bitnet-st.{js,wasm}
#   mt: pthreads + SIMD128 (needs SharedArrayBuffer / cross-origin isolation in browsers)
#                                       -> dist/wasm/bitnet-mt.{js,wasm,worker.js}
#   st-rx, mt-rx: the same plus relaxed SIMD (native/src/arch/wasm-relaxed: ternary kernels, F16 head),
#       -> dist/wasm/bitnet-{st,mt}-rx.*  Built only when clang-19 is installed (emcc 3.1.6's
#       clang 14 cannot emit relaxed SIMD): the relaxed source is compiled alone with clang-19 and
#       its object linked into the emcc build. binaryen 108 (wasm-opt, wasm-emscripten-finalize)
#       cannot parse relaxed opcodes, so these link at -O1 (no wasm-opt passes; the objects are
#       still -O3) with WASM_BIGINT (no i64 legalization) and Python metadata extraction.
#       Loaders pick them only where WebAssembly.validate accepts them (Chromium; Node 20 needs
#       --experimental-wasm-relaxed-simd), else the SIMD128 flavour.
# The glue is MODULARIZE'd (not ES6) so the same file loads with require() in Node and with
# importScripts() in a classic Web Worker. Nx caches this target (inputs: native sources, this
# script, `emcc --version`, `clang-19 --version`, BN_EMCC_FLAGS, BN_RX_CFLAGS (extra flags of the clang-19
# compile), BN_WASM_FLAVORS).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${BN_WASM_OUT:-$here/dist/wasm}"   # BN_WASM_OUT: a private output directory (experiments, benchmarks)
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"   # Debian's emcc needs Debian's acorn

if ! command -v emcc >/dev/null; then
  echo "build-wasm: emcc not found. Run 'npm test' or 'npm start' (they install it), or: apt-get install emscripten" >&2
  exit 1
fi
# The emscripten release the flags below were verified with; others may work but are not tested.
want="3.1.6"
# (sed reads the whole output: `| head -1` would close the pipe early and emcc dies of EPIPE under pipefail)
have="$(emcc --version 2>/dev/null | sed -nE '1s/.* ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p')"
[ "$have" = "$want" ] || echo "build-wasm: warning: emcc $have, flags verified with $want" >&2

mapfile -t srcs < <(cd "$root" && find native/src -name '*.c' | sort)
common=(
  -O3 -msimd128 -std=c11 -Wall -Wextra -Wno-unused-parameter
  -I"$root/native/include"
  -sMODULARIZE=1 -sENVIRONMENT=web,worker,node
  -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sINITIAL_MEMORY=16MB -sTOTAL_STACK=1MB
  -sEXPORTED_FUNCTIONS=_malloc,_free
  -sEXPORTED_RUNTIME_METHODS=HEAPU8,HEAP32,HEAPF32
  -sFILESYSTEM=0 -sASSERTIONS=0 -sTEXTDECODER=2
  ${BN_EMCC_FLAGS:-}
)
mkdir -p "$out"
clang_rx="${BN_CLANG_RX:-clang-19}"
have_rx=0
command -v "$clang_rx" >/dev/null && have_rx=1
if [ -n "${BN_WASM_FLAVORS:-}" ]; then
  flavors="$BN_WASM_FLAVORS"
elif [ "$have_rx" = 1 ]; then
  flavors="st mt st-rx mt-rx"
else
  flavors="st mt"
  echo "build-wasm: notice: $clang_rx not found, skipping the relaxed-SIMD flavours st-rx/mt-rx (optional; apt-get install clang-19)" >&2
fi
cd "$root"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# compile flags of `common` (everything before -I is codegen; the -s settings are link-only)
cflags=(-O3 -msimd128 -std=c11 -Wall -Wextra -Wno-unused-parameter -I"$root/native/include")
for fl in $flavors; do
  case "$fl" in
    st|st-rx) extra=(-sEXPORT_NAME=createBitnetSt) ;;
    mt|mt-rx) extra=(-pthread -sEXPORT_NAME=createBitnetMt '-sPTHREAD_POOL_SIZE=Module["bnPoolSize"]||0' -Wno-pthreads-mem-growth) ;;
    *) echo "build-wasm: unknown flavour $fl" >&2; exit 2 ;;
  esac
  # build next to the old files, then swap them in at once: tests and other builds running at the
  # same time never see a flavour half-written or missing
  b="$tmp/out-$fl"; mkdir -p "$b"
  case "$fl" in
    st|mt)
      emcc "${common[@]}" "${extra[@]}" "${srcs[@]}" -o "$b/bitnet-$fl.js"
      ;;
    *-rx)
      if [ "$have_rx" != 1 ]; then
        echo "build-wasm: notice: $clang_rx not found, skipping $fl" >&2
        continue
      fi
      thr=()
      [ "$fl" = mt-rx ] && thr=(-pthread)
      d="$tmp/$fl"; mkdir -p "$d"; objs=()
      for src in "${srcs[@]}"; do
        o="$d/$(echo "$src" | tr / _).o"
        emcc "${cflags[@]}" "${thr[@]}" -DBN_RELAXED_SIMD=1 ${BN_EMCC_FLAGS:-} -c "$src" -o "$o"
        objs+=("$o")
      done
      rx_objs=()
      for src in native/src/arch/wasm-relaxed/*.c; do
        o="$d/rx_$(basename "$src" .c).o"
        "$clang_rx" --target=wasm32-unknown-emscripten --sysroot="$(em-config CACHE 2>/dev/null || echo /usr/share/emscripten/cache)/sysroot" \
          "${cflags[@]}" "${thr[@]}" -mrelaxed-simd -DBN_RELAXED_SIMD=1 ${BN_RX_CFLAGS:-} \
          -c "$src" -o "$o"
        rx_objs+=("$o")
      done
      EMCC_READ_METADATA=python emcc "${common[@]/#-O3/-O1}" -sWASM_BIGINT=1 "${extra[@]}" "${objs[@]}" "${rx_objs[@]}" -o "$b/bitnet-$fl.js"
      ;;
  esac
  # wasm first, glue last (loaders look for the glue), each by rename within $out
  for f in "$b/bitnet-$fl.wasm" "$b"/bitnet-"$fl".worker.js "$b/bitnet-$fl.js"; do
    [ -e "$f" ] || continue
    t="$out/.$(basename "$f").$$.tmp"
    cp "$f" "$t" && mv -f "$t" "$out/$(basename "$f")"
  done
  echo "build-wasm: $fl -> $(stat -c %s "$out/bitnet-$fl.wasm") bytes wasm"
done
