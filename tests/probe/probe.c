/* harden_probe: runs inside a sandbox and reports what it sees.
 *
 * Each subcommand prints `key: value` lines on stdout. Exit status:
 *   0   the subcommand ran and reported (for checks such as chroot-escape the answer is in
 *       the output, not the status);
 *   10  PROBE_EXIT_ERRNO: the operation failed; an `errno: NAME` line says why;
 *   64  PROBE_EXIT_USAGE: bad command line.
 * A seccomp kill is seen by the caller as death by SIGSYS, so before every call that a
 * filter may kill the probe prints a line and flushes (stdout is line buffered).
 *
 * Static and libc-light on purpose: it runs in an empty chroot, so it uses no NSS
 * (getpwnam and friends), no /etc files and no dynamic loader. Keep it portable C11
 * for x86_64 Linux. tests/support/harness.hpp mirrors the exit codes above. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_EXIT_OK 0
#define PROBE_EXIT_ERRNO 10
#define PROBE_EXIT_USAGE 64

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define X32_SYSCALL_BIT 0x40000000L
#define MAX_FDS_PROBED 1024

extern char** environ;

static const char* errno_name(int err) {
  static char buf[32];
  const char* name = strerrorname_np(err);
  if (name != NULL) return name;
  snprintf(buf, sizeof buf, "%d", err);
  return buf;
}

/* Reports a failed operation and returns the probe's errno exit code. */
static int fail_errno(const char* what, int err) {
  printf("%s: failed\n", what);
  printf("errno: %s\n", errno_name(err));
  return PROBE_EXIT_ERRNO;
}

static int report_ok(const char* what) {
  printf("%s: ok\n", what);
  return PROBE_EXIT_OK;
}

static int parse_long(const char* text, long* out) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0') return -1;
  *out = value;
  return 0;
}

static int parse_ulong(const char* text, unsigned long* out) {
  char* end = NULL;
  errno = 0;
  unsigned long value = strtoul(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0') return -1;
  *out = value;
  return 0;
}

static int usage_error(const char* message) {
  fprintf(stderr, "harden_probe: %s\n", message);
  return PROBE_EXIT_USAGE;
}

/* ---- status ---------------------------------------------------------------------------- */

static const char* const kStatusKeys[] = {"Uid",    "Gid",    "Groups",     "CapInh",
                                          "CapPrm", "CapEff", "CapBnd",     "CapAmb",
                                          "SigBlk", "SigIgn", "NoNewPrivs", "Seccomp"};
#define STATUS_KEY_COUNT (sizeof kStatusKeys / sizeof kStatusKeys[0])

/* Copies the interesting lines of /proc/self/status as they are. Returns 0 if /proc was
 * readable; the Umask value is stored in umask_out (or left empty). */
static int status_from_proc(char* umask_out, size_t umask_size) {
  FILE* f = fopen("/proc/self/status", "re");
  if (f == NULL) return -1;
  char line[4096];
  while (fgets(line, sizeof line, f) != NULL) {
    char* colon = strchr(line, ':');
    if (colon == NULL) continue;
    size_t key_len = (size_t)(colon - line);
    if (key_len == 5 && strncmp(line, "Umask", 5) == 0) {
      const char* value = colon + 1;
      while (*value == ' ' || *value == '\t')
        value++;
      snprintf(umask_out, umask_size, "%.*s", (int)strcspn(value, "\n"), value);
      continue;
    }
    for (size_t i = 0; i < STATUS_KEY_COUNT; i++) {
      if (strlen(kStatusKeys[i]) == key_len && strncmp(line, kStatusKeys[i], key_len) == 0) {
        fputs(line, stdout);
        if (line[strlen(line) - 1] != '\n') fputc('\n', stdout);
        break;
      }
    }
  }
  fclose(f);
  return 0;
}

static uint64_t cap_mask_of(const struct __user_cap_data_struct data[2], int which) {
  uint64_t low = 0, high = 0;
  switch (which) {
    case 0:
      low = data[0].inheritable, high = data[1].inheritable;
      break;
    case 1:
      low = data[0].permitted, high = data[1].permitted;
      break;
    default:
      low = data[0].effective, high = data[1].effective;
      break;
  }
  return low | (high << 32);
}

/* Without /proc (an empty chroot) the same facts come from system calls, printed in the
 * format of /proc/self/status so that callers parse one format. */
static void status_from_syscalls(char* umask_out, size_t umask_size) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) == 0) {
    int fsuid = setfsuid((uid_t)-1);
    printf("Uid:\t%u\t%u\t%u\t%d\n", ruid, euid, suid, fsuid);
  }
  if (getresgid(&rgid, &egid, &sgid) == 0) {
    int fsgid = setfsgid((gid_t)-1);
    printf("Gid:\t%u\t%u\t%u\t%d\n", rgid, egid, sgid, fsgid);
  }
  gid_t groups[256];
  int ngroups = getgroups(256, groups);
  if (ngroups >= 0) {
    printf("Groups:\t");
    for (int i = 0; i < ngroups; i++)
      printf("%u ", groups[i]);
    printf("\n");
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &header, data) == 0) {
    printf("CapInh:\t%016llx\n", (unsigned long long)cap_mask_of(data, 0));
    printf("CapPrm:\t%016llx\n", (unsigned long long)cap_mask_of(data, 1));
    printf("CapEff:\t%016llx\n", (unsigned long long)cap_mask_of(data, 2));
  }
  uint64_t bounding = 0, ambient = 0;
  for (int cap = 0; cap < 64; cap++) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) bounding |= (uint64_t)1 << cap;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) ambient |= (uint64_t)1 << cap;
  }
  printf("CapBnd:\t%016llx\n", (unsigned long long)bounding);
  printf("CapAmb:\t%016llx\n", (unsigned long long)ambient);
  int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (nnp >= 0) printf("NoNewPrivs:\t%d\n", nnp);
  int seccomp_mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  if (seccomp_mode >= 0) printf("Seccomp:\t%d\n", seccomp_mode);
  mode_t mask = umask(0);
  umask(mask);
  snprintf(umask_out, umask_size, "%04o", (unsigned)mask);
}

static void print_rlimit(const char* name, int resource) {
  struct rlimit limit;
  if (getrlimit(resource, &limit) != 0) {
    printf("%s: error %s\n", name, errno_name(errno));
    return;
  }
  char soft[32], hard[32];
  if (limit.rlim_cur == RLIM_INFINITY)
    snprintf(soft, sizeof soft, "inf");
  else
    snprintf(soft, sizeof soft, "%llu", (unsigned long long)limit.rlim_cur);
  if (limit.rlim_max == RLIM_INFINITY)
    snprintf(hard, sizeof hard, "inf");
  else
    snprintf(hard, sizeof hard, "%llu", (unsigned long long)limit.rlim_max);
  printf("%s: %s %s\n", name, soft, hard);
}

