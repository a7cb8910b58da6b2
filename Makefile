# brownie: the two things a new machine needs are `make run` and `make test`.
PYTHON ?= /usr/bin/python3
BUNDLE := bundles/busybox

.PHONY: run rootfs test deps bench clean

# Run the example container (builds its rootfs first).
run: rootfs
	cd $(BUNDLE) && ../../brownie.py run busybox-demo-$$$$

rootfs: $(BUNDLE)/rootfs/bin/busybox

$(BUNDLE)/rootfs/bin/busybox: $(BUNDLE)/make-rootfs.sh
	$(BUNDLE)/make-rootfs.sh

# What the tests need that a fresh Debian machine lacks: pytest (from PyPI)
# and a static busybox (Debian's busybox-static) for the example rootfs.
APT_INSTALL = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

deps:
	@$(PYTHON) -c 'import pytest' 2>/dev/null || { \
	  $(PYTHON) -m pip --version >/dev/null 2>&1 || { $(APT_INSTALL) python3-pip >/dev/null; }; \
	  echo "installing pytest from PyPI"; \
	  PIP_BREAK_SYSTEM_PACKAGES=1 $(PYTHON) -m pip install -q --disable-pip-version-check --root-user-action=ignore pytest; }
	@busybox_static=; for b in /bin/busybox /usr/bin/busybox; do \
	  [ -x $$b ] && ! ldd $$b >/dev/null 2>&1 && busybox_static=1; done; \
	[ -n "$$busybox_static" ] || { echo "installing busybox-static"; $(APT_INSTALL) busybox-static >/dev/null; }

test: deps rootfs
	$(PYTHON) -m pytest -q tests

bench: rootfs
	$(PYTHON) tests/bench.py

clean:
	rm -rf $(BUNDLE)/rootfs
