/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the agent's GetInfo/GetDebug/SetDebug handlers and tetra's info,
 * loglevel and bugtool commands share: upstream's LogLevel enum against
 * util/log.h's levels, and GetInfoResponse's configuration values (a
 * google.protobuf.Any holding a StringValue, Int64Value, BoolValue or
 * ListValue of strings, as upstream's agent encodes its settings).
 */
#ifndef TG_GRPC_DEBUG_API_H
#define TG_GRPC_DEBUG_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "grpc/rpc.h"
#include "tetragon/sensors.pb-c.h"
#include "util/log.h"

/*
 * A level name as upstream's `tetra loglevel set` takes it: trace, debug,
 * info, warn, warning, error, fatal, panic, in any case. Returns the
 * LogLevel value, or -EINVAL.
 */
int debug_level_parse(const char *s);
/* "LOG_LEVEL_DEBUG", or NULL for a value that is not a LogLevel. */
const char *debug_level_name(int level);
/*
 * LogLevel -> the level this agent logs at: trace logs as debug (there are
 * no trace messages), fatal and panic as error (they stop nothing here).
 * Returns 0, or -EINVAL for a value that is not a LogLevel.
 */
int debug_level_to_log(int level, enum log_level *out);
/* The LogLevel of an agent level. */
int debug_level_from_log(enum log_level l);

/* One configuration value for GetInfoResponse.conf. */
enum debug_conf_kind { DEBUG_CONF_STRING, DEBUG_CONF_INT, DEBUG_CONF_BOOL, DEBUG_CONF_LIST };

struct debug_conf {
	const char *key;
	enum debug_conf_kind kind;
	const char *s;			/* STRING ("" for NULL) */
	int64_t i;			/* INT */
	bool b;				/* BOOL */
	char *const *list;		/* LIST */
	size_t nlist;
};

/*
 * Pack a GetInfoResponse; NULL when out of memory. probes[i] is named
 * probe_names[i].
 */
struct rpc_blob *debug_info_pack(const char *name, const char *version, const char *const *probe_names,
				 const bool *probes, size_t nprobes, const struct debug_conf *conf, size_t nconf,
				 const char *commit, const char *time, const char *modified);

/*
 * GetInfoResponse as upstream's `tetra info` prints it (its Info struct in
 * JSON): {"Name","Version","Probes":{name:bool},"Conf":{key:value},"Build":
 * {"GoVersion","Commit","Time","Modified"}}, maps sorted by key. A value of
 * a type it does not know becomes a string saying so, as upstream's.
 */
json_t *debug_info_json(const Tetragon__GetInfoResponse *r);

#endif
