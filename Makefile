# The two commands a newcomer needs:
#   make run    set up (first time only) and run Dojang at http://127.0.0.1:3000
#   make test   set up (first time only) and run every test
.PHONY: run test setup build bench

run:
	./scripts/setup.sh
	./scripts/build-signer.sh
	cargo leptos serve

test:
	./scripts/test.sh

setup:
	./scripts/setup.sh --test

build:
	./scripts/setup.sh
	./scripts/build-signer.sh
	cargo leptos build
