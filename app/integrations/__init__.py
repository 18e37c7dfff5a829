"""Integrations: webhooks to other systems (CRM, ERP, billing)."""
