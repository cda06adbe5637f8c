"""Events the memory announces, sent inside the writing transaction.

personalization connects receivers that write their rows (touches, delights)
in that same transaction; crm never imports personalization.
"""

from django.dispatch import Signal

# sender=Issue, issue=Issue, actor=User|None
issue_opened = Signal()
# sender=Issue, issue=Issue, actor=User|None — the first move from "open" (first_response_at was just stamped)
issue_answered = Signal()
# sender=Issue, issue=Issue, actor=User|None
issue_resolved = Signal()
# sender=Issue, issue=Issue, actor=User|None, at=datetime — a resolved or closed issue opened again (at: when)
issue_reopened = Signal()
# sender=Contact, contact=Contact, actor=User|None
contact_logged = Signal()
# sender=Customer, customer=Customer, actor=User|None — consent withdrawn or do-not-contact set
customer_contact_restricted = Signal()
# sender=Customer, customer=Customer — sent just before the customer and their history are erased
customer_erasing = Signal()
# sender=Customer, kept=Customer, duplicate=Customer, merge=Merge, actor=User|None — after the history moved
# (merge.moved names the rows that moved)
customer_merged = Signal()
# sender=Customer, kept=Customer, duplicate=Customer, merge=Merge, actor=User|None — after a merge's undo gave
# the duplicate its history back
customer_unmerged = Signal()
# sender=Customer, kept=Customer, duplicate=Customer — before the history moves (both rows locked): a
# receiver makes room for rows that would collide with a unique constraint once they belong to kept
customer_merging = Signal()
# sender=Command class, organization=Organization — seed_demo loaded the demo organization; other apps
# add their own demo rows (personalization: gift rules) without crm importing them
demo_seeded = Signal()
