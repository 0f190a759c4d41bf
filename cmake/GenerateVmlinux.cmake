# Writes vmlinux.h from the running kernel's BTF (or PRIVSENTRY_VMLINUX_BTF).
# Run with: cmake -DBPFTOOL=... -DBTF=... -DOUTPUT=... -P GenerateVmlinux.cmake
if(NOT EXISTS "${BTF}")
  message(FATAL_ERROR
    "privsentry: no kernel BTF at ${BTF}.\n"
    "The BPF programs are compiled once (CO-RE) against the kernel's type information, "
    "which this kernel does not publish: it needs CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, "
    "RHEL and Fedora kernels have it). Build on a kernel that has BTF, or point "
    "-DPRIVSENTRY_VMLINUX_BTF=/path/to/vmlinux at a BTF file.")
endif()
get_filename_component(dir "${OUTPUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
execute_process(
  COMMAND "${BPFTOOL}" btf dump file "${BTF}" format c
  OUTPUT_FILE "${OUTPUT}.tmp"
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUTPUT}.tmp")
  message(FATAL_ERROR "privsentry: bpftool could not dump ${BTF} as C (exit ${rc}): ${err}")
endif()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
