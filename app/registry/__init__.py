"""党员信息同步 (manual §2.12): the outbox of domain events for the member registry (models.py, events.py,
projection.py), their signed delivery by the worker (delivery.py, tasks.py), the county's page of
deliveries (views.py), and the registry's inbound 减少 / 组织关系转接 (inbound.py, api.py)."""
