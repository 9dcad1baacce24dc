"""Hatch build hook: the version lives once, in package.json; write it into both packages."""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TEMPLATE = '# Generated from package.json by hatch_build.py; do not edit.\n__version__ = "{}"\n'


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        for path in ("dotscience/_version.py", "jupyterlab_dotscience/_version.py"):
            with open(path, "w", encoding="utf-8") as f:
                f.write(TEMPLATE.format(self.metadata.version))
