# fuzz.mk - the libFuzzer target for scenario files (docs/testing.md,
# "Bad inputs and fuzzing"). Included from the top Makefile, after its
# first target so that `make` alone still builds qsim.
#
#   make fuzz         build build/fuzz/fuzz_scenario, fuzz for FUZZ_TIME s
#   make fuzz-smoke   replay every file of tests/corpus/ (each must pass),
#                     then fuzz for FUZZ_TIME s (60 by default)
#
# Needs clang with libFuzzer (Debian: clang-14 and libclang-rt-14-dev).
# Runs from the repository root: the target reads data/ from there.
# Crashes, leaks and timeouts are written to build/fuzz/ as crash-*,
# leak-*, timeout-*; minimise one with
#   build/fuzz/fuzz_scenario -minimize_crash=1 -runs=100000 FILE
# and keep it in tests/corpus/ with a line in tests/corpus/README.

FUZZ_CC     ?= clang
FUZZ_TIME   ?= 60
FUZZ_DIR    ?= build/fuzz
FUZZ_ARGS   ?=
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer -Wall -Wextra -I. \
               $(FUZZ_SAN) $(shell pkg-config --cflags gsl libcjson 2>/dev/null)
FUZZ_LIBS   := $(shell pkg-config --libs gsl libcjson 2>/dev/null) -lm
FUZZ_SRC    := $(wildcard sim/*.c) $(wildcard model/*.c) $(wildcard model/strategies/*.c) \
               $(wildcard reports/*.c) $(wildcard app/*.c)
FUZZ_OBJ    := $(FUZZ_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIN    := $(FUZZ_DIR)/fuzz_scenario
FUZZ_DATA_BIN := $(FUZZ_DIR)/fuzz_data
FUZZ_DATA_CORPUS := $(FUZZ_DIR)/corpus-data
# of FUZZ_TIME, the share (in %) spent on the data files' target
FUZZ_DATA_PCT ?= 25
FUZZ_CORPUS := $(FUZZ_DIR)/corpus
FUZZ_RUN    := -max_len=65536 -timeout=10 -rss_limit_mb=4096 -dict=fuzz/scenario.dict \
               -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-seed fuzz-replay fuzz-data-seed

# Static pattern rules: explicit, so the top Makefile's $(BUILD)/%.o rule
# (gcc, no libFuzzer instrumentation) never builds these objects.
$(FUZZ_OBJ): $(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# the Worker host's embedded script, as in the top Makefile
$(FUZZ_DIR)/worker_host.inc: model/worker_host.js
	@mkdir -p $(dir $@)
	@od -An -v -tx1 < $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' > $@
$(FUZZ_DIR)/obj/model/jshost.o: $(FUZZ_DIR)/worker_host.inc
$(FUZZ_DIR)/obj/model/jshost.o: FUZZ_CFLAGS += -I$(FUZZ_DIR)

$(FUZZ_BIN): fuzz/fuzz_scenario.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(FUZZ_LIBS)

$(FUZZ_DATA_BIN): fuzz/fuzz_data.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BIN) $(FUZZ_DATA_BIN)

# The data files' target: seeds are the shipped pricing (first byte 'P',
# even) and limits files ('Q', odd) and the bad ones of the corpus.
fuzz-data-seed: $(FUZZ_DATA_BIN)
	@mkdir -p $(FUZZ_DATA_CORPUS)
	@for f in data/pricing/*.json; do { printf P; cat "$$f"; } > "$(FUZZ_DATA_CORPUS)/seed-$$(basename $$f)"; done; \
	for f in data/limits/*.json; do { printf Q; cat "$$f"; } > "$(FUZZ_DATA_CORPUS)/seed-$$(basename $$f)"; done; \
	for f in tests/bad_scenarios/pricing-*.json; do [ -f "$$f" ] && { printf P; cat "$$f"; } > "$(FUZZ_DATA_CORPUS)/seed-$$(basename $$f)"; done; \
	for f in tests/bad_scenarios/limits-*.json; do [ -f "$$f" ] && { printf Q; cat "$$f"; } > "$(FUZZ_DATA_CORPUS)/seed-$$(basename $$f)"; done; true

# The corpus grows in build/fuzz/corpus; every run first adds the seeds
# (scenarios, the bad-input cases, past crashes) under names that cannot
# collide. A file of tests/corpus/ that still crashes is left out: it would
# stop the fuzzer before it starts (fuzz-replay reports it).
fuzz-seed: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_CORPUS)
	@for f in scenarios/*.json scenarios/*/*.json tests/bad_scenarios/*.json; do \
	    [ -f "$$f" ] && cp "$$f" "$(FUZZ_CORPUS)/seed-$$(echo "$$f" | tr '/' '_')"; \
	done; \
	for f in tests/corpus/*; do \
	    case "$$f" in *README*) continue ;; esac; \
	    [ -f "$$f" ] || continue; \
	    if $(FUZZ_BIN) -timeout=10 "$$f" >/dev/null 2>&1; then \
	        cp "$$f" "$(FUZZ_CORPUS)/seed-$$(echo "$$f" | tr '/' '_')"; \
	    else \
	        echo "fuzz-seed: $$f still fails: not seeded (make fuzz-replay)"; \
	    fi; \
	done; true

# Each file of tests/corpus/ once, in its own process (fuzz/replay.sh):
# fails if any input crashes, leaks or times out.
fuzz-replay: $(FUZZ_BIN)
	@sh fuzz/replay.sh $(FUZZ_BIN) tests/corpus

fuzz: $(FUZZ_BIN) fuzz-seed
	$(FUZZ_BIN) $(FUZZ_CORPUS) $(FUZZ_RUN) -max_total_time=$(FUZZ_TIME) $(FUZZ_ARGS)

# The replay's verdict is kept until the fuzzing is done, so that a known
# crash in tests/corpus does not stop the search for new ones.
fuzz-smoke: $(FUZZ_BIN) fuzz-seed $(FUZZ_DATA_BIN) fuzz-data-seed
	@rc=0; sh fuzz/replay.sh $(FUZZ_BIN) tests/corpus || rc=1; \
	dt=$$(( $(FUZZ_TIME) * $(FUZZ_DATA_PCT) / 100 )); [ $$dt -ge 1 ] || dt=1; \
	$(FUZZ_BIN) $(FUZZ_CORPUS) $(FUZZ_RUN) -max_total_time=$$(( $(FUZZ_TIME) - dt )) $(FUZZ_ARGS) || rc=1; \
	echo "fuzz-data: $$dt s on pricing and limits files"; \
	$(FUZZ_DATA_BIN) $(FUZZ_DATA_CORPUS) -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/data- -print_final_stats=1 -max_total_time=$$dt || rc=1; \
	exit $$rc

-include $(FUZZ_OBJ:.o=.d)
