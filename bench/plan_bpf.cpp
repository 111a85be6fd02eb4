// plan_bpf PLAN OUT: writes the raw BPF program of a sealed plan (harden compile --plan-only),
// so the C floor loads exactly the filter harden loads.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "plan/plan_io.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 64;
  std::ifstream in(argv[1], std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto plan =
      harden::plan_from_bytes({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
  if (!plan) {
    std::fprintf(stderr, "plan_bpf: %s\n", plan.error().c_str());
    return 1;
  }
  const auto& program = plan->data().seccomp.program;
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(program.data()),
            static_cast<std::streamsize>(program.size() * sizeof program[0]));
  return 0;
}
