// SPDX-License-Identifier: Apache-2.0
#include "policy/tp_generate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *tp_gen_usdt_arg_type(const char *arg)
{
	static const char *const types[] = { "uint8", "uint16", "uint32", "uint64" };
	char *end;
	long sz = strtol(arg, &end, 10);
	int k;

	if (end == arg || *end != '@')
		return NULL;
	switch (sz < 0 ? -sz : sz) {
	case 1: k = 0; break;
	case 2: k = 1; break;
	case 4: k = 2; break;
	case 8: k = 3; break;
	default: return NULL;
	}
	return sz < 0 ? types[k] + 1 : types[k];
}

int tp_gen_usdt_split(const char *s, char **args, size_t max, size_t *n)
{
	size_t i = 0, len;
	int depth = 0;

	*n = 0;
	while (s[i]) {
		size_t start;

		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (!s[i])
			break;
		start = i;
		for (; s[i] && (depth || (s[i] != ' ' && s[i] != '\t')); i++) {
			if (s[i] == '[')
				depth++;
			else if (s[i] == ']' && depth)
				depth--;
		}
		if (*n == max)
			goto too_many;
		args[*n] = malloc(i - start + 1);
		if (!args[*n])
			goto nomem;
		/* the spaces inside brackets are dropped, as upstream compacts them */
		len = 0;
		for (size_t k = start, d = 0; k < i; k++) {
			if (s[k] == '[')
				d++;
			else if (s[k] == ']' && d)
				d--;
			if (!(d && (s[k] == ' ' || s[k] == '\t')))
				args[*n][len++] = s[k];
		}
		args[*n][len] = '\0';
		(*n)++;
	}
	return 0;
too_many:
	for (size_t k = 0; k < *n; k++)
		free(args[k]);
	*n = 0;
	return -E2BIG;
nomem:
	for (size_t k = 0; k < *n; k++)
		free(args[k]);
	*n = 0;
	return -ENOMEM;
}

bool tp_gen_yaml_ambiguous(const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~" };

	if (!*s || strchr("0123456789+-.", *s))
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}
