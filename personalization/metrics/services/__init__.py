"""The writes of the figures: each event adds to its day's counters, in the event's own transaction (a contact
only marks itself pending there: ``contacts``). Called by personalization's services (touches, feedback, delights)
and, for crm's events, by the receivers of crm's signals (personalization.metrics.receivers): a counter is written
with what it counts or not at all. One module each:

- ``days``: the day counters of any event, the zones of the local day, a guest's guest-days and their change;
- ``contacts``: a contact marked pending in its transaction, then counted by the fold (beat every 10 s, every read
  of the figures first), with the guest-days it changes;
- ``durations``: first responses and resolutions in the histograms of their day, week and month;
- ``rebuild``: the organization's counters counted again from the raw rows on file.
"""
