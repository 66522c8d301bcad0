/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upstream's configuration sources, turned into command-line flags.
 *
 * Lowest to highest precedence, as upstream's agent reads them:
 *   package drop-ins   /usr/lib/tetragon/tetragon.conf.d/, /usr/local/lib/...
 *   the YAML file      /etc/tetragon/tetragon.yaml (or --config-file FILE)
 *   admin drop-ins     /etc/tetragon/tetragon.conf.d/
 *   --config-dir DIR   (from the command line, TETRAGON_CONFIG_DIR or a file above)
 *   environment        TETRAGON_<FLAG> (dashes as underscores: TETRAGON_RB_SIZE)
 *   the command line
 * A drop-in directory holds one file per flag, named after it, holding its
 * value; the YAML file maps flag names to values (a list is joined with
 * commas). Every file and directory must be root's (util/safe_path.h):
 * whoever can write them controls the agent.
 *
 * The result is argv with one "--flag=value" per setting not given on the
 * command line, inserted before the real arguments, so one parser handles
 * every source and the command line wins.
 */
#ifndef TG_AGENT_CONFIG_H
#define TG_AGENT_CONFIG_H

#include <stddef.h>

struct config_roots {
	const char *etc_dir;			/* "/etc/tetragon" */
	const char *const *package_dropins;	/* NULL-terminated */
};

extern const struct config_roots config_default_roots;

/* -1: not a flag of the agent, 0: takes a value, 1: boolean */
typedef int (*config_flag_kind_fn)(const char *name);

struct config_argv {
	int argc;
	char **argv;		/* argv[0], settings, then the real arguments */
	char **origin;		/* per argv entry: where a setting came from, NULL for real arguments */
};

/*
 * Build the expanded argv. Returns 0, or -errno with err naming the file
 * and what is wrong (an untrusted file or directory, a bad YAML file).
 */
int config_expand(int argc, char **argv, const struct config_roots *roots, config_flag_kind_fn kind,
		  struct config_argv *out, char *err, size_t errlen);
void config_argv_free(struct config_argv *a);

#endif
