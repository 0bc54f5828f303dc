/* Host-side decompression of a bzImage payload (the compressed vmlinux):
 * detects the format by its magic and runs the matching Debian-packaged
 * library (zlib for gzip, liblzma for xz and lzma, libzstd, liblz4 for the
 * LZ4 legacy frame). The output is bounded: a hostile image cannot make the
 * host allocate more than the caller's limit (plus one LZ4 block). */
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "boot_common.h"
#include "bzimage_payload.h"

#define LZ4_LEGACY_MAGIC 0x184c2102U
#define LZ4_LEGACY_BLOCK (8U << 20) /* each block decompresses to at most this */
#define XZ_MEMLIMIT (256ULL << 20)  /* decoder state; kernels use 32 MiB dicts */
#define ZSTD_WINDOW_LOG_MAX 27	    /* 128 MiB window: what zstd -22 --ultra needs */
#define MIN_INITIAL_OUT (1U << 20)
#define CHUNK_MAX (1U << 30) /* for the 32-bit length fields of zlib */

/* A growing output buffer that never holds more than limit + slack bytes:
 * reaching limit + 1 bytes of output means the payload is too big. */
struct outbuf {
	uint8_t *buf;
	size_t len, cap;
	size_t limit;
};

enum bzp_format bzp_detect(const uint8_t *p, size_t len)
{
	static const struct {
		enum bzp_format fmt;
		size_t n;
		const char *magic;
	} magics[] = {
	    {BZP_FMT_GZIP, 2, "\x1f\x8b"},
	    {BZP_FMT_XZ, 6, "\xfd" "7zXZ\0"},
	    {BZP_FMT_LZMA, 3, "\x5d\0\0"},
	    {BZP_FMT_ZSTD, 4, "\x28\xb5\x2f\xfd"},
	    {BZP_FMT_LZ4, 4, "\x02\x21\x4c\x18"},
	    {BZP_FMT_BZIP2, 3, "BZh"},
	    {BZP_FMT_LZO, 9, "\x89LZO\0\r\n\x1a\n"},
	};
	if (!p)
		return BZP_FMT_UNKNOWN;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].n && memcmp(p, magics[i].magic, magics[i].n) == 0)
			return magics[i].fmt;
	return BZP_FMT_UNKNOWN;
}

const char *bzp_format_name(enum bzp_format fmt)
{
	switch (fmt) {
	case BZP_FMT_GZIP:
		return "gzip";
	case BZP_FMT_XZ:
		return "xz";
	case BZP_FMT_LZMA:
		return "lzma";
	case BZP_FMT_ZSTD:
		return "zstd";
	case BZP_FMT_LZ4:
		return "lz4";
	case BZP_FMT_BZIP2:
		return "bzip2";
	case BZP_FMT_LZO:
		return "lzo";
	case BZP_FMT_UNKNOWN:
		break;
	}
	return "unknown";
}

/* Makes room for at least `want` more bytes, never beyond limit + slack
 * in total. Returns BZP_TOO_BIG when the output is already past the limit. */
static enum bzp_result outbuf_reserve(struct outbuf *ob, size_t want, size_t slack)
{
	if (ob->len > ob->limit)
		return BZP_TOO_BIG;
	size_t ceiling = ob->limit + slack;
	if (ob->cap - ob->len >= want)
		return BZP_OK;
	size_t cap = ob->cap ? ob->cap + ob->cap / 2 : MIN_INITIAL_OUT;
	if (cap - ob->len < want)
		cap = ob->len + want;
	if (cap > ceiling)
		cap = ceiling;
	if (cap <= ob->cap)
		return BZP_TOO_BIG;
	uint8_t *nb = realloc(ob->buf, cap);
	if (!nb)
		return BZP_NO_MEMORY;
	ob->buf = nb;
	ob->cap = cap;
	return BZP_OK;
}

/* Room for streaming decoders: up to limit + 1 bytes, so that one byte
 * more than the limit shows the output is too big. */
static enum bzp_result outbuf_room(struct outbuf *ob, size_t *room)
{
	enum bzp_result r = outbuf_reserve(ob, 1, 1);
	if (r != BZP_OK)
		return r;
	*room = ob->cap - ob->len;
	if (*room > CHUNK_MAX)
		*room = CHUNK_MAX;
	return BZP_OK;
}

