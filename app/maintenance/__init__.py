"""Maintenance programme: preventive plans, checklists and inspections."""
