# Makefile — the front door. `make demo` and `make test` are the two commands a newcomer
# runs; everything else is a convenience over CMake + CTest.
BUILD     ?= build
JOBS      ?= $(shell nproc)
SKIM      := $(BUILD)/skim
FUZZ_SECS ?= 30

.PHONY: all setup configure build model demo test unit fuzz bench sweep golden clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: $(BUILD)/build.ninja

build: setup configure
	cmake --build $(BUILD) -j $(JOBS)

model: build
	$(SKIM) pull smollm2-135m

demo: model
	@echo "--- skim info (default model) ---"
	$(SKIM) info --brief
	@echo "--- skim run ---"
	$(SKIM) run --chat -n 96 --temp 0 -p "In two sentences, why do large language models need so much memory bandwidth?"

# Unit, golden and end-to-end tests (CTest), the skipped ones listed with their reasons
# (tests needing evaluation/calibration data skip without it: see skim/data.h), then
# bounded fuzz runs of the GGUF reader and the OpenAI request parser.
test: model
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS); status=$$?; \
	  python3 scripts/test_report.py $(BUILD); exit $$status
	$(MAKE) fuzz

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS); status=$$?; \
	  python3 scripts/test_report.py $(BUILD); exit $$status

# libFuzzer targets need clang; they get their own build directory.
fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSKIM_FUZZ=ON -DSKIM_BUILD_TESTS=OFF -DSKIM_BUILD_BENCH=OFF >/dev/null
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_gguf fuzz_openai_request
	bash scripts/run_fuzz.sh $(BUILD)-fuzz/fuzz_gguf $(BUILD)-fuzz/fuzz_openai_request $(FUZZ_SECS)

bench: build
	$(SKIM) bench

# The published sparsity sweep: dense, TEAL (uniform and greedy) and CATS at 0..70%
# (sidecars, sweep.csv, sweep.json, the table in sweep.md) and its Pareto plot sweep.png.
SWEEP_DIR  ?= $(BUILD)/sweep
SWEEP_ARGS ?=
sweep: model
	mkdir -p $(SWEEP_DIR)
	$(SKIM) sweep --out-dir $(SWEEP_DIR) $(SWEEP_ARGS) > $(SWEEP_DIR)/sweep.md.part
	mv $(SWEEP_DIR)/sweep.md.part $(SWEEP_DIR)/sweep.md
	cat $(SWEEP_DIR)/sweep.md
	python3 scripts/plot_sweep.py $(SWEEP_DIR)/sweep.json -o $(SWEEP_DIR)/sweep.png

# Regenerate the llama.cpp golden fixtures (needs llama-cpp-python; not part of CI).
golden:
	python3 -m pip install -q llama-cpp-python jinja2 numpy
	python3 scripts/dump_golden.py

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
