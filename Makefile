# The two commands of the README: `make demo` and `make test`.
# Everything else goes through CMake; this file only drives it.

BUILD ?= build
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST = ctest --output-on-failure -j$(JOBS)
# CI (CI=true) runs the sanitizer and valgrind builds' tests whole.
TESTS_FULL = -DNNC_TESTS_FULL=$(if $(filter true,$(CI)),ON,OFF)

.PHONY: all deps build demo docs test check test-float test-double test-sanitize test-valgrind fuzz test-fuzz bench bench-compare install clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The seed's sine fit on the built-in defaults: 1-3-1, sigmoid, eta 0.5,
# batch 10, up to 10000 epochs; the run folder goes to build/runs/sin_131.
demo: build
	./$(BUILD)/nnc train sin --out $(BUILD)/runs

# Every test in four builds: float (-Werror), double, float under
# AddressSanitizer + UndefinedBehaviorSanitizer, and float under valgrind;
# and a short fuzzing run of every reader.  They run JOBS at a time, the
# longest first, so that every core stays busy while one build waits on its
# slowest test; each one's output is shown whole when it ends.
test: deps
	@$(MAKE) -j$(JOBS) --output-sync=target test-valgrind test-sanitize test-fuzz test-float test-double

test-float:
	cmake -S . -B $(BUILD)/test-float -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD)/test-float -j$(JOBS)
	cd $(BUILD)/test-float && $(CTEST)

test-double:
	cmake -S . -B $(BUILD)/test-double -DCMAKE_BUILD_TYPE=Release -DNNC_DOUBLE=ON >/dev/null
	cmake --build $(BUILD)/test-double -j$(JOBS)
	cd $(BUILD)/test-double && $(CTEST)

test-sanitize:
	cmake -S . -B $(BUILD)/test-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNC_SANITIZE=ON \
	    $(TESTS_FULL) >/dev/null
	cmake --build $(BUILD)/test-sanitize -j$(JOBS)
	cd $(BUILD)/test-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST)

# Every test again with each test program, and the CLI, under valgrind
# memcheck: any invalid access, uninitialised read or leak fails the test.
# The long arithmetic sweeps (test_kernels, test_threads, test_vmath) take
# reduced sets there and in the sanitizer build (NNC_TEST_MEMCHECK), except
# in CI (CI=true), which runs them whole (NNC_TESTS_FULL) and has memcheck
# name where each uninitialised value came from.
test-valgrind:
	cmake -S . -B $(BUILD)/test-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNC_VALGRIND=ON \
	    $(TESTS_FULL) >/dev/null
	cmake --build $(BUILD)/test-valgrind -j$(JOBS)
	cd $(BUILD)/test-valgrind && $(CTEST)

# libFuzzer on every reader (fuzz/fuzz_*.c, built with clang into
# $(BUILD)/fuzz): FUZZ_SECONDS per target, 600 for `make fuzz`; 60 in CI
# (CI=true) and 10 elsewhere for `make test-fuzz`.  Any crash, leak, timeout
# or out-of-memory fails, naming the target and the file that reproduces it.
fuzz: deps
	FUZZ_SECONDS=$(if $(FUZZ_SECONDS),$(FUZZ_SECONDS),600) FUZZ_BUILD=$(BUILD)/fuzz bash scripts/fuzz.sh

test-fuzz:
	FUZZ_SECONDS=$(if $(FUZZ_SECONDS),$(FUZZ_SECONDS),$(if $(filter true,$(CI)),60,10)) FUZZ_BUILD=$(BUILD)/fuzz bash scripts/fuzz.sh

# The benchmark (bench/README.md): nnc against straight C, FANN, NumPy,
# PyTorch and OpenBLAS on workloads S and M, the peers installed through
# apt-get first; not part of `make test`.  BENCH_ROUNDS (5), BENCH_WORKLOADS
# (S1,S3,M) and the other settings of bench/run.py go through the environment.
bench: build
	@sh scripts/install-deps.sh bench
	/usr/bin/python3 bench/run.py $(BUILD)

# Before and after (bench/README.md): BASE, a commit, is exported with `git
# archive` into $(BUILD)/bench-base/src and built Release with the same flags
# into $(BUILD)/bench-base, afresh each time (the archive's files carry the
# commit's date, older than any object a previous BASE left there); run.py
# times its bench programs beside the current ones in the same rounds and
# ends with current/baseline per workload.  Only nnc and the baseline run
# unless BENCH_PEERS names more peers (say baseline,nnc-2t,baseline-2t), so
# nothing is installed (M needs dataset-fashion-mnist, which `make bench`
# installs).
BENCH_BASE = $(BUILD)/bench-base
ifneq ($(filter bench-compare,$(MAKECMDGOALS)),)
ifeq ($(BASE),)
$(error usage: make bench-compare BASE=<commit>)
endif
endif
bench-compare: build
	rm -rf $(BENCH_BASE) && mkdir -p $(BENCH_BASE)/src
	git archive --format=tar $(BASE) | tar -x -C $(BENCH_BASE)/src
	cmake -S $(BENCH_BASE)/src -B $(BENCH_BASE) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BENCH_BASE) -j$(JOBS) --target bench_nnc_s bench_nnc_m
	BENCH_BASELINE=$(BENCH_BASE) BENCH_BASELINE_COMMIT=$$(git rev-parse --short $(BASE)) \
	    BENCH_PEERS=$${BENCH_PEERS:-baseline} /usr/bin/python3 bench/run.py $(BUILD)

# Rewrites the command outputs quoted in README.md and docs/*.md with what
# the Release build's nnc prints (scripts/docs.sh; tests/cli_docs.sh checks
# them in the float build).  Review the diff before committing it.
docs: build
	bash scripts/docs.sh --update --nnc $(BUILD)/nnc

# The quick loop while working: the float build only.
check: deps test-float

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
