# qsim - deterministic discrete-event simulator of the queue/cache incident.
# `make run` and `make test` are all a new user needs (see README.md).

CC      ?= cc
OPT     ?= -O2
# make CFLAGS=... replaces only the optional flags: what the build needs
# (language, warnings as errors, include path) is in QSIM_CFLAGS.
CFLAGS  ?= $(OPT) -g
QSIM_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow -Werror -I.
PKGS     = gsl libcjson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lm

BUILD   ?= build
LIB_SRC := $(wildcard sim/*.c) $(wildcard model/*.c) $(wildcard model/strategies/*.c) \
           $(wildcard reports/*.c) $(wildcard app/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

QSIM_BIN ?= qsim
OUT      ?= out
SCENARIO ?= scenarios/incident-164.json
CMP_SCENARIO ?= scenarios/busy.json

PREFIX  ?= /usr/local
DESTDIR ?=

.PHONY: all deps deps-run deps-test run test test-unit test-asan test-valgrind test-builds test-fuzz test-cluster \
        test-parallel test-slurm bench clean help install doc
all: $(QSIM_BIN)

# make help: the targets (keep in step with the README).
help:
	@echo "make run        build and run the README's experiments (needs: build tools, GSL, cJSON, gnuplot)"
	@echo "                SCENARIO=file.json runs another scenario; OUT=dir another root than out/"
	@echo "make qsim       build ./qsim only"
	@echo "make addon      build/qsim.node: JS mode in-process (needs node's headers; docs/worker-host.md)"
	@echo "make test       all five test passes (also installs cmocka, valgrind, clang, libFuzzer)"
	@echo "make test-unit  the unit and script tests (pass 1)"
	@echo "make test-asan  pass 1 under AddressSanitizer + UBSan"
	@echo "make test-valgrind, test-builds, test-fuzz   the other passes"
	@echo "make bench      the benchmarks"
	@echo "make doc        build/qsim.1 (man page) and build/qsim.bash (completion), from qsim's own help"
	@echo "make install    PREFIX=$(PREFIX): bin/qsim, share/qsim/{data,plot}, man page, bash completion"
	@echo "make clean      remove build/ and ./qsim"

# make fuzz, make fuzz-smoke: the libFuzzer target (fuzz/fuzz.mk).
include fuzz/fuzz.mk

# deps-run: what building and running need; deps: that and what the tests need.
deps-run:
	@sh tools/deps.sh run

deps:
	@sh tools/deps.sh test

deps-test:
	@sh tools/deps.sh test

# V=1 shows the full command lines.
Q = $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# The worker host's script (model/worker_host.js), embedded as bytes: the
# build needs no node, only od and sed.
$(BUILD)/worker_host.inc: model/worker_host.js
	@mkdir -p $(dir $@)
	$(Q)od -An -v -tx1 < $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' > $@
$(BUILD)/model/jshost.o: $(BUILD)/worker_host.inc
# QSIM_CFLAGS, not CFLAGS: a CFLAGS given on the command line would override
# a target-specific append, and the build must not depend on CFLAGS.
$(BUILD)/model/jshost.o: QSIM_CFLAGS += -I$(BUILD)
# The sources' checksum, in jshost.o: qsim runs in-process only with an
# addon built from the same sources (the same stamp in build/qsim.node).
# Rewritten only when it changes.
SRC_STAMP := $(shell cat $(sort $(LIB_SRC) main.c $(wildcard cli/*.c) \
               $(filter-out build/% $(BUILD)/%,$(wildcard */*.h */*/*.h)) \
               model/worker_host.js) 2>/dev/null | cksum | cut -d' ' -f1)
.PHONY: FORCE
$(BUILD)/src_stamp.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define QSIM_SRC_STAMP "qsim-src-stamp:$(SRC_STAMP):"' > $@.tmp; \
	if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/model/jshost.o: $(BUILD)/src_stamp.h

$(BUILD)/libqsim.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,main.c $(wildcard cli/*.c))

$(QSIM_BIN): $(CLI_OBJ) $(BUILD)/libqsim.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The Node-API addon (docs/worker-host.md, "Transports"): the library and
# the CLI again, position-independent, into build/pic, main renamed
# qsim_main, linked into $(BUILD)/qsim.node. It needs node's headers
# (Debian's nodejs package), not node; the napi symbols resolve when node
# loads it. Not part of `make qsim`: without it JS mode uses pipes.
NODE_INCLUDE ?= /usr/include/node
PIC      = $(BUILD)/pic
PIC_OBJ := $(LIB_SRC:%.c=$(PIC)/%.o) $(patsubst %.c,$(PIC)/%.o,main.c $(wildcard cli/*.c))
.PHONY: addon
addon: $(BUILD)/qsim.node

$(PIC)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC PIC  $<")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) -fPIC $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(PIC)/main.o: CFLAGS += -Dmain=qsim_main
$(PIC)/model/jshost.o: $(BUILD)/worker_host.inc $(BUILD)/src_stamp.h
$(PIC)/model/jshost.o: CFLAGS += -I$(BUILD)

$(BUILD)/qsim.node: cli/node/qsim_node.c $(PIC_OBJ)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) -fPIC -shared -I$(NODE_INCLUDE) $(PKG_CFLAGS) -o $@.tmp $^ $(LDLIBS) && mv $@.tmp $@

# `make test` builds the addon when node's headers are there.
ADDON_IF = $(if $(wildcard $(NODE_INCLUDE)/node_api.h),$(BUILD)/qsim.node)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libqsim.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP -MF $@.d -MT $@ -o $@ $< \
		$(BUILD)/libqsim.a $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libqsim.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -MF $@.d -MT $@ -o $@ $< $(BUILD)/libqsim.a $(LDLIBS)

# The README's experiments: the incident under its options, then every
# option on the busy room with replications, also at the ends and middle of
# every assumed value (--robust); each into a folder of its own under
# $(OUT)/ (out/run/..., out/compare/...), with its manifest, charts and
# report. Only run dependencies are needed.
run: deps-run
	@$(MAKE) --no-print-directory qsim
	QSIM_OUT=$(OUT) ./qsim run $(SCENARIO)
	./qsim plot $(OUT)/latest
	QSIM_OUT=$(OUT) ./qsim compare $(CMP_SCENARIO) --reps 3 --days 0.05 --robust
	./qsim plot $(OUT)/latest

# make test = the unit and scenario tests, the sweeps on GNU parallel and
# Slurm, then the same under AddressSanitizer + UBSan, then under valgrind
# memcheck (docs/testing.md).
test: deps-test
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-cluster
	@$(MAKE) --no-print-directory test-builds
	@$(MAKE) --no-print-directory test-fuzz
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-valgrind

# The corpus of past crashes replayed, then 60 s of fuzzing (clang, libFuzzer).
# libFuzzer's own output goes to build/fuzz/smoke.log; its verdict and
# counts are printed here.
test-fuzz: deps-test
	@echo "== fuzz smoke: tests/corpus replayed, then 60 s of libFuzzer (log: $(FUZZ_DIR)/smoke.log)"
	@mkdir -p $(FUZZ_DIR)
	@rc=0; $(MAKE) --no-print-directory fuzz-smoke FUZZ_TIME=60 > $(FUZZ_DIR)/smoke.log 2>&1 || rc=1; \
	grep -E '^fuzz-replay:|^fuzz-seed:|^fuzz-data:|number_of_executed_units|average_exec_per_sec|ERROR|SUMMARY' \
		$(FUZZ_DIR)/smoke.log; \
	if [ $$rc = 0 ]; then echo "fuzz: 1 passed, 0 failed"; else echo "fuzz: 0 passed, 1 failed"; fi; exit $$rc

# The same outputs from gcc -O2 and clang -O0 builds (no float drift).
test-builds: deps-test
	@echo "== determinism across builds: $(CC) $(OPT) against clang -O0"
	@$(MAKE) --no-print-directory qsim
	@$(MAKE) --no-print-directory BUILD=build/clang-O0 CC=clang OPT=-O0 QSIM_BIN=build/clang-O0/qsim \
		build/clang-O0/qsim
	@sh tests/builds.sh ./qsim build/clang-O0/qsim

test-unit: deps-test
	@$(MAKE) --no-print-directory qsim $(TEST_BIN) $(ADDON_IF)
	@sh tests/run.sh $(TEST_BIN)

# Sharded sweeps on the tools clusters run (docs/distributed.md): GNU
# parallel with --sshlogin : (this machine), and a one-node Slurm the test
# starts as root and stops after. They need `sh tools/deps.sh cluster`.
test-cluster:
	@echo "== sweeps on GNU parallel and Slurm"
	@rc=0; pass=0; fail=0; \
	for t in parallel slurm; do \
		if $(MAKE) --no-print-directory test-$$t; then pass=$$((pass + 1)); else fail=$$((fail + 1)); rc=1; fi; \
	done; echo "cluster: $$pass passed, $$fail failed"; exit $$rc

test-parallel:
	@sh tools/deps.sh cluster
	@$(MAKE) --no-print-directory qsim
	@sh tests/cluster/parallel.sh

test-slurm:
	@sh tools/deps.sh cluster
	@$(MAKE) --no-print-directory qsim
	@sh tests/cluster/slurm.sh

SAN_OPT = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_TESTS = $(TEST_BIN:$(BUILD)/%=build/asan/%)
test-asan: deps-test
	@echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="$(SAN_OPT)" QSIM_BIN=build/asan/qsim \
		build/asan/qsim $(ASAN_TESTS)
	@QSIM=build/asan/qsim ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/run.sh $(ASAN_TESTS)

test-valgrind: deps-test
	@echo "== tests under valgrind memcheck"
	@$(MAKE) --no-print-directory qsim $(TEST_BIN)
	@sh tests/valgrind.sh $(TEST_BIN)

bench: deps-test
	@$(MAKE) --no-print-directory qsim $(BENCH_BIN) $(ADDON_IF)
	@sh bench/run.sh $(BENCH_BIN) bench/bench_model.sh bench/bench_worker.sh

# The man page and the completion come from qsim's own help text.
doc: $(BUILD)/qsim.1 $(BUILD)/qsim.bash
$(BUILD)/qsim.1: $(QSIM_BIN)
	@mkdir -p $(dir $@)
	./$(QSIM_BIN) help --man > $@.tmp && mv $@.tmp $@
$(BUILD)/qsim.bash: $(QSIM_BIN)
	@mkdir -p $(dir $@)
	./$(QSIM_BIN) help --bash-completion > $@.tmp && mv $@.tmp $@

# The binary finds data/ beside itself, else $$QSIM_DATA: the installed
# layout is bin/qsim with share/qsim/data and share/qsim/plot, and a
# wrapper-free lookup (cli_find_data) of ../share/qsim/data.
install: $(QSIM_BIN) doc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/qsim $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(QSIM_BIN) $(DESTDIR)$(PREFIX)/bin/qsim
	cp -R data plot $(DESTDIR)$(PREFIX)/share/qsim/
	install -m 644 $(BUILD)/qsim.1 $(DESTDIR)$(PREFIX)/share/man/man1/qsim.1
	install -m 644 $(BUILD)/qsim.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/qsim

clean:
	rm -rf $(BUILD) qsim

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d) $(BENCH_BIN:=.d) $(PIC_OBJ:.o=.d)
