/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MEMONLINE_SCOLS_H
#define MEMONLINE_SCOLS_H

/*
 * libsmartcols, which prints the tables of list and status, loaded with
 * dlopen() at the first table instead of linked: `online --udev`, started
 * once per added block, prints none.  Call sites keep libsmartcols' names;
 * each stands for the function of the loaded library.  A function used
 * here for the first time goes into SCOLS_FUNCS and gets its #define below
 * (the link fails until it does: nothing is linked to libsmartcols).
 */
#include <libsmartcols.h>

#define SCOLS_FUNCS(X)                  \
	X(scols_column_set_json_type)   \
	X(scols_line_set_data)          \
	X(scols_new_table)              \
	X(scols_print_table)            \
	X(scols_table_enable_export)    \
	X(scols_table_enable_json)      \
	X(scols_table_enable_noheadings) \
	X(scols_table_enable_raw)       \
	X(scols_table_new_column)       \
	X(scols_table_new_line)         \
	X(scols_table_set_name)         \
	X(scols_unref_table)

#define SCOLS_MEMBER(f) typeof(f) *f;
struct libscols {
	SCOLS_FUNCS(SCOLS_MEMBER)
};
#undef SCOLS_MEMBER

/*
 * The loaded library.  When libsmartcols cannot be loaded, says so and exits
 * with EXIT_FAIL: call it before a command's first line of output, so that
 * none is printed half.
 */
const struct libscols *libscols(void);

#ifndef SCOLS_LOADER
#define scols_column_set_json_type (libscols()->scols_column_set_json_type)
#define scols_line_set_data (libscols()->scols_line_set_data)
#define scols_new_table (libscols()->scols_new_table)
#define scols_print_table (libscols()->scols_print_table)
#define scols_table_enable_export (libscols()->scols_table_enable_export)
#define scols_table_enable_json (libscols()->scols_table_enable_json)
#define scols_table_enable_noheadings (libscols()->scols_table_enable_noheadings)
#define scols_table_enable_raw (libscols()->scols_table_enable_raw)
#define scols_table_new_column (libscols()->scols_table_new_column)
#define scols_table_new_line (libscols()->scols_table_new_line)
#define scols_table_set_name (libscols()->scols_table_set_name)
#define scols_unref_table (libscols()->scols_unref_table)
#endif

#endif
