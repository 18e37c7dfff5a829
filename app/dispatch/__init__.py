"""Technicians, skills, shifts, territories, candidates, assignment, day plans, pick lists.

The only place that turns database rows into `optimizer` dataclasses and back."""
