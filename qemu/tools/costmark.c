// SPDX-License-Identifier: GPL-2.0
/*
 * costmark begin | end
 * costmark write FILE TEXT
 * costmark run PROGRAM [ARG...]
 * costmark selftest
 *
 * Marks for rvnet's counting QEMU plugin (qemu/plugin/cost.c, make bench BACKEND=cost): the
 * plugin counts what the guest executes between a "begin" mark, the instruction
 * "xchg %bx,%bx", and an "end" mark, "xchg %cx,%cx" (no-ops on any x86-64, emitted by no
 * compiler). "write" places a begin mark, writes TEXT and a newline to FILE in one write(2)
 * (e.g. "start" to /proc/net/pktgen/pgctrl, which returns when pktgen is done), and an end
 * mark; "run" places a begin mark, runs PROGRAM and waits for it, and places an end mark, so
 * the window holds the program's start and exit too (make bench takes differences of two
 * windows, which cancels them). Without the plugin the marks do nothing.
 *
 * "selftest" runs, in a window of its own and in user space, instructions the plugin counts
 * apart, a known number of times each, and prints what the plugin must have counted there:
 * "selftest locked=1000 pauses=100 serializing=20 rep_iters=23040 rep_bytes=40960" (LOCK
 * ADD, PAUSE, CPUID and MFENCE, REP MOVSB and REP STOSQ). scripts/cost-report.py compares.
 *
 * Every call but a usage error makes one window, also when it fails. Exits with the
 * program's status (run), 0 on success, 1 on an error, 2 on a usage error.
 * Built static by scripts/initramfs.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Each mark is followed by a jump, which ends QEMU's translation block there: the plugin
 * counts a block's instructions when the block starts, so the block of the begin mark falls
 * wholly before the window and the next one starts in it; the block of the end mark, which
 * started in the window, is the last counted, its mark and jump being the window's only
 * instructions that are not the workload's.
 */
static void mark_begin(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xdb\n\tjmp 1f\n1:" ::: "memory"); /* xchg %bx,%bx */
}

static void mark_end(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xc9\n\tjmp 1f\n1:" ::: "memory"); /* xchg %cx,%cx */
}

static int usage(void)
{
	fprintf(stderr, "usage: costmark begin | end | write FILE TEXT | run PROGRAM [ARG...] |"
		" selftest\n");
	return 2;
}

static char src[4096], dst[4096];

static int selftest(void)
{
	unsigned int eax, ebx, ecx, edx;
	long counter = 0;
	int i;

	/* Fault the pages in first: a fault in the window would run a REP MOVSB twice. */
	memset(src, 1, sizeof(src));
	memset(dst, 2, sizeof(dst));
	mark_begin();
	for (i = 0; i < 1000; i++)
		__asm__ volatile("lock addq $1, %0" : "+m"(counter));
	for (i = 0; i < 100; i++)
		__asm__ volatile("pause");
	for (i = 0; i < 10; i++) {
		eax = 0;
		__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
		__asm__ volatile("mfence" ::: "memory");
	}
	for (i = 0; i < 5; i++) {
		void *d = dst, *s = src;
		unsigned long n = sizeof(dst);

		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		d = dst;
		n = sizeof(dst) / 8;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0UL) : "memory");
	}
	mark_end();
	/* REP MOVSB: 5 x 4096 iterations of a byte; REP STOSQ: 5 x 512 of 8 bytes. */
	printf("selftest locked=%ld pauses=100 serializing=20 rep_iters=%d rep_bytes=%d\n", counter,
	       5 * 4096 + 5 * 512, 5 * 4096 + 5 * 4096);
	return 0;
}

static int write_marked(const char *path, const char *text)
{
	char line[256];
	int fd, len, st = 0;

	len = snprintf(line, sizeof(line), "%s\n", text);
	if (len < 0 || (size_t)len >= sizeof(line))
		return usage();
	/* The marks are placed even when the file cannot be opened: every valid call makes one
	 * window, which keeps the caller's count of windows in step with the plugin's. */
	fd = open(path, O_WRONLY);
	mark_begin();
	if (fd < 0)
		st = errno;
	else if (write(fd, line, len) != len)
		st = errno ? errno : EIO;
	mark_end();
	if (fd >= 0)
		close(fd);
	if (st) {
		fprintf(stderr, "costmark: %s: %s\n", path, strerror(st));
		return 1;
	}
	return 0;
}

static int run_marked(char **argv)
{
	pid_t pid;
	int status;

	mark_begin();
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "costmark: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	mark_end();
	if (pid < 0) {
		perror("costmark: fork");
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "begin")) {
		mark_begin();
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "end")) {
		mark_end();
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "write"))
		return write_marked(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run_marked(argv + 2);
	if (argc == 2 && !strcmp(argv[1], "selftest"))
		return selftest();
	return usage();
}
