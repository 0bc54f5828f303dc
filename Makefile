# vslice build. `make` builds build/vslice; `make check` runs every test.
# Source files are picked up by wildcard: add a .c file to its directory and
# it is built; add tests/unit/test_*.c and it becomes a unit test.

CC      ?= gcc
CLANG   ?= clang
BUILD   ?= build
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wno-unused-parameter -Wshadow -Wvla \
           -Werror=implicit-function-declaration -Werror=incompatible-pointer-types
ALL_CFLAGS = -std=gnu11 $(WARN) -Iinclude -D_GNU_SOURCE -MMD -MP $(CFLAGS) $(EXTRA_CFLAGS)
# The decompressors (used once, to unpack a bzImage) are linked statically:
# as shared libraries, their loading and relocation alone kept ~440 KiB of
# the VMM resident for the whole life of every VM.
LDLIBS  = -lpthread -lutil -lm -Wl,-Bstatic -lz -llzma -lzstd -llz4 -Wl,-Bdynamic $(EXTRA_LDLIBS)

LIB_SRC  = $(sort $(wildcard src/core/*.c src/mem/*.c src/bus/*.c src/dev/*.c \
             src/boot/*.c src/arch/x86/*.c src/accel/*.c src/accel/kvm/*.c \
             src/accel/emu/*.c src/backend/*.c))
CLI_SRC  = $(sort $(wildcard src/cli/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
GUEST_SRC = $(sort $(wildcard tests/guests/*.S))

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
GUEST_BIN = $(GUEST_SRC:tests/guests/%.S=$(BUILD)/guests/%.elf)

.PHONY: guest all unit unit-san guests system fuzz fuzz-smoke difftest difftest-ci check clean bench
all: $(BUILD)/vslice guests

# The default Linux guest, built from Debian packages (downloads ~27 MB the
# first time; the script itself decides whether anything needs rebuilding).
guest:
	scripts/build-guest --out $(BUILD)/guest


$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libvslice.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vslice: $(CLI_OBJ) $(BUILD)/libvslice.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libvslice.a $(LDLIBS)

# Unit tests: cmocka, no /dev/kvm.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvslice.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libvslice.a -lcmocka $(LDLIBS)

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

# The same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
unit-san:
	$(MAKE) BUILD=build-san CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	        EXTRA_LDLIBS="-fsanitize=address,undefined" unit

# Small test guests (GNU as, 32-bit Multiboot ELF).
$(BUILD)/guests/%.elf: tests/guests/%.S tests/guests/guest.ld $(wildcard tests/guests/*.inc)
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -Itests/guests -o $(BUILD)/guests/$*.o $<
	ld -m elf_i386 -nostdlib -T tests/guests/guest.ld -o $@ $(BUILD)/guests/$*.o

# 64-bit test guests: Multiboot kernels that enter long mode themselves.
# Assembled as ELF64 (64-bit relocations), converted to the ELF32 file a
# Multiboot loader expects.
GUEST64_SRC = $(sort $(wildcard tests/guests64/*.S))
GUEST64_BIN = $(GUEST64_SRC:tests/guests64/%.S=$(BUILD)/guests64/%.elf)
$(BUILD)/guests64/%.elf: tests/guests64/%.S tests/guests64/long.inc tests/guests/guest.ld $(wildcard tests/guests/*.inc)
	@mkdir -p $(dir $@)
	$(CC) -m64 -c -Itests/guests -Itests/guests64 -o $(BUILD)/guests64/$*.o $<
	ld -m elf_x86_64 -nostdlib -T tests/guests/guest.ld -o $(BUILD)/guests64/$*.elf64 $(BUILD)/guests64/$*.o
	objcopy -I elf64-x86-64 -O elf32-i386 $(BUILD)/guests64/$*.elf64 $@

guests: $(GUEST_BIN) $(GUEST64_BIN)

system: $(BUILD)/vslice guests guest
	@VSLICE=$(BUILD)/vslice tests/system/run

# libFuzzer harnesses (clang), one per guest- or user-facing parser. The
# library is built once with fuzzer instrumentation and shared by all.
FUZZ_CFLAGS = -std=gnu11 -Iinclude -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ = $(LIB_SRC:%.c=$(BUILD)/fuzzobj/%.o)
$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/libvslice-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_loader.h $(BUILD)/libvslice-fuzz.a
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libvslice-fuzz.a -lpthread -lutil -lm -lz -llzma -lzstd -llz4
fuzz: $(FUZZ_BIN)
fuzz-smoke: $(FUZZ_BIN)
	@tests/fuzz/run-smoke $(FUZZ_BIN)

# Differential testing of the software CPU against the host CPU.
difftest:
	$(MAKE) -C tests/difftest
# Bounded run for CI: replay the saved cases, then a fixed number of new ones.
difftest-ci:
	$(MAKE) -C tests/difftest replay run

check: all unit unit-san fuzz-smoke difftest-ci system

bench: $(BUILD)/vslice guests
	bench/run

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)
