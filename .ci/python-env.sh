# Sourced by .ci/run and the local check scripts: creates (once) the project's Python venv
# under target/, installs .ci/requirements.txt into it and puts it first on PATH.
# ROSTER_VENV overrides the venv's place.
venv="${ROSTER_VENV:-$PWD/target/py-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r .ci/requirements.txt
export PATH="$venv/bin:$PATH"
