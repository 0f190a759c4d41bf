# Builds the BPF side: vmlinux.h from kernel BTF, each .bpf.c with clang
# -target bpf (with a depfile), one linked object (bpftool gen object) and its
# skeleton header (bpftool gen skeleton).

find_program(PRIVSENTRY_BPF_CLANG NAMES clang clang-14 clang-15 clang-16 REQUIRED)
find_program(PRIVSENTRY_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
find_program(PRIVSENTRY_LLVM_STRIP NAMES llvm-strip llvm-strip-14 llvm-strip-15 llvm-strip-16)

set(PRIVSENTRY_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH
    "Kernel BTF the BPF programs are compiled against (CO-RE: the result runs on other kernels too)")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(PRIVSENTRY_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(PRIVSENTRY_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "privsentry: no BPF target arch for ${CMAKE_SYSTEM_PROCESSOR}")
endif()

if(NOT EXISTS "${PRIVSENTRY_VMLINUX_BTF}")
  message(FATAL_ERROR
    "privsentry: no kernel BTF at ${PRIVSENTRY_VMLINUX_BTF}. The kernel needs "
    "CONFIG_DEBUG_INFO_BTF=y, or pass -DPRIVSENTRY_VMLINUX_BTF=/path/to/vmlinux.")
endif()

# privsentry_bpf_skeleton(<target> NAME <skeleton name> SOURCES <a.bpf.c>...
#                         INCLUDES <dir>... DEPENDS <header>...)
# Creates an INTERFACE target <target> whose include directory holds
# <name>.skel.h.
function(privsentry_bpf_skeleton target)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;INCLUDES;DEPENDS" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}")
  set(vmlinux "${out}/vmlinux/vmlinux.h")

  add_custom_command(
    OUTPUT "${vmlinux}"
    COMMAND "${CMAKE_COMMAND}" -DBPFTOOL=${PRIVSENTRY_BPFTOOL} -DBTF=${PRIVSENTRY_VMLINUX_BTF}
            -DOUTPUT=${vmlinux} -P "${PROJECT_SOURCE_DIR}/cmake/GenerateVmlinux.cmake"
    DEPENDS "${PROJECT_SOURCE_DIR}/cmake/GenerateVmlinux.cmake"
    COMMENT "Generating vmlinux.h from ${PRIVSENTRY_VMLINUX_BTF}"
    VERBATIM)

  set(include_flags -I${out}/vmlinux)
  foreach(dir IN LISTS ARG_INCLUDES)
    list(APPEND include_flags -I${dir})
  endforeach()

  set(objects)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(stem "${src}" NAME_WE)
    set(obj "${out}/${stem}.bpf.o")
    add_custom_command(
      OUTPUT "${obj}"
      COMMAND "${PRIVSENTRY_BPF_CLANG}" -g -O2 -target bpf -mcpu=v3
              -D__TARGET_ARCH_${PRIVSENTRY_BPF_ARCH} -Wall -Werror
              ${include_flags} -MD -MF "${obj}.d" -c "${CMAKE_CURRENT_SOURCE_DIR}/${src}" -o "${obj}"
      DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${src}" "${vmlinux}" ${ARG_DEPENDS}
      DEPFILE "${obj}.d"
      COMMENT "BPF ${src}"
      VERBATIM)
    list(APPEND objects "${obj}")
  endforeach()

  set(linked "${out}/${ARG_NAME}.bpf.o")
  set(strip_cmd)
  if(PRIVSENTRY_LLVM_STRIP)
    # DWARF is only for humans; BTF stays.
    set(strip_cmd COMMAND "${PRIVSENTRY_LLVM_STRIP}" -g "${linked}")
  endif()
  add_custom_command(
    OUTPUT "${linked}"
    COMMAND "${PRIVSENTRY_BPFTOOL}" gen object "${linked}" ${objects}
    ${strip_cmd}
    DEPENDS ${objects}
    COMMENT "Linking BPF object ${ARG_NAME}.bpf.o"
    VERBATIM)

  set(skel "${out}/${ARG_NAME}.skel.h")
  add_custom_command(
    OUTPUT "${skel}"
    COMMAND sh -c "\"$1\" gen skeleton \"$2\" name \"$3\" > \"$4.tmp\" && mv \"$4.tmp\" \"$4\""
            sh "${PRIVSENTRY_BPFTOOL}" "${linked}" "${ARG_NAME}" "${skel}"
    DEPENDS "${linked}"
    COMMENT "Generating BPF skeleton ${ARG_NAME}.skel.h"
    VERBATIM)

  add_custom_target(${target}_gen DEPENDS "${skel}")
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  # Generated code: not held to this tree's warning flags.
  target_include_directories(${target} SYSTEM INTERFACE "${out}")
endfunction()