static int compare_ints(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

/* Open descriptors, ascending; the directory stream used to list them is left out. */
static void print_fds(void) {
  int fds[MAX_FDS_PROBED];
  size_t count = 0;
  const char* source = "proc";
  DIR* dir = opendir("/proc/self/fd");
  if (dir != NULL) {
    int own = dirfd(dir);
    struct dirent* entry;
    while ((entry = readdir(dir)) != NULL && count < MAX_FDS_PROBED) {
      long fd;
      if (entry->d_name[0] == '.' || parse_long(entry->d_name, &fd) != 0) continue;
      if (fd == own) continue;
      fds[count++] = (int)fd;
    }
    closedir(dir);
  } else {
    source = "fcntl";
    for (int fd = 0; fd < MAX_FDS_PROBED; fd++)
      if (fcntl(fd, F_GETFD) != -1) fds[count++] = fd;
  }
  qsort(fds, count, sizeof fds[0], compare_ints);
  printf("fds: ");
  for (size_t i = 0; i < count; i++)
    printf("%s%d", i == 0 ? "" : ",", fds[i]);
  printf("\n");
  printf("fds_source: %s\n", source);
}

static int cmd_status(int argc, char** argv) {
  (void)argc, (void)argv;
  char umask_text[16] = "";
  if (status_from_proc(umask_text, sizeof umask_text) == 0) {
    printf("status_source: proc\n");
  } else {
    printf("status_source: syscalls\n");
    status_from_syscalls(umask_text, sizeof umask_text);
  }
  printf("pid: %d\n", (int)getpid());
  printf("ppid: %d\n", (int)getppid());
  printf("sid: %d\n", (int)getsid(0));
  printf("pgid: %d\n", (int)getpgid(0));
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) != NULL)
    printf("cwd: %s\n", cwd);
  else
    printf("cwd: error %s\n", errno_name(errno));
  printf("umask: %s\n", umask_text);
  print_fds();
  print_rlimit("rlimit_nofile", RLIMIT_NOFILE);
  print_rlimit("rlimit_nproc", RLIMIT_NPROC);
  print_rlimit("rlimit_core", RLIMIT_CORE);
  int securebits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (securebits >= 0)
    printf("securebits: 0x%x\n", (unsigned)securebits);
  else
    printf("securebits: error %s\n", errno_name(errno));
  struct utsname uts;
  if (uname(&uts) == 0) printf("hostname: %s\n", uts.nodename);
  for (char** env = environ; env != NULL && *env != NULL; env++)
    printf("env: %s\n", *env);
  return PROBE_EXIT_OK;
}

/* ---- system calls ---------------------------------------------------------------------- */

static int parse_syscall_args(int argc, char** argv, long args[6]) {
  memset(args, 0, 6 * sizeof args[0]);
  if (argc > 6) return -1;
  for (int i = 0; i < argc; i++) {
    unsigned long value;
    if (parse_ulong(argv[i], &value) != 0) return -1;
    args[i] = (long)value;
  }
  return 0;
}

static int report_syscall(long ret, int err) {
  printf("ret: %ld\n", ret);
  if (ret == -1) {
    printf("errno: %s\n", errno_name(err));
    return PROBE_EXIT_ERRNO;
  }
  return PROBE_EXIT_OK;
}

static int cmd_syscall(int argc, char** argv) {
  unsigned long nr;
  long args[6];
  if (parse_ulong(argv[0], &nr) != 0 || parse_syscall_args(argc - 1, argv + 1, args) != 0)
    return usage_error("syscall: expected NR [up to 6 numeric args]");
  printf("calling: %lu\n", nr);
  errno = 0;
  long ret = syscall((long)nr, args[0], args[1], args[2], args[3], args[4], args[5]);
  return report_syscall(ret, errno);
}

static int cmd_x32(int argc, char** argv) {
  unsigned long nr;
  long args[6];
  if (parse_ulong(argv[0], &nr) != 0 || parse_syscall_args(argc - 1, argv + 1, args) != 0)
    return usage_error("x32: expected NR [up to 6 numeric args]");
  long x32_nr = (long)nr | X32_SYSCALL_BIT;
  printf("calling: 0x%lx\n", (unsigned long)x32_nr);
  errno = 0;
  long ret = syscall(x32_nr, args[0], args[1], args[2], args[3], args[4], args[5]);
  return report_syscall(ret, errno);
}

/* getpid through the i386 entry point (int $0x80, eax = 20). A filter that allows only the
 * native architecture must refuse it; without a filter it returns our pid. */
static int cmd_i386(int argc, char** argv) {
  (void)argc, (void)argv;
  printf("pid: %d\n", (int)getpid());
  printf("calling: int80 20\n");
  long ret = 20;
  __asm__ volatile("int $0x80" : "+a"(ret) : : "r8", "r9", "r10", "r11", "memory", "cc");
  if (ret < 0 && ret > -4096) return report_syscall(-1, (int)-ret);
  return report_syscall(ret, 0);
}

static int cmd_clone3(int argc, char** argv) {
  (void)argc, (void)argv;
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  printf("calling: clone3\n");
  errno = 0;
  long ret = syscall(SYS_clone3, &args, sizeof args);
  if (ret == 0) _exit(0);
  if (ret == -1) return report_syscall(ret, errno);
  int status = 0;
  if (waitpid((pid_t)ret, &status, 0) < 0) return fail_errno("waitpid", errno);
  printf("clone3: created\n");
  printf("child_status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return report_syscall(ret, 0);
}

static int cmd_ptrace(int argc, char** argv) {
  (void)argc, (void)argv;
  printf("calling: ptrace\n");
  if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) return fail_errno("ptrace", errno);
  return report_ok("ptrace");
}

static int cmd_setuid(int argc, char** argv) {
  (void)argc;
  unsigned long uid;
  if (parse_ulong(argv[0], &uid) != 0) return usage_error("setuid: expected numeric UID");
  if (setuid((uid_t)uid) != 0) return fail_errno("setuid", errno);
  printf("uid: %u\n", (unsigned)getuid());
  return report_ok("setuid");
}

/* Only getresuid, getresgid, getgroups and write: it runs under the tightest filters (a
 * policy without open(), prctl() or setfsuid(), where `status` would be killed). */
