#!/usr/bin/env bash
# Build the WebAssembly kernels from native/ with emscripten. Two flavours:
#   st: single thread, SIMD128          -> dist/wasm/bitnet-st.{js,wasm}
#   mt: pthreads + SIMD128 (needs SharedArrayBuffer / cross-origin isolation in browsers)
#                                       -> dist/wasm/bitnet-mt.{js,wasm,worker.js}
# The glue is MODULARIZE'd (not ES6) so the same file loads with require() in Node and with
# importScripts() in a classic Web Worker. Nx caches this target (inputs: native sources, this
# script, `emcc --version`, BN_EMCC_FLAGS, BN_WASM_FLAVORS).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/dist/wasm"
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
flavors="${BN_WASM_FLAVORS:-st mt}"
cd "$root"
for fl in $flavors; do
  case "$fl" in
    st) extra=(-sEXPORT_NAME=createBitnetSt) ;;
    mt) extra=(-pthread -sEXPORT_NAME=createBitnetMt '-sPTHREAD_POOL_SIZE=Module["bnPoolSize"]||0' -Wno-pthreads-mem-growth) ;;
    *) echo "build-wasm: unknown flavour $fl" >&2; exit 2 ;;
  esac
  rm -f "$out/bitnet-$fl".*
  emcc "${common[@]}" "${extra[@]}" "${srcs[@]}" -o "$out/bitnet-$fl.js"
  echo "build-wasm: $fl -> $(stat -c %s "$out/bitnet-$fl.wasm") bytes wasm"
done
