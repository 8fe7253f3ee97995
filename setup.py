"""Map the top-level folders onto one import namespace, `echotune.*`.

The design keeps agent/, tools/, mcp_server/, evals/ and prompts/ at the top of the repository, but a user's
site-packages must only ever gain `echotune`. pyproject.toml cannot express a folder-to-package mapping that
also discovers sub-packages, so this file computes it; all other metadata lives in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

PACKAGE_DIRS = {
    "echotune": "echotune",
    "echotune.tools": "tools",
    "echotune.agent": "agent",
    "echotune.mcp_server": "mcp_server",
    "echotune.evals": "evals",
    "echotune.prompts": "prompts",
}

packages = []
for package, folder in PACKAGE_DIRS.items():
    packages.append(package)
    packages.extend(f"{package}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"]))

setup(
    packages=packages,
    package_dir=PACKAGE_DIRS,
    # Data folders are namespace packages; ship every non-Python file in each package.
    package_data={package: ["*.sql", "*.md", "*.json", "*.gz", "*.yaml", "*.npy", "*.txt"] for package in packages},
)
