"""Small-gift rules and the delights they suggest.

rules.py      what a rule may say (placeholders, "can it ever fire", which fields each trigger has) and filling its
              gift text
engine.py     which rules apply to one customer at a contact (the brief), best first
planner.py    the nightly, set-based variant: birthdays, anniversaries, absences for every customer
services.py   all writes: rules (audited), suggesting, planning, delivering (budget under a lock)
selectors.py  all reads, scoped to one organization; backtest.py the month-by-month preview
history.py    the history of rules and gifts read as sentences in the staff's language
signals.py    the hooks the delight-notice touches listen to (planned, suggested, declined, expired)
"""
