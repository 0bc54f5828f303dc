/* QEMU fw_cfg device model: item store, file directory, the selector/data
 * ports and the DMA interface. Everything the guest hands us (selector
 * keys, DMA descriptor addresses, lengths, control bits) is checked before
 * use; a bad DMA request sets the error bit in its control field and moves
 * nothing. */
#include <stdlib.h>
#include <string.h>

#include "vslice/dev/fw_cfg.h"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* The item a selector value names, NULL if outside every table. Bit 14
 * (write channel) does not change which item is meant. */
static struct fw_cfg_item *lookup(struct fw_cfg *cfg, uint16_t key)
{
	unsigned idx = key & FW_CFG_ENTRY_MASK;
	if (key & FW_CFG_ARCH_LOCAL)
		return idx < FW_CFG_ARCH_ITEMS ? &cfg->arch[idx] : NULL;
	return idx < FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES ? &cfg->generic[idx] : NULL;
}

static int set_item(struct fw_cfg_item *item, const void *data, size_t len, struct errbuf *eb)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return errbuf_set(eb, "fw_cfg: out of memory for a %zu-byte item", len);
	if (len)
		memcpy(copy, data, len);
	free(item->data);
	item->data = copy;
	item->len = (uint32_t)len;
	return 0;
}

static void clear_item(struct fw_cfg_item *item)
{
	free(item->data);
	item->data = NULL;
	item->len = 0;
}

void fw_cfg_free(struct fw_cfg *cfg)
{
	for (unsigned i = 0; i < FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES; i++)
		clear_item(&cfg->generic[i]);
	for (unsigned i = 0; i < FW_CFG_ARCH_ITEMS; i++)
		clear_item(&cfg->arch[i]);
	cfg->nfiles = 0;
}

void fw_cfg_reset(struct fw_cfg *cfg)
{
	cfg->selector = 0;
	cfg->offset = 0;
	memset(cfg->dma_addr, 0, sizeof(cfg->dma_addr));
}

/* Rebuilds FW_CFG_FILE_DIR from the file table. */
static int build_file_dir(struct fw_cfg *cfg, struct errbuf *eb)
{
	uint8_t buf[4 + FW_CFG_MAX_FILES * sizeof(struct fw_cfg_file)];
	put_be(buf, cfg->nfiles, 4);
	for (unsigned i = 0; i < cfg->nfiles; i++) {
		uint8_t *e = buf + 4 + i * sizeof(struct fw_cfg_file);
		memset(e, 0, sizeof(struct fw_cfg_file));
		put_be(e + offsetof(struct fw_cfg_file, size),
		       cfg->generic[FW_CFG_FILE_FIRST + i].len, 4);
		put_be(e + offsetof(struct fw_cfg_file, select), FW_CFG_FILE_FIRST + i, 2);
		memcpy(e + offsetof(struct fw_cfg_file, name), cfg->file_name[i],
		       FW_CFG_FILE_NAME_LEN);
	}
	return set_item(&cfg->generic[FW_CFG_FILE_DIR], buf,
			4 + cfg->nfiles * sizeof(struct fw_cfg_file), eb);
}

int fw_cfg_init(struct fw_cfg *cfg, const struct guest_mem *mem, uint64_t ram_size, unsigned ncpus,
		struct errbuf *eb)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem = mem;
	if (ncpus < 1 || ncpus > 0xffff)
		return errbuf_set(
		    eb, "fw_cfg: CPU count %u does not fit its 16-bit item (1..65535)", ncpus);
	uint8_t id[4], ram[8], cpus[2];
	put_le(id, FW_CFG_VERSION_TRADITIONAL | (mem ? FW_CFG_VERSION_DMA : 0), 4);
	put_le(ram, ram_size, 8);
	put_le(cpus, ncpus, 2);
	if (fw_cfg_add_bytes(cfg, FW_CFG_SIGNATURE, "QEMU", 4, eb) < 0 ||
	    fw_cfg_add_bytes(cfg, FW_CFG_ID, id, sizeof(id), eb) < 0 ||
	    fw_cfg_add_bytes(cfg, FW_CFG_RAM_SIZE, ram, sizeof(ram), eb) < 0 ||
	    fw_cfg_add_bytes(cfg, FW_CFG_NB_CPUS, cpus, sizeof(cpus), eb) < 0 ||
	    fw_cfg_add_bytes(cfg, FW_CFG_MAX_CPUS, cpus, sizeof(cpus), eb) < 0 ||
	    build_file_dir(cfg, eb) < 0) {
		fw_cfg_free(cfg);
		return -1;
	}
	return 0;
}

