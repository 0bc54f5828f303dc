/* The compressed payload of a bzImage (boot protocol >= 2.08: payload_offset
 * and payload_length in the setup header): format detection by magic and
 * bounded host-side decompression with the Debian-packaged libraries (zlib,
 * liblzma, libzstd, liblz4). Private to src/boot. */
#ifndef VSLICE_BZIMAGE_PAYLOAD_H
#define VSLICE_BZIMAGE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "vslice/errbuf.h"

/* Hard limit on a decompressed payload, whatever the guest RAM size: the
 * image is user input and must not exhaust host memory. */
#define BZP_MAX_OUTPUT (512ULL << 20)

enum bzp_format {
	BZP_FMT_UNKNOWN,
	BZP_FMT_GZIP,
	BZP_FMT_XZ,
	BZP_FMT_LZMA,
	BZP_FMT_ZSTD,
	BZP_FMT_LZ4, /* LZ4 legacy frame, as `lz4 -l` writes it */
	BZP_FMT_BZIP2,
	BZP_FMT_LZO,
};

enum bzp_result {
	BZP_OK = 0,
	BZP_UNSUPPORTED, /* format unknown or not decompressed on the host */
	BZP_CORRUPT,	 /* truncated or malformed stream */
	BZP_TOO_BIG,	 /* would decompress to more than the limit */
	BZP_NO_MEMORY,	 /* host allocation failed */
};

/* The format whose magic starts p[0..len). */
enum bzp_format bzp_detect(const uint8_t *p, size_t len);
/* "gzip", "xz", ...; "unknown" for BZP_FMT_UNKNOWN. */
const char *bzp_format_name(enum bzp_format fmt);

/* Decompresses the payload p[0..len) into a new malloc()ed buffer of at most
 * max_out bytes (clamped to BZP_MAX_OUTPUT). Bytes after the end of the
 * compressed stream (the kernel build appends the decompressed size as a
 * le32) are ignored. On BZP_OK the caller frees *out; otherwise *out is
 * NULL and eb says what is wrong (without naming the image). */
enum bzp_result bzp_decompress(const uint8_t *p, size_t len, uint64_t max_out, uint8_t **out,
			       size_t *out_len, struct errbuf *eb);

#endif
