"""Customers, sites, equipment models, assets, QR labels, meters."""
