"""performance: indexes for the filters the APIs offer

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Indexes behind the WHMCS and Blesta list filters and sorts: client status, name and company
prefix search, group and sign-up date; invoices by client and status, by status and due date,
by date; transactions by date; tickets by assignee and last reply; orders by status and date;
services by domain and server. Measured with ``python -m bench.api.run`` (docs/performance.md).
"""
from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_clients_status", "clients", ["status"]),
    ("ix_clients_first_name", "clients", ["first_name"]),
    ("ix_clients_last_name", "clients", ["last_name"]),
    ("ix_clients_company_name", "clients", ["company_name"]),
    ("ix_clients_group_id", "clients", ["group_id"]),
    ("ix_clients_created_at", "clients", ["created_at"]),
    ("ix_invoices_client_status", "invoices", ["client_id", "status"]),
    ("ix_invoices_status_due", "invoices", ["status", "due_date"]),
    ("ix_invoices_date", "invoices", ["date"]),
    ("ix_transactions_date", "transactions", ["date"]),
    ("ix_tickets_assigned_admin_id", "tickets", ["assigned_admin_id"]),
    ("ix_tickets_last_reply_at", "tickets", ["last_reply_at"]),
    ("ix_orders_status", "orders", ["status"]),
    ("ix_orders_created_at", "orders", ["created_at"]),
    ("ix_services_domain", "services", ["domain"]),
    ("ix_services_server_id", "services", ["server_id"]),
)


# Searched with a case-insensitive prefix LIKE (WHMCS GetClients search). SQLite's LIKE uses
# an index only when the index collates NOCASE, so on SQLite these are built NOCASE (same
# names and columns; MariaDB's _ci collations need nothing). ix_clients_email (0001) is
# rebuilt the same way; email lookups go through lower() and never used it.
NOCASE = {("clients", "first_name"), ("clients", "last_name"), ("clients", "company_name")}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    sqlite = _sqlite()
    for name, table, columns in INDEXES:
        if sqlite and (table, columns[0]) in NOCASE:
            op.execute(f"CREATE INDEX {name} ON {table} ({columns[0]} COLLATE NOCASE)")
        else:
            op.create_index(name, table, columns)
    if sqlite:
        op.drop_index("ix_clients_email", table_name="clients")
        op.execute("CREATE INDEX ix_clients_email ON clients (email COLLATE NOCASE)")


def downgrade() -> None:
    if _sqlite():
        op.drop_index("ix_clients_email", table_name="clients")
        op.create_index("ix_clients_email", "clients", ["email"])
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