static int cmd_ids(int argc, char** argv) {
  (void)argc, (void)argv;
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0) return fail_errno("getresuid", errno);
  if (getresgid(&rgid, &egid, &sgid) != 0) return fail_errno("getresgid", errno);
  printf("uid: %u %u %u\n", ruid, euid, suid);
  printf("gid: %u %u %u\n", rgid, egid, sgid);
  gid_t groups[256];
  int ngroups = getgroups(256, groups);
  if (ngroups < 0) return fail_errno("getgroups", errno);
  printf("groups:");
  for (int i = 0; i < ngroups; i++)
    printf(" %u", groups[i]);
  printf("\n");
  return report_ok("ids");
}

/* Memory both writable and executable, the two ways a program gets it: an anonymous mapping
 * asked for with PROT_WRITE|PROT_EXEC, and a writable mapping made executable afterwards.
 * One `NAME: ok` or `NAME: errno NAME` line each; exits 10 when either was refused. */
static int cmd_wx_memory(int argc, char** argv) {
  (void)argc, (void)argv;
  const size_t size = 4096;
  int refused = 0;
  printf("calling: mmap\n");
  void* wx =
      mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (wx == MAP_FAILED) {
    printf("mmap_wx: errno %s\n", errno_name(errno));
    refused = 1;
  } else {
    printf("mmap_wx: ok\n");
    munmap(wx, size);
  }
  void* rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (rw == MAP_FAILED) return fail_errno("mmap", errno);
  printf("calling: mprotect\n");
  if (mprotect(rw, size, PROT_READ | PROT_EXEC) != 0) {
    printf("mprotect_exec: errno %s\n", errno_name(errno));
    refused = 1;
  } else {
    printf("mprotect_exec: ok\n");
  }
  munmap(rw, size);
  return refused ? PROBE_EXIT_ERRNO : PROBE_EXIT_OK;
}

/* ---- files ----------------------------------------------------------------------------- */

static int cmd_open(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "r";
  int flags;
  if (strcmp(mode, "r") == 0)
    flags = O_RDONLY;
  else if (strcmp(mode, "w") == 0)
    flags = O_WRONLY;
  else if (strcmp(mode, "c") == 0)
    flags = O_WRONLY | O_CREAT;
  else
    return usage_error("open: mode must be r, w or c");
  int fd = open(argv[0], flags | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno("open", errno);
  close(fd);
  return report_ok("open");
}

static int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t written = write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += written;
    size -= (size_t)written;
  }
  return 0;
}

static int cmd_write(int argc, char** argv) {
  (void)argc;
  int fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno("write", errno);
  if (write_all(fd, argv[1], strlen(argv[1])) != 0) {
    int err = errno;
    close(fd);
    return fail_errno("write", err);
  }
  if (close(fd) != 0) return fail_errno("write", errno);
  return report_ok("write");
}

static int cmd_touch(int argc, char** argv) {
  (void)argc;
  int fd = open(argv[0], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno("touch", errno);
  close(fd);
  return report_ok("touch");
}

static int cmd_rename(int argc, char** argv) {
  (void)argc;
  if (rename(argv[0], argv[1]) != 0) return fail_errno("rename", errno);
  return report_ok("rename");
}

static int cmd_link(int argc, char** argv) {
  (void)argc;
  if (link(argv[0], argv[1]) != 0) return fail_errno("link", errno);
  return report_ok("link");
}

static int compare_strings(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static int cmd_ls(int argc, char** argv) {
  (void)argc;
  DIR* dir = opendir(argv[0]);
  if (dir == NULL) return fail_errno("ls", errno);
  char* names[4096];
  size_t count = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL && count < 4096) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    names[count] = strdup(entry->d_name);
    if (names[count] != NULL) count++;
  }
  closedir(dir);
  qsort(names, count, sizeof names[0], compare_strings);
  for (size_t i = 0; i < count; i++) {
    printf("entry: %s\n", names[i]);
    free(names[i]);
  }
  printf("entries: %zu\n", count);
  return PROBE_EXIT_OK;
}

static int cmd_write_stdout(int argc, char** argv) {
  (void)argc;
  fflush(stdout);
  if (write_all(STDOUT_FILENO, argv[0], strlen(argv[0])) != 0)
    return fail_errno("write-stdout", errno);
  return PROBE_EXIT_OK;
}

/* Classic chroot escape: chroot into a subdirectory while keeping the working directory
 * outside it, climb with "..", and chroot to where we ended up. It works whenever the
 * process still holds CAP_SYS_CHROOT. Then report whether ARGV[0] (a path that exists only
 * outside the jail) is visible. */
static int cmd_chroot_escape(int argc, char** argv) {
  (void)argc;
  const char* subdir = "harden-probe-escape";
  if (mkdir(subdir, 0700) != 0 && errno != EEXIST)
    printf("mkdir: %s\n", errno_name(errno));
  else
    printf("mkdir: ok\n");
  if (chroot(subdir) != 0) {
    printf("chroot: %s\n", errno_name(errno));
  } else {
    printf("chroot: ok\n");
    for (int i = 0; i < 100; i++)
      if (chdir("..") != 0) break;
    if (chroot(".") != 0)
      printf("chroot_dot: %s\n", errno_name(errno));
    else
      printf("chroot_dot: ok\n");
  }
  printf("escaped: %s\n", access(argv[0], F_OK) == 0 ? "yes" : "no");
  return PROBE_EXIT_OK;
}

/* ---- processes, signals, network -------------------------------------------------------- */

static int cmd_exec(int argc, char** argv) {
  (void)argc;
  fflush(stdout);
  execv(argv[0], argv);
  return fail_errno("exec", errno);
}

/* Runs PATH as a careless calling script would: SIGINT and SIGQUIT ignored, SIGTERM blocked.
 * Both survive execve, so whatever PATH starts inherits them unless it resets them. */
static int cmd_signals_exec(int argc, char** argv) {
  (void)argc;
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  fflush(stdout);
  execv(argv[0], argv);
  return fail_errno("exec", errno);
}

/* Runs PATH where socket(AF_NETLINK, *, PROTOCOL) fails with EPERM, as in a restricted
 * container: a seccomp filter (root may load one without no_new_privs). */
static int cmd_deny_netlink(int argc, char** argv) {
  (void)argc;
  long protocol;
  if (parse_long(argv[0], &protocol) != 0) return usage_error("deny-netlink: numeric PROTOCOL");
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)protocol, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
    return fail_errno("seccomp", errno);
  fflush(stdout);
  execv(argv[1], argv + 1);
  return fail_errno("exec", errno);
}

