# SPDX-License-Identifier: MIT
"""PyVISA backend over libserialcmd: ``pyvisa.ResourceManager("@serialcmd")``.

PyVISA finds a backend named ``@NAME`` as the module ``pyvisa_NAME`` and
uses its ``WRAPPER_CLASS``.  See :mod:`pyvisa_serialcmd.highlevel` for the
resource names, attributes and operations it supports.
"""

from .highlevel import SerialcmdVisaLibrary

WRAPPER_CLASS = SerialcmdVisaLibrary

__all__ = ["WRAPPER_CLASS", "SerialcmdVisaLibrary"]