static enum bzp_result inflate_gzip(const uint8_t *p, size_t len, struct outbuf *ob,
				    struct errbuf *eb)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) /* gzip wrapper only */
		return BZP_NO_MEMORY;
	size_t in_pos = 0;
	enum bzp_result res = BZP_OK;
	for (;;) {
		size_t room;
		res = outbuf_room(ob, &room);
		if (res != BZP_OK)
			break;
		size_t in_chunk = len - in_pos < CHUNK_MAX ? len - in_pos : CHUNK_MAX;
		zs.next_in = (Bytef *)(uintptr_t)(p + in_pos);
		zs.avail_in = (uInt)in_chunk;
		zs.next_out = ob->buf + ob->len;
		zs.avail_out = (uInt)room;
		int zr = inflate(&zs, Z_NO_FLUSH);
		in_pos += in_chunk - zs.avail_in;
		ob->len += room - zs.avail_out;
		if (zr == Z_STREAM_END) {
			res = ob->len > ob->limit ? BZP_TOO_BIG : BZP_OK;
			break;
		}
		if (zr == Z_OK || (zr == Z_BUF_ERROR && zs.avail_out == 0))
			continue;
		if (zr == Z_BUF_ERROR && in_pos == len) {
			res = BZP_CORRUPT;
			errbuf_set(eb, "gzip stream is truncated after %zu bytes", len);
		} else if (zr == Z_MEM_ERROR) {
			res = BZP_NO_MEMORY;
		} else {
			res = BZP_CORRUPT;
			errbuf_set(eb, "gzip stream is corrupt (%s)",
				   zs.msg ? zs.msg : "zlib error");
		}
		break;
	}
	inflateEnd(&zs);
	return res;
}

static const char *lzma_ret_text(lzma_ret r)
{
	switch (r) {
	case LZMA_MEMLIMIT_ERROR:
		return "needs too much decoder memory";
	case LZMA_FORMAT_ERROR:
		return "bad header";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "corrupt data";
	case LZMA_BUF_ERROR:
		return "truncated";
	case LZMA_UNSUPPORTED_CHECK:
		return "unsupported integrity check";
	default:
		return "decoder error";
	}
}

/* xz (.xz container) or lzma (legacy .lzma "alone" format). */
static enum bzp_result decode_lzma(const uint8_t *p, size_t len, int xz, struct outbuf *ob,
				   struct errbuf *eb)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	/* No LZMA_CONCATENATED: stop at the end of the first stream, before
	 * the appended size. */
	lzma_ret lr = xz ? lzma_stream_decoder(&strm, XZ_MEMLIMIT, 0)
			 : lzma_alone_decoder(&strm, XZ_MEMLIMIT);
	if (lr != LZMA_OK)
		return BZP_NO_MEMORY;
	strm.next_in = p;
	strm.avail_in = len;
	enum bzp_result res = BZP_OK;
	for (;;) {
		size_t room;
		res = outbuf_room(ob, &room);
		if (res != BZP_OK)
			break;
		strm.next_out = ob->buf + ob->len;
		strm.avail_out = room;
		lr = lzma_code(&strm, LZMA_FINISH); /* all input is there */
		ob->len += room - strm.avail_out;
		if (lr == LZMA_STREAM_END) {
			res = ob->len > ob->limit ? BZP_TOO_BIG : BZP_OK;
			break;
		}
		if (lr == LZMA_OK)
			continue;
		if (lr == LZMA_MEM_ERROR) {
			res = BZP_NO_MEMORY;
			break;
		}
		res = BZP_CORRUPT;
		errbuf_set(eb, "%s stream: %s", xz ? "xz" : "lzma", lzma_ret_text(lr));
		break;
	}
	lzma_end(&strm);
	return res;
}

