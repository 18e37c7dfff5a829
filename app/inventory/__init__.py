"""Inventory: parts, stock locations (warehouses and vans), the stock ledger, reservations."""
