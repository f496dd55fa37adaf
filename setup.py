"""Install the collection into site-packages' ansible_collections/ and the mysqlha command.

The repository root *is* the collection root, so it is mapped onto the
package ``ansible_collections.dbaops.mysql_ha``; ansible finds collections on
sys.path, which makes ``ansible-doc dbaops.mysql_ha.replication_facts`` work
after ``pip install .``.  Metadata lives in pyproject.toml.
"""
import os
import shutil

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

PREFIX = "ansible_collections.dbaops.mysql_ha"
SUBPACKAGES = find_namespace_packages(
    include=["plugins", "plugins.*", "engine", "engine.*", "extensions", "extensions.*"],
    exclude=["*.__pycache__"],
)


class BuildPy(build_py):
    """Leave this file out: the root package holds data, not setup.py.  Start from an empty
    build directory: setuptools copies into build/lib and never deletes, so a file removed from
    the tree would otherwise ship again in the next wheel."""

    def run(self):
        shutil.rmtree(os.path.join(self.build_lib, *PREFIX.split(".")), ignore_errors=True)
        super().run()

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        if package == PREFIX:
            return [m for m in modules if m[1] != "setup"]
        return modules


setup(
    packages=[PREFIX] + [f"{PREFIX}.{name}" for name in SUBPACKAGES],
    package_dir={PREFIX: "."},
    # Everything a collection user consumes besides Python, as in the galaxy tarball
    # (tests/packaging checks that the wheel and the tarball agree).
    package_data={PREFIX: ["galaxy.yml", "README.md", "CHANGELOG.rst", "COPYING", "requirements.txt", "meta/*.yml",
                           "rules/*.yml", "playbooks/*.yml",
                           "roles/**/*", "extensions/**/*.yml", "extensions/**/*.py", "engine/schemas/*.json",
                           "engine/daemon/console/*", "docs/**/*.md"]},
    include_package_data=False,
    cmdclass={"build_py": BuildPy},
)
