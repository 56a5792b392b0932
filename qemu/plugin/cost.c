// SPDX-License-Identifier: GPL-2.0
/*
 * rvnet's counted profile: a QEMU TCG plugin (scripts/cost-plugin.sh builds it against the
 * plugin API header of the QEMU in use) that counts what the guest executes, per translation
 * block and per vCPU, between marks the guest places.
 *
 * Counted, with inline per-vCPU counters (no callback, no lock on the hot path):
 * - executions of each translation block; the block's instruction count and its static
 *   census (LOCK-prefixed and implicitly locked instructions, serializing instructions,
 *   fences, PAUSE) turn them into instructions executed per category;
 * - iterations of REP string instructions and the bytes they move (one per store of MOVS,
 *   STOS and INS, one per load of LODS, SCAS and OUTS; REP CMPS is counted twice per
 *   iteration, one per load);
 * and, with a memory callback on kernel instructions:
 * - MMIO reads and writes in the window given by "mmio=BASE:SIZE", by physical address.
 *
 * Marks: the guest executes "xchg %bx,%bx" (66 87 db) to begin a window and "xchg %cx,%cx"
 * (66 87 c9) to end it (qemu/tools/costmark.c); both are no-ops a compiler never emits. At
 * the end of window N the plugin appends to "out=FILE":
 *
 *   window N
 *   tb VADDR INSNS LOCKED SERIALIZING FENCES PAUSES EXECS REP_ITERS REP_BYTES
 *   mmio PHYS r|w COUNT_CPU0,COUNT_CPU1,...
 *   end N
 *
 * with a "tb" line for every block executed in the window (counts are differences between
 * the two marks; EXECS, REP_ITERS and REP_BYTES are lists of one count per vCPU, "12,0")
 * and an "mmio" line for every register accessed. Blocks are identified by their first
 * address, length and bytes: a retranslation of the same code counts on the same
 * line, other code loaded at the same address (a module loaded again) on its own.
 * scripts/cost-report.py maps the blocks to functions.
 *
 * Arguments: out=FILE (required), mmio=BASE:SIZE (hex or decimal; default none),
 * max_tbs=N (default 1048576).
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_VCPUS 16
#define MMIO_SLOTS 8192 /* 4-byte registers in the MMIO window counted apart */

/* A translation block, by first address and length. */
struct block {
	uint64_t vaddr;
	uint64_t code; /* a hash of its bytes: module code unloaded and loaded again differs */
	uint32_t insns, locked, serializing, fences, pauses;
	uint32_t idx; /* its counters: exec[idx], rep_iters[idx], rep_bytes[idx] */
};

/* Per-vCPU counters, one scoreboard entry per vCPU: mmio[slot][0] reads, [1] writes. */
struct counters {
	uint64_t mmio[MMIO_SLOTS][2];
	uint64_t counts[]; /* exec[max_tbs], rep_iters[max_tbs], rep_bytes[max_tbs] */
};

static struct qemu_plugin_scoreboard *board;
static size_t max_tbs = 1 << 20;
static GHashTable *blocks; /* struct block * -> itself */
static struct block **by_idx;
static uint32_t nblocks;
static uint64_t mmio_base, mmio_size;
static GMutex lock; /* blocks, by_idx, nblocks, snap, window, out */
static FILE *out;
static uint64_t *snap; /* each vCPU's counters at the begin mark: [vcpu][3 * max_tbs] */
static int snap_vcpus;
static uint64_t snap_mmio[MAX_VCPUS][MMIO_SLOTS][2];
static bool in_window;
static unsigned window;
static bool overflowed;

enum mark { MARK_BEGIN = 1, MARK_END = 2 };

static guint block_hash(gconstpointer p)
{
	const struct block *b = p;

	return g_int64_hash(&b->vaddr) ^ g_int64_hash(&b->code) ^ b->insns;
}

