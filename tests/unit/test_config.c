/* Option value parsing: sizes, counts, serial specs, memory limits. */
#include "unit.h"

#include "vslice/config.h"

static void sizes(void **state)
{
	struct errbuf eb;
	uint64_t v;
	assert_int_equal(parse_size("--memory", "256M", &v, &eb), 0);
	assert_int_equal(v, 256ULL << 20);
	assert_int_equal(parse_size("--memory", "512", &v, &eb), 0); /* MiB */
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(parse_size("--memory", "2G", &v, &eb), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse_size("--memory", "2GiB", &v, &eb), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse_size("--memory", "64k", &v, &eb), 0);
	assert_int_equal(v, 64ULL << 10);
	assert_int_equal(parse_size("--memory", "abc", &v, &eb), -1);
	assert_non_null(strstr(eb.msg, "--memory abc"));
	assert_int_equal(parse_size("--memory", "-1G", &v, &eb), -1);
	assert_int_equal(parse_size("--memory", "12Q", &v, &eb), -1);
	assert_int_equal(parse_size("--memory", "1Gx", &v, &eb), -1);
	assert_int_equal(parse_size("--memory", "99999999999999999999", &v, &eb), -1);
	assert_int_equal(parse_size("--memory", "17179869184G", &v, &eb), -1); /* 2^34 G overflows */
	assert_int_equal(parse_size("--memory", "", &v, &eb), -1);
}

static void counts(void **state)
{
	struct errbuf eb;
	unsigned n;
	assert_int_equal(parse_uint("--cpus", "4", 1, 64, &n, &eb), 0);
	assert_int_equal(n, 4);
	assert_int_equal(parse_uint("--cpus", "0", 1, 64, &n, &eb), -1);
	assert_non_null(strstr(eb.msg, "--cpus 0"));
	assert_int_equal(parse_uint("--cpus", "65", 1, 64, &n, &eb), -1);
	assert_int_equal(parse_uint("--cpus", "4x", 1, 64, &n, &eb), -1);
	assert_int_equal(parse_uint("--cpus", "-4", 1, 64, &n, &eb), -1);
	assert_int_equal(parse_uint("--cpus", "99999999999999999999", 1, 64, &n, &eb), -1);
}

static void serial_specs(void **state)
{
	struct errbuf eb;
	struct vm_config c;
	vm_config_defaults(&c);
	assert_int_equal(parse_serial("pty", &c, &eb), 0);
	assert_int_equal(c.serial, SERIAL_PTY);
	assert_int_equal(parse_serial("file:/tmp/x", &c, &eb), 0);
	assert_int_equal(c.serial, SERIAL_FILE);
	assert_string_equal(c.serial_path, "/tmp/x");
	assert_int_equal(parse_serial("socket:/tmp/s", &c, &eb), 0);
	assert_int_equal(c.serial, SERIAL_SOCKET);
	assert_int_equal(parse_serial("file:", &c, &eb), -1);
	assert_int_equal(parse_serial("tcp:1234", &c, &eb), -1);
	assert_non_null(strstr(eb.msg, "--serial tcp:1234"));
	assert_int_equal(parse_on_reboot("exit", &c, &eb), 0);
	assert_int_equal(c.on_reboot, ON_REBOOT_EXIT);
	assert_int_equal(parse_on_reboot("shutdown", &c, &eb), -1);
	assert_int_equal(parse_accel("emu", &c, &eb), 0);
	assert_int_equal(parse_accel("tcg", &c, &eb), -1);
}

static void memory_limits(void **state)
{
	struct errbuf eb;
	assert_int_equal(check_memory(16ULL << 20, 1ULL << 30, &eb), 0);
	assert_int_equal(check_memory(15ULL << 20, 1ULL << 30, &eb), -1);
	assert_non_null(strstr(eb.msg, "at least 16M"));
	assert_int_equal(check_memory(0, 1ULL << 30, &eb), -1);
	assert_int_equal(check_memory(2ULL << 30, 1ULL << 30, &eb), -1);
	assert_non_null(strstr(eb.msg, "more than this host"));
	assert_int_equal(check_memory((16ULL << 20) + 1, 1ULL << 30, &eb), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes),
		cmocka_unit_test(counts),
		cmocka_unit_test(serial_specs),
		cmocka_unit_test(memory_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
