# SPDX-License-Identifier: Apache-2.0
# Non-recursive build: BPF objects -> skeletons, protos -> protobuf-c, userspace
# modules -> one static library shared by the agent, the CLI and the tests.
#
#   make            build build/bin/tetragon and build/bin/tetra
#   make test       build and run every test (unit tests under ASan/UBSan)
#   make bench      run the benchmarks (make soak: the long run)
#   make SAN=1      sanitizer build into build-san/
#   make install    install for systemd hosts (DESTDIR, PREFIX; make uninstall)
#   make image      the agent's OCI image (no Docker daemon needed)
#   make deps       install the Debian packages the build needs

.DEFAULT_GOAL := all

SAN      ?= 0
ifeq ($(SAN),1)
BUILD    ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD    ?= build
SANFLAGS :=
endif

CC       ?= gcc
CLANG    ?= $(shell command -v clang-19 || command -v clang)
BPFTOOL  ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
PROTOC_C ?= protoc-c
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)
msg       = $(if $(filter 1,$(V)),,@printf '  %-8s %s\n' "$(1)" "$(2)";)

GEN      := $(BUILD)/gen
OBJ      := $(BUILD)/obj
BIN      := $(BUILD)/bin

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# ---- build dependencies (owner: scripts/check-deps.sh) ------------------------
# Checked before anything is built, so a fresh machine hears which Debian
# packages are missing and to run `make deps`, not "No rule to make target".
# Goals that install the packages first (or need none) skip it, as does
# CHECK_DEPS=0 (headers in unusual places).
NODEPS_GOALS := deps run test clean uninstall fuzz
CHECK_DEPS   ?= 1
ifneq ($(if $(filter 0,$(CHECK_DEPS)),,$(if $(MAKECMDGOALS),$(filter-out $(NODEPS_GOALS),$(MAKECMDGOALS)),all)),)
ifneq ($(shell CC='$(CC)' CXX='$(CXX)' CLANG='$(CLANG)' BPFTOOL='$(BPFTOOL)' PROTOC_C='$(PROTOC_C)' \
	TG_INCLUDE_DIRS='$(TG_INCLUDE_DIRS)' ./scripts/check-deps.sh $(if $(filter tests,$(MAKECMDGOALS)),tests) >&2 \
	|| echo missing),)
$(error build dependencies missing (listed above): run `make deps` (CHECK_DEPS=0 skips this check))
endif
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
            -D_GNU_SOURCE -DTG_VERSION='"$(VERSION)"' \
            -I. -Isrc -I$(GEN) $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS   += -lbpf -lelf -lz -lyaml -lprotobuf-c -lpthread -lm
LDLIBS   += -lcrypto	# uprobe binaryDigests (src/sensors/uprobe_digest.c)

# ---- gRPC API and event filters (owner: src/grpc, src/filters) ----------------
# gRPC C-core for the agent's API and tetra; jansson for filter flags and
# tetra's stdin mode. Both are in libtetragon.a, so everything links them.
LDLIBS   += -lgrpc -lgpr -ljansson
# OpenSSL terminates TLS on the API's TCP listener (src/grpc/tls_server.c)
LDLIBS   += -lssl
# RE2 compiles filter regexps (upstream's syntax, linear-time matching,
# bounded memory); it is C++, reached through src/filters/re2_shim.cc.
LDLIBS   += -lre2 -lstdc++

# ---- container runtimes and the Kubernetes API (owner: src/runtime, src/k8s) -----
# libcurl (OpenSSL flavour): Docker/Podman's HTTP API over their sockets, and
# HTTPS to the API server (README: Kubernetes).
LDLIBS   += -lcurl

# ---- metrics (owner: src/metrics) -----------------------------------------------
# libmicrohttpd serves --metrics-server; the exposition format is ours.
LDLIBS   += -lmicrohttpd
# tetragon_build_info's commit, time and modified labels: a header rewritten
# only when they change, so agent_metrics.o alone rebuilds.
METRICS_BUILD_INFO := $(BUILD)/gen/metrics_build_info.h
$(METRICS_BUILD_INFO): metrics-build-info-check
	@mkdir -p $(@D)
	@{ printf '#define TG_COMMIT "%s"\n' "$$(git rev-parse HEAD 2>/dev/null)"; \
	   printf '#define TG_COMMIT_TIME "%s"\n' \
	     "$$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)"; \
	   git diff --quiet HEAD -- 2>/dev/null; \
	   [ $$? -eq 1 ] && m=true || m=false; printf '#define TG_MODIFIED "%s"\n' $$m; } >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