/* Runs PATH under a filter that kills the whole process at its first call of syscall NR:
 * a way to end a program at a known point, without its own clean-up (root may load a filter
 * without no_new_privs). */
static int cmd_kill_on_syscall(int argc, char** argv) {
  (void)argc;
  long nr;
  if (parse_long(argv[0], &nr) != 0) return usage_error("kill-on-syscall: numeric NR");
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
    return fail_errno("seccomp", errno);
  fflush(stdout);
  execv(argv[1], argv + 1);
  return fail_errno("exec", errno);
}

static int cmd_kill(int argc, char** argv) {
  (void)argc;
  long pid, sig;
  if (parse_long(argv[0], &pid) != 0 || parse_long(argv[1], &sig) != 0)
    return usage_error("kill: expected numeric PID and SIG");
  if (kill((pid_t)pid, (int)sig) != 0) return fail_errno("kill", errno);
  return report_ok("kill");
}

static int cmd_socket(int argc, char** argv) {
  (void)argc;
  long domain, type;
  if (parse_long(argv[0], &domain) != 0 || parse_long(argv[1], &type) != 0)
    return usage_error("socket: expected numeric DOMAIN and TYPE");
  printf("calling: socket\n");
  int fd = socket((int)domain, (int)type | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("socket", errno);
  close(fd);
  return report_ok("socket");
}

/* Connects to a numeric IPv4 or IPv6 address; gives up after five seconds so that a
 * silently dropped SYN cannot hang a test. */
static int cmd_connect_tcp(int argc, char** argv) {
  (void)argc;
  long port;
  if (parse_long(argv[1], &port) != 0 || port < 0 || port > 65535)
    return usage_error("connect-tcp: expected numeric PORT");
  struct sockaddr_storage addr;
  socklen_t addr_len;
  memset(&addr, 0, sizeof addr);
  struct sockaddr_in* in4 = (struct sockaddr_in*)&addr;
  struct sockaddr_in6* in6 = (struct sockaddr_in6*)&addr;
  if (inet_pton(AF_INET, argv[0], &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    addr_len = sizeof *in4;
  } else if (inet_pton(AF_INET6, argv[0], &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    addr_len = sizeof *in6;
  } else {
    return usage_error("connect-tcp: HOST must be a numeric address");
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("connect", errno);
  if (connect(fd, (struct sockaddr*)&addr, addr_len) != 0) {
    if (errno != EINPROGRESS) {
      int err = errno;
      close(fd);
      return fail_errno("connect", err);
    }
    struct pollfd pfd = {fd, POLLOUT, 0};
    int ready = poll(&pfd, 1, 5000);
    if (ready <= 0) {
      int err = ready == 0 ? ETIMEDOUT : errno;
      close(fd);
      return fail_errno("connect", err);
    }
    int err = 0;
    socklen_t err_len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
    if (err != 0) {
      close(fd);
      return fail_errno("connect", err);
    }
  }
  close(fd);
  return report_ok("connect");
}

/* Connects to a listening abstract UNIX socket ("\0NAME"). */
static int cmd_connect_abstract(int argc, char** argv) {
  (void)argc;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = strlen(argv[0]);
  if (len + 1 > sizeof addr.sun_path) return usage_error("connect-abstract: NAME too long");
  memcpy(addr.sun_path + 1, argv[0], len);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("connect", errno);
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
  if (connect(fd, (struct sockaddr*)&addr, addr_len) != 0) {
    int err = errno;
    close(fd);
    return fail_errno("connect", err);
  }
  close(fd);
  return report_ok("connect");
}

/* Binds a TCP socket to 127.0.0.1:PORT. */
static int cmd_bind_tcp(int argc, char** argv) {
  (void)argc;
  long port;
  if (parse_long(argv[0], &port) != 0 || port < 0 || port > 65535)
    return usage_error("bind-tcp: expected numeric PORT");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("bind", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    int err = errno;
    close(fd);
    return fail_errno("bind", err);
  }
  close(fd);
  return report_ok("bind");
}

/* Forks up to N children that wait for the parent to go, then reports how many it got and
 * why the next fork failed. The children are killed before reporting. */
static int cmd_fork_many(int argc, char** argv) {
  (void)argc;
  long wanted;
  if (parse_long(argv[0], &wanted) != 0 || wanted < 1 || wanted > 4096)
    return usage_error("fork-many: expected N from 1 to 4096");
  static pid_t children[4096];
  long forked = 0;
  int err = 0;
  while (forked < wanted) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      pause();
      _exit(0);
    }
    children[forked++] = pid;
  }
  for (long i = 0; i < forked; i++)
    kill(children[i], SIGKILL);
  for (long i = 0; i < forked; i++)
    waitpid(children[i], NULL, 0);
  printf("forked: %ld\n", forked);
  if (err != 0) return fail_errno("fork", err);
  return report_ok("fork");
}

/* The probe's own cgroup for CONTROLLER (v1 line naming it, else the v2 line), found through
 * /proc/self/cgroup and /proc/self/mounts, and the first line of each FILE there that exists:
 * `cgroup: PATH`, `version: 1|2`, `FILE: VALUE`. */
static int cmd_cgroup_file(int argc, char** argv) {
  const char* controller = argv[0];
  char line[4096], path[4096] = "", v2_path[4096] = "";
  FILE* f = fopen("/proc/self/cgroup", "re");
  if (f == NULL) return fail_errno("cgroup", errno);
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char* first = strchr(line, ':');
    char* second = first ? strchr(first + 1, ':') : NULL;
    if (second == NULL) continue;
    *second = '\0';
    const char* controllers = first + 1;
    if (*controllers == '\0') {
      snprintf(v2_path, sizeof v2_path, "%s", second + 1);
      continue;
    }
    char list[256];
    snprintf(list, sizeof list, "%s", controllers);
    for (char* tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ","))
      if (strcmp(tok, controller) == 0) snprintf(path, sizeof path, "%s", second + 1);
  }
  fclose(f);
  int v2 = path[0] == '\0';
  if (v2) snprintf(path, sizeof path, "%s", v2_path);
  /* The mount of that hierarchy. */
  char mount_dir[4096] = "";
  f = fopen("/proc/self/mounts", "re");
  if (f == NULL) return fail_errno("mounts", errno);
  while (fgets(line, sizeof line, f) != NULL) {
    char dev[256], dir[4096], type[64], opts[1024];
    if (sscanf(line, "%255s %4095s %63s %1023s", dev, dir, type, opts) != 4) continue;
    if (v2 && strcmp(type, "cgroup2") == 0) snprintf(mount_dir, sizeof mount_dir, "%s", dir);
    if (!v2 && strcmp(type, "cgroup") == 0) {
      for (char* tok = strtok(opts, ","); tok != NULL; tok = strtok(NULL, ","))
        if (strcmp(tok, controller) == 0) snprintf(mount_dir, sizeof mount_dir, "%s", dir);
    }
  }
  fclose(f);
  printf("cgroup: %s\n", path);
  printf("version: %d\n", v2 ? 2 : 1);
  for (int i = 1; i < argc; i++) {
    char file[8300];
    snprintf(file, sizeof file, "%s%s/%s", mount_dir, strcmp(path, "/") == 0 ? "" : path, argv[i]);
    FILE* value = fopen(file, "re");
    if (value == NULL) continue;
    if (fgets(line, sizeof line, value) != NULL) {
      line[strcspn(line, "\n")] = '\0';
      printf("%s: %s\n", argv[i], line);
    }
    fclose(value);
  }
  return PROBE_EXIT_OK;
}

