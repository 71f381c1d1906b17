{
  "targets": [
    {
      "target_name": "bdi_native",
      "sources": ["src/addon.cc", "src/kcenter.cc", "src/projection.cc", "src/postprocess.cc", "src/contours.cc", "src/png-decode.cc", "src/features.cc", "src/resize-cubic.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "libraries": ["-lgomp", "-lopenblas"]
    }
  ]
}