static gboolean block_equal(gconstpointer a, gconstpointer b)
{
	const struct block *x = a, *y = b;

	return x->vaddr == y->vaddr && x->insns == y->insns && x->code == y->code;
}

static qemu_plugin_u64 counter(size_t kind, uint32_t idx)
{
	return (qemu_plugin_u64){ board, offsetof(struct counters, counts) +
						 (kind * max_tbs + idx) * sizeof(uint64_t) };
}

static struct counters *vcpu_counters(unsigned int vcpu)
{
	return qemu_plugin_scoreboard_find(board, vcpu);
}

/* What one x86-64 instruction is, from its bytes. */
struct census {
	bool locked, serializing, fence, pause, rep_string, rep_store;
	unsigned int size; /* bytes per iteration of a string instruction */
};

static struct census decode(const uint8_t *p, size_t len)
{
	struct census c = { 0 };
	bool lock = false, rep = false, opsize = false, rexw = false;
	size_t i = 0;

	for (; i < len; i++) {
		uint8_t b = p[i];

		if (b == 0xf0)
			lock = true;
		else if (b == 0xf2 || b == 0xf3)
			rep = true;
		else if (b == 0x66)
			opsize = true;
		else if (b == 0x67 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 ||
			 b == 0x64 || b == 0x65)
			;
		else
			break;
	}
	if (i < len && (p[i] & 0xf0) == 0x40) {
		rexw = p[i] & 0x08;
		i++;
	}
	if (i >= len)
		return c;
	uint8_t op = p[i];
	uint8_t modrm = i + 1 < len ? p[i + 1] : 0;
	uint8_t modrm2 = i + 2 < len ? p[i + 2] : 0;

	c.locked = lock || ((op == 0x86 || op == 0x87) && (modrm >> 6) != 3);
	if (op == 0x90 && rep)
		c.pause = true;
	if (op == 0xcf) /* IRET */
		c.serializing = true;
	if (op == 0x0f) {
		switch (modrm) {
		case 0xa2: /* CPUID */
		case 0x30: /* WRMSR */
		case 0x22: /* MOV to CR */
		case 0x08: /* INVD */
		case 0x09: /* WBINVD */
			c.serializing = true;
			break;
		case 0x01: /* SERIALIZE, LGDT, LIDT, INVLPG */
			if (modrm2 == 0xe8 || ((modrm2 >> 6) != 3 && ((modrm2 >> 3) & 7) >= 2 &&
					       ((modrm2 >> 3) & 7) != 4 && ((modrm2 >> 3) & 7) != 6))
				c.serializing = true;
			break;
		case 0xae: /* LFENCE, MFENCE, SFENCE */
			if (modrm2 == 0xe8 || modrm2 == 0xf0 || modrm2 == 0xf8)
				c.fence = true;
			break;
		}
	}
	if (rep) {
		switch (op) {
		case 0xa4: case 0xa5: /* MOVS */
		case 0xaa: case 0xab: /* STOS */
		case 0x6c: case 0x6d: /* INS */
			c.rep_store = true;
			/* fall through */
		case 0xac: case 0xad: /* LODS */
		case 0xa6: case 0xa7: /* CMPS */
		case 0xae: case 0xaf: /* SCAS */
		case 0x6e: case 0x6f: /* OUTS */
			c.rep_string = true;
			c.size = !(op & 1) ? 1 : rexw ? 8 : opsize ? 2 : 4;
			break;
		}
	}
	return c;
}

static void mmio_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
			void *udata)
{
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	struct counters *c;
	uint64_t pa, slot;

	if (!hw || !qemu_plugin_hwaddr_is_io(hw))
		return;
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	if (pa < mmio_base || pa - mmio_base >= mmio_size)
		return;
	c = vcpu_counters(vcpu);
	/* In range: install() takes a window of at most MMIO_SLOTS registers. */
	slot = (pa - mmio_base) / 4;
	c->mmio[slot][qemu_plugin_mem_is_store(info)]++;
}

