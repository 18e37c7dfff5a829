"""Factories of the packages whose database guards are tested here, reused as they are."""

from tests.inventory import conftest as inventory_factories
from tests.workorders import conftest as workorders_factories

make_part, make_warehouse = inventory_factories.make_part, inventory_factories.make_warehouse
receive, level_of = inventory_factories.receive, inventory_factories.level_of
warehouse_user = inventory_factories.warehouse_user
make_work_order = workorders_factories.make_work_order
