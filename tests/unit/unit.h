/* Common includes for cmocka unit tests. */
#ifndef VSLICE_TESTS_UNIT_H
#define VSLICE_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#endif
