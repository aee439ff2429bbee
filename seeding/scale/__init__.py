"""Scale data for `manage.py seed_scale` (the benchmarks): many realistic incidents with their
timelines, parties, vehicles, escalations and board events, written with PostgreSQL's COPY.

The tenants are their own ("Scale Provider 1", "Scale Agency 1", …): organizations, sites and
people are created once and reused; ``reset`` removes only their incidents and what hangs off them.
Rows are written as the services would leave them (search document, references, versions,
sequences), but without audit records: this is bulk history, not activity.
"""

from seeding.scale.seeder import reset, seed
from seeding.scale.tenants import PREFIX, scale_incidents

__all__ = ["PREFIX", "reset", "scale_incidents", "seed"]
