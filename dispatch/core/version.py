"""The package's version, kept with ``pyproject.toml``'s."""

__version__ = "0.1.0"
