"""The package version, in a module of its own so that any module may import it."""

__all__ = ["USER_AGENT", "__version__"]

__version__ = "0.1.0"

#: The User-Agent every bisnap HTTP request carries.
USER_AGENT = f"bisnap/{__version__}"
