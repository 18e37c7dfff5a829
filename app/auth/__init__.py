"""Users, roles, login and tokens, and the permission decorators routes use."""
