# SPDX-License-Identifier: MIT
"""The version of the serialcmd Python package (kept apart so the build
backend can read it without importing ctypes code)."""

__version__ = "1.0.0"
