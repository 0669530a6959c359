/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Just enough TAP for prove: ok/not ok lines, the plan at the end. */
#ifndef MEMONLINE_TAP_H
#define MEMONLINE_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failures;

__attribute__((format(printf, 4, 5)))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failures++;
		printf("#   Failed at %s:%d\n", file, line);
	}
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                       \
	do {                                                                         \
		long long g_ = (got), w_ = (want);                                   \
		if (!ok(g_ == w_, __VA_ARGS__))                                      \
			printf("#   got %lld, want %lld\n", g_, w_);                 \
	} while (0)

#define is_u64(got, want, ...)                                                       \
	do {                                                                         \
		uint64_t g_ = (got), w_ = (want);                                    \
		if (!ok(g_ == w_, __VA_ARGS__))                                      \
			printf("#   got %" PRIu64 ", want %" PRIu64 "\n", g_, w_);   \
	} while (0)

#define is_str(got, want, ...)                                                       \
	do {                                                                         \
		const char *g_ = (got), *w_ = (want);                                \
		if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))               \
			printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)",      \
			       w_ ? w_ : "(null)");                                  \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}

#endif
