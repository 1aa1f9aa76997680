# Installs this folder's node_modules from package-lock.json with `npm ci` when they are
# missing or older than the lock file. Run by ctest (test oidc_provider_npm_ci, fixture
# oidc_provider_deps) as: cmake -DNPM=/path/to/npm -P npm_ci.cmake
# A lock file in the temporary directory keeps concurrent runs (two build trees of one
# checkout) from installing over each other.
cmake_minimum_required(VERSION 3.25)
get_filename_component(dir "${CMAKE_CURRENT_LIST_FILE}" DIRECTORY)
if(NOT NPM)
  set(NPM npm)
endif()
if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
  set(tmp "$ENV{TMPDIR}")
else()
  set(tmp /tmp)
endif()
string(MD5 key "${dir}")
file(LOCK "${tmp}/oidcore-oidc-provider-npm-${key}.lock" GUARD PROCESS TIMEOUT 900 RESULT_VARIABLE locked)
if(NOT locked EQUAL 0)
  message(FATAL_ERROR "cannot lock ${tmp}/oidcore-oidc-provider-npm-${key}.lock: ${locked}")
endif()

set(installed "${dir}/node_modules/.package-lock.json")
if(EXISTS "${installed}" AND EXISTS "${dir}/node_modules/oidc-provider/package.json"
   AND NOT "${dir}/package-lock.json" IS_NEWER_THAN "${installed}")
  message(STATUS "node_modules up to date in ${dir}")
  return()
endif()
message(STATUS "npm ci in ${dir}")
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
  WORKING_DIRECTORY "${dir}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${dir} (${rc})")
endif()
