// SPDX-License-Identifier: Apache-2.0
#include "tracing/tp_format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_field(const char *line, struct tp_field *f)
{
	const char *decl, *end, *p;
	char buf[256];
	size_t n;
	int sgn = 0;

	/* "field:<decl>;\toffset:N;\tsize:N;\tsigned:N;" */
	decl = strstr(line, "field:");
	if (!decl)
		return -EINVAL;
	decl += 6;
	end = strchr(decl, ';');
	if (!end || (size_t)(end - decl) >= sizeof(buf))
		return -EINVAL;
	n = (size_t)(end - decl);
	memcpy(buf, decl, n);
	buf[n] = '\0';
	if (!(p = strstr(end, "offset:")) || sscanf(p, "offset:%u;", &f->offset) != 1)
		return -EINVAL;
	if (!(p = strstr(end, "size:")) || sscanf(p, "size:%u;", &f->size) != 1)
		return -EINVAL;
	if ((p = strstr(end, "signed:")))
		sscanf(p, "signed:%d;", &sgn);
	f->is_signed = sgn != 0;

	/* the name is the last identifier before any [N] suffix */
	/* an array suffix only counts when it ends the declaration ("char comm[16]"),
	 * not inside the type ("__data_loc char[] filename") */
	char *br = n && buf[n - 1] == ']' ? strrchr(buf, '[') : NULL;
	char *name_end = br ? br : buf + n;
	while (name_end > buf && name_end[-1] == ' ')
		name_end--;
	char *name = name_end;
	while (name > buf && (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z') ||
			      (name[-1] >= 'A' && name[-1] <= 'Z') || (name[-1] >= '0' && name[-1] <= '9')))
		name--;
	if (name == name_end || (size_t)(name_end - name) >= sizeof(f->name))
		return -EINVAL;
	memcpy(f->name, name, (size_t)(name_end - name));
	f->name[name_end - name] = '\0';
	/* the type is everything else, the array suffix appended */
	size_t tl = (size_t)(name - buf);
	while (tl && buf[tl - 1] == ' ')
		tl--;
	if (tl >= sizeof(f->type))
		tl = sizeof(f->type) - 1;
	memcpy(f->type, buf, tl);
	f->type[tl] = '\0';
	if (br && strlen(f->type) + strlen(br) < sizeof(f->type))
		strcat(f->type, br);
	f->data_loc = !strncmp(f->type, "__data_loc ", 11);
	f->pointer = strchr(f->type, '*') != NULL;
	f->char_array = strstr(f->type, "char[") != NULL;
	f->common = !strncmp(f->name, "common_", 7);
	return 0;
}

int tp_format_parse(const char *text, struct tp_format *ret, unsigned *ret_line)
{
	const char *l = text;
	unsigned lineno = 0;

	memset(ret, 0, sizeof(*ret));
	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[512];

		lineno++;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, l, len);
		line[len] = '\0';
		if (!strncmp(line, "name: ", 6)) {
			snprintf(ret->name, sizeof(ret->name), "%.127s", line + 6);
		} else if (!strncmp(line, "ID: ", 4)) {
			ret->id = (unsigned)strtoul(line + 4, NULL, 10);
		} else if (strstr(line, "field:")) {
			if (ret->nfields == TP_FORMAT_MAX_FIELDS || parse_field(line, &ret->fields[ret->nfields])) {
				if (ret_line)
					*ret_line = lineno;
				return -EINVAL;
			}
			ret->nfields++;
		} else if (!strncmp(line, "print fmt:", 10)) {
			break;
		}
		l = nl ? nl + 1 : NULL;
	}
	if (!ret->nfields) {
		if (ret_line)
			*ret_line = lineno;
		return -EINVAL;
	}
	return 0;
}

bool tp_format_valid_name(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n || n > TP_FORMAT_MAX_NAME || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

int tp_format_load(const char *tracefs, const char *subsys, const char *event,
		   struct tp_format *ret)
{
	char path[512], *text;
	size_t n = 0, cap = 8192;
	unsigned line = 0;
	FILE *f;
	int err;

	/* before any path is formed: the answer must not depend on what exists */
	if (!tp_format_valid_name(subsys) || !tp_format_valid_name(event))
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, subsys, event) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	text = malloc(cap);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	while (!feof(f) && n < cap - 1)
		n += fread(text + n, 1, cap - 1 - n, f);
	text[n] = '\0';
	fclose(f);
	err = tp_format_parse(text, ret, &line);
	free(text);
	return err;
}

const struct tp_field *tp_format_arg(const struct tp_format *f, unsigned idx)
{
	for (size_t i = 0; i < f->nfields; i++) {
		if (f->fields[i].common)
			continue;
		if (idx-- == 0)
			return &f->fields[i];
	}
	return NULL;
}

size_t tp_format_nargs(const struct tp_format *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nfields; i++)
		n += !f->fields[i].common;
	return n;
}
