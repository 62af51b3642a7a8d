#!/usr/bin/env bash
# The kernel-side tests on a Python that requires-python claims, from the wheel:
#   scripts/pythons.sh WHEEL_DIR VERSION CONSTRAINTS TEST_FILE... [-- PYTEST_ARG...]
# A virtualenv .venv-pyXY made with Python VERSION (pyenv's, else Debian's pythonX.Y),
# the wheel and the test tools installed into it under CONSTRAINTS (a pip constraints
# file; "-" for none: the newest releases), then the TEST_FILEs (paths from the
# repository root) run with its pytest. A missing interpreter is skipped.
#
# The virtualenv is made again only when pyproject.toml or CONSTRAINTS changed (its
# stamp holds their checksum); the wheel is reinstalled every time, without its
# dependencies, so the tests run this checkout's code. Installing a wheel never runs
# npm: the labextension was built into it once, where Node is.
#
# pytest runs in build/pythons, outside the checkout, with the repository's pytest
# configuration: from the root, the checkout's jupyter_sessions/ would be imported
# (pytest puts the root on sys.path, and a kernel its working directory) instead of
# the wheel's. --import-mode=importlib keeps the root off sys.path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
wheel_dir=$1 version=$2 constraints=$3
shift 3
tests=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do tests+=("$root/$1"); shift; done
[ $# -gt 0 ] && shift
wheel=$(ls "$root/$wheel_dir"/jupyter_sessions-*.whl)
# What the chosen test modules need besides the package (recent releases): Bokeh's
# example apps read bokeh_sampledata, and directory apps' theme.yaml needs PyYAML.
tools=(pytest pytest-timeout psutil websocket-client nbformat hypothesis bokeh_sampledata pyyaml)
# pip warns about each of the machine's extra index folders that is missing.
pip_quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }

venv=$root/.venv-py${version/./}
python=""
for candidate in "$HOME"/.pyenv/versions/"$version".*/bin/python "$(command -v "python$version" || true)"; do
    [ -x "$candidate" ] && { python=$candidate; break; }
done
if [ -z "$python" ]; then
    echo "skipped: no Python $version (pyenv install $version)"
    exit 0
fi
pins=()
[ "$constraints" = "-" ] || pins=(-c "$root/$constraints")
stamp=$venv/.installed
want=$(cat "$root/pyproject.toml" ${pins[1]:+"${pins[1]}"} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== .venv-py${version/./}: $python, constraints: $constraints"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    pip_quiet "$venv/bin/pip" install --quiet --upgrade pip
    # PATH without the checkout's .venv: nothing here may need its tools.
    pip_quiet env PATH="$venv/bin:/usr/bin:/bin" "$venv/bin/pip" install --quiet \
        "${pins[@]}" "$wheel" "${tools[@]}"
    echo "$want" >"$stamp"
fi
pip_quiet "$venv/bin/pip" install --quiet --no-deps --force-reinstall "$wheel"
mkdir -p "$root/build/pythons"
cd "$root/build/pythons"
"$venv/bin/python" -c '
import sys
from importlib.metadata import version
import jupyter_sessions
assert jupyter_sessions.__file__.startswith(sys.prefix), jupyter_sessions.__file__
names = ["bokeh", "ipykernel", "ipython", "jupyter_client", "tornado", "anywidget", "numpy"]
print("== Python", sys.version.split()[0], *(f"{n} {version(n)}" for n in names), sep=", ")
'
# A temporary directory of its own: `make pythons` runs two of these at once, and
# pytest's shared one is pruned by whichever run starts last.
exec "$venv/bin/pytest" -c "$root/pyproject.toml" --rootdir="$root" -p no:cacheprovider \
    --basetemp="$root/build/pythons/tmp-py${version/./}" --import-mode=importlib -ra \
    "$@" "${tests[@]}"
