# duckd build. `make` builds build/duckd; `make run` and `make test` are the two set-up
# commands of the README (each installs its own prerequisites first).
#
# Variants: `make SAN=1` builds into build-asan/ with ASan+UBSan; `make fuzz` builds the
# libFuzzer targets with clang into build-fuzz/ and runs each for FUZZ_SECONDS.

SAN        ?=
BUILD      ?= $(if $(SAN),build-asan,build)
CC         ?= cc
PKGS       := openssl inih libidn icu-i18n icu-uc libpq libmicrohttpd jansson libsystemd
DUCKDB_PKG := deps/node_modules/@duckdb/node-bindings-linux-x64
DUCKDB_INC := deps/node_modules/duckdb/src/duckdb/src/include
DUCKDB_SO  := $(DUCKDB_PKG)/libduckdb.so
PYTHON     := /usr/bin/python3
FUZZ_SECONDS ?= 20
E2E_ARGS   ?= tests/e2e

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wformat=2 -Wvla
CSTD    := -std=c17 -D_GNU_SOURCE
OPT     := -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANFLAG := $(if $(SAN),$(SAN_FLAGS))
CFLAGS_ALL := $(CSTD) $(WARN) $(OPT) $(SANFLAG) -Isrc -MMD -MP -pthread $(EXTRA_CFLAGS)
LDFLAGS_ALL := $(SANFLAG) -pthread -L$(BUILD)/lib -Wl,-rpath,'$$ORIGIN/lib' -Wl,-rpath,'$$ORIGIN/../lib'
LDLIBS_ALL := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -linih -lidn -licui18n -licuuc -licudata -lpq -lmicrohttpd -ljansson -lsystemd) -lduckdb -lm