static enum bzp_result decode_zstd(const uint8_t *p, size_t len, struct outbuf *ob,
				   struct errbuf *eb)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	if (!dctx)
		return BZP_NO_MEMORY;
	ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	ZSTD_inBuffer in = {.src = p, .size = len, .pos = 0};
	enum bzp_result res = BZP_OK;
	for (;;) {
		size_t room;
		res = outbuf_room(ob, &room);
		if (res != BZP_OK)
			break;
		ZSTD_outBuffer out = {.dst = ob->buf + ob->len, .size = room, .pos = 0};
		size_t zr = ZSTD_decompressStream(dctx, &out, &in);
		ob->len += out.pos;
		if (ZSTD_isError(zr)) {
			res = BZP_CORRUPT;
			errbuf_set(eb, "zstd stream is corrupt (%s)", ZSTD_getErrorName(zr));
			break;
		}
		if (zr == 0) { /* end of the frame: the rest is ignored */
			res = ob->len > ob->limit ? BZP_TOO_BIG : BZP_OK;
			break;
		}
		if (in.pos == in.size && out.pos < out.size) {
			res = BZP_CORRUPT;
			errbuf_set(eb, "zstd stream is truncated after %zu bytes", len);
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	return res;
}

/* LZ4 legacy frame: the magic, then blocks of (le32 compressed size,
 * data), each decompressing to at most 8 MiB. Another magic may start a
 * new frame; a lone trailing le32 is the size the kernel build appends. */
static enum bzp_result decode_lz4(const uint8_t *p, size_t len, struct outbuf *ob,
				  struct errbuf *eb)
{
	size_t pos = 4;
	const size_t max_block = (size_t)LZ4_compressBound(LZ4_LEGACY_BLOCK);
	while (pos < len) {
		size_t rem = len - pos;
		if (rem < 4) {
			errbuf_set(eb, "lz4 stream is truncated inside a block header");
			return BZP_CORRUPT;
		}
		uint32_t n = get_le32(p + pos);
		if (n == LZ4_LEGACY_MAGIC) {
			pos += 4;
			continue;
		}
		if (rem == 4)
			break; /* appended decompressed size */
		pos += 4;
		rem -= 4;
		if (n == 0 || n > max_block) {
			errbuf_set(eb, "lz4 stream has a bad block size %u at offset %zu", n,
				   pos - 4);
			return BZP_CORRUPT;
		}
		if (n > rem) {
			errbuf_set(eb,
				   "lz4 stream is truncated: block of %u bytes at offset %zu, %zu "
				   "left",
				   n, pos - 4, rem);
			return BZP_CORRUPT;
		}
		/* A full block of room, even past the limit: checked after. */
		enum bzp_result r = outbuf_reserve(ob, LZ4_LEGACY_BLOCK, LZ4_LEGACY_BLOCK);
		if (r != BZP_OK)
			return r;
		int got = LZ4_decompress_safe((const char *)p + pos, (char *)ob->buf + ob->len,
					      (int)n, (int)LZ4_LEGACY_BLOCK);
		if (got < 0) {
			errbuf_set(eb, "lz4 stream is corrupt in the block at offset %zu",
				   pos - 4);
			return BZP_CORRUPT;
		}
		ob->len += (size_t)got;
		if (ob->len > ob->limit)
			return BZP_TOO_BIG;
		pos += n;
	}
	if (ob->len == 0) {
		errbuf_set(eb, "lz4 stream has no data");
		return BZP_CORRUPT;
	}
	return BZP_OK;
}

enum bzp_result bzp_decompress(const uint8_t *p, size_t len, uint64_t max_out, uint8_t **out,
			       size_t *out_len, struct errbuf *eb)
{
	*out = NULL;
	*out_len = 0;
	enum bzp_format fmt = bzp_detect(p, len);
	if (max_out > BZP_MAX_OUTPUT)
		max_out = BZP_MAX_OUTPUT;
	struct outbuf ob = {.limit = (size_t)max_out};

	/* The kernel build appends the decompressed size (le32): a hint for
	 * the first allocation, never trusted beyond the limit. */
	if (len >= 8) {
		/* Room for one byte (one block for lz4) more, so that
		 * reaching the end of the stream needs no regrowth. */
		size_t extra = fmt == BZP_FMT_LZ4 ? LZ4_LEGACY_BLOCK : 1;
		uint32_t hint = get_le32(p + len - 4);
		if (hint > 0 && hint <= ob.limit &&
		    outbuf_reserve(&ob, hint + extra, extra) != BZP_OK) {
			errbuf_set(eb, "out of host memory for the %s payload", bzp_format_name(fmt));
			return BZP_NO_MEMORY;
		}
	}
	enum bzp_result r;
	switch (fmt) {
	case BZP_FMT_GZIP:
		r = inflate_gzip(p, len, &ob, eb);
		break;
	case BZP_FMT_XZ:
	case BZP_FMT_LZMA:
		r = decode_lzma(p, len, fmt == BZP_FMT_XZ, &ob, eb);
		break;
	case BZP_FMT_ZSTD:
		r = decode_zstd(p, len, &ob, eb);
		break;
	case BZP_FMT_LZ4:
		r = decode_lz4(p, len, &ob, eb);
		break;
	default:
		r = BZP_UNSUPPORTED;
		errbuf_set(eb, "%s compression is not decompressed on the host",
			   bzp_format_name(fmt));
		break;
	}
	if (r == BZP_TOO_BIG)
		errbuf_set(eb, "%s payload decompresses to more than %llu MiB",
			   bzp_format_name(fmt), boot_mib(ob.limit));
	else if (r == BZP_NO_MEMORY)
		errbuf_set(eb, "out of host memory decompressing the %s payload",
			   bzp_format_name(fmt));
	if (r != BZP_OK) {
		free(ob.buf);
		return r;
	}
	*out = ob.buf;
	*out_len = ob.len;
	return BZP_OK;
}
