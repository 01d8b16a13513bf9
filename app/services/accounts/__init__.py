"""Accounts: the company a lead works for, found by e-mail domain or company name."""