SRCS      := $(shell find src -name '*.c' | sort)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  := $(BUILD)/obj/src/main.o
# The web console (web/) is built into the binary: scripts/embed_assets.sh writes its files as
# C arrays to $(BUILD)/gen/console_assets.c (generated, never committed).
WEB_FILES := $(sort $(wildcard web/*))
GEN_OBJS  := $(BUILD)/obj/gen/console_assets.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)

.PHONY: all run test unit e2e asan-test fuzz fuzz-build bootstrap docs docs-check clean format format-check bench bench-smoke durability

all: $(BUILD)/duckd

bootstrap:
	@scripts/bootstrap.sh

$(DUCKDB_SO) $(DUCKDB_INC)/duckdb.h:
	@scripts/bootstrap.sh

$(BUILD)/lib/libduckdb.so: $(DUCKDB_SO)
	@mkdir -p $(@D)
	cp $< $@

# engine/ is the only layer that sees duckdb.h: only its objects get the include path.
$(BUILD)/obj/src/engine/%.o: src/engine/%.c $(DUCKDB_INC)/duckdb.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -isystem $(DUCKDB_INC) -c $< -o $@

# cli/ (`duckd status`) is a libpq client: only its objects see libpq's headers.
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
$(BUILD)/obj/src/cli/%.o: src/cli/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PQ_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/gen/console_assets.c: $(WEB_FILES) scripts/embed_assets.sh
	@mkdir -p $(@D)
	scripts/embed_assets.sh $@ $(WEB_FILES)

$(BUILD)/obj/gen/console_assets.o: $(BUILD)/gen/console_assets.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libduckd.a: $(LIB_OBJS) $(GEN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/duckd: $(MAIN_OBJ) $(BUILD)/libduckd.a $(BUILD)/lib/libduckdb.so
	$(CC) $(MAIN_OBJ) $(BUILD)/libduckd.a $(LDFLAGS_ALL) $(LDLIBS_ALL) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libduckd.a $(BUILD)/lib/libduckdb.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Itests/unit $< $(BUILD)/libduckd.a $(LDFLAGS_ALL) -Wl,-rpath,'$$ORIGIN/../lib' \
	  $(LDLIBS_ALL) -lcmocka -o $@

run: bootstrap all
	./$(BUILD)/duckd $(ARGS)

# The whole suite: unit + end-to-end (release build), the same under ASan+UBSan, fuzz smoke.
test: bootstrap
	$(MAKE) format-check unit e2e docs-check
	$(MAKE) SAN=1 unit e2e
	$(MAKE) fuzz
	$(MAKE) bench-smoke
	@echo "make test: all suites passed"

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; CMOCKA_MESSAGE_OUTPUT=stdout ./$$t; done

e2e: $(BUILD)/duckd
	DUCKD_BIN=$(abspath $(BUILD)/duckd) DUCKD_SAN=$(SAN) $(PYTHON) -m pytest -q -p no:cacheprovider $(E2E_ARGS)

asan-test:
	$(MAKE) SAN=1 unit e2e

# libFuzzer targets (clang): one per parser, each run for a bounded time on its seed corpus.
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := $(CSTD) $(WARN) -O1 -g -Isrc -MMD -MP -pthread -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_SRCS := $(filter-out src/engine/% src/cli/% src/main.c,$(SRCS))
FUZZ_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LDLIBS := $(shell pkg-config --libs inih libssl libcrypto libidn icu-i18n icu-uc libmicrohttpd jansson 2>/dev/null || echo -linih -lssl -lcrypto -lidn -licui18n -licuuc -licudata -lmicrohttpd -ljansson) -lm

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/gen/console_assets.c: $(WEB_FILES) scripts/embed_assets.sh
	@mkdir -p $(@D)
	scripts/embed_assets.sh $@ $(WEB_FILES)

$(FUZZ_BUILD)/obj/gen/console_assets.o: $(FUZZ_BUILD)/gen/console_assets.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libfuzzlib.a: $(FUZZ_OBJS) $(FUZZ_BUILD)/obj/gen/console_assets.o
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_BUILD)/libfuzzlib.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_BUILD)/libfuzzlib.a \
	  $(FUZZ_LDLIBS) -o $@

# fuzz_pgw_conversation drives whole conversations through pgw_conn_run, so it needs the
# session layer: it links every duckd source including engine/ (with DuckDB's include path)
# and the libduckdb.so copy next to it. Its LeakSanitizer suppressions for DuckDB's process-
# lifetime allocations are built in (__lsan_default_suppressions, as tests/e2e/lsan.supp).
FUZZ_FULL_SRCS := $(filter-out src/cli/%,$(LIB_SRCS))
FUZZ_FULL_OBJS := $(FUZZ_FULL_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/src/engine/%.o: src/engine/%.c $(DUCKDB_INC)/duckdb.h
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -isystem $(DUCKDB_INC) -c $< -o $@

$(FUZZ_BUILD)/libfuzzfull.a: $(FUZZ_FULL_OBJS) $(FUZZ_BUILD)/obj/gen/console_assets.o
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/lib/libduckdb.so: $(DUCKDB_SO)
	@mkdir -p $(@D)
	cp $< $@

$(FUZZ_BUILD)/fuzz_pgw_conversation: fuzz/fuzz_pgw_conversation.c $(FUZZ_BUILD)/libfuzzfull.a \
                                     $(FUZZ_BUILD)/lib/libduckdb.so
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_BUILD)/libfuzzfull.a \
	  -L$(FUZZ_BUILD)/lib -Wl,-rpath,'$$ORIGIN/lib' -lduckdb $(FUZZ_LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@set -e; for f in $(FUZZ_BINS); do n=$$(basename $$f); \
	  mkdir -p fuzz/corpus-run/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=0 \
	      fuzz/corpus-run/$$n fuzz/corpus/$$n 2>&1 | tail -n 2; \
	done

# docs/CONFIG.md is generated from the settings table; docs-check fails when it is stale.
docs: $(BUILD)/duckd
	./$(BUILD)/duckd --config-markdown > docs/CONFIG.md

docs-check: $(BUILD)/duckd
	@./$(BUILD)/duckd --config-markdown | diff -u docs/CONFIG.md - \
	  || (echo "docs/CONFIG.md is stale: run 'make docs'"; exit 1)

format:
	clang-format -i $(SRCS) $(wildcard src/*/*.h) $(UNIT_SRCS) $(FUZZ_SRCS)

format-check:  # clang-format 14 (Debian 12), style in .clang-format
	clang-format --dry-run --Werror $(SRCS) $(wildcard src/*/*.h) $(UNIT_SRCS) $(FUZZ_SRCS)

bench: bootstrap all
	bench/run $(BENCH_ARGS)

# The benchmark harness on its tiny size: proves every workload still runs and reports
# (asserts no timing; the numbers stay in build/, docs/ are not touched).
bench-smoke: bootstrap all
	rm -rf $(BUILD)/bench-smoke
	bench/run --smoke --out $(BUILD)/bench-smoke

# Crash test: SIGKILL duckd under concurrent inserts, restart, check that every acknowledged
# row is there and no statement is half applied (bench/durability; ~1-2 minutes).
durability: $(BUILD)/duckd
	$(PYTHON) bench/durability --duckd $(abspath $(BUILD)/duckd) --trials 20 $(DURABILITY_ARGS)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(sort build build-asan build-fuzz $(BUILD)) -name '*.d' 2>/dev/null)
