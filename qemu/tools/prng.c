// SPDX-License-Identifier: GPL-2.0
/*
 * prng SEED MIB
 *
 * Writes MIB MiB of pseudo-random bytes (xorshift64*, seeded by SEED) to stdout: the same
 * stream for the same seed, so that a transfer far larger than the guest's memory can be
 * checked end to end (`prng 7 1024 | md5sum` on one side, md5sum of what arrived on the
 * other). Exits 0 when everything was written, 1 on a write error, 2 on a usage error.
 * Built static by scripts/initramfs.sh for the guest.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

int main(int argc, char **argv)
{
	static uint64_t buf[CHUNK / 8];
	unsigned long long seed, mib, chunks, i;
	uint64_t x;
	char *end1, *end2;

	if (argc != 3)
		goto usage;
	seed = strtoull(argv[1], &end1, 10);
	mib = strtoull(argv[2], &end2, 10);
	if (*argv[1] == '\0' || *end1 != '\0' || *argv[2] == '\0' || *end2 != '\0')
		goto usage;
	x = seed * 0x9e3779b97f4a7c15ULL + 1;
	chunks = mib * (1024 * 1024 / CHUNK);
	for (i = 0; i < chunks; i++) {
		size_t j, off = 0;

		for (j = 0; j < CHUNK / 8; j++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			buf[j] = x * 0x2545f4914f6cdd1dULL;
		}
		while (off < CHUNK) {
			ssize_t n = write(1, (char *)buf + off, CHUNK - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				perror("prng: write");
				return 1;
			}
			off += n;
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: %s SEED MIB\n", argv[0]);
	return 2;
}
