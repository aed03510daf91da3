/*
 * policy_sandbox.c - what the policy worker gives up before it runs Lua.
 *
 * Order matters: fds first (nothing leaks into the rest), then the user
 * (setgroups and setres*id need privileges we are about to lose), then
 * rlimits, no_new_privs (required for an unprivileged seccomp filter) and
 * the filter last, once nothing needs a syscall it forbids.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "policy.h"
#include "policy_sandbox.h"

/* Valgrind (the simulator suite runs under it) keeps fds of its own above
 * the client's and refuses a lower RLIMIT_NOFILE, and its JIT needs
 * executable mappings the filter forbids: under valgrind the worker runs
 * without those two walls.  Its header is only macros, no library. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define WORKER_FD	3
#define NOBODY_ID	65534
/* Address space beyond what the fork inherited: the Lua cap, the request
 * and reply buffers, and malloc's slack. */
#define AS_HEADROOM	(4ul * MC_POLICY_MEM_CAP)

#if defined(__x86_64__)
#define FILTER_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH	AUDIT_ARCH_AARCH64
#endif

void mc_policy_sandbox_lookup(struct mc_policy_sandbox_user *u)
{
	const struct passwd *pw = getpwnam("nobody");

	u->uid = pw ? pw->pw_uid : NOBODY_ID;
	u->gid = pw ? pw->pw_gid : NOBODY_ID;
}

/* The socket becomes fd 3 and every other fd goes, stdio included: the
 * worker talks to nothing but the daemon.  Sanitizer builds keep stderr
 * so their reports stay visible. */
static int keep_only(int fd)
{
	if (fd != WORKER_FD && dup2(fd, WORKER_FD) < 0)
		return -1;
	if (close_range(WORKER_FD + 1, ~0u, 0) < 0)
		return -1;
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
#ifndef __SANITIZE_ADDRESS__
	close(STDERR_FILENO);
#endif
	return WORKER_FD;
}

static int drop_user(const struct mc_policy_sandbox_user *u)
{
	if (geteuid() != 0)
		return 0;	/* nothing to drop: already unprivileged */
	if (setgroups(0, NULL) || setresgid(u->gid, u->gid, u->gid) ||
	    setresuid(u->uid, u->uid, u->uid))
		return -1;
	/* Paranoia: a drop that can be undone did not happen. */
	return setuid(0) == 0 ? -1 : 0;
}

static int set_limit(int resource, rlim_t v)
{
	struct rlimit r = { v, v };

	return setrlimit(resource, &r);
}

#ifndef __SANITIZE_ADDRESS__
/* Current address-space size, read before the filter forbids open. */
static rlim_t address_space(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}
#endif

static int set_limits(void)
{
	if ((!RUNNING_ON_VALGRIND && set_limit(RLIMIT_NOFILE, WORKER_FD + 1)) ||
	    set_limit(RLIMIT_NPROC, 0) ||
	    set_limit(RLIMIT_FSIZE, 0) || set_limit(RLIMIT_CORE, 0))
		return -1;
#ifndef __SANITIZE_ADDRESS__
	/* ASan reserves terabytes of shadow: no address-space limit there.
	 * The Lua allocator's cap stays the primary memory guard anyway. */
	{
		rlim_t as = address_space();

		if (as && set_limit(RLIMIT_AS, as + AS_HEADROOM))
			return -1;
	}
#endif
	return 0;
}

/* ---- seccomp ---- */

#define LOAD(field)	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define ALLOW_NR(nr)	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define KILL		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
/* mmap and mprotect, but never executable memory: a policy that broke out
 * of Lua still could not map code.  prot is args[2]; its low word is
 * enough (the flags fit in it), at args[2]'s offset on little endian. */
#define ALLOW_NO_EXEC(nr)						\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4),		\
	LOAD(args[2]),							\
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),		\
	KILL,								\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
/* tgkill, but only at this process (abort() and raise() signal the
 * calling thread): a policy that broke out of Lua still could not signal
 * the daemon or anything else.  tgid is args[0], an int: its low word. */
#define ALLOW_AT_SELF(nr, self)						\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4),		\
	LOAD(args[0]),							\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(self), 1, 0),	\
	KILL,								\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* What the worker's loop needs: blocking read/write (send) on its socket,
 * malloc (brk, mmap, mremap, munmap, madvise), the clocks for its CPU
 * time and Lua's os-free math.random seed, futex for glibc's locks, the
 * signal calls abort() makes (at itself only), and exit. */
static int install_filter(pid_t self)
{
#ifdef FILTER_ARCH
	struct sock_filter prog[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
		KILL,
		LOAD(nr),
#ifdef __x86_64__
		/* x32 calls share the arch but not the numbers. */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
		KILL,
#endif
		ALLOW_NR(__NR_read), ALLOW_NR(__NR_write), ALLOW_NR(__NR_sendto),
		ALLOW_NR(__NR_brk), ALLOW_NR(__NR_munmap), ALLOW_NR(__NR_mremap),
		ALLOW_NR(__NR_madvise), ALLOW_NR(__NR_futex),
		ALLOW_NR(__NR_clock_gettime), ALLOW_NR(__NR_gettimeofday),
#ifdef __NR_time
		ALLOW_NR(__NR_time),
#endif
		ALLOW_NR(__NR_getpid), ALLOW_NR(__NR_gettid),
		ALLOW_NR(__NR_rt_sigprocmask), ALLOW_NR(__NR_rt_sigreturn),
		ALLOW_AT_SELF(__NR_tgkill, self),
		ALLOW_NR(__NR_exit), ALLOW_NR(__NR_exit_group),
		ALLOW_NO_EXEC(__NR_mmap), ALLOW_NO_EXEC(__NR_mprotect),
#ifdef __SANITIZE_ADDRESS__
		/* ASan checks the signal stack on every longjmp (a Lua error)
		 * and, to report a bug, reads /proc/self/maps: allowed in
		 * sanitizer builds only, which are test builds. */
		ALLOW_NR(__NR_sigaltstack), ALLOW_NR(__NR_prlimit64),
		ALLOW_NR(__NR_openat), ALLOW_NR(__NR_close), ALLOW_NR(__NR_fstat),
		ALLOW_NR(__NR_newfstatat), ALLOW_NR(__NR_lseek),
		ALLOW_NR(__NR_sched_yield), ALLOW_NR(__NR_rt_sigaction),
#ifdef __NR_readlink
		ALLOW_NR(__NR_readlink),
#endif
#endif
		KILL,
	};
	struct sock_fprog fprog = {
		.len = (unsigned short)(sizeof(prog) / sizeof(prog[0])),
		.filter = prog,
	};

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog);
#else
	(void)self;
	errno = ENOSYS;		/* an arch we have no syscall table for */
	return -1;
#endif
}

int mc_policy_sandbox_enter(const struct mc_policy_sandbox_user *u, int fd,
			    pid_t parent)
{
	sigset_t none;

	/* Die with the daemon; and if it already died, do not linger. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		return -1;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) ||
	    signal(SIGPIPE, SIG_DFL) == SIG_ERR)
		return -1;
	fd = keep_only(fd);
	if (fd < 0 || drop_user(u) || set_limits() ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    (!RUNNING_ON_VALGRIND && install_filter(getpid())))
		return -1;
	return fd;
}
