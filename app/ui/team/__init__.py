"""The Team page: members, roles, territories, capacity, hours and out-of-office ranges."""
