// Replays a fuzz target's corpus without libFuzzer, so every corpus file (crashers included) runs
// as an ordinary test in the GCC build: `fuzz_replay <target> <corpus dir or file>...`.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#define USSD_OTP_FUZZ_TARGET(name) extern "C" int fuzz_##name(const std::uint8_t*, std::size_t);
#include "fuzz_targets.inc"
#undef USSD_OTP_FUZZ_TARGET

namespace {

using Entry = int (*)(const std::uint8_t*, std::size_t);

struct Target {
  std::string_view name;
  Entry entry;
};

constexpr Target kTargets[] = {
#define USSD_OTP_FUZZ_TARGET(name) {#name, fuzz_##name},
#include "fuzz_targets.inc"
#undef USSD_OTP_FUZZ_TARGET
};

std::vector<std::filesystem::path> inputs_under(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  } else {
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());  // a stable order, so a failure names the same file
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <target> <corpus dir or file>...\n", argv[0]);
    return 2;
  }
  const std::string_view wanted = argv[1];
  const auto target = std::find_if(std::begin(kTargets), std::end(kTargets),
                                   [&](const Target& t) { return t.name == wanted; });
  if (target == std::end(kTargets)) {
    std::fprintf(stderr, "unknown fuzz target %s\n", argv[1]);
    return 2;
  }
  std::size_t replayed = 0;
  for (int i = 2; i < argc; ++i) {
    for (const auto& file : inputs_under(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      // Printed first: a crash or abort then names the input that caused it.
      std::printf("%s\n", file.c_str());
      std::fflush(stdout);
      target->entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
  }
  // An empty corpus would pass while testing nothing.
  if (replayed == 0) {
    std::fprintf(stderr, "no inputs for %s\n", argv[1]);
    return 1;
  }
  std::printf("replayed %zu inputs through %s\n", replayed, argv[1]);
  return 0;
}
