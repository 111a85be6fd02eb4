/* syscall_loop: ns per allowed syscall (getppid, in @default, so the filter's action cache
 * answers it) over N calls. Run bare and under a wrapper; the ratio is the filter's cost. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 5000000;
  struct timespec a, b;
  double best = 1e30;
  for (int round = 0; round < 7; round++) {
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++)
      syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
    if (ns < best) best = ns;
  }
  printf("%.2f\n", best);
  return 0;
}
