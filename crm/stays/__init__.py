"""Stays and the organization's properties for integrators (issue 13): their reads and API. The stay's model
is crm.models.stays, its writes crm.services.stays."""
