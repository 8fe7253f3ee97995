#!/usr/bin/env bash
# Run the whole test suite; fail on pytest's "no tests ran" (exit 5) and on any file the tests left in the
# repository (tests write only under their temp dirs: a stray file means a tool wrote to the working directory).
set -uo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
untracked() { git status --porcelain --untracked-files=all 2>/dev/null | sort; }
before=$(untracked)
"$python" -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
stray=$(comm -13 <(echo "$before") <(untracked))
if [ -n "$stray" ]; then
  echo "error: the tests left files in the repository:" >&2
  echo "$stray" >&2
  exit 1
fi
exit $rc
