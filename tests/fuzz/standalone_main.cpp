// A stand-in for libFuzzer's driver, for builds without -fsanitize=fuzzer (gcc, sanitizer
// builds): runs LLVMFuzzerTestOneInput once on every file named on the command line and on
// every regular file inside the directories named there (recursively); arguments starting
// with '-' are libFuzzer options and are ignored. Exits non-zero when
// an argument cannot be read or holds no input; a finding aborts like it would under
// libFuzzer. This is how the seed corpora run as a regression test in every build.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes, so reads past the end are caught like under libFuzzer.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  size_t ran = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    // libFuzzer options (-runs=0, -max_len=...) are accepted and ignored, so one command
    // line serves both kinds of build.
    if (argv[i][0] == '-') continue;
    const std::filesystem::path arg = argv[i];
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
        ok = false;
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) ok = run_file(f) && ok, ++ran;
    } else {
      ok = run_file(arg) && ok;
      ++ran;
    }
  }
  // The empty input, which a corpus on disk rarely holds.
  LLVMFuzzerTestOneInput(nullptr, 0);
  std::printf("%s: ran %zu inputs\n", argv[0], ran);
  if (ran == 0) {
    std::fprintf(stderr, "no inputs found\n");
    return 1;
  }
  return ok ? 0 : 1;
}
