/* libFuzzer harness for the fw_cfg device: the input is a list of guest
 * operations (selector writes, data reads/writes, DMA register accesses,
 * descriptors planted in a 64 KiB guest RAM) applied to one device with the
 * standard items and two files. After every operation the model's
 * invariants are checked: the data offset stays inside the selected item,
 * the items themselves never change, DMA completions leave 0 or the error
 * bit in the control word.
 *
 * Encoding: one kind byte, then that kind's operands (missing bytes read as
 * 0):
 *   0 select        key:2 (LE)
 *   1 data reads    count:1
 *   2 other access  offset:1 len:1 value:2 write:1 (any port-range access)
 *   3 DMA register  offset:1 len:1 value:8 write:1
 *   4 descriptor    at:2 (LE, may run past RAM's end: clipped) raw:16
 *   5 DMA trigger   gpa:8 (BE; low bits usually land in RAM)
 *   6 reset
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vslice/dev/fw_cfg.h"

#define RAM_BYTES 0x10000

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct input {
	const uint8_t *p;
	size_t n, pos;
};

static uint8_t next(struct input *in)
{
	return in->pos < in->n ? in->p[in->pos++] : 0;
}

static uint64_t next_n(struct input *in, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)next(in) << (8 * i);
	return v;
}

static unsigned width(uint8_t b)
{
	static const unsigned w[4] = {1, 2, 4, 8};
	return w[b & 3];
}

static const struct fw_cfg_item *selected(const struct fw_cfg *cfg)
{
	unsigned idx = cfg->selector & FW_CFG_ENTRY_MASK;
	if (cfg->selector & FW_CFG_ARCH_LOCAL)
		return idx < FW_CFG_ARCH_ITEMS ? &cfg->arch[idx] : NULL;
	return idx < FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES ? &cfg->generic[idx] : NULL;
}

static void check_invariants(const struct fw_cfg *cfg, const uint8_t *dir_copy, uint32_t dir_len)
{
	const struct fw_cfg_item *item = selected(cfg);
	if (item && item->data)
		CHECK(cfg->offset <= item->len);
	else
		CHECK(cfg->offset == 0);
	CHECK(cfg->generic[FW_CFG_SIGNATURE].len == 4);
	CHECK(memcmp(cfg->generic[FW_CFG_SIGNATURE].data, "QEMU", 4) == 0);
	CHECK(cfg->nfiles == 2);
	CHECK(cfg->generic[FW_CFG_FILE_DIR].len == dir_len);
	CHECK(memcmp(cfg->generic[FW_CFG_FILE_DIR].data, dir_copy, dir_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *ram = calloc(1, RAM_BYTES);
	struct fw_cfg *cfg = calloc(1, sizeof(*cfg));
	CHECK(ram && cfg);
	struct guest_mem gm;
	guest_mem_init_buffer(&gm, ram, RAM_BYTES);
	struct errbuf eb;
	CHECK(fw_cfg_init(cfg, &gm, RAM_BYTES, 2, &eb) == 0);
	CHECK(fw_cfg_add_file(cfg, "opt/vslice/version", "vslice fuzz\n", 12, &eb) == 0x20);
	uint8_t blob[200];
	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	CHECK(fw_cfg_add_file(cfg, "etc/blob", blob, sizeof(blob), &eb) == 0x21);
	CHECK(fw_cfg_add_bytes(cfg, 0x8001, blob, 17, &eb) == 0);
	uint32_t dir_len = cfg->generic[FW_CFG_FILE_DIR].len;
	CHECK(dir_len == 4 + 2 * 64);
	uint8_t dir_copy[4 + 2 * 64];
	memcpy(dir_copy, cfg->generic[FW_CFG_FILE_DIR].data, dir_len);

	struct input in = {data, size, 0};
	while (in.pos < in.n) {
		uint8_t kind = next(&in) % 7;
		uint8_t buf[8];
		switch (kind) {
		case 0: {
			uint8_t v[2] = {next(&in), next(&in)};
			fw_cfg_io(cfg, 0, v, 2, true);
			break;
		}
		case 1: {
			unsigned count = next(&in);
			for (unsigned i = 0; i < count; i++)
				fw_cfg_io(cfg, 1, buf, 1, false);
			break;
		}
		case 2: {
			/* Any access the bus could pass for a range of 2. */
			unsigned off = next(&in) & 1;
			unsigned len = width(next(&in));
			uint64_t v = next_n(&in, 2);
			bool wr = next(&in) & 1;
			if (off + len > FW_CFG_IO_LEN)
				len = FW_CFG_IO_LEN - off;
			memcpy(buf, &v, sizeof(buf));
			fw_cfg_io(cfg, off, buf, len, wr);
			if (!wr && off == 0)
				CHECK(buf[0] == 0);
			break;
		}
		case 3: {
			unsigned off = next(&in) & 7;
			unsigned len = width(next(&in));
			uint64_t v = next_n(&in, 8);
			bool wr = next(&in) & 1;
			if (off + len > FW_CFG_DMA_LEN)
				len = FW_CFG_DMA_LEN - off;
			memcpy(buf, &v, sizeof(buf));
			fw_cfg_dma_io(cfg, off, buf, len, wr);
			if (!wr)
				CHECK(memcmp(buf, &"QEMU CFG"[off], len) == 0);
			break;
		}
		case 4: {
			unsigned at = (unsigned)next_n(&in, 2);
			for (unsigned i = 0; i < sizeof(struct fw_cfg_dma_access); i++) {
				uint8_t b = next(&in);
				if (at + i < RAM_BYTES)
					ram[at + i] = b;
			}
			break;
		}
		case 5: {
			uint64_t gpa = 0;
			for (int i = 0; i < 8; i++)
				gpa = gpa << 8 | next(&in);
			uint64_t before = cfg->dma_errors;
			uint8_t v[8];
			for (int i = 0; i < 8; i++)
				v[i] = (uint8_t)(gpa >> (56 - 8 * i));
			fw_cfg_dma_io(cfg, 0, v, 8, true);
			/* A completed transfer leaves 0 or just the error bit
			 * (unless the transfer itself overwrote the word). */
			if (gpa <= RAM_BYTES - sizeof(struct fw_cfg_dma_access)) {
				uint32_t ctl = (uint32_t)ram[gpa] << 24 | ram[gpa + 1] << 16 |
					       ram[gpa + 2] << 8 | ram[gpa + 3];
				CHECK(ctl == 0 || ctl == FW_CFG_DMA_CTL_ERROR);
				CHECK((ctl == FW_CFG_DMA_CTL_ERROR) ==
				      (cfg->dma_errors == before + 1));
			} else {
				CHECK(cfg->dma_errors == before + 1);
			}
			break;
		}
		case 6:
			fw_cfg_reset(cfg);
			CHECK(cfg->selector == 0 && cfg->offset == 0);
			break;
		}
		check_invariants(cfg, dir_copy, dir_len);
	}
	fw_cfg_free(cfg);
	free(cfg);
	free(ram);
	return 0;
}
