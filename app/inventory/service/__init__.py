"""Inventory business rules, split by concept; import them from here.

- catalogue: parts and their compatible equipment models
- locations: warehouses and vans, who may see and move stock from which
- ledger: stock movements and the levels they change (the only writer of on_hand)
- reservations: stock held for work orders (the only writer of reserved, with ledger issues)
- reports: stock levels, low stock, a part's ledger with running balances, verification
"""

from app.inventory.service.catalogue import create_part, get_part, list_parts, update_part
from app.inventory.service.ledger import (
    get_movement,
    issue_parts_to_work_order,
    list_movements,
    record_movement,
)
from app.inventory.service.locations import (
    create_location,
    get_location,
    list_locations,
    update_location,
    van_of_technician,
    van_with_stock,
    vans_of_technicians,
)
from app.inventory.service.reports import (
    LedgerEntry,
    LowStockLine,
    Mismatch,
    available_stock,
    available_stocks,
    list_stock_levels,
    low_stock,
    part_ledger,
    verify_stock,
)
from app.inventory.service.reservations import (
    get_reservation,
    list_reservations,
    release_reservation,
    release_reservations_for_work_order,
    reserve_parts,
)

__all__ = [
    "LedgerEntry",
    "LowStockLine",
    "Mismatch",
    "available_stock",
    "available_stocks",
    "create_location",
    "create_part",
    "get_location",
    "get_movement",
    "get_part",
    "get_reservation",
    "issue_parts_to_work_order",
    "list_locations",
    "list_movements",
    "list_parts",
    "list_reservations",
    "list_stock_levels",
    "low_stock",
    "part_ledger",
    "record_movement",
    "release_reservation",
    "release_reservations_for_work_order",
    "reserve_parts",
    "update_location",
    "update_part",
    "van_of_technician",
    "van_with_stock",
    "vans_of_technicians",
    "verify_stock",
]