static void write_window(void)
{
	int nvcpus = qemu_plugin_num_vcpus();
	GString *line = g_string_new(NULL);

	fprintf(out, "window %u\n", window);
	for (uint32_t i = 0; i < nblocks; i++) {
		const struct block *b = by_idx[i];
		uint64_t d[3][MAX_VCPUS], any = 0;

		for (int v = 0; v < nvcpus; v++) {
			struct counters *c = vcpu_counters(v);
			uint64_t *s = snap + (size_t)v * 3 * max_tbs;

			for (int k = 0; k < 3; k++) {
				d[k][v] = c->counts[k * max_tbs + i] - s[k * max_tbs + i];
				any |= d[k][v];
			}
		}
		if (!any)
			continue;
		g_string_printf(line, "tb %" PRIx64 " %u %u %u %u %u", b->vaddr, b->insns,
				b->locked, b->serializing, b->fences, b->pauses);
		for (int k = 0; k < 3; k++)
			for (int v = 0; v < nvcpus; v++)
				g_string_append_printf(line, "%c%" PRIu64, v ? ',' : ' ', d[k][v]);
		g_string_append_c(line, '\n');
		fputs(line->str, out);
	}
	for (size_t slot = 0; slot < MMIO_SLOTS; slot++) {
		for (int rw = 0; rw < 2; rw++) {
			uint64_t any = 0, d[MAX_VCPUS];

			for (int v = 0; v < nvcpus; v++) {
				d[v] = vcpu_counters(v)->mmio[slot][rw] - snap_mmio[v][slot][rw];
				any |= d[v];
			}
			if (!any)
				continue;
			g_string_printf(line, "mmio %" PRIx64 " %c ", mmio_base + slot * 4,
					rw ? 'w' : 'r');
			for (int v = 0; v < nvcpus; v++)
				g_string_append_printf(line, "%s%" PRIu64, v ? "," : "", d[v]);
			g_string_append_c(line, '\n');
			fputs(line->str, out);
		}
	}
	fprintf(out, "end %u%s\n", window, overflowed ? " overflow" : "");
	fflush(out);
	g_string_free(line, TRUE);
}

static void mark(unsigned int vcpu, void *udata)
{
	int nvcpus = qemu_plugin_num_vcpus();

	g_mutex_lock(&lock);
	if (nvcpus > MAX_VCPUS) {
		qemu_plugin_outs("rvnet cost plugin: too many vCPUs\n");
	} else if ((uintptr_t)udata == MARK_BEGIN) {
		if (nvcpus > snap_vcpus) {
			snap = g_renew(uint64_t, snap, (size_t)nvcpus * 3 * max_tbs);
			snap_vcpus = nvcpus;
		}
		/* Other vCPUs run on: their counters are read as they are now, which is as exact
		 * as a mark can be. */
		for (int v = 0; v < nvcpus; v++) {
			struct counters *c = vcpu_counters(v);

			memcpy(snap + (size_t)v * 3 * max_tbs, c->counts,
			       3 * max_tbs * sizeof(uint64_t));
			memcpy(snap_mmio[v], c->mmio, sizeof(c->mmio));
		}
		in_window = true;
	} else if (in_window) {
		window++;
		write_window();
		in_window = false;
	}
	g_mutex_unlock(&lock);
}

