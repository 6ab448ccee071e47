{
  "targets": [
    {
      "target_name": "netmon_pcap",
      "sources": ["src/addon.cc", "src/live-handle.cc", "src/interfaces.cc", "src/privileges.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='win'", {
          "variables": { "npcap_sdk%": "<!(node -p \"process.env.NPCAP_SDK || 'C:/npcap-sdk'\")" },
          "include_dirs": ["<(npcap_sdk)/Include"],
          "libraries": ["-l<(npcap_sdk)/Lib/x64/wpcap.lib", "-lws2_32.lib"],
          "defines": ["WIN32_LEAN_AND_MEAN"],
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17"] } }
        }],
        ["OS=='mac'", {
          "libraries": ["-lpcap"],
          "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "11.0" }
        }],
        ["OS not in 'win mac'", {
          "libraries": ["-lpcap"]
        }]
      ]
    }
  ]
}
