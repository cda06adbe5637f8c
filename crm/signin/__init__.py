"""Signing in: who may (lockout, two factors), for how long (tokens, idle sessions), how often (rate limits).

README "Signing in: lockout, tokens, two factors" explains the choices; the writes are in
crm.services.signin."""