static int cmd_sleep(int argc, char** argv) {
  (void)argc;
  long seconds;
  if (parse_long(argv[0], &seconds) != 0 || seconds < 0)
    return usage_error("sleep: expected SECONDS");
  struct timespec remaining = {seconds, 0};
  while (nanosleep(&remaining, &remaining) != 0 && errno == EINTR) {
  }
  return report_ok("sleep");
}

/* Prints a file line by line as `line: TEXT` (e.g. /proc/self/mountinfo). */
static int cmd_cat(int argc, char** argv) {
  (void)argc;
  FILE* f = fopen(argv[0], "re");
  if (f == NULL) return fail_errno("cat", errno);
  char line[4096];
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    printf("line: %s\n", line);
  }
  fclose(f);
  return report_ok("cat");
}

/* ---- IPC --------------------------------------------------------------------------------- */

static void report_ipc(const char* what, int rc) {
  if (rc < 0)
    printf("%s: %s\n", what, errno_name(errno));
  else
    printf("%s: ok\n", what);
}

/* Opens (never creates) the System V objects with KEY and the POSIX queue NAME. */
static int cmd_ipc_open(int argc, char** argv) {
  (void)argc;
  long key;
  if (parse_long(argv[0], &key) != 0) return usage_error("ipc-open: expected numeric KEY");
  report_ipc("shm", shmget((key_t)key, 0, 0));
  report_ipc("msg", msgget((key_t)key, 0));
  report_ipc("sem", semget((key_t)key, 0, 0));
  mqd_t q = mq_open(argv[1], O_RDONLY);
  report_ipc("mq", q == (mqd_t)-1 ? -1 : 0);
  if (q != (mqd_t)-1) mq_close(q);
  return PROBE_EXIT_OK;
}

/* Creates the System V objects with KEY and the POSIX queue NAME, and leaves them. */
static int cmd_ipc_create(int argc, char** argv) {
  (void)argc;
  long key;
  if (parse_long(argv[0], &key) != 0) return usage_error("ipc-create: expected numeric KEY");
  report_ipc("shm", shmget((key_t)key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  report_ipc("msg", msgget((key_t)key, IPC_CREAT | IPC_EXCL | 0600));
  report_ipc("sem", semget((key_t)key, 1, IPC_CREAT | IPC_EXCL | 0600));
  mqd_t q = mq_open(argv[1], O_RDONLY | O_CREAT | O_EXCL, 0600, NULL);
  report_ipc("mq", q == (mqd_t)-1 ? -1 : 0);
  if (q != (mqd_t)-1) mq_close(q);
  return PROBE_EXIT_OK;
}

/* ---- PID 1 duties ---------------------------------------------------------------------- */

/* Leaves an orphan: a child forks a grandchild and exits at once. Reports the orphan's new
 * parent while it lives, then whether someone reaped it after it exited (a zombie nobody
 * waits for stays visible in /proc). */
static int cmd_orphan(int argc, char** argv) {
  (void)argc, (void)argv;
  int pipefd[2];
  if (pipe(pipefd) != 0) return fail_errno("pipe", errno);
  pid_t child = fork();
  if (child < 0) return fail_errno("fork", errno);
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      struct timespec wait = {0, 500 * 1000 * 1000};
      nanosleep(&wait, NULL);
      _exit(0);
    }
    if (write(pipefd[1], &grandchild, sizeof grandchild) != (ssize_t)sizeof grandchild) _exit(1);
    _exit(0);
  }
  pid_t orphan = -1;
  if (read(pipefd[0], &orphan, sizeof orphan) != (ssize_t)sizeof orphan)
    return fail_errno("read", errno);
  waitpid(child, NULL, 0);
  char path[64], stat_line[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)orphan);
  FILE* f = fopen(path, "re");
  if (f != NULL && fgets(stat_line, sizeof stat_line, f) != NULL) {
    char state = '?';
    int ppid = -1;
    const char* after_name = strrchr(stat_line, ')');
    if (after_name != NULL) sscanf(after_name + 1, " %c %d", &state, &ppid);
    printf("orphan_ppid: %d\n", ppid);
  }
  if (f != NULL) fclose(f);
  for (int i = 0; i < 50; i++) {
    struct timespec wait = {0, 100 * 1000 * 1000};
    nanosleep(&wait, NULL);
    if (access(path, F_OK) != 0) {
      printf("orphan_reaped: yes\n");
      return PROBE_EXIT_OK;
    }
  }
  printf("orphan_reaped: no\n");
  return PROBE_EXIT_OK;
}

/* Prints "ready", waits up to SECONDS for SIGTERM, SIGINT, SIGHUP, SIGUSR1 or SIGUSR2 and
 * names the one that came. */
