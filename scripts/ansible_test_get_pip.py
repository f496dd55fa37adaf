"""Stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test fetches get-pip.py from a host that this machine (and CI) cannot
reach, and looks for it first in ~/.ansible/test/cache/get_pip_<version>.py.
scripts/sanity puts this file there.  Like get-pip.py it is run as __main__
with pip-install arguments; it installs pip from the interpreter's own
ensurepip wheel, then lets that pip install what was asked for from PyPI.
"""
import ensurepip
import os
import subprocess
import sys

# ensurepip blanks PIP_* settings and points PIP_CONFIG_FILE at /dev/null in
# os.environ; the real install must see the machine's pip configuration.
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
arguments = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
raise SystemExit(subprocess.call([sys.executable, "-m", "pip", "install"] + arguments, env=environment))