int fw_cfg_add_bytes(struct fw_cfg *cfg, uint16_t key, const void *data, size_t len,
		     struct errbuf *eb)
{
	bool generic = key < FW_CFG_FILE_FIRST && key != FW_CFG_FILE_DIR;
	bool arch = key >= FW_CFG_ARCH_LOCAL && key < FW_CFG_ARCH_LOCAL + FW_CFG_ARCH_ITEMS;
	if (!generic && !arch)
		return errbuf_set(
		    eb,
		    "fw_cfg: key 0x%04x is not settable (use 0x0000-0x001f except 0x0019, "
		    "0x8000-0x%04x, or fw_cfg_add_file for files)",
		    key, FW_CFG_ARCH_LOCAL + FW_CFG_ARCH_ITEMS - 1);
	if (len > FW_CFG_MAX_ITEM_LEN)
		return errbuf_set(eb, "fw_cfg: item 0x%04x is %zu bytes; the limit is %u", key, len,
				  FW_CFG_MAX_ITEM_LEN);
	if (len && !data)
		return errbuf_set(eb, "fw_cfg: item 0x%04x has no data", key);
	return set_item(lookup(cfg, key), data, len, eb);
}

int fw_cfg_add_file(struct fw_cfg *cfg, const char *name, const void *data, size_t len,
		    struct errbuf *eb)
{
	if (!name)
		return errbuf_set(eb, "fw_cfg: file has no name");
	size_t n = strnlen(name, FW_CFG_FILE_NAME_LEN);
	if (n == 0 || n >= FW_CFG_FILE_NAME_LEN)
		return errbuf_set(eb, "fw_cfg file name '%.*s': must be 1..%d characters",
				  FW_CFG_FILE_NAME_LEN, name, FW_CFG_FILE_NAME_LEN - 1);
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return errbuf_set(
			    eb, "fw_cfg file name: character %zu is not printable ASCII", i);
	for (unsigned i = 0; i < cfg->nfiles; i++)
		if (strcmp(cfg->file_name[i], name) == 0)
			return errbuf_set(eb, "fw_cfg file '%s': already added; use another name",
					  name);
	if (cfg->nfiles >= FW_CFG_MAX_FILES)
		return errbuf_set(eb, "fw_cfg file '%s': too many files (limit %d)", name,
				  FW_CFG_MAX_FILES);
	if (len > FW_CFG_MAX_ITEM_LEN)
		return errbuf_set(eb, "fw_cfg file '%s': %zu bytes; the limit is %u", name, len,
				  FW_CFG_MAX_ITEM_LEN);
	if (len && !data)
		return errbuf_set(eb, "fw_cfg file '%s': no data", name);
	unsigned idx = cfg->nfiles;
	if (set_item(&cfg->generic[FW_CFG_FILE_FIRST + idx], data, len, eb) < 0)
		return -1;
	memset(cfg->file_name[idx], 0, FW_CFG_FILE_NAME_LEN);
	memcpy(cfg->file_name[idx], name, n);
	cfg->nfiles++;
	if (build_file_dir(cfg, eb) < 0) {
		cfg->nfiles--;
		clear_item(&cfg->generic[FW_CFG_FILE_FIRST + idx]);
		return -1;
	}
	return FW_CFG_FILE_FIRST + (int)idx;
}

static void select_key(struct fw_cfg *cfg, uint16_t key)
{
	cfg->selector = key;
	cfg->offset = 0;
}

/* Bytes left in the selected item from the current offset, and where. */
static uint32_t remaining(struct fw_cfg *cfg, const uint8_t **at)
{
	const struct fw_cfg_item *item = lookup(cfg, cfg->selector);
	*at = NULL;
	if (!item || !item->data || cfg->offset >= item->len)
		return 0;
	*at = item->data + cfg->offset;
	return item->len - cfg->offset;
}

