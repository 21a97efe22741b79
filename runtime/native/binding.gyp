{
  "targets": [
    {
      "target_name": "hec_cpu",
      "sources": [
        "src/ring/ntt.cpp",
        "src/ring/ntt_ifma.cpp",
        "src/ring/mac_ifma.cpp",
        "src/ring/pool.cpp",
        "src/ring/poly.cpp",
        "src/ring/random.cpp",
        "src/rns/rns.cpp",
        "src/ckks/encoder.cpp",
        "src/ckks/keys.cpp",
        "src/ckks/evaluator.cpp",
        "src/ckks/keyswitch.cpp",
        "src/ckks/lintrans.cpp",
        "src/ckks/serialize.cpp",
        "src/napi/addon.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=c++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-frtti", "-Wall", "-Wno-unused-function", "-pthread", "-fcx-limited-range"],
      "ldflags": ["-pthread"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
    }
  ]
}
