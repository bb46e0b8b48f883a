# qsim - deterministic discrete-event simulator of the queue/cache incident.
# `make run` and `make test` are all a new user needs (see README.md).

CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I.
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

.PHONY: all deps deps-run run test test-unit test-asan test-valgrind test-builds test-fuzz bench clean \
        help install doc
all: $(QSIM_BIN)

# make help: the targets (keep in step with the README).
help:
	@echo "make run        build and run the README's experiments (needs: build tools, GSL, cJSON, gnuplot)"
	@echo "                SCENARIO=file.json runs another scenario; OUT=dir another root than out/"
	@echo "make qsim       build ./qsim only"
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

# V=1 shows the full command lines.
Q = $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libqsim.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,main.c $(wildcard cli/*.c))

$(QSIM_BIN): $(CLI_OBJ) $(BUILD)/libqsim.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libqsim.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -o $@ $< $(BUILD)/libqsim.a $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libqsim.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BUILD)/libqsim.a $(LDLIBS)

# The README's experiments: the incident under its options, every option on
# the busy room with replications, and a sweep; each into a folder of its
# own under $(OUT)/ (out/run/..., out/compare/..., out/sweep/...), each
# with its manifest, charts and report. Only run dependencies are needed.
run: deps-run
	@$(MAKE) --no-print-directory qsim
	QSIM_OUT=$(OUT) ./qsim run $(SCENARIO)
	./qsim plot $(OUT)/latest
	QSIM_OUT=$(OUT) ./qsim compare $(CMP_SCENARIO) --reps 5 --days 0.25
	./qsim plot $(OUT)/latest

# make test = the unit and scenario tests, then the same under
# AddressSanitizer + UBSan, then under valgrind memcheck (docs/testing.md).
test: deps
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-builds
	@$(MAKE) --no-print-directory test-fuzz
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-valgrind

# The corpus of past crashes replayed, then 60 s of fuzzing (clang, libFuzzer).
# libFuzzer's own output goes to build/fuzz/smoke.log; its verdict and
# counts are printed here.
test-fuzz: deps
	@echo "== fuzz smoke: tests/corpus replayed, then 60 s of libFuzzer (log: $(FUZZ_DIR)/smoke.log)"
	@mkdir -p $(FUZZ_DIR)
	@rc=0; $(MAKE) --no-print-directory fuzz-smoke FUZZ_TIME=60 > $(FUZZ_DIR)/smoke.log 2>&1 || rc=1; \
	grep -E '^fuzz-replay:|^fuzz-seed:|number_of_executed_units|average_exec_per_sec|ERROR|SUMMARY' \
		$(FUZZ_DIR)/smoke.log; \
	if [ $$rc = 0 ]; then echo "fuzz: 1 passed, 0 failed"; else echo "fuzz: 0 passed, 1 failed"; fi; exit $$rc

# The same outputs from gcc -O2 and clang -O0 builds (no float drift).
test-builds: deps
	@echo "== determinism across builds: $(CC) $(OPT) against clang -O0"
	@$(MAKE) --no-print-directory qsim
	@$(MAKE) --no-print-directory BUILD=build/clang-O0 CC=clang OPT=-O0 QSIM_BIN=build/clang-O0/qsim \
		build/clang-O0/qsim
	@sh tests/builds.sh ./qsim build/clang-O0/qsim

test-unit: deps
	@$(MAKE) --no-print-directory qsim $(TEST_BIN)
	@sh tests/run.sh $(TEST_BIN)

SAN_OPT = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_TESTS = $(TEST_BIN:$(BUILD)/%=build/asan/%)
test-asan: deps
	@echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="$(SAN_OPT)" QSIM_BIN=build/asan/qsim \
		build/asan/qsim $(ASAN_TESTS)
	@QSIM=build/asan/qsim ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/run.sh $(ASAN_TESTS)

test-valgrind: deps
	@echo "== tests under valgrind memcheck"
	@$(MAKE) --no-print-directory qsim $(TEST_BIN)
	@sh tests/valgrind.sh $(TEST_BIN)

bench: deps
	@$(MAKE) --no-print-directory qsim $(BENCH_BIN)
	@sh bench/run.sh $(BENCH_BIN) bench/bench_model.sh

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

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
