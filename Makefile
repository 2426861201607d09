# FlowPilot Desktop — the two commands: `make run` and `make test`.
# Both set up .venv first (Python >= 3.11, the project from pyproject.toml, and the system
# libraries Qt needs on Debian/Ubuntu).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test lint types demo screenshot bench bundle install-desktop setup clean distclean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/ensure-qt-libs.sh
	@scripts/setup-venv.sh "$(PYTHON)" "$(VENV)"
	@scripts/ensure-qt-libs.sh "$(BIN)/python"
	@touch $(STAMP)

run: $(STAMP)
	@scripts/run-app.sh "$(BIN)/python" $(ARGS)

demo: $(STAMP)
	@scripts/run-app.sh "$(BIN)/python" --demo $(ARGS)

screenshot: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(BIN)/python -m flowpilot_desktop --demo --screenshot flowpilot.png
	@echo "Open flowpilot.png to see the window."

lint: $(STAMP) types
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# mypy, strict on the Qt-free core (flowpilot_desktop, storage, psa): see [tool.mypy].
types: $(STAMP)
	$(BIN)/mypy

test: lint
	QT_QPA_PLATFORM=offscreen scripts/run-tests.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/startup.py

# The PyInstaller bundle in dist/FlowPilot (dist/FlowPilot.app on macOS); PyInstaller and its
# hooks come pinned from pyproject.toml's "bundle" extra.
bundle: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bundle]'
	$(BIN)/pyinstaller --noconfirm --clean build.spec

# Linux: install the bundle for this user (~/.local/share/flowpilot-desktop) with its menu entry,
# icon and the flowpilot:// link handler; builds the bundle first if there is none.
install-desktop:
	@test -x dist/FlowPilot/FlowPilot || $(MAKE) bundle
	packaging/linux/install-desktop.sh dist/FlowPilot

clean:
	rm -rf build dist .pytest_cache .ruff_cache .mypy_cache .hypothesis flowpilot.png
	find . -name __pycache__ -type d -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
