/* floor: the C floor for start-up. Does exactly the syscalls a hardened launch needs and
 * nothing else, with a precompiled BPF program read from a file:
 *
 *   floor [-n] BPF_FILE COMMAND [ARGS...]
 *
 * unshare(ipc, uts, mount, net, pid) and fork (the pid namespace needs a child; -n skips the
 * namespaces and the fork, matching a harden policy without namespaces), then: bounding set
 * cleared, groups/gid/uid -> 65534, no_new_privs, close_range(3, ~0), seccomp, execve. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sock_filter program[4096];

static void die(const char* what) {
  perror(what);
  _exit(111);
}

int main(int argc, char** argv) {
  int namespaces = 1;
  if (argc > 1 && strcmp(argv[1], "-n") == 0) namespaces = 0, argv++, argc--;
  if (argc < 3) return 64;
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open");
  ssize_t size = read(fd, program, sizeof program);
  if (size <= 0 || size % 8) die("read");
  close(fd);
  if (namespaces) {
    if (unshare(CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0)
      die("unshare");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child > 0) {
      int status;
      if (waitpid(child, &status, 0) != child) die("waitpid");
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  for (int cap = 0; cap <= 40; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) die("PR_CAPBSET_DROP");
  gid_t none[1];
  if (setgroups(0, none) != 0 || setresgid(65534, 65534, 65534) != 0 ||
      setresuid(65534, 65534, 65534) != 0)
    die("credentials");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) die("close_range");
  struct sock_fprog prog = {(unsigned short)(size / 8), program};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) die("seccomp");
  execv(argv[2], argv + 2);
  die("execv");
}
