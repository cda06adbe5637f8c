"""The brief: what staff need at the moment of contact, in a fixed small number of queries.

greet → safety → recall → repair → delight → close (API.md "The brief").
"""

from personalization.brief.build import brief_for, build_brief

__all__ = ["brief_for", "build_brief"]
