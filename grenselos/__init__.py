"""Grenseløs: the thin composition root (settings, CLI, pipeline wiring).

The stage packages (harvest, transform, index, portal, vocab, circulation) sit beside this one; this
package only wires them together.
"""

__version__ = "0.1.0"
