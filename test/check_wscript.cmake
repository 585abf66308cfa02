# Check that wscript (the waf build for ns-3 <= 3.35 trees) lists the same
# sources, headers, ns-3 module dependencies and scenario programs as
# CMakeLists.txt.  Run by ctest as:
#   cmake -DWSCRIPT=... -DCMAKELISTS=... -DSOURCES=... -DHEADERS=... -DMODULES=...
#         -P check_wscript.cmake
# where SOURCES, HEADERS and MODULES are the CMake lists, ';'-separated.

file(READ "${WSCRIPT}" text)

# The Python list that follows "NAME = [" up to the closing bracket, as a
# CMake list of its quoted strings.
function(python_list name out)
  string(REGEX MATCH "${name} = \\[[^]]*\\]" block "${text}")
  if(NOT block)
    message(FATAL_ERROR "wscript has no '${name} = [...]' list; keep that form so this check can read it")
  endif()
  string(REGEX MATCHALL "'[^']+'" quoted "${block}")
  set(items)
  foreach(q ${quoted})
    string(REPLACE "'" "" q "${q}")
    list(APPEND items "${q}")
  endforeach()
  list(SORT items)
  set(${out} "${items}" PARENT_SCOPE)
endfunction()

function(compare what from_cmake from_wscript)
  list(SORT from_cmake)
  if(NOT "${from_cmake}" STREQUAL "${from_wscript}")
    set(missing ${from_cmake})
    list(REMOVE_ITEM missing ${from_wscript})
    set(extra ${from_wscript})
    list(REMOVE_ITEM extra ${from_cmake})
    message(FATAL_ERROR "wscript ${what} differ from CMakeLists.txt\n"
                        "  missing in wscript: ${missing}\n"
                        "  only in wscript: ${extra}\n"
                        "Edit wscript so that both builds compile the same module.")
  endif()
endfunction()

python_list("module.source" wscript_sources)
python_list("headers.source" wscript_headers)
python_list("NS3_MODULES" wscript_modules)
compare("sources" "${SOURCES}" "${wscript_sources}")
compare("headers" "${HEADERS}" "${wscript_headers}")
compare("ns-3 modules" "${MODULES}" "${wscript_modules}")

# Scenario programs: each add_executable(mip6sec-NAME scenarios/...) in
# CMakeLists.txt needs "VAR = bld.create_ns3_program('mip6sec-NAME', ...)"
# in wscript with the same VAR.source list.
file(READ "${CMAKELISTS}" cmake_text)
string(REGEX MATCHALL "add_executable\\(mip6sec-[a-z0-9-]+[ \n]+scenarios/[^)]*\\)" programs
       "${cmake_text}")
set(n_programs 0)
foreach(program ${programs})
  string(REGEX MATCH "mip6sec-[a-z0-9-]+" name "${program}")
  string(REGEX MATCHALL "scenarios/[A-Za-z0-9_./-]+" cmake_program_sources "${program}")
  string(REGEX MATCH "([a-z_]+) = bld\\.create_ns3_program\\('${name}'" found "${text}")
  if(NOT found)
    message(FATAL_ERROR "wscript does not build ${name}, which CMakeLists.txt builds; add "
                        "\"VAR = bld.create_ns3_program('${name}', ['mip6sec'])\" and VAR.source")
  endif()
  python_list("${CMAKE_MATCH_1}.source" wscript_program_sources)
  compare("sources of ${name}" "${cmake_program_sources}" "${wscript_program_sources}")
  math(EXPR n_programs "${n_programs} + 1")
endforeach()
if(n_programs EQUAL 0)
  message(FATAL_ERROR "found no scenario programs in ${CMAKELISTS}; this check's pattern is stale")
endif()

list(LENGTH wscript_sources n)
message(STATUS "wscript matches CMakeLists.txt: ${n} sources, ${n_programs} scenario programs")