static int cmd_wait_signal(int argc, char** argv) {
  (void)argc;
  long seconds;
  if (parse_long(argv[0], &seconds) != 0) return usage_error("wait-signal: expected SECONDS");
  sigset_t set;
  sigemptyset(&set);
  int signals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    sigaddset(&set, signals[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("ready: %d\n", (int)getpid());
  fflush(stdout);
  struct timespec timeout = {seconds, 0};
  int sig = sigtimedwait(&set, NULL, &timeout);
  if (sig < 0) return fail_errno("wait-signal", errno);
  printf("signal: %s\n", sigabbrev_np(sig));
  return PROBE_EXIT_OK;
}

/* Prints "ready", waits up to 20 s for a first SIGINT or SIGTERM, then counts every further one
 * that comes within SECONDS: "signals: N". A signal forwarded twice is seen twice (the second
 * arrives after the first was taken, so the kernel does not merge them). */
static int cmd_count_signals(int argc, char** argv) {
  (void)argc;
  long seconds;
  if (parse_long(argv[0], &seconds) != 0) return usage_error("count-signals: expected SECONDS");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("ready: %d\n", (int)getpid());
  fflush(stdout);
  struct timespec first_wait = {20, 0};
  if (sigtimedwait(&set, NULL, &first_wait) < 0) return fail_errno("count-signals", errno);
  int count = 1;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms = seconds * 1000 -
                   ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    if (left_ms <= 0) break;
    struct timespec wait = {left_ms / 1000, (left_ms % 1000) * 1000000};
    if (sigtimedwait(&set, NULL, &wait) >= 0) count++;
  }
  printf("signals: %d\n", count);
  return PROBE_EXIT_OK;
}

/* ---- service manager (systemd) ------------------------------------------------------------ */

/* The exit status after a stop/kill signal: 100 + the signal number, so the test can tell the
 * status systemd reports is the probe's own and which signal reached it. */
static void exit_on_signal(int sig) {
  _exit(100 + sig);
}

static void exit_on_stop_signals(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = exit_on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGUSR1, &action, NULL);
  sigaction(SIGINT, &action, NULL);
}

/* Sends one datagram to $NOTIFY_SOCKET (a path, or '@' for an abstract name), as
 * sd_notify(3) does; systemd learns the sender's pid from the socket credentials. */
static int send_notify(const char* message) {
  const char* address = getenv("NOTIFY_SOCKET");
  if (address == NULL || address[0] == '\0') return -ENOENT;
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  size_t length = strlen(address);
  if (length >= sizeof sun.sun_path) return -ENAMETOOLONG;
  memcpy(sun.sun_path, address, length);
  if (sun.sun_path[0] == '@') sun.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length);
  ssize_t sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr*)&sun, size);
  int err = errno;
  close(fd);
  return sent < 0 ? -err : 0;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

/* A Type=notify service: waits until TRIGGER exists (so a test can check the unit is still
 * "activating"), sends READY=1, then runs until a stop signal (exit 100 + signal). */
static int cmd_sd_notify(int argc, char** argv) {
  (void)argc;
  exit_on_stop_signals();
  for (int i = 0; access(argv[0], F_OK) != 0; i++) {
    if (i > 6000) return fail_errno("sd-notify: trigger", ETIMEDOUT);
    sleep_ms(10);
  }
  int rc = send_notify("READY=1\nSTATUS=harden probe ready");
  if (rc < 0) return fail_errno("sd-notify", -rc);
  printf("sd-notify: sent\n");
  fflush(stdout);
  for (;;)
    pause();
}

/* A socket-activated service: answers every connection on fd 3 (SD_LISTEN_FDS_START) with
 * the status it saw when it started (identity, fds, LISTEN_* variables), then runs until a
 * stop signal (exit 100 + signal). */
static int cmd_sd_listen(int argc, char** argv) {
  (void)argc, (void)argv;
  exit_on_stop_signals();
  const char* listen_pid = getenv("LISTEN_PID");
  long pid = 0;
  int pid_matches = listen_pid != NULL && parse_long(listen_pid, &pid) == 0 && pid == getpid();
  /* The report is taken once, before the first connection, so its fd list is the one the
   * service started with. */
  char* report = NULL;
  size_t report_size = 0;
  FILE* real_stdout = stdout;
  stdout = open_memstream(&report, &report_size);
  if (stdout == NULL) {
    stdout = real_stdout;
    return fail_errno("sd-listen: open_memstream", errno);
  }
  printf("listen-pid-matches: %s\n", pid_matches ? "yes" : "no");
  cmd_status(0, NULL);
  fclose(stdout);
  stdout = real_stdout;
  for (;;) {
    int conn = accept4(3, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR) continue;
      return fail_errno("sd-listen: accept", errno);
    }
    size_t done = 0;
    while (done < report_size) {
      ssize_t n = write(conn, report + done, report_size - done);
      if (n <= 0) break;
      done += (size_t)n;
    }
    close(conn);
  }
}

/* ---- dodging a denied call (attack tests of the seccomp kill) --------------------------- */

static void dodge_report(const char* who, long ret, int err) {
  /* Reached only if a denied call returned: a kill that can be dodged. */
  printf("%s_returned: %ld\n", who, ret);
  if (ret == -1) printf("%s_errno: %s\n", who, errno_name(err));
  fflush(stdout);
}

static long dodge_nr;

static void* dodge_thread(void* arg) {
  (void)arg;
  errno = 0;
  long ret = syscall(dodge_nr, 0, 0, 0, 0, 0, 0);
  dodge_report("thread", ret, errno);
  return NULL;
}

static void dodge_alarm(int sig) {
  (void)sig;
}

/* dodge MODE NR: calls NR the ways an attacker would to survive a kill verdict answered in
 * userspace. thread: from a second thread; eintr: with a signal handler without SA_RESTART
 * interrupting the wait; orphan: from a child left behind after the probe exits;
 * kill-parent: after SIGKILL to its own parent (the supervisor). Prints `*_returned:` only
 * when the call came back. */
static int cmd_dodge(int argc, char** argv) {
  (void)argc;
  unsigned long nr;
  if (parse_ulong(argv[1], &nr) != 0) return usage_error("dodge: expected MODE NR");
  dodge_nr = (long)nr;
  const char* mode = argv[0];
  printf("calling: %lu\n", nr);
  fflush(stdout);
  if (strcmp(mode, "thread") == 0) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, dodge_thread, NULL) != 0) return fail_errno("thread", EAGAIN);
    pthread_join(thread, NULL);
    printf("main_alive: yes\n");
    return PROBE_EXIT_OK;
  }
  if (strcmp(mode, "eintr") == 0) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = dodge_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    errno = 0;
    long ret = syscall(dodge_nr, 0, 0, 0, 0, 0, 0);
    dodge_report("eintr", ret, errno);
    return PROBE_EXIT_OK;
  }
  if (strcmp(mode, "orphan") == 0) {
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) return fail_errno("fork", errno);
    if (child > 0) return PROBE_EXIT_OK; /* leave the orphan behind */
    for (int i = 0; i < 200 && getppid() == parent; i++) {
      struct timespec wait = {0, 10 * 1000 * 1000};
      nanosleep(&wait, NULL);
    }
    printf("orphan_calling: %lu\n", nr);
    fflush(stdout);
    errno = 0;
    long ret = syscall(dodge_nr, 0, 0, 0, 0, 0, 0);
    dodge_report("orphan", ret, errno);
    _exit(0);
  }
  if (strcmp(mode, "kill-parent") == 0) {
    if (kill(getppid(), SIGKILL) != 0) {
      printf("kill_parent: failed\nkill_parent_errno: %s\n", errno_name(errno));
    } else {
      printf("kill_parent: ok\n");
    }
    fflush(stdout);
    struct timespec wait = {0, 100 * 1000 * 1000};
    nanosleep(&wait, NULL);
    errno = 0;
    long ret = syscall(dodge_nr, 0, 0, 0, 0, 0, 0);
    dodge_report("after_kill", ret, errno);
    return PROBE_EXIT_OK;
  }
  return usage_error("dodge: MODE is thread, eintr, orphan or kill-parent");
}

