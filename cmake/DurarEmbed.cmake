# durar_embed_text(<target> <file> <symbol>): compiles a text file into <target> as
# `extern const char <symbol>[]` (NUL-terminated), so data stays a plain, diffable file.
function(durar_embed_text target file symbol)
  set(source ${CMAKE_CURRENT_SOURCE_DIR}/${file})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
  file(READ ${source} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded/${symbol}.cpp)
  file(CONFIGURE OUTPUT ${out} CONTENT
    "// Generated from ${file} by durar_embed_text; edit that file instead.\nnamespace durar::detail {\nextern const char ${symbol}[];\nconst char ${symbol}[] = {${bytes}0x00};\n}  // namespace durar::detail\n")
  target_sources(${target} PRIVATE ${out})
endfunction()
