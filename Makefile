# Thin wrapper: CMake does the work. `make run` serves one standalone node
# on 127.0.0.1:2181; `make test` runs every test (unit, integration).
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-unit clean

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./scripts/run-standalone.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 600

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

clean:
	rm -rf $(BUILD)
