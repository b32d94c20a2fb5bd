"""Taint analysis: where do secrets go?

Split by concern: :mod:`~pafix.analysis.taint.state` is the lattice (origins, labels, the taint
of each variable, joins), :mod:`~pafix.analysis.taint.transfer` what each statement does to a state
(on top of :mod:`~pafix.analysis.taint.actions` for action calls, read through the catalogue's
per-call :mod:`~pafix.analysis.taint.plans`, and :mod:`~pafix.analysis.taint.values` for
expressions, object fields and assignments), and :mod:`~pafix.analysis.taint.engine` the whole-program
fixpoint (:class:`Analysis`, :func:`analyse`). Import from here.
"""

from pafix.analysis.catalogue import ActionSpec
from pafix.analysis.taint.engine import Analysis, analyse, carries_over
from pafix.analysis.taint.state import Event, Label, Origin, State, Taint, join, same, widened
from pafix.analysis.taint.transfer import literal_args
from pafix.syntax.nodes import root_name

__all__ = [
    "Analysis", "ActionSpec", "Event", "Label", "Origin", "State", "Taint", "analyse", "carries_over", "join",
    "literal_args", "root_name", "same", "widened",
]
