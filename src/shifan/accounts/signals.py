"""Signals the accounts app sends for later stages of the lifecycle to react to.

Accounts comes first in the import order, so it cannot call the expert review; it says what
changed and the expert review (which connects in its AppConfig.ready) removes assignments that
became conflicts, inside the same transaction.
"""

from django.dispatch import Signal

# Sent inside the transaction, with `actor` (User) and `profile` (ExpertProfile), whenever
# something that decides an expert's conflicts of interest changed: a declared conflict, the
# employer or its credit code, the city, or an earlier employment.
expert_conflicts_changed = Signal()
