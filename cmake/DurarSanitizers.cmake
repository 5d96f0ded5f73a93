# -DDURAR_SANITIZE=address,undefined instruments everything built in this tree.
if(DURAR_SANITIZE)
  set(_durar_san "-fsanitize=${DURAR_SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_durar_san})
  add_link_options(-fsanitize=${DURAR_SANITIZE})
endif()