void fw_cfg_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct fw_cfg *cfg = opaque;
	uint8_t *bytes = data;
	if (is_write) {
		/* Only a 16-bit write of the selector means anything; data
		 * port writes are ignored (read-only items). */
		if (offset == 0 && len == 2)
			select_key(cfg, (uint16_t)(bytes[0] | bytes[1] << 8));
		return;
	}
	if (offset == 0) { /* the selector is write-only */
		memset(data, 0, len);
		return;
	}
	/* Data: the next len bytes of the item, 0 past its end. */
	for (unsigned i = 0; i < len; i++) {
		const uint8_t *at;
		if (remaining(cfg, &at)) {
			bytes[i] = *at;
			cfg->offset++;
		} else {
			bytes[i] = 0;
		}
	}
}

/* DMA read: length bytes of the item from the current offset (zeros past
 * its end) to guest RAM [addr, addr+length). The whole destination must be
 * RAM; otherwise nothing moves. */
static bool dma_read(struct fw_cfg *cfg, uint64_t addr, uint32_t length)
{
	if (length == 0)
		return true;
	uint8_t *dst = gm_ptr(cfg->mem, addr, length);
	if (!dst)
		return false;
	const uint8_t *at;
	uint32_t n = remaining(cfg, &at);
	if (n > length)
		n = length;
	if (n)
		memcpy(dst, at, n);
	memset(dst + n, 0, length - n);
	cfg->offset += n;
	return true;
}

static void dma_skip(struct fw_cfg *cfg, uint32_t length)
{
	const uint8_t *at;
	uint32_t n = remaining(cfg, &at);
	cfg->offset += n < length ? n : length;
}

static void dma_run(struct fw_cfg *cfg, uint64_t desc_gpa)
{
	uint8_t desc[sizeof(struct fw_cfg_dma_access)];
	if (gm_read(cfg->mem, desc_gpa, desc, sizeof(desc)) < 0) {
		cfg->dma_errors++; /* no control field to report in */
		return;
	}
	uint32_t control = (uint32_t)get_be(desc + offsetof(struct fw_cfg_dma_access, control), 4);
	uint32_t length = (uint32_t)get_be(desc + offsetof(struct fw_cfg_dma_access, length), 4);
	uint64_t addr = get_be(desc + offsetof(struct fw_cfg_dma_access, address), 8);
	bool ok = true;
	if (control & FW_CFG_DMA_CTL_SELECT)
		select_key(cfg, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_CTL_READ)
		ok = dma_read(cfg, addr, length);
	else if (control & FW_CFG_DMA_CTL_WRITE)
		ok = false; /* every item is read-only to the guest */
	else if (control & FW_CFG_DMA_CTL_SKIP)
		dma_skip(cfg, length);
	if (!ok)
		cfg->dma_errors++;
	uint8_t result[4];
	put_be(result, ok ? 0 : FW_CFG_DMA_CTL_ERROR, 4);
	gm_write(cfg->mem, desc_gpa + offsetof(struct fw_cfg_dma_access, control), result,
		 sizeof(result));
}

void fw_cfg_dma_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct fw_cfg *cfg = opaque;
	uint8_t *bytes = data;
	if (!cfg->mem || offset >= FW_CFG_DMA_LEN || len > FW_CFG_DMA_LEN - offset) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (!is_write) {
		uint8_t sig[8];
		put_be(sig, FW_CFG_DMA_SIGNATURE, 8);
		memcpy(bytes, sig + offset, len);
		return;
	}
	/* The register is big-endian: the guest writes its bytes in memory
	 * order. A write that reaches the last byte (offset 4 for a 32-bit
	 * address, or one 64-bit write) starts the transfer; afterwards the
	 * register reads back as 0 to the device. */
	memcpy(cfg->dma_addr + offset, bytes, len);
	if (offset + len == FW_CFG_DMA_LEN) {
		uint64_t gpa = get_be(cfg->dma_addr, 8);
		memset(cfg->dma_addr, 0, sizeof(cfg->dma_addr));
		dma_run(cfg, gpa);
	}
}
