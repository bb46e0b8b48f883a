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
           $(wildcard reports/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

QSIM_BIN ?= qsim
OUT      ?= out
SCENARIO ?= scenarios/incident-164.json

.PHONY: all deps deps-test run test test-unit test-asan test-valgrind test-builds test-fuzz test-cluster \
        test-parallel test-slurm bench clean
all: $(QSIM_BIN)

# make fuzz, make fuzz-smoke: the libFuzzer target (fuzz/fuzz.mk).
include fuzz/fuzz.mk

deps:
	@sh tools/deps.sh

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
$(BUILD)/model/jshost.o: CFLAGS += -I$(BUILD)

$(BUILD)/libqsim.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,main.c $(wildcard cli/*.c))

$(QSIM_BIN): $(CLI_OBJ) $(BUILD)/libqsim.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libqsim.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -o $@ $< $(BUILD)/libqsim.a $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libqsim.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(QSIM_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BUILD)/libqsim.a $(LDLIBS)

# The incident under Options 0 and 1, then every option on the busy
# scenario with replications, also at the ends and middle of every assumed
# value (--robust), then charts and report.md/report.html.
run: deps
	@$(MAKE) --no-print-directory qsim
	./qsim run $(SCENARIO) --out $(OUT)
	./qsim compare scenarios/busy.json --reps 5 --days 0.25 --robust --out $(OUT)/compare
	@sh plot/plot.sh $(OUT)

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
	@$(MAKE) --no-print-directory qsim $(TEST_BIN)
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
	@$(MAKE) --no-print-directory qsim $(BENCH_BIN)
	@sh bench/run.sh $(BENCH_BIN) bench/bench_model.sh bench/bench_worker.sh

clean:
	rm -rf $(BUILD) qsim

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
