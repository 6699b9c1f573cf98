"""Correcting the past: cost corrections, backdated receipts' re-costing, the impact preview, periods."""