/* tiocsti TEXT: pushes TEXT into the input of the terminal on fd 0, as a keystroke attack on
 * the caller's terminal would, and says whether this process has a controlling terminal. */
static int cmd_tiocsti(int argc, char** argv) {
  (void)argc;
  int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  printf("controlling_tty: %s\n", tty >= 0 ? "yes" : "no");
  if (tty >= 0) close(tty);
  printf("sid: %d\n", (int)getsid(0));
  for (const char* c = argv[0]; *c != '\0'; c++) {
    if (ioctl(0, TIOCSTI, c) != 0) return fail_errno("tiocsti", errno);
  }
  return report_ok("tiocsti");
}

/* ---- audit loginuid and keyrings ------------------------------------------------------- */

/* Prints the first line of a small /proc file as `key: value` (or `key: absent`). */
static void print_proc_line(const char* key, const char* path) {
  char buf[64] = "";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n < 0) {
    printf("%s: absent\n", key);
    return;
  }
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  printf("%s: %s\n", key, buf);
}

/* loginuid [VALUE]: reports the audit loginuid and session id; with VALUE, tries to set the
 * loginuid (the attack: an unset loginuid may be set once by anyone). */
static int cmd_loginuid(int argc, char** argv) {
  print_proc_line("loginuid", "/proc/self/loginuid");
  print_proc_line("sessionid", "/proc/self/sessionid");
  if (argc < 1) return PROBE_EXIT_OK;
  printf("calling: write loginuid\n");
  int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno("loginuid-open", errno);
  ssize_t n = write(fd, argv[0], strlen(argv[0]));
  int err = errno;
  close(fd);
  if (n < 0) return fail_errno("loginuid-write", err);
  print_proc_line("loginuid_after", "/proc/self/loginuid");
  return report_ok("loginuid-write");
}

#define PROBE_KEY_SPEC_SESSION_KEYRING (-3)
#define PROBE_KEYCTL_JOIN_SESSION_KEYRING 1
#define PROBE_KEYCTL_SEARCH 10
#define PROBE_KEYCTL_READ 11

/* key-session DESC SECRET CMD [ARG...]: the caller's side. Joins a fresh session keyring (so
 * the test runner's own is left alone), adds a "user" key DESC holding SECRET, prints its id,
 * and execs CMD with every argument "{key}" replaced by that id. */
static int cmd_key_session(int argc, char** argv) {
  if (syscall(SYS_keyctl, PROBE_KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
    return fail_errno("key-session: join", errno);
  long key = syscall(SYS_add_key, "user", argv[0], argv[1], strlen(argv[1]),
                     PROBE_KEY_SPEC_SESSION_KEYRING);
  if (key < 0) return fail_errno("key-session: add_key", errno);
  char id[32];
  snprintf(id, sizeof id, "%ld", key);
  printf("key: %s\n", id);
  fflush(stdout);
  char** command = argv + 2;
  for (int i = 0; i < argc - 2; i++) {
    if (strcmp(command[i], "{key}") == 0) command[i] = id;
  }
  execv(command[0], command);
  return fail_errno("key-session: exec", errno);
}

/* key-read ID DESC: the target's side. Tries to read key ID and to find a "user" key DESC
 * through its session keyring. Answers in the output: `read: SECRET` or `read_errno: NAME`,
 * `search: ID` or `search_errno: NAME`. */
static int cmd_key_read(int argc, char** argv) {
  (void)argc;
  long id;
  if (parse_long(argv[0], &id) != 0) return usage_error("key-read: expected a key id");
  char secret[256];
  long n = syscall(SYS_keyctl, PROBE_KEYCTL_READ, id, secret, sizeof secret - 1);
  if (n < 0) {
    printf("read_errno: %s\n", errno_name(errno));
  } else {
    secret[n < (long)sizeof secret - 1 ? n : (long)sizeof secret - 1] = '\0';
    printf("read: %s\n", secret);
  }
  long found =
      syscall(SYS_keyctl, PROBE_KEYCTL_SEARCH, PROBE_KEY_SPEC_SESSION_KEYRING, "user", argv[1], 0);
  if (found < 0) {
    printf("search_errno: %s\n", errno_name(errno));
  } else {
    printf("search: %ld\n", found);
  }
  return PROBE_EXIT_OK;
}

/* ---- harden learn ---------------------------------------------------------------------- */

/* Each of these syscalls is made in one place only, so a test can tell from a learned draft
 * that the call of that place was recorded: sched_getparam in a second thread, getpriority in
 * a grandchild, sysinfo in the program the workload executes (learn-exec). */
static void* learn_thread(void* arg) {
  (void)arg;
  struct sched_param param;
  syscall(SYS_sched_getparam, 0, &param);
  return NULL;
}

static int wait_ok(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* learn-workload PORT EXECUTABLE FILE...: reads each FILE, makes a call in a thread, one in a
 * grandchild, binds 127.0.0.1:PORT, and runs EXECUTABLE learn-exec; "workload: ok" when all
 * of it worked. */
static int cmd_learn_workload(int argc, char** argv) {
  long port;
  if (parse_long(argv[0], &port) != 0 || port < 0 || port > 65535)
    return usage_error("learn-workload: expected numeric PORT");
  for (int i = 2; i < argc; i++) {
    char buffer[256];
    int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buffer, sizeof buffer) < 0) return fail_errno("read", errno);
    close(fd);
    printf("read: %s\n", argv[i]);
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, learn_thread, NULL) != 0 || pthread_join(thread, NULL) != 0)
    return fail_errno("thread", errno);
  pid_t child = fork();
  if (child < 0) return fail_errno("fork", errno);
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(1);
    if (grandchild == 0) {
      errno = 0;
      long priority = syscall(SYS_getpriority, PRIO_PROCESS, 0);
      _exit(priority < 0 && errno != 0 ? 1 : 0);
    }
    _exit(wait_ok(grandchild) ? 0 : 1);
  }
  if (!wait_ok(child)) return fail_errno("grandchild", ECHILD);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return fail_errno("socket", errno);
  int one = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(sock, (struct sockaddr*)&addr, sizeof addr) != 0) return fail_errno("bind", errno);
  close(sock);
  fflush(stdout);
  pid_t exec_child = fork();
  if (exec_child < 0) return fail_errno("fork", errno);
  if (exec_child == 0) {
    char* args[] = {argv[1], "learn-exec", NULL};
    execve(argv[1], args, environ);
    _exit(127);
  }
  if (!wait_ok(exec_child)) return fail_errno("exec", ECHILD);
  printf("workload: ok\n");
  return PROBE_EXIT_OK;
}

