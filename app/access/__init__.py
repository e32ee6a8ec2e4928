"""Access: the policy table (policy.py), the right each route needs (routes.py), the request hook that
applies both (guard.py) and separation of duties on reviews (duties.py)."""
