"""The reasoning and the touches: brief, gift rules, delights, touches (outbox), feedback.

Empty until the brief, touches and gift-rule issues add their models here,
one module per model family (``personalization/models/touches.py``, ...).
"""