.PHONY: metrics-build-info-check
$(BUILD)/obj/src/metrics/agent_metrics.o: $(METRICS_BUILD_INFO)
$(BUILD)/obj/src/agent/agent_rpc.o: $(METRICS_BUILD_INFO)	# GetInfo's build

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror \
              -Wno-unused-function -I$(GEN) -I. -Ibpf

# ---- BPF ---------------------------------------------------------------------
BPF_SRC   := $(wildcard bpf/*.bpf.c)
BPF_OBJ   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRC))
BPF_SKEL  := $(patsubst bpf/%.bpf.c,$(GEN)/%.skel.h,$(BPF_SRC))

$(GEN)/vmlinux.h:
	@mkdir -p $(@D)
	@test -r $(VMLINUX_BTF) || { echo "error: $(VMLINUX_BTF) not found: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF); set VMLINUX_BTF=<file>" >&2; exit 1; }
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(GEN)/vmlinux.h $(wildcard bpf/lib/*.h abi/*.h)
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(GEN)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# ---- protobuf ----------------------------------------------------------------
PROTO_SRC := $(wildcard api/tetragon/*.proto)
WKT       := timestamp wrappers duration any field_mask empty struct
PROTO_C   := $(patsubst api/%.proto,$(GEN)/%.pb-c.c,$(PROTO_SRC)) \
             $(patsubst %,$(GEN)/google/protobuf/%.pb-c.c,$(WKT))
# container runtimes' APIs (owner: src/runtime): our declarations of the few
# messages the agent asks containerd for, and the CRI ones the tests use
RT_PROTO_SRC := $(wildcard api/runtime/*.proto)
PROTO_C   += $(patsubst api/%.proto,$(GEN)/%.pb-c.c,$(RT_PROTO_SRC))
# the standard gRPC health service (--health-server-address, src/grpc/health.c)
HEALTH_PROTO_SRC := $(wildcard api/health/*.proto)
PROTO_C   += $(patsubst api/%.proto,$(GEN)/%.pb-c.c,$(HEALTH_PROTO_SRC))
PROTO_H   := $(PROTO_C:.c=.h)

# protoc-c 1.4 rejects proto3 "optional"; a synthetic oneof is the same wire
# format and keeps presence, so rewrite before generating.
$(GEN)/proto/tetragon/%.proto: api/tetragon/%.proto
	@mkdir -p $(@D)
	$(Q)sed -E 's/^([[:space:]]*)optional ([A-Za-z0-9_.]+) ([a-z_0-9]+) = ([0-9]+);/\1oneof _\3 { \2 \3 = \4; }/' $< > $@

$(GEN)/tetragon/%.pb-c.c $(GEN)/tetragon/%.pb-c.h: $(GEN)/proto/tetragon/%.proto $(patsubst api/%,$(GEN)/proto/%,$(PROTO_SRC))
	@mkdir -p $(GEN)
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) -I$(GEN)/proto -I/usr/include --c_out=$(GEN) $<

$(GEN)/runtime/%.pb-c.c $(GEN)/runtime/%.pb-c.h: api/runtime/%.proto
	@mkdir -p $(GEN)
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) -Iapi -I/usr/include --c_out=$(GEN) runtime/$*.proto

$(GEN)/health/%.pb-c.c $(GEN)/health/%.pb-c.h: api/health/%.proto
	@mkdir -p $(GEN)
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) -Iapi --c_out=$(GEN) health/$*.proto

$(GEN)/google/protobuf/%.pb-c.c $(GEN)/google/protobuf/%.pb-c.h: /usr/include/google/protobuf/%.proto
	@mkdir -p $(GEN)
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) -I/usr/include --c_out=$(GEN) google/protobuf/$*.proto

# ---- userspace ---------------------------------------------------------------
LIB_SRC   := $(shell find src -name '*.c' ! -path 'src/agent/main.c' | sort)
LIB_OBJ   := $(patsubst %.c,$(OBJ)/%.o,$(LIB_SRC)) $(patsubst $(GEN)/%.c,$(OBJ)/gen/%.o,$(PROTO_C))
# C++ only where a library needs it (src/filters/re2_shim.cc), behind a C API.
LIB_CXX_SRC := $(shell find src -name '*.cc' | sort)
LIB_OBJ   += $(patsubst %.cc,$(OBJ)/%.o,$(LIB_CXX_SRC))
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -Isrc $(SANFLAGS) -MMD -MP
AGENT_OBJ := $(OBJ)/src/agent/main.o
CLI_SRC   := $(wildcard cli/*.c)
CLI_OBJ   := $(patsubst %.c,$(OBJ)/%.o,$(CLI_SRC))
LIB       := $(BUILD)/libtetragon.a

GENERATED := $(BPF_SKEL) $(PROTO_H)

$(OBJ)/%.o: %.c | $(GENERATED)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(CXXFLAGS) -c $< -o $@

$(OBJ)/gen/%.o: $(GEN)/%.c | $(GENERATED)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -Werror -Wextra,$(CFLAGS)) -c $< -o $@

$(LIB): $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/tetragon: $(AGENT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# tetra bugtool writes its tar.gz with libarchive (tetra only)
$(BIN)/tetra: LDLIBS += -larchive
$(BIN)/tetra: $(CLI_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- tests -------------------------------------------------------------------
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRC))

$(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@

# uprobe_target's types as BTF (its btfPath test): clang emits .BTF for the BPF target only
HELPER_BIN += $(BUILD)/tests/helpers/uprobe_target.btf.o
$(BUILD)/tests/helpers/uprobe_target.btf.o: tests/helpers/uprobe_target.c
	@mkdir -p $(@D)
	$(call msg,BTF,$@)
	$(Q)$(CLANG) -target bpf -g -O2 -c $< -o $@

# ---- protojson field order + its test protos (owner: src/encode/protojson) ----
# protoc-c sorts descriptor fields by number but protojson writes them in
# .proto declaration order: field_order.awk turns a descriptor set of the
# (rewritten) protos into a table compiled into src/encode/protojson.c.
# $(1) table name, $(2) protos relative to $(GEN)/proto (may be empty).
define protojson_field_order
	@mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)if [ -n "$(strip $(2))" ]; then \
		$(PROTOC_C) -I$(GEN)/proto -I/usr/include --descriptor_set_out=$@.pb $(2) && \
		$(PROTOC_C) -I/usr/include --decode=google.protobuf.FileDescriptorSet \
			google/protobuf/descriptor.proto < $@.pb > $@.txt; \
	else : > $@.txt; fi && \
	awk -v table=$(1) -f src/encode/field_order.awk $@.txt > $@.tmp && \
	rm -f $@.pb $@.txt && mv $@.tmp $@
endef

PJ_API_PROTO := $(patsubst api/%,$(GEN)/proto/%,$(PROTO_SRC))
$(GEN)/encode/tetragon_field_order.h: $(PJ_API_PROTO) src/encode/field_order.awk
	$(call protojson_field_order,tetragon_field_order,$(patsubst $(GEN)/proto/%,%,$(PJ_API_PROTO)))
$(OBJ)/src/encode/protojson.o: | $(GEN)/encode/tetragon_field_order.h

# Test-only protos for tests/unit/test_protojson.c, linked into that test only.
PJ_TEST_PROTO := $(patsubst tests/unit/proto/%,$(GEN)/proto/pjtest/%,$(wildcard tests/unit/proto/*.proto))
PJ_TEST_C     := $(patsubst $(GEN)/proto/%.proto,$(GEN)/%.pb-c.c,$(PJ_TEST_PROTO))

# same proto3 "optional" rewrite as for api/tetragon; proto2 files keep theirs
$(GEN)/proto/pjtest/%.proto: tests/unit/proto/%.proto
	@mkdir -p $(@D)
	$(Q)if grep -q '^syntax = "proto2"' $<; then cp $< $@; else sed -E 's/^([[:space:]]*)optional ([A-Za-z0-9_.]+) ([a-z_0-9]+) = ([0-9]+);/\1oneof _\3 { \2 \3 = \4; }/' $< > $@; fi

$(GEN)/pjtest/%.pb-c.c $(GEN)/pjtest/%.pb-c.h: $(GEN)/proto/pjtest/%.proto $(PJ_TEST_PROTO)
	@mkdir -p $(GEN)
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) -I$(GEN)/proto -I/usr/include --c_out=$(GEN) pjtest/$*.proto

$(GEN)/pjtest/field_order.h: $(PJ_TEST_PROTO) src/encode/field_order.awk
	$(call protojson_field_order,pjtest_field_order,$(patsubst $(GEN)/proto/%,%,$(PJ_TEST_PROTO)))

$(OBJ)/tests/unit/test_protojson.o: $(PROTO_SRC) | $(PJ_TEST_C:.c=.h) $(GEN)/pjtest/field_order.h
$(BUILD)/tests/test_protojson: $(patsubst $(GEN)/%.c,$(OBJ)/gen/%.o,$(PJ_TEST_C))
# the pattern rule puts these objects after $(LIB): scan it again for them
$(BUILD)/tests/test_protojson: LDLIBS += $(LIB) -ljansson

# ---- fuzzing (owner: src/policy) ---------------------------------------------
# libFuzzer target for the policy parser (bytes -> YAML DOM -> typed policy),
# built with clang's fuzzer runtime plus ASan/UBSan, outside the normal build.
#   make fuzz                 build, then fuzz for FUZZ_SECONDS (default 60)
#   make build-fuzz/fuzz_policy   build only
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build-fuzz
FUZZ_SRC     := tests/fuzz/fuzz_policy.c $(wildcard src/policy/*.c) src/util/strbuf.c

$(FUZZ_DIR)/fuzz_policy: $(FUZZ_SRC) $(wildcard src/policy/*.h) src/util/strbuf.h
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-missing-field-initializers -D_GNU_SOURCE \
		-I. -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$(FUZZ_SRC) -lyaml -o $@

.PHONY: fuzz
fuzz: $(FUZZ_DIR)/fuzz_policy
	@mkdir -p $(FUZZ_DIR)/corpus
	$(Q)cp tests/policy/good/*.yaml tests/policy/bad/*.yaml $(FUZZ_DIR)/corpus/
	$(Q)if [ -d ../shared/upstream-policies ]; then cp ../shared/upstream-policies/* $(FUZZ_DIR)/corpus/; fi
	$(FUZZ_DIR)/fuzz_policy -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
		-dict=tests/fuzz/policy.dict $(FUZZ_DIR)/corpus

ALL := $(BIN)/tetragon $(if $(CLI_SRC),$(BIN)/tetra)

# ---- install (owner: scripts/install.sh, install/) ----------------------------
# Upstream's Linux tarball layout for systemd hosts; DESTDIR stages it.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
UNITDIR ?= /usr/lib/systemd/system
INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' BINDIR='$(BINDIR)' UNITDIR='$(UNITDIR)' BIN='$(BIN)'

.PHONY: install uninstall
install: $(ALL)
	$(Q)$(INSTALL_ENV) ./scripts/install.sh install

uninstall:
	$(Q)$(INSTALL_ENV) ./scripts/install.sh uninstall

.PHONY: all test run deps bench soak clean
all: $(ALL)

deps:
	$(Q)./scripts/install-deps.sh

# The README's first command: build and start the agent in the foreground.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(BIN)/tetragon $(ARGS)

# the container tests' CRI client (tests/integration/test_containers.py)
CRI_CLIENT := $(BUILD)/tests/cri_client
$(CRI_CLIENT): $(OBJ)/tests/tools/cri_client.o $(LIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

tests: $(ALL) $(UNIT_BIN) $(HELPER_BIN) $(CRI_CLIENT)

# The README's test command. Unit tests run in a sanitizer build, the
# integration suite against the real kernel with the sanitizer-built agent.
test: deps
	$(Q)$(MAKE) --no-print-directory SAN=1 tests
	$(Q)BUILD=build-san ./tests/run.sh

# The agent's container image, without a Docker daemon (scripts/build-image.py):
# $(BUILD)/image/tetragon-oci.tar (podman load, skopeo) and tetragon-docker.tar
# (docker load), tagged IMAGE (default tetragon:<version>).
IMAGE ?= tetragon:$(VERSION)
.PHONY: image
image: all
	$(Q)./scripts/build-image.py --bin $(BIN) --out $(BUILD)/image --tag $(IMAGE)

# Benchmarks (root; README "Benchmark"): ROUNDS pairs each (default 9).
bench: all $(HELPER_BIN) $(BUILD)/bench/export_replay
	$(Q)BUILD=$(BUILD) ./bench/exec_storm.sh
	$(Q)BUILD=$(BUILD) ./bench/hot_syscall.sh
	$(Q)BUILD=$(BUILD) ./bench/flood.sh
	$(Q)BUILD=$(BUILD) ./bench/memory.sh
	$(Q)BUILD=$(BUILD) ./bench/export_throughput.sh
	$(Q)BUILD=$(BUILD) ./bench/export_agent.sh
	$(Q)BUILD=$(BUILD) ./bench/vm_hooks.sh
	$(Q)BUILD=$(BUILD) ./bench/container_exec.sh

# The export pipeline without the kernel (bench/export_replay.c).
$(BUILD)/bench/export_replay: $(OBJ)/bench/export_replay.o $(LIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# SOAK_MINUTES (default 30) of churn, policy events and gRPC clients.
soak: all $(HELPER_BIN)
	$(Q)BUILD=$(BUILD) ./bench/soak.sh

clean:
	rm -rf build build-san

.DELETE_ON_ERROR:
.SECONDARY:

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
