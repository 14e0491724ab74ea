"""Shared kernel: configuration, database, security, accounts, audit, outbox, jobs and the registries packages fill."""
