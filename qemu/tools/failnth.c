// SPDX-License-Identifier: GPL-2.0
/*
 * failnth N insmod MODULE.ko
 * failnth N write FILE VALUE
 *
 * Loads MODULE, or writes VALUE to FILE (e.g. a driver's sysfs "bind"), with the N-th
 * fault-injection point of this task set to fail (fail-nth, see
 * Documentation/fault-injection/fault-injection.rst), and reports whether that failure was
 * injected. Setting fail-nth, the operation and reading it back must happen in one task, which
 * a shell cannot do.
 *
 * Prints "injected=<0|1> left=<l> errno=<e>", where l is what was left of N when nothing was
 * injected (so N - l fault-injection points were passed); exits 0 when the operation succeeded, 1 when it failed,
 * 2 on a usage or setup error. Built static by scripts/initramfs.sh for the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s N insmod MODULE.ko | %s N write FILE VALUE\n", prog, prog);
	return 2;
}

int main(int argc, char **argv)
{
	int insmod = argc == 4 && !strcmp(argv[2], "insmod");
	int writing = argc == 5 && !strcmp(argv[2], "write");
	char buf[32];
	int fd, nth, len, err;
	long ret;

	if ((!insmod && !writing) || atoi(argv[1]) <= 0)
		return usage(argv[0]);
	fd = open(argv[3], (insmod ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
	nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fd < 0 || nth < 0) {
		perror("open");
		return 2;
	}
	len = snprintf(buf, sizeof(buf), "%d", atoi(argv[1]));
	if (write(nth, buf, len) != len) {
		perror("write fail-nth");
		return 2;
	}
	if (insmod)
		ret = syscall(SYS_finit_module, fd, "", 0);
	else
		ret = write(fd, argv[4], strlen(argv[4])) < 0 ? -1 : 0;
	err = ret ? errno : 0;
	/* 0 once the N-th point failed; otherwise what is left of the count. */
	len = pread(nth, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = '\0';
	/* Disarm before anything else can trip over it. */
	if (write(nth, "0", 1) != 1)
		return 2;
	printf("injected=%d left=%d errno=%d\n", atoi(buf) == 0, atoi(buf), err);
	return ret ? 1 : 0;
}
