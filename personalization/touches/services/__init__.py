"""Every write of the touches (the outbox), one module each:

- ``outbox``: the touches events cause (a follow-up, a thank-you) and their cancellations;
- ``notices``: delight notices, one by one or set-based for a rule's nightly suggestions;
- ``planning``: the nightly planner of greetings and win-backs, per property at its local night;
- ``dispatch``: claiming due touches and handing them to the workers;
- ``send``: sending a batch, and recording each outcome;
- ``manual``: what staff and guests do by hand: cancel, send now, unsubscribe, leave feedback;
- ``tasks``: what the desk does with its staff tasks: take one, finish it with an outcome.
"""
