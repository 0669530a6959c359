// SPDX-License-Identifier: GPL-2.0-or-later
/* A small streaming JSON writer for documents that are not one table. */
#include "cli.h"

static void indent(struct json *j)
{
	fprintf(j->f, "%s\n%*s", j->need_comma ? "," : "", j->depth * 3, "");
}

static void key(struct json *j, const char *k)
{
	if (j->depth)
		indent(j);
	if (k) {
		fputc('"', j->f);
		fputs(k, j->f); /* keys are our own words: nothing to escape */
		fputs("\": ", j->f);
	}
	j->need_comma = true;
}

void json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma = false;
	json_object(j, NULL);
}

void json_end(struct json *j)
{
	json_close(j, '}');
	fputc('\n', j->f);
}

void json_object(struct json *j, const char *k)
{
	key(j, k);
	fputc('{', j->f);
	j->depth++;
	j->need_comma = false;
}

void json_array(struct json *j, const char *k)
{
	key(j, k);
	fputc('[', j->f);
	j->depth++;
	j->need_comma = false;
}

void json_close(struct json *j, char bracket)
{
	j->depth--;
	j->need_comma = false;
	fprintf(j->f, "\n%*s%c", j->depth * 3, "", bracket);
	j->need_comma = true;
}

void json_str(struct json *j, const char *k, const char *val)
{
	key(j, k);
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void json_u64(struct json *j, const char *k, uint64_t val)
{
	key(j, k);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void json_int(struct json *j, const char *k, long long val)
{
	key(j, k);
	fprintf(j->f, "%lld", val);
}

void json_bool(struct json *j, const char *k, bool val)
{
	key(j, k);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}
