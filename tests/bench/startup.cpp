// Start-up cost of harden: the median wall time from fork to the target's exit, for a bare
// exec of /usr/bin/true and for harden running it under increasingly isolated policies.
//   harden_bench_startup [RUNS]        (as root; default 200 runs per case)
// Not a test: the numbers depend on the machine. It needs the built harden binary.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double run_once(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const auto end = Clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "run failed (status %d): %s\n", status, argv.back().c_str());
    std::exit(1);
  }
  return std::chrono::duration<double, std::micro>(end - start).count();
}

struct Stats {
  double median, p10, p90;
};

Stats measure(const std::vector<std::string>& argv, int runs) {
  for (int i = 0; i < 5; ++i)
    run_once(argv);  // warm the page cache
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i)
    samples.push_back(run_once(argv));
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    return samples[static_cast<size_t>(q * static_cast<double>(samples.size() - 1))];
  };
  return {at(0.5), at(0.1), at(0.9)};
}

std::string write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 200;
  const std::string harden = HARDEN_BINARY;
  char dir_template[] = "/tmp/harden-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string target = "/usr/bin/true";
  const std::string host_ipc =
      write(dir + "/bare.toml", "[policy]\nname = \"bare\"\n[namespaces]\nipc = \"host\"\n");
  const std::string ipc = write(dir + "/ipc.toml", "[policy]\nname = \"ipc\"\n");
  const std::string all =
      write(dir + "/all.toml",
            "[policy]\nname = \"all\"\n[namespaces]\nipc = \"private\"\nmount = true\n"
            "hostname = \"bench\"\nnet = \"loopback\"\ncgroup = true\npid = true\n"
            "[filesystem]\nread_only = [\"/usr\", \"/lib\", \"/lib64\"]\n"
            "tmpfs = [\"/tmp\"]\nproc = true\ndev = \"minimal\"\n");
  struct Case {
    const char* name;
    std::vector<std::string> argv;
  };
  const std::vector<Case> cases{
      {"bare exec of /usr/bin/true", {target}},
      {"harden, no namespace (ipc = host)", {harden, "--policy", host_ipc, "--", target}},
      {"harden, default policy (private IPC)", {harden, "--policy", ipc, "--", target}},
      {"harden, all namespaces + constructed root", {harden, "--policy", all, "--", target}},
  };
  std::printf("%d runs each; microseconds from fork to exit (median, p10, p90)\n", runs);
  for (const Case& c : cases) {
    const Stats s = measure(c.argv, runs);
    std::printf("%-45s %9.0f %9.0f %9.0f\n", c.name, s.median, s.p10, s.p90);
  }
  std::remove((dir + "/bare.toml").c_str());
  std::remove((dir + "/ipc.toml").c_str());
  std::remove((dir + "/all.toml").c_str());
  rmdir(dir.c_str());
}
