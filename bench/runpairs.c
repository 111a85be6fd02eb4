/* runpairs: start-up cost of several commands, measured side by side.
 *
 *   runpairs [-n RUNS] [-w WARMUP] NAME=COMMAND... (each COMMAND is split on blanks, no shell;
 *                                                   a first word "<PATH" opens PATH as fd 9)
 *
 * Runs the commands in turn (A B C A B C ...), so drift in the machine's state hits all of
 * them alike, timing fork+exec+wait of each with CLOCK_MONOTONIC. Prints per command the
 * median, p10 and p90 in microseconds, the peak RSS (ru_maxrss of the child), and the ratio
 * of medians to the first command. Output on stdout goes to /dev/null; a failing run aborts. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16
#define MAX_ARGS 64

struct cmd {
  const char* name;
  const char* fd9; /* "<PATH" as the first word: PATH is opened as fd 9 (bwrap --seccomp 9) */
  char* argv[MAX_ARGS];
  double* samples;
  long max_rss_kib;
};

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double run_once(struct cmd* c, int devnull) {
  double start = now_us();
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(1);
  }
  if (pid == 0) {
    dup2(devnull, 1);
    if (c->fd9) {
      int fd = open(c->fd9, O_RDONLY);
      if (fd < 0 || dup2(fd, 9) < 0) _exit(126);
    }
    execv(c->argv[0], c->argv);
    perror(c->argv[0]);
    _exit(127);
  }
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) != pid) {
    perror("wait4");
    exit(1);
  }
  double elapsed = now_us() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "runpairs: %s failed (status 0x%x)\n", c->name, status);
    exit(1);
  }
  if (usage.ru_maxrss > c->max_rss_kib) c->max_rss_kib = usage.ru_maxrss;
  return elapsed;
}

int main(int argc, char** argv) {
  int runs = 1000, warmup = 50, opt;
  while ((opt = getopt(argc, argv, "n:w:")) != -1) {
    if (opt == 'n')
      runs = atoi(optarg);
    else if (opt == 'w')
      warmup = atoi(optarg);
    else
      return 64;
  }
  struct cmd cmds[MAX_CMDS];
  int n = 0;
  for (int i = optind; i < argc && n < MAX_CMDS; i++, n++) {
    char* eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "runpairs: expected NAME=COMMAND, got %s\n", argv[i]);
      return 64;
    }
    *eq = '\0';
    cmds[n].name = argv[i];
    int k = 0;
    cmds[n].fd9 = NULL;
    for (char* tok = strtok(eq + 1, " "); tok && k < MAX_ARGS - 1; tok = strtok(NULL, " ")) {
      if (k == 0 && !cmds[n].fd9 && tok[0] == '<') {
        cmds[n].fd9 = tok + 1;
        continue;
      }
      cmds[n].argv[k++] = tok;
    }
    cmds[n].argv[k] = NULL;
    cmds[n].samples = calloc((size_t)runs, sizeof(double));
    cmds[n].max_rss_kib = 0;
  }
  if (n == 0) return 64;
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  for (int r = 0; r < warmup; r++)
    for (int i = 0; i < n; i++)
      run_once(&cmds[i], devnull);
  for (int r = 0; r < runs; r++)
    for (int i = 0; i < n; i++)
      cmds[i].samples[r] = run_once(&cmds[i], devnull);
  double base = 0;
  printf("%-22s %10s %10s %10s %9s %10s\n", "command", "median_us", "p10_us", "p90_us", "ratio",
         "maxrss_kib");
  for (int i = 0; i < n; i++) {
    qsort(cmds[i].samples, (size_t)runs, sizeof(double), compare);
    double median = cmds[i].samples[runs / 2];
    if (i == 0) base = median;
    printf("%-22s %10.1f %10.1f %10.1f %9.2f %10ld\n", cmds[i].name, median,
           cmds[i].samples[runs / 10], cmds[i].samples[runs * 9 / 10], median / base,
           cmds[i].max_rss_kib);
  }
  return 0;
}
