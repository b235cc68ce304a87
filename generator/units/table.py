"""Every unit kind, in the order they are planned and made: a kind may read the units of the kinds before it
(the scores read the analyses). The plan, the compute stage, ``--only``, ``--shard``, the merge and the progress
bar take every kind from here."""

from generator.units.analysis import ANALYSIS
from generator.units.base import UnitKind
from generator.units.examples import EXAMPLES
from generator.units.filters import FILTERS
from generator.units.scores import SCORES

KINDS: tuple[UnitKind, ...] = (ANALYSIS, SCORES, EXAMPLES, FILTERS)