static void translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block key = { .vaddr = qemu_plugin_tb_vaddr(tb), .insns = n,
			     .code = 0xcbf29ce484222325ull }, *b;
	struct census census[n];
	uint8_t bytes[16];

	memset(census, 0, sizeof(census));
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		size_t len = qemu_plugin_insn_data(insn, bytes, sizeof(bytes));

		for (size_t j = 0; j < len; j++) /* FNV-1a */
			key.code = (key.code ^ bytes[j]) * 0x100000001b3ull;

		if (len == 3 && bytes[0] == 0x66 && bytes[1] == 0x87 &&
		    (bytes[2] == 0xdb || bytes[2] == 0xc9))
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, mark, QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)(bytes[2] == 0xdb ? MARK_BEGIN : MARK_END));
		census[i] = decode(bytes, len);
		key.locked += census[i].locked;
		key.serializing += census[i].serializing;
		key.fences += census[i].fence;
		key.pauses += census[i].pause;
	}

	g_mutex_lock(&lock);
	b = g_hash_table_lookup(blocks, &key);
	if (!b) {
		if (nblocks == max_tbs) {
			overflowed = true;
			g_mutex_unlock(&lock);
			return;
		}
		b = g_new(struct block, 1);
		*b = key;
		b->idx = nblocks;
		by_idx[nblocks++] = b;
		g_hash_table_insert(blocks, b, b);
	}
	g_mutex_unlock(&lock);

	qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							  counter(0, b->idx), 1);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (census[i].rep_string) {
			enum qemu_plugin_mem_rw rw =
				census[i].rep_store ? QEMU_PLUGIN_MEM_W : QEMU_PLUGIN_MEM_R;

			qemu_plugin_register_vcpu_mem_inline_per_vcpu(
				insn, rw, QEMU_PLUGIN_INLINE_ADD_U64, counter(1, b->idx), 1);
			qemu_plugin_register_vcpu_mem_inline_per_vcpu(
				insn, rw, QEMU_PLUGIN_INLINE_ADD_U64, counter(2, b->idx),
				census[i].size);
		}
		/* Only the kernel touches the NICs' registers. */
		if (mmio_size && (int64_t)qemu_plugin_insn_vaddr(insn) < 0)
			qemu_plugin_register_vcpu_mem_cb(insn, mmio_access, QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	g_mutex_lock(&lock);
	if (out) {
		fprintf(out, "exit %u windows, %u blocks%s\n", window, nblocks,
			overflowed ? ", overflow: raise max_tbs" : "");
		fclose(out);
		out = NULL;
	}
	g_mutex_unlock(&lock);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	*v = g_ascii_strtoull(s, &end, 0);
	return *s && !*end;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;

	if (strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "rvnet cost plugin: x86_64 guests only, not %s\n", info->target_name);
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		uint64_t v;

		if (!eq) {
			fprintf(stderr, "rvnet cost plugin: argument '%s' is not KEY=VALUE\n", argv[i]);
			return -1;
		}
		*eq = 0;
		if (!strcmp(argv[i], "out")) {
			path = eq + 1;
		} else if (!strcmp(argv[i], "mmio")) {
			char *colon = strchr(eq + 1, ':');

			if (!colon) {
				fprintf(stderr, "rvnet cost plugin: mmio=BASE:SIZE\n");
				return -1;
			}
			*colon = 0;
			if (!parse_u64(eq + 1, &mmio_base) || !parse_u64(colon + 1, &mmio_size) ||
			    mmio_size > (uint64_t)MMIO_SLOTS * 4) {
				fprintf(stderr, "rvnet cost plugin: mmio=BASE:SIZE, SIZE at most %d\n",
					MMIO_SLOTS * 4);
				return -1;
			}
		} else if (!strcmp(argv[i], "max_tbs") && parse_u64(eq + 1, &v) && v > 0 &&
			   v <= (1 << 24)) {
			max_tbs = v;
		} else {
			fprintf(stderr, "rvnet cost plugin: unknown argument '%s=%s'\n", argv[i],
				eq + 1);
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "rvnet cost plugin: out=FILE is required\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "rvnet cost plugin: cannot write %s\n", path);
		return -1;
	}
	board = qemu_plugin_scoreboard_new(sizeof(struct counters) + 3 * max_tbs * sizeof(uint64_t));
	blocks = g_hash_table_new(block_hash, block_equal);
	by_idx = g_new0(struct block *, max_tbs);
	qemu_plugin_register_vcpu_tb_trans_cb(id, translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
