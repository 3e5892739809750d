{
  "variables": {
    "tessera_blas%": "<!(node native/configure.cjs blas)"
  },
  "targets": [
    {
      "target_name": "tessera_native",
      "sources": ["native/tessera.cc", "native/bind-ops.cc", "native/kernels.cc", "native/elementwise.cc", "native/attention.cc", "native/gemm.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-march=native", "-std=c++17", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "conditions": [
        ["OS=='mac'", {
          "libraries": ["-framework Accelerate"],
          "defines": ["TESSERA_ACCELERATE"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"] }
        }],
        ["target_arch=='x64' and OS!='mac'", {
          "cflags_cc": ["-mprefer-vector-width=512"]
        }],
        ["OS!='mac' and tessera_blas=='openblas'", {
          "libraries": ["-lopenblas", "-lpthread"]
        }],
        ["OS!='mac' and tessera_blas=='blis'", {
          "defines": ["TESSERA_BLIS"],
          "include_dirs": ["<!(node native/configure.cjs blis-include)"],
          "libraries": [
            "-L<!(node native/configure.cjs blis-lib)", "-lblis", "-lpthread",
            "-Wl,-rpath,<!(node native/configure.cjs blis-lib)"
          ]
        }],
        ["OS!='mac' and tessera_blas=='none'", {
          "defines": ["TESSERA_NO_BLAS"],
          "libraries": ["-lpthread"]
        }]
      ]
    }
  ]
}
