"""Touches: follow-ups, thank-yous, greetings and staff tasks, sent at the right local time, once.

- ``policy``: what each kind needs (consent, pressure cap, no open complaint), local time, quiet hours.
- ``triggers``: receivers of crm's and the gift rules' signals that write or cancel touches in the
  event's transaction.
- ``notices``: delight notices ("we have prepared something for you"), when a gift rule asks for them.
- ``planner``: the nightly, per-property planning of birthdays, anniversaries and win-backs.
- ``dispatch``: claims due touches and hands them to workers.
- ``send``: sends one touch (the exactly-once design is documented there).
- ``messages``: renders the email and signs its links.
- ``services``: what staff and customers do to touches (cancel, send now, unsubscribe, feedback).
"""