static int cmd_learn_exec(int argc, char** argv) {
  (void)argc;
  (void)argv;
  struct sysinfo_raw {
    char bytes[256];
  } info;
  if (syscall(SYS_sysinfo, &info) != 0) return fail_errno("sysinfo", errno);
  return report_ok("learn-exec");
}

/* ---- dispatch --------------------------------------------------------------------------- */

struct command {
  const char* name;
  int min_args;
  int max_args; /* -1: unlimited */
  int (*run)(int argc, char** argv);
  const char* usage;
};

static const struct command kCommands[] = {
    {"status", 0, 0, cmd_status, "status"},
    {"syscall", 1, 7, cmd_syscall, "syscall NR [ARG...]"},
    {"clone3", 0, 0, cmd_clone3, "clone3"},
    {"ids", 0, 0, cmd_ids, "ids"},
    {"wx-memory", 0, 0, cmd_wx_memory, "wx-memory"},
    {"x32", 1, 7, cmd_x32, "x32 NR [ARG...]"},
    {"i386", 0, 0, cmd_i386, "i386"},
    {"open", 1, 2, cmd_open, "open PATH [r|w|c]"},
    {"write", 2, 2, cmd_write, "write PATH TEXT"},
    {"touch", 1, 1, cmd_touch, "touch PATH"},
    {"rename", 2, 2, cmd_rename, "rename FROM TO"},
    {"link", 2, 2, cmd_link, "link FROM TO"},
    {"ls", 1, 1, cmd_ls, "ls DIR"},
    {"write-stdout", 1, 1, cmd_write_stdout, "write-stdout TEXT"},
    {"exec", 1, -1, cmd_exec, "exec PATH [ARG...]"},
    {"signals-exec", 1, -1, cmd_signals_exec, "signals-exec PATH [ARG...]"},
    {"deny-netlink", 2, -1, cmd_deny_netlink, "deny-netlink PROTOCOL PATH [ARG...]"},
    {"kill-on-syscall", 2, -1, cmd_kill_on_syscall, "kill-on-syscall NR PATH [ARG...]"},
    {"kill", 2, 2, cmd_kill, "kill PID SIG"},
    {"socket", 2, 2, cmd_socket, "socket DOMAIN TYPE"},
    {"connect-tcp", 2, 2, cmd_connect_tcp, "connect-tcp HOST PORT"},
    {"ptrace", 0, 0, cmd_ptrace, "ptrace"},
    {"setuid", 1, 1, cmd_setuid, "setuid UID"},
    {"chroot-escape", 1, 1, cmd_chroot_escape, "chroot-escape PATH-OUTSIDE-JAIL"},
    {"sleep", 1, 1, cmd_sleep, "sleep SECONDS"},
    {"cat", 1, 1, cmd_cat, "cat PATH"},
    {"ipc-open", 2, 2, cmd_ipc_open, "ipc-open KEY MQNAME"},
    {"ipc-create", 2, 2, cmd_ipc_create, "ipc-create KEY MQNAME"},
    {"orphan", 0, 0, cmd_orphan, "orphan"},
    {"wait-signal", 1, 1, cmd_wait_signal, "wait-signal SECONDS"},
    {"count-signals", 1, 1, cmd_count_signals, "count-signals SECONDS"},
    {"connect-abstract", 1, 1, cmd_connect_abstract, "connect-abstract NAME"},
    {"bind-tcp", 1, 1, cmd_bind_tcp, "bind-tcp PORT"},
    {"fork-many", 1, 1, cmd_fork_many, "fork-many N"},
    {"cgroup-file", 1, 8, cmd_cgroup_file, "cgroup-file CONTROLLER [FILE...]"},
    {"sd-notify", 1, 1, cmd_sd_notify, "sd-notify TRIGGER-FILE"},
    {"sd-listen", 0, 0, cmd_sd_listen, "sd-listen"},
    {"dodge", 2, 2, cmd_dodge, "dodge thread|eintr|orphan|kill-parent NR"},
    {"tiocsti", 1, 1, cmd_tiocsti, "tiocsti TEXT"},
    {"loginuid", 0, 1, cmd_loginuid, "loginuid [VALUE-TO-WRITE]"},
    {"key-session", 3, -1, cmd_key_session, "key-session DESC SECRET CMD [ARG...]"},
    {"key-read", 2, 2, cmd_key_read, "key-read ID DESC"},
    {"learn-workload", 2, -1, cmd_learn_workload, "learn-workload PORT EXECUTABLE [FILE...]"},
    {"learn-exec", 0, 0, cmd_learn_exec, "learn-exec"},
};
#define COMMAND_COUNT (sizeof kCommands / sizeof kCommands[0])

static int print_usage(void) {
  fprintf(stderr, "usage: harden_probe COMMAND [ARGS...]\ncommands:\n");
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(stderr, "  %s\n", kCommands[i].usage);
  return PROBE_EXIT_USAGE;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return print_usage();
  for (size_t i = 0; i < COMMAND_COUNT; i++) {
    const struct command* cmd = &kCommands[i];
    if (strcmp(argv[1], cmd->name) != 0) continue;
    int nargs = argc - 2;
    if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
      fprintf(stderr, "usage: harden_probe %s\n", cmd->usage);
      return PROBE_EXIT_USAGE;
    }
    int status = cmd->run(nargs, argv + 2);
    fflush(stdout);
    return status;
  }
  fprintf(stderr, "harden_probe: unknown command '%s'\n", argv[1]);
  return print_usage();
}
