// SPDX-License-Identifier: GPL-2.0
/*
 * kprof SECONDS [TOP]
 *
 * A minimal sampling profiler for the guest, which has no perf tool: samples the
 * instruction pointer of every CPU with the cpu-clock software event (perf_event_open(2),
 * 2,000 Hz per CPU, kernel and user), for SECONDS, then prints the TOP (default 25) kernel
 * functions by share of the samples, per CPU and overall, named from /proc/kallsyms (module
 * functions included, with their module). User-space samples are counted as "[user]". Used
 * by `make bench` to see what a packet costs under each driver. Needs root. Exits 0 on
 * success, 1 on an error, 2 on a usage error. Built static by scripts/initramfs.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS 16
#define DATA_PAGES 64
#define MAX_SYMS 200000

struct sym {
	uint64_t addr;
	char *name;
	unsigned long hits[MAX_CPUS + 1];
};

static struct sym *syms;
static size_t nsyms;
static unsigned long user_hits[MAX_CPUS + 1], unknown_hits[MAX_CPUS + 1], total[MAX_CPUS + 1];

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int load_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];

	if (!f) {
		perror("kprof: /proc/kallsyms");
		return -1;
	}
	syms = calloc(MAX_SYMS, sizeof(*syms));
	if (!syms)
		return -1;
	while (nsyms < MAX_SYMS && fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256], mod[128] = "";

		if (sscanf(line, "%llx %c %255s %127s", &addr, &type, name, mod) < 3)
			continue;
		if (type != 't' && type != 'T')
			continue;
		syms[nsyms].addr = addr;
		if (mod[0]) {
			char buf[400];

			snprintf(buf, sizeof(buf), "%s %s", name, mod);
			syms[nsyms].name = strdup(buf);
		} else {
			syms[nsyms].name = strdup(name);
		}
		nsyms++;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), by_addr);
	if (nsyms == 0 || syms[nsyms - 1].addr == 0) {
		fprintf(stderr, "kprof: /proc/kallsyms has no addresses (kptr_restrict?)\n");
		return -1;
	}
	return 0;
}

static void hit(uint64_t ip, int cpu)
{
	size_t lo = 0, hi = nsyms;

	total[cpu]++;
	total[MAX_CPUS]++;
	if (ip < 0xffff800000000000ULL) {
		user_hits[cpu]++;
		user_hits[MAX_CPUS]++;
		return;
	}
	if (ip < syms[0].addr) {
		unknown_hits[cpu]++;
		unknown_hits[MAX_CPUS]++;
		return;
	}
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	syms[lo].hits[cpu]++;
	syms[lo].hits[MAX_CPUS]++;
}

struct ring {
	int fd;
	struct perf_event_mmap_page *meta;
	char *data;
	uint64_t size;
};

static void drain(struct ring *r, int cpu)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail;

	while (tail < head) {
		struct perf_event_header h;
		uint64_t off = tail % r->size, ip;
		size_t i;

		for (i = 0; i < sizeof(h); i++)
			((char *)&h)[i] = r->data[(off + i) % r->size];
		if (h.size == 0)
			break;
		if (h.type == PERF_RECORD_SAMPLE) {
			for (i = 0; i < sizeof(ip); i++)
				((char *)&ip)[i] = r->data[(off + sizeof(h) + i) % r->size];
			hit(ip, cpu);
		}
		tail += h.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
}

static int by_hits_col;

static int by_hits(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->hits[by_hits_col] < y->hits[by_hits_col] ? 1 :
	       x->hits[by_hits_col] > y->hits[by_hits_col] ? -1 : 0;
}

static void report(int col, const char *what, int top)
{
	int i;

	printf("kprof: %s: %lu samples, %.1f%% user\n", what, total[col],
	       total[col] ? 100.0 * user_hits[col] / total[col] : 0.0);
	by_hits_col = col;
	qsort(syms, nsyms, sizeof(*syms), by_hits);
	for (i = 0; i < top && (size_t)i < nsyms && syms[i].hits[col]; i++)
		printf("kprof:   %5.1f%%  %s\n", 100.0 * syms[i].hits[col] / total[col], syms[i].name);
}

int main(int argc, char **argv)
{
	struct ring rings[MAX_CPUS];
	long page = sysconf(_SC_PAGESIZE);
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), seconds, top = 25, cpu;
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	time_t end;

	if (argc < 2 || argc > 3 || (seconds = atoi(argv[1])) <= 0 ||
	    (argc == 3 && (top = atoi(argv[2])) <= 0)) {
		fprintf(stderr, "usage: %s SECONDS [TOP]\n", argv[0]);
		return 2;
	}
	if (ncpus > MAX_CPUS)
		ncpus = MAX_CPUS;
	if (load_kallsyms())
		return 1;
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_freq = 2000,
			.freq = 1,
			.sample_type = PERF_SAMPLE_IP,
			.disabled = 1,
		};
		struct ring *r = &rings[cpu];

		r->fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, 0);
		if (r->fd < 0) {
			perror("kprof: perf_event_open");
			return 1;
		}
		r->size = DATA_PAGES * page;
		r->meta = mmap(NULL, (DATA_PAGES + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED,
			       r->fd, 0);
		if (r->meta == MAP_FAILED) {
			perror("kprof: mmap");
			return 1;
		}
		r->data = (char *)r->meta + page;
	}
	for (cpu = 0; cpu < ncpus; cpu++)
		ioctl(rings[cpu].fd, PERF_EVENT_IOC_ENABLE, 0);
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		nanosleep(&tick, NULL);
		for (cpu = 0; cpu < ncpus; cpu++)
			drain(&rings[cpu], cpu);
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		ioctl(rings[cpu].fd, PERF_EVENT_IOC_DISABLE, 0);
		drain(&rings[cpu], cpu);
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		char what[32];

		snprintf(what, sizeof(what), "cpu %d", cpu);
		report(cpu, what, top);
	}
	report(MAX_CPUS, "all cpus", top);
	return 0;
}
